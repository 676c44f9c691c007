"""course evaluation drafts: a questionnaire begun and not yet sent resumes where it stopped

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evaluation_drafts",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire", sa.String(60), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["course_registrations.id"],
            name=op.f("fk_evaluation_drafts_registration_id_course_registrations"),
        ),
        sa.PrimaryKeyConstraint("registration_id", name=op.f("pk_evaluation_drafts")),
    )


def downgrade() -> None:
    op.drop_table("evaluation_drafts")
