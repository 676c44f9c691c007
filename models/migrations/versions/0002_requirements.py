"""requirements: the rule catalogue, its rules and completed training records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "requirement_catalogues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement_catalogues")),
    )
    with op.batch_alter_table("requirement_catalogues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_requirement_catalogues_sha256"), ["sha256"], unique=False
        )

    op.create_table(
        "requirement_rules",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("catalogue_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title_vi", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalogue_id"],
            ["requirement_catalogues.id"],
            name=op.f("fk_requirement_rules_catalogue_id_requirement_catalogues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement_rules")),
    )
    with op.batch_alter_table("requirement_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_requirement_rules_catalogue_id"), ["catalogue_id"], unique=False
        )

    op.create_table(
        "training_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("program_code", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("periods", sa.Integer(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("certificate_no", sa.String(length=60), nullable=True),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("import_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_training_records_official_id_officials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_records")),
        sa.UniqueConstraint("import_key", name=op.f("uq_training_records_import_key")),
    )
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_records_completed_on"), ["completed_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_records_official_id"), ["official_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_records_official_id"))
        batch_op.drop_index(batch_op.f("ix_training_records_completed_on"))

    op.drop_table("training_records")
    with op.batch_alter_table("requirement_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requirement_rules_catalogue_id"))

    op.drop_table("requirement_rules")
    with op.batch_alter_table("requirement_catalogues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requirement_catalogues_sha256"))

    op.drop_table("requirement_catalogues")
