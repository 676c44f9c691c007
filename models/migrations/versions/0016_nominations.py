"""nominations ("cử đi học"): a registration made by a unit's HR on an official's behalf,
charged to a unit's seat quota, with the official's answer (and a decline's reason)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("course_registrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(10), nullable=False, server_default="self")
        )
        batch_op.add_column(sa.Column("nominated_by_official_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("nominated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("quota_unit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("answer", sa.String(10), nullable=True))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decline_reason", sa.String(300), nullable=True))
        batch_op.add_column(
            sa.Column("answer_reminded_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_course_registrations_nominated_by_official_id_officials"),
            "officials",
            ["nominated_by_official_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_course_registrations_quota_unit_id_org_units"),
            "org_units",
            ["quota_unit_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("course_registrations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_course_registrations_quota_unit_id_org_units"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_course_registrations_nominated_by_official_id_officials"),
            type_="foreignkey",
        )
        for column in (
            "answer_reminded_at",
            "decline_reason",
            "answered_at",
            "answer",
            "quota_unit_id",
            "nominated_at",
            "nominated_by_official_id",
            "source",
        ):
            batch_op.drop_column(column)
