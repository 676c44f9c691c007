"""Registrations: register, cancel, the waitlist and its fair promotion.

Race-freedom rests on the database, in three layers (platform facts S6/S7):
1. Every operation that changes a course's seats first locks the course row
   (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the dispatcher's BEGIN IMMEDIATE already
   serialises writers). Registrations, cancellations and promotions of one course therefore
   run one after another, and each sees the waitlist rows the previous one committed.
2. A seat is taken by one conditional statement,
   `UPDATE courses SET seats_taken = seats_taken + 1 WHERE id = :id AND seats_taken < capacity`,
   and the row count says whether it was granted; CHECK (0 <= seats_taken <= capacity)
   rejects anything that slips past.
3. UNIQUE (course_id, official_id): one row per person and course, whatever the number of
   phones. Re-registering after a cancellation reuses the row.

Waitlist order: a person who owes the course's kind of training goes first (overdue, then
due by the end of this year), then the earlier request, then the lower row id. The
priority is fixed when the person joins the waitlist. The request's moment is taken under
the course lock (`_queue_moment`), never before it: `now` is read when the update starts,
and updates reach the lock in another order, so two people would otherwise be told the
same place. The position told is therefore exact on the day; a later request from someone
who owes the training can still go ahead of it, which the message says.

Promotion happens in the transaction that frees the seat. That update cannot message the
promoted person (replies go to the sender only), so the promotion is recorded on the row
(`promoted_at` set, `promotion_notified_at` empty): `pending_promotions` is the hook the
notice outbox drains, and `mark_promotion_notified` closes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    String,
    UniqueConstraint,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow
from models.courses.catalogue import (
    Course,
    CourseStatus,
    Ineligibility,
    Window,
    ineligibility,
    window,
)
from models.org.officials import Official
from models.requirements import statuses
from models.requirements.evaluation import Status


class RegStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    COMPLETED = "completed"
    ABSENT = "absent"


ACTIVE = (RegStatus.CONFIRMED, RegStatus.WAITLISTED)
DONE = (RegStatus.ATTENDED, RegStatus.COMPLETED)

# Waitlist priorities (lower goes first).
OVERDUE, DUE_THIS_YEAR, OTHER = 0, 1, 2


class Registration(Base):
    __tablename__ = "course_registrations"
    __table_args__ = (UniqueConstraint("course_id", "official_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    priority: Mapped[int] = mapped_column(default=OTHER)
    requested_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]
    promotion_notified_at: Mapped[datetime | None]
    certificate_no: Mapped[str | None] = mapped_column(String(60))
    training_record_id: Mapped[int | None] = mapped_column(ForeignKey("training_records.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # --- nominations (#16.2): models/courses/nominations.py ---
    source: Mapped[str] = mapped_column(String(10), default="self", server_default="self")
    nominated_by_official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    nominated_at: Mapped[datetime | None]
    quota_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    answer: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[datetime | None]
    decline_reason: Mapped[str | None] = mapped_column(String(300))
    answer_reminded_at: Mapped[datetime | None]


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    ALREADY_CONFIRMED = "already_confirmed"
    ALREADY_WAITLISTED = "already_waitlisted"
    ALREADY_DONE = "already_done"
    NOT_FOUND = "not_found"
    WINDOW = "window"  # registration is not possible now: see `window`
    INELIGIBLE = "ineligible"
    CANCELLED = "cancelled"  # a cancellation went through
    NOT_REGISTERED = "not_registered"
    TOO_LATE = "too_late"  # the cancellation deadline has passed


@dataclass
class Result:
    outcome: Outcome
    course: Course | None = None
    registration: Registration | None = None
    position: int | None = None  # on the waitlist
    window: Window | None = None
    problems: list[Ineligibility] = field(default_factory=list)
    promoted: list[Registration] = field(default_factory=list)  # after a cancellation


# --- locking and lookups -----------------------------------------------------------------


async def lock_course(session: AsyncSession, course_id: int) -> Course | None:
    """The course row, locked until the transaction ends, read fresh (not from the
    session's identity map, which may hold a copy from before the lock)."""
    return await session.scalar(
        select(Course)
        .where(Course.id == course_id)
        .with_for_update(of=Course)
        .execution_options(populate_existing=True)
    )


async def registration_of(
    session: AsyncSession, course_id: int, official_id: int
) -> Registration | None:
    return await session.scalar(
        select(Registration)
        .where(Registration.course_id == course_id, Registration.official_id == official_id)
        .execution_options(populate_existing=True)
    )


async def _take_seat(session: AsyncSession, course: Course) -> bool:
    table = Course.__table__
    result = await session.execute(
        update(table)
        .where(
            table.c.id == course.id,
            table.c.status == CourseStatus.OPEN,
            table.c.seats_taken < table.c.capacity,
        )
        .values(seats_taken=table.c.seats_taken + 1)
    )
    await session.refresh(course, ["seats_taken"])
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def _free_seat(session: AsyncSession, course: Course) -> None:
    table = Course.__table__
    await session.execute(
        update(table)
        .where(table.c.id == course.id, table.c.seats_taken > 0)
        .values(seats_taken=table.c.seats_taken - 1)
    )
    await session.refresh(course, ["seats_taken"])


async def _claim_row(
    session: AsyncSession, course: Course, official: Official, now: datetime
) -> Registration | None:
    """Insert this person's row, or None when one already exists (another phone won)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = Registration.__table__
    new_id = await session.scalar(
        insert(table)
        .values(
            course_id=course.id,
            official_id=official.id,
            status=RegStatus.WAITLISTED,
            priority=OTHER,
            requested_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["course_id", "official_id"])
        .returning(table.c.id)
    )
    if new_id is None:
        return None
    return await session.get(Registration, new_id)


_ALREADY = {
    RegStatus.CONFIRMED: Outcome.ALREADY_CONFIRMED,
    RegStatus.WAITLISTED: Outcome.ALREADY_WAITLISTED,
}


# --- priority and position ---------------------------------------------------------------


async def priority_for(session: AsyncSession, official: Official, kind: str, today: date) -> int:
    """How urgently the official needs this kind of training, from the requirements."""
    owed = await statuses.official_statuses(session, official, today, count_seats=False)
    best = OTHER
    for status in owed.statuses:
        if kind not in status.rule.training_kinds or status.rule.advisory:
            continue
        if status.status is Status.OVERDUE:
            return OVERDUE
        if (
            status.status is Status.DUE
            and status.due is not None
            and status.due <= date(today.year, 12, 31)
        ):
            best = DUE_THIS_YEAR
    return best


def _ahead_of(reg: Registration) -> ColumnElement[bool]:
    r = Registration
    return or_(
        r.priority < reg.priority,
        and_(
            r.priority == reg.priority,
            or_(
                r.requested_at < reg.requested_at,
                and_(r.requested_at == reg.requested_at, r.id < reg.id),
            ),
        ),
    )


async def position(session: AsyncSession, reg: Registration) -> int | None:
    """1-based place on the course's waitlist, or None when not waitlisted."""
    if reg.status != RegStatus.WAITLISTED:
        return None
    ahead = await session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.course_id == reg.course_id,
            Registration.status == RegStatus.WAITLISTED,
            _ahead_of(reg),
        )
    )
    return int(ahead or 0) + 1


async def waitlist_length(session: AsyncSession, course_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.course_id == course_id, Registration.status == RegStatus.WAITLISTED)
        )
        or 0
    )


# --- register ----------------------------------------------------------------------------


async def register(
    session: AsyncSession, course_id: int, official: Official, *, today: date, now: datetime
) -> Result:
    """Register `official` (always the sender's own linked official) for a course: a seat
    if one is free, else the waitlist. Checks, in order: the course exists, the person is
    not already in, the registration window, eligibility."""
    course = await lock_course(session, course_id)
    if course is None:
        return Result(Outcome.NOT_FOUND)
    existing = await registration_of(session, course.id, official.id)
    if existing is not None and existing.status in ACTIVE + DONE:
        return await _already(session, course, existing)
    state = window(course, today)
    if state is not Window.OPEN:
        return Result(Outcome.WINDOW, course, existing, window=state)
    problems = ineligibility(course, official)
    if problems:
        return Result(Outcome.INELIGIBLE, course, existing, problems=problems)

    reg = existing or await _claim_row(session, course, official, now)
    if reg is None:  # a second phone raced past the check above; the first one won
        reg = await registration_of(session, course.id, official.id)
        assert reg is not None
        return await _already(session, course, reg)
    reg.requested_at = await _queue_moment(session, reg, now)
    reg.updated_at, reg.cancelled_at = now, None
    reg.promoted_at = reg.promotion_notified_at = None
    if await _take_seat(session, course):
        reg.status, reg.confirmed_at, reg.priority = RegStatus.CONFIRMED, now, OTHER
        await session.flush()
        return Result(Outcome.CONFIRMED, course, reg)
    reg.status, reg.confirmed_at = RegStatus.WAITLISTED, None
    reg.priority = await priority_for(session, official, course.kind, today)
    await session.flush()
    return Result(Outcome.WAITLISTED, course, reg, await position(session, reg))


async def _queue_moment(session: AsyncSession, reg: Registration, now: datetime) -> datetime:
    """`now`, or just after the course's latest request when that is later: called with
    the course row locked, so request moments follow the order of the lock."""
    latest = await session.scalar(
        select(func.max(Registration.requested_at)).where(
            Registration.course_id == reg.course_id,
            Registration.status.in_(ACTIVE),
            Registration.id != reg.id,
        )
    )
    if latest is None or latest < now:
        return now
    return latest + timedelta(microseconds=1)


async def _already(session: AsyncSession, course: Course, reg: Registration) -> Result:
    outcome = _ALREADY.get(RegStatus(reg.status), Outcome.ALREADY_DONE)
    return Result(outcome, course, reg, await position(session, reg))


# --- cancel and promote ------------------------------------------------------------------


def can_cancel(course: Course, reg: Registration, today: date) -> bool:
    """A seat can be given back until the registration deadline; a waitlist place until
    the course starts; anything in a cancelled course."""
    if reg.status not in ACTIVE:
        return False
    if course.status == CourseStatus.CANCELLED:
        return True
    if reg.status == RegStatus.WAITLISTED:
        return today < course.starts_on
    return today <= course.registration_closes_on and today < course.starts_on


async def cancel(
    session: AsyncSession, course_id: int, official: Official, *, today: date, now: datetime
) -> Result:
    """Cancel the official's own registration; a freed seat goes to the waitlist at once."""
    course = await lock_course(session, course_id)
    if course is None:
        return Result(Outcome.NOT_FOUND)
    reg = await registration_of(session, course.id, official.id)
    if reg is None or reg.status not in ACTIVE:
        return Result(Outcome.NOT_REGISTERED, course, reg)
    if not can_cancel(course, reg, today):
        return Result(Outcome.TOO_LATE, course, reg)
    had_seat = reg.status == RegStatus.CONFIRMED
    reg.status, reg.cancelled_at, reg.updated_at = RegStatus.CANCELLED, now, now
    await session.flush()
    promoted: list[Registration] = []
    if had_seat:
        await _free_seat(session, course)
        promoted = await promote_waitlist(session, course.id, today=today, now=now)
    return Result(Outcome.CANCELLED, course, reg, promoted=promoted)


async def promote_waitlist(
    session: AsyncSession, course_id: int, *, today: date, now: datetime
) -> list[Registration]:
    """Fill free seats from the waitlist, first eligible person first; returns who was
    promoted so the caller can tell them. Nothing moves once registration has closed or
    the course has started: a seat freed that late stays free."""
    course = await lock_course(session, course_id)
    if course is None or window(course, today) is not Window.OPEN:
        return []
    if course.seats_taken >= course.capacity:
        return []
    rows = await session.execute(
        select(Registration, Official)
        .join(Official, Official.id == Registration.official_id)
        .where(Registration.course_id == course.id, Registration.status == RegStatus.WAITLISTED)
        .order_by(Registration.priority, Registration.requested_at, Registration.id)
        .execution_options(populate_existing=True)
    )
    promoted: list[Registration] = []
    for reg, official in rows.unique():
        if not official.active or ineligibility(course, official):
            continue  # moved or left since joining: they keep their place, others go first
        if not await _take_seat(session, course):
            break
        reg.status, reg.confirmed_at, reg.promoted_at = RegStatus.CONFIRMED, now, now
        reg.promotion_notified_at, reg.updated_at = None, now
        promoted.append(reg)
    await session.flush()
    return promoted


# --- reading -----------------------------------------------------------------------------


async def pending_promotions(
    session: AsyncSession, limit: int = 500
) -> list[tuple[Registration, Course, Official]]:
    """Promoted people not yet told: the notice outbox's input (oldest first)."""
    rows = await session.execute(
        select(Registration, Course, Official)
        .join(Course, Course.id == Registration.course_id)
        .join(Official, Official.id == Registration.official_id)
        .where(
            Registration.promoted_at.is_not(None),
            Registration.promotion_notified_at.is_(None),
            Registration.status == RegStatus.CONFIRMED,
        )
        .order_by(Registration.promoted_at, Registration.id)
        .limit(limit)
    )
    return [(r, c, o) for r, c, o in rows.unique()]


async def mark_promotion_notified(
    session: AsyncSession, registration_ids: list[int], now: datetime
) -> None:
    if registration_ids:
        await session.execute(
            update(Registration)
            .where(Registration.id.in_(registration_ids))
            .values(promotion_notified_at=now)
        )


async def my_registrations(
    session: AsyncSession, official_id: int, today: date
) -> list[tuple[Registration, Course]]:
    """The official's active registrations and those of courses not yet over, soonest
    first."""
    rows = await session.execute(
        select(Registration, Course)
        .join(Course, Course.id == Registration.course_id)
        .where(
            Registration.official_id == official_id,
            or_(
                Registration.status.in_(ACTIVE),
                and_(Registration.status.in_(DONE), Course.ends_on >= today),
            ),
        )
        .order_by(Course.starts_on, Course.code)
    )
    return [(r, c) for r, c in rows.unique()]


async def registered_courses_by_kind(
    session: AsyncSession, official_id: int, today: date
) -> dict[str, Course]:
    """Kind -> the soonest course the official holds a seat in (not cancelled, not over):
    what makes a requirement "in progress"."""
    # Most officials hold no seat: a prebuilt Core statement answers that without the ORM,
    # and Course objects are built only for the seats found.
    ids = (
        await session.execute(_SEATS_HELD, {"official_id": official_id, "today": today})
    ).scalars()
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    held = await session.scalars(select(Course).where(Course.id.in_(wanted)))
    courses = {c.id: c for c in held.unique()}
    found: dict[str, Course] = {}
    for course_id in wanted:
        course = courses[course_id]
        found.setdefault(course.kind, course)
    return found


_COURSES = Course.__table__.c
_SEATS = Registration.__table__.c
_SEATS_HELD = (
    select(_COURSES.id)
    .join(Registration.__table__, _SEATS.course_id == _COURSES.id)
    .where(
        _SEATS.official_id == bindparam("official_id"),
        _SEATS.status == RegStatus.CONFIRMED.value,
        _COURSES.status != CourseStatus.CANCELLED.value,
        _COURSES.ends_on >= bindparam("today"),
    )
    .order_by(_COURSES.starts_on, _COURSES.id)
)


async def statuses_for(
    session: AsyncSession, official_id: int, course_ids: list[int]
) -> dict[int, Registration]:
    if not course_ids:
        return {}
    rows = await session.scalars(
        select(Registration).where(
            Registration.official_id == official_id, Registration.course_id.in_(course_ids)
        )
    )
    return {r.course_id: r for r in rows}
