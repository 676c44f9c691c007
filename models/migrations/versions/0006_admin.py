"""admin: HR admin roles scoped to a unit subtree; files waiting for an import confirmation

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "admin_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("granted_by", sa.String(length=120), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_admin_roles_official_id_officials")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_admin_roles_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_roles")),
        sa.UniqueConstraint(
            "official_id", "unit_id", name=op.f("uq_admin_roles_official_id_unit_id")
        ),
    )
    with op.batch_alter_table("admin_roles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_admin_roles_official_id"), ["official_id"], unique=False
        )
    op.create_table(
        "pending_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_pending_uploads_official_id_officials")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_uploads")),
    )
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_uploads_official_id"), ["official_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_uploads_official_id"))
    op.drop_table("pending_uploads")
    with op.batch_alter_table("admin_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_roles_official_id"))
    op.drop_table("admin_roles")
