"""courses: the course catalogue and registrations with a waitlist

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("organiser", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("seats_taken", sa.Integer(), nullable=False),
        sa.Column("registration_opens_on", sa.Date(), nullable=True),
        sa.Column("registration_closes_on", sa.Date(), nullable=False),
        sa.Column("eligible_levels", sa.JSON(), nullable=False),
        sa.Column("eligible_categories", sa.JSON(), nullable=False),
        sa.Column("eligible_ranks", sa.JSON(), nullable=False),
        sa.Column("eligible_unit_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("search_text", sa.String(length=2000), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "seats_taken >= 0 AND seats_taken <= capacity", name=op.f("ck_courses_seats_within")
        ),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_courses_capacity_positive")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_courses_dates_ordered")),
        sa.ForeignKeyConstraint(
            ["eligible_unit_id"],
            ["org_units.id"],
            name=op.f("fk_courses_eligible_unit_id_org_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("code", name=op.f("uq_courses_code")),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courses_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_courses_starts_on"), ["starts_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_courses_status"), ["status"], unique=False)

    op.create_table(
        "course_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("promotion_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("certificate_no", sa.String(length=60), nullable=True),
        sa.Column("training_record_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_course_registrations_course_id_courses")
        ),
        sa.ForeignKeyConstraint(
            ["official_id"],
            ["officials.id"],
            name=op.f("fk_course_registrations_official_id_officials"),
        ),
        sa.ForeignKeyConstraint(
            ["training_record_id"],
            ["training_records.id"],
            name=op.f("fk_course_registrations_training_record_id_training_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_registrations")),
        sa.UniqueConstraint(
            "course_id",
            "official_id",
            name=op.f("uq_course_registrations_course_id_official_id"),
        ),
    )
    with op.batch_alter_table("course_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_course_registrations_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_course_registrations_official_id"), ["official_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("course_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_course_registrations_official_id"))
        batch_op.drop_index(batch_op.f("ix_course_registrations_course_id"))
    op.drop_table("course_registrations")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_status"))
        batch_op.drop_index(batch_op.f("ix_courses_starts_on"))
        batch_op.drop_index(batch_op.f("ix_courses_kind"))
    op.drop_table("courses")
