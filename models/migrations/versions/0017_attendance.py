"""attendance in the chat: per-session marks (present / excused with a reason), wrong
check-in codes for the attempt limit, and closed rosters

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attendance_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(12), nullable=True),
        sa.Column("note", sa.String(200), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("marked_by_official_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_attendance_marks_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_attendance_marks_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(
            ["marked_by_official_id"],
            ["officials.id"],
            name=op.f("fk_attendance_marks_marked_by_official_id_officials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_marks")),
        sa.UniqueConstraint(
            "course_id",
            "official_id",
            "day",
            name=op.f("uq_attendance_marks_course_id_official_id_day"),
        ),
    )
    op.create_index(op.f("ix_attendance_marks_course_id"), "attendance_marks", ["course_id"])
    op.create_index(op.f("ix_attendance_marks_official_id"), "attendance_marks", ["official_id"])
    op.create_table(
        "checkin_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_checkin_failures_official_id_officials"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_failures")),
    )
    op.create_index(op.f("ix_checkin_failures_official_id"), "checkin_failures", ["official_id"])
    op.create_table(
        "attendance_closures",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_official_id", sa.Integer(), nullable=True),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("absent", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_attendance_closures_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_official_id"],
            ["officials.id"],
            name=op.f("fk_attendance_closures_closed_by_official_id_officials"),
        ),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_attendance_closures")),
    )


def downgrade() -> None:
    op.drop_table("attendance_closures")
    op.drop_index(op.f("ix_checkin_failures_official_id"), table_name="checkin_failures")
    op.drop_table("checkin_failures")
    op.drop_index(op.f("ix_attendance_marks_official_id"), table_name="attendance_marks")
    op.drop_index(op.f("ix_attendance_marks_course_id"), table_name="attendance_marks")
    op.drop_table("attendance_marks")
