"""course times: the hours of a course's teaching days, when known (for the calendar file);
search texts rewritten with one spelling of i/y ("quan ly" -> "quan li")

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The rule of locales.folding.same_spelling at the time of writing (a migration must not
# change when the code does).
_Y_AFTER_CONSONANT = re.compile(r"(?<=\b[bcdghklmnpqrstvx])y\b|(?<=\b[bcdghklmnpqrstvx]h)y\b")

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("courses") as batch:
        batch.add_column(sa.Column("daily_starts_at", sa.Time(), nullable=True))
        batch.add_column(sa.Column("daily_ends_at", sa.Time(), nullable=True))
    courses = sa.table("courses", sa.column("id", sa.Integer), sa.column("search_text", sa.String))
    bind = op.get_bind()
    for course_id, text in bind.execute(sa.select(courses.c.id, courses.c.search_text)).all():
        new = _Y_AFTER_CONSONANT.sub("i", text or "")
        if new != text:
            bind.execute(courses.update().where(courses.c.id == course_id).values(search_text=new))


def downgrade() -> None:
    with op.batch_alter_table("courses") as batch:
        batch.drop_column("daily_ends_at")
        batch.drop_column("daily_starts_at")
