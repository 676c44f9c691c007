"""course times: the hours of a course's teaching days, when known (for the calendar file)

Revision ID: 0007_wt_s7
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_wt_s7"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("courses") as batch:
        batch.add_column(sa.Column("daily_starts_at", sa.Time(), nullable=True))
        batch.add_column(sa.Column("daily_ends_at", sa.Time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("courses") as batch:
        batch.drop_column("daily_ends_at")
        batch.drop_column("daily_starts_at")
