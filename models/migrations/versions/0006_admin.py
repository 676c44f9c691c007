"""admin: HR admin roles scoped to a unit subtree; files waiting for an import confirmation;
broadcasts; buttons on notices

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
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("admin_official_id", sa.Integer(), nullable=False),
        sa.Column("scope_unit_id", sa.Integer(), nullable=False),
        sa.Column("scope_name", sa.String(length=200), nullable=False),
        sa.Column("audience_kind", sa.String(length=20), nullable=False),
        sa.Column("audience_value", sa.String(length=60), nullable=False),
        sa.Column("audience_label", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("not_linked", sa.Integer(), nullable=False),
        sa.Column("unreachable", sa.Integer(), nullable=False),
        sa.Column("admin_channel", sa.String(length=20), nullable=False),
        sa.Column("admin_chat_id", sa.String(length=64), nullable=False),
        sa.Column("progress_message_id", sa.String(length=64), nullable=True),
        sa.Column("progress_text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["admin_official_id"],
            ["officials.id"],
            name=op.f("fk_broadcasts_admin_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_broadcasts_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["scope_unit_id"], ["org_units.id"], name=op.f("fk_broadcasts_scope_unit_id_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broadcasts_admin_official_id"), ["admin_official_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_broadcasts_state"), ["state"], unique=False)
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("choices", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_column("choices")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcasts_state"))
        batch_op.drop_index(batch_op.f("ix_broadcasts_admin_official_id"))
    op.drop_table("broadcasts")
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_uploads_official_id"))
    op.drop_table("pending_uploads")
    with op.batch_alter_table("admin_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_admin_roles_official_id"))
    op.drop_table("admin_roles")
