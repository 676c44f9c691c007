"""Seat quotas: how many seats of a course a unit may fill by nominating its officials.

A quota belongs to a unit and covers its whole subtree (a department's quota is shared by
its divisions). A course without any quota row is open to self-registration only as
before; the quotas of a course never add seats beyond its capacity — they divide it, and
the seats nobody was given stay open to anyone who registers. Setting a quota is audited by
the caller (the admin who set it and when are kept on the row as well).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class CourseQuota(Base):
    __tablename__ = "course_quotas"
    __table_args__ = (
        UniqueConstraint("course_id", "unit_id"),
        CheckConstraint("seats >= 0", name="quota_seats_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    seats: Mapped[int]
    set_by_official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class Quota:
    course_id: int
    unit_id: int
    seats: int


async def quotas_of(session: AsyncSession, course_id: int) -> list[Quota]:
    rows = await session.execute(
        select(CourseQuota.course_id, CourseQuota.unit_id, CourseQuota.seats)
        .where(CourseQuota.course_id == course_id)
        .order_by(CourseQuota.unit_id)
    )
    return [Quota(r.course_id, r.unit_id, r.seats) for r in rows]


async def quota_for(session: AsyncSession, course_id: int, unit_id: int) -> int | None:
    """The seats this unit itself was given on the course; None when it was given none."""
    return await session.scalar(
        select(CourseQuota.seats).where(
            CourseQuota.course_id == course_id, CourseQuota.unit_id == unit_id
        )
    )


async def set_quota(
    session: AsyncSession,
    *,
    course_id: int,
    unit_id: int,
    seats: int,
    by_official_id: int | None,
) -> None:
    """Insert, change or (with 0 seats given back) keep the row at 0: a unit whose quota
    was withdrawn is told so, not silently treated as never planned."""
    if seats < 0:
        raise ValueError("seats must not be negative")
    row = await session.scalar(
        select(CourseQuota).where(
            CourseQuota.course_id == course_id, CourseQuota.unit_id == unit_id
        )
    )
    if row is None:
        session.add(
            CourseQuota(
                course_id=course_id,
                unit_id=unit_id,
                seats=seats,
                set_by_official_id=by_official_id,
            )
        )
    else:
        row.seats = seats
        row.set_by_official_id = by_official_id
        row.set_at = utcnow()
    await session.flush()


async def remove_quota(session: AsyncSession, course_id: int, unit_id: int) -> None:
    await session.execute(
        delete(CourseQuota).where(
            CourseQuota.course_id == course_id, CourseQuota.unit_id == unit_id
        )
    )
