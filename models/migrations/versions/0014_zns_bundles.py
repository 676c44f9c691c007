"""ZNS deliveries (the template sent and Zalo's delivery callback, per notice) and notice
bundles (the notices carried in one day's message); chat interactions (the Zalo OA's
window: the person's last message and what was sent since)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "zns_deliveries",
        sa.Column(
            "notice_id",
            sa.Integer(),
            sa.ForeignKey("notices.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("phone", sa.String(15), nullable=False),
        sa.Column("template_id", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("msg_id", sa.String(64), nullable=True),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "notice_bundle_items",
        sa.Column(
            "notice_id",
            sa.Integer(),
            sa.ForeignKey("notices.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("carrier_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.String(60), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_notice_bundle_items_carrier_id", "notice_bundle_items", ["carrier_id"])
    op.create_table(
        "chat_interactions",
        sa.Column("channel", sa.String(20), primary_key=True),
        sa.Column("chat_id", sa.String(64), primary_key=True),
        sa.Column("last_inbound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_sent", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("chat_interactions")
    op.drop_index("ix_notice_bundle_items_carrier_id", "notice_bundle_items")
    op.drop_table("notice_bundle_items")
    op.drop_table("zns_deliveries")
