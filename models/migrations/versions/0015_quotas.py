"""seat quotas (the seats of a course each unit may fill by nomination) and answered
course evaluations (the certificate waits for one)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "course_quotas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("set_by_official_id", sa.Integer(), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seats >= 0", name=op.f("ck_course_quotas_quota_seats_non_negative")),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_quotas_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_units.id"], name=op.f("fk_course_quotas_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_official_id"],
            ["officials.id"],
            name=op.f("fk_course_quotas_set_by_official_id_officials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_quotas")),
        sa.UniqueConstraint(
            "course_id", "unit_id", name=op.f("uq_course_quotas_course_id_unit_id")
        ),
    )
    op.create_index(op.f("ix_course_quotas_course_id"), "course_quotas", ["course_id"])
    op.create_index(op.f("ix_course_quotas_unit_id"), "course_quotas", ["unit_id"])
    op.create_table(
        "evaluation_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire", sa.String(60), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["course_registrations.id"],
            name=op.f("fk_evaluation_responses_registration_id_course_registrations"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_evaluation_responses_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_responses")),
        sa.UniqueConstraint(
            "registration_id", name=op.f("uq_evaluation_responses_registration_id")
        ),
    )
    op.create_index(
        op.f("ix_evaluation_responses_course_id"), "evaluation_responses", ["course_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_evaluation_responses_course_id"), table_name="evaluation_responses")
    op.drop_table("evaluation_responses")
    op.drop_index(op.f("ix_course_quotas_unit_id"), table_name="course_quotas")
    op.drop_index(op.f("ix_course_quotas_course_id"), table_name="course_quotas")
    op.drop_table("course_quotas")
