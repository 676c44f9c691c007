"""privacy: the privacy notice version each chat account was shown

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("privacy_notice_version", sa.String(length=20), nullable=True)
        )
    # Chats linked before the notice was versioned are shown the complete notice once.
    op.execute(
        "UPDATE chat_accounts SET privacy_notice_version = 'unversioned' "
        "WHERE official_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("chat_accounts", schema=None) as batch_op:
        batch_op.drop_column("privacy_notice_version")
