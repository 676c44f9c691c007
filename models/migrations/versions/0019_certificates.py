"""completion certificates (verification code, snapshot of what they certify, revocation,
expiry) and the log of verification attempts (the per-requester limit counts it)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("official_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(10), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("unit_name", sa.String(300), nullable=False),
        sa.Column("course_code", sa.String(40), nullable=False),
        sa.Column("course_title", sa.String(300), nullable=False),
        sa.Column("organiser", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(12), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(500), nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.Column("reminder_planned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["course_registrations.id"],
            name=op.f("fk_certificates_registration_id_course_registrations"),
        ),
        sa.ForeignKeyConstraint(
            ["official_id"], ["officials.id"], name=op.f("fk_certificates_official_id_officials")
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_certificates_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_certificates_registration_id")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
    )
    op.create_index(op.f("ix_certificates_official_id"), "certificates", ["official_id"])
    op.create_index(op.f("ix_certificates_course_id"), "certificates", ["course_id"])
    op.create_index(
        "ix_certificates_reminder_due", "certificates", ["reminder_planned_at", "expires_on"]
    )
    op.create_table(
        "certificate_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester", sa.String(120), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_verifications_certificate_id_certificates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_verifications")),
    )
    op.create_index(
        "ix_certificate_verifications_requester_at",
        "certificate_verifications",
        ["requester", "at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_certificate_verifications_requester_at", table_name="certificate_verifications"
    )
    op.drop_table("certificate_verifications")
    op.drop_index("ix_certificates_reminder_due", table_name="certificates")
    op.drop_index(op.f("ix_certificates_course_id"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_official_id"), table_name="certificates")
    op.drop_table("certificates")
