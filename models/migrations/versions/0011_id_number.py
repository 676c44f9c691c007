"""officials' personal identification number (số định danh cá nhân): its keyed hash, unique
when present, and its masked form; the number itself is not stored

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("officials") as batch:
        # HMAC-SHA256 hex (models/org/id_numbers.keyed_hash) and "0111******34".
        batch.add_column(sa.Column("id_number_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("id_number_masked", sa.String(12), nullable=True))
    # A unique index, not a constraint: NULLs (most rosters have no such column yet) never
    # collide, on SQLite and PostgreSQL alike.
    op.create_index("ix_officials_id_number_hash", "officials", ["id_number_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_officials_id_number_hash", table_name="officials")
    with op.batch_alter_table("officials") as batch:
        batch.drop_column("id_number_masked")
        batch.drop_column("id_number_hash")
