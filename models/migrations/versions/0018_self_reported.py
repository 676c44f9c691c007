"""self-reported certificates: an official's photo or PDF of external training, waiting
for HR's verification (issue #16 point 8)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLE = "self_reported_certificates"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("kind", sa.String(40), nullable=True),
        sa.Column("title", sa.String(300), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("periods", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("file_ref", sa.String(200), nullable=True),
        sa.Column("mime_type", sa.String(40), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_official_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("training_record_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f(f"fk_{_TABLE}_official_id_officials")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_official_id"],
            ["officials.id"],
            name=op.f(f"fk_{_TABLE}_decided_by_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(
            ["training_record_id"],
            ["training_records.id"],
            name=op.f(f"fk_{_TABLE}_training_record_id_training_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{_TABLE}")),
    )
    for column in ("official_id", "status", "decided_at"):
        op.create_index(op.f(f"ix_{_TABLE}_{column}"), _TABLE, [column])


def downgrade() -> None:
    for column in ("decided_at", "status", "official_id"):
        op.drop_index(op.f(f"ix_{_TABLE}_{column}"), table_name=_TABLE)
    op.drop_table(_TABLE)
