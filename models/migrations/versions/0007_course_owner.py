"""course owners and parsed uploads: a course belongs to the unit that organises it (only
admins whose scope reaches that unit may change it); a file sent for import is kept as the
table read from it, not as the file, so the preview and the confirmation read it once

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_unit_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_courses_owner_unit_id"), ["owner_unit_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_courses_owner_unit_id_org_units"),
            "org_units",
            ["owner_unit_id"],
            ["id"],
        )
    # Existing courses: the unit they were opened to, else the province (the root), so a
    # commune admin cannot change what the province published before owners existed.
    op.execute(
        "UPDATE courses SET owner_unit_id = COALESCE(eligible_unit_id,"
        " (SELECT MIN(id) FROM org_units WHERE parent_id IS NULL))"
    )
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parsed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.drop_column("parsed")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_courses_owner_unit_id_org_units"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_courses_owner_unit_id"))
        batch_op.drop_column("owner_unit_id")
