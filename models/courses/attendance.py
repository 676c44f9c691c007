"""Attendance in the chat: per-session check-in codes, "vắng có lý do", closing the roster.

Sessions. A course meets on every working day from its first to its last day (Saturdays,
Sundays and Việt Nam's public holidays left out), and always on its first and last day
even when that is a weekend: an organiser who sets a course on a Saturday means it.

Codes. A session's code is an HMAC of (course, day, time slot) under the attendance secret
(Settings.attendance.secret, never logged: bot/config.SECRET_SETTINGS), six characters from
an alphabet without look-alikes (no 0/O, 1/I/L), so it can be read aloud in a hall. The
slot is `slot_minutes` long; a code is accepted during its slot and the next one, and only
on its own day: a code can be computed for a future day, but `check_in` only ever compares
against today's, so a future session's code is never accepted (Moodle's complaint). Only
an official holding a confirmed seat in the course is checked in; anyone else gets one
answer that says nothing about who is on the roster. Wrong codes count per official:
`max_failures` within `failure_window` pause checking in (a six-character code from 31
letters has about 887 million values; five guesses per 15 minutes make guessing useless).

Closing. Completion follows Thông tư 01/2018/TT-BNV as the domain note records it
(../shared/docs/domain/training-rules.md §9: a certificate only for full attendance [V];
the circular is marked "partly obsolete" in §1, and whether this provision still holds
under Nghị định 171/2025 is not verified): an official present at every session is
"completed"; anyone else, an excused absence included, is "absent". An excused absence
is kept (who marked it, why) so HR can see it and offer the next course, but it is not
attendance. Completions become training records by
the attendance import's own writer (models/imports/attendance.write_result), so a later
file for the same course changes the same records. Closing twice changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales.collation import name_key
from models import audit
from models.base import Base, utcnow
from models.courses.catalogue import Course, CourseStatus
from models.courses.evaluation import invite_to_evaluate
from models.courses.registrations import Registration, RegStatus, lock_course, registration_of
from models.imports.attendance import write_result
from models.notices.planning import PlanningSettings
from models.org.admins import Scope, scope_of
from models.org.officials import Official
from models.org.units import OrgUnit

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read aloud
CODE_LENGTH = 6
DEEP_LINK_PREFIX = "ci_"  # t.me/<bot>?start=ci_<course id>_<code>
AUDIT_CLOSE = "attendance.close"
AUDIT_EXCUSED = "attendance.excused"
RECORD_SOURCE = "course-attendance:chat"


class Presence(StrEnum):
    PRESENT = "present"
    EXCUSED = "excused"


class Reason(StrEnum):
    """The choices of "vắng có lý do"; OTHER takes a free text."""

    SICK = "sick"
    WORK = "work"  # công tác
    FAMILY = "family"
    OTHER = "other"


@dataclass(frozen=True)
class AttendanceSettings:
    """Built by bot/config.py (attendance_settings)."""

    tz: ZoneInfo
    secret: bytes = b""
    slot_minutes: int = 10
    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=15)


class AttendanceMark(Base):
    """One official's presence, or excused absence, at one session (day) of a course."""

    __tablename__ = "attendance_marks"
    __table_args__ = (UniqueConstraint("course_id", "official_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    day: Mapped[date]
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(String(200))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    marked_by_official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))


class CheckInFailure(Base):
    """A wrong check-in code: what the per-official attempt limit counts (no code kept)."""

    __tablename__ = "checkin_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class RosterClosure(Base):
    """A closed roster: its existence makes closing again a no-op that repeats the counts."""

    __tablename__ = "attendance_closures"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    closed_at: Mapped[datetime]
    closed_by_official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    completed: Mapped[int] = mapped_column(default=0)
    absent: Mapped[int] = mapped_column(default=0)


# --- sessions and codes --------------------------------------------------------------------


@cache
def _public_holidays(year: int) -> frozenset[date]:
    from holidays import country_holidays  # ~0.1 s with dateutil: only a course's days need it

    return frozenset(country_holidays("VN", years=year))


def sessions_of(course: Course) -> list[date]:
    """The course's teaching days, in order."""
    return list(_teaching_days(course.starts_on, course.ends_on))


@cache
def _teaching_days(first: date, last: date) -> tuple[date, ...]:
    days: list[date] = []
    day = first
    while day <= last:
        edge = day in (first, last)
        if edge or (day.weekday() < 5 and day not in _public_holidays(day.year)):
            days.append(day)
        day += timedelta(days=1)
    return tuple(days)


def _slot(now: datetime, settings: AttendanceSettings) -> tuple[date, int]:
    local = now.astimezone(settings.tz)
    return local.date(), (local.hour * 60 + local.minute) // settings.slot_minutes


# A busy day's check-ins all fall in a few slots: each course's code is computed once per
# slot, not once per typed code for every course meeting that day (600 HMACs at 300 courses).
@lru_cache(maxsize=65_536)
def _code(secret: bytes, course_id: int, day: date, slot: int) -> str:
    digest = hmac.new(secret, f"{course_id}|{day.isoformat()}|{slot}".encode(), hashlib.sha256)
    number = int.from_bytes(digest.digest()[:8], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


@dataclass(frozen=True)
class IssuedCode:
    code: str
    day: date
    valid_until: datetime  # aware, in the settings' time zone: the end of the next slot

    @property
    def shown(self) -> str:
        """Grouped for reading aloud: "K7M-2QX"."""
        half = CODE_LENGTH // 2
        return f"{self.code[:half]}-{self.code[half:]}"


def issue_code(
    course_id: int, day: date, now: datetime, settings: AttendanceSettings
) -> IssuedCode:
    """The code of `day`'s session for the slot `now` falls in (on another day, that day's
    code for the same time of day: what `check_in` refuses until that day comes)."""
    _today, slot = _slot(now, settings)
    start = datetime.combine(day, datetime.min.time(), settings.tz)
    until = start + timedelta(minutes=settings.slot_minutes * (slot + 2))
    return IssuedCode(_code(settings.secret, course_id, day, slot), day, until)


def normalize_code(text: str) -> str | None:
    """What was typed as a code (spaces, dashes and case do not matter), or None."""
    code = "".join(ch for ch in text.upper() if ch not in " -_.")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def deep_link_arg(course_id: int, code: str) -> str:
    return f"{DEEP_LINK_PREFIX}{course_id}_{code}"


def parse_deep_link_arg(arg: str) -> tuple[int, str] | None:
    if not arg.startswith(DEEP_LINK_PREFIX):
        return None
    course, _sep, code = arg[len(DEEP_LINK_PREFIX) :].partition("_")
    normal = normalize_code(code)
    if not (course.isascii() and course.isdigit() and len(course) <= 9) or normal is None:
        return None
    return int(course), normal


def _accepted(course_id: int, now: datetime, settings: AttendanceSettings) -> set[str]:
    today, slot = _slot(now, settings)
    slots = (slot, slot - 1) if slot > 0 else (slot,)
    return {_code(settings.secret, course_id, today, s) for s in slots}


# --- checking in ---------------------------------------------------------------------------


class CheckIn(StrEnum):
    CHECKED_IN = "checked_in"
    ALREADY = "already"  # `at` says when
    WRONG_CODE = "wrong_code"  # expired, another course's or day's, or mistyped
    MALFORMED = "malformed"  # not six letters of the alphabet: not counted as an attempt
    NOT_REGISTERED = "not_registered"  # a valid code, but no seat: says nothing more
    BLOCKED = "blocked"  # too many wrong codes; `until` says when it ends


@dataclass(frozen=True)
class CheckInResult:
    outcome: CheckIn
    course: Course | None = None
    at: datetime | None = None
    attempts_left: int | None = None
    until: datetime | None = None


async def _meeting_today(session: AsyncSession, today: date, course_id: int | None) -> list[int]:
    """Ids of the courses with a session today: columns only, no Course objects, since a
    busy day of a province has hundreds and the code matches one at most."""
    query = select(Course.id, Course.starts_on, Course.ends_on).where(
        Course.starts_on <= today,
        Course.ends_on >= today,
        Course.status != CourseStatus.CANCELLED,
    )
    if course_id is not None:
        query = query.where(Course.id == course_id)
    rows = await session.execute(query)
    return [r.id for r in rows if today in _teaching_days(r.starts_on, r.ends_on)]


async def _blocked_until(
    session: AsyncSession, official_id: int, now: datetime, settings: AttendanceSettings
) -> tuple[int, datetime | None]:
    """Wrong codes in the window, and when the pause ends if the limit is reached."""
    since = now - settings.failure_window
    row = (
        await session.execute(
            select(func.count(), func.min(CheckInFailure.at)).where(
                CheckInFailure.official_id == official_id, CheckInFailure.at > since
            )
        )
    ).one()
    count, first = int(row[0] or 0), row[1]
    if count >= settings.max_failures and first is not None:
        return count, first + settings.failure_window
    return count, None


async def check_in(
    session: AsyncSession,
    *,
    official: Official,
    code: str,
    now: datetime,
    settings: AttendanceSettings,
    course_id: int | None = None,
) -> CheckInResult:
    """Check `official` (the sender's own) in with a typed or deep-linked code. With
    `course_id` (from a deep link, untrusted) only that course's code is tried."""
    failures, until = await _blocked_until(session, official.id, now, settings)
    if until is not None:
        return CheckInResult(CheckIn.BLOCKED, until=until)
    normal = normalize_code(code)
    if normal is None:
        return CheckInResult(CheckIn.MALFORMED)
    today = now.astimezone(settings.tz).date()
    meeting = await _meeting_today(session, today, course_id)
    found = next((c for c in meeting if normal in _accepted(c, now, settings)), None)
    match = await session.get(Course, found) if found is not None else None
    if match is None:
        session.add(CheckInFailure(official_id=official.id, at=now))
        await session.flush()
        left = max(settings.max_failures - failures - 1, 0)
        if left == 0:
            return CheckInResult(CheckIn.BLOCKED, until=now + settings.failure_window)
        return CheckInResult(CheckIn.WRONG_CODE, attempts_left=left)
    reg = await registration_of(session, match.id, official.id)
    if reg is None or reg.status != RegStatus.CONFIRMED:
        return CheckInResult(CheckIn.NOT_REGISTERED)
    if await _closed(session, match.id):
        return CheckInResult(CheckIn.NOT_REGISTERED)
    mark = await _mark_of(session, match.id, official.id, today)
    if mark is not None and mark.status == Presence.PRESENT:
        return CheckInResult(CheckIn.ALREADY, match, mark.marked_at)
    if mark is not None:  # excused earlier, came after all: presence wins
        mark.status, mark.reason, mark.note = Presence.PRESENT, None, None
        mark.marked_at, mark.marked_by_official_id = now, official.id
        await session.flush()
        return CheckInResult(CheckIn.CHECKED_IN, match, now)
    if not await _insert_present(session, match.id, official.id, today, now):
        # Two taps of the same link at once: the other one wrote it.
        mark = await _mark_of(session, match.id, official.id, today)
        assert mark is not None
        return CheckInResult(CheckIn.ALREADY, match, mark.marked_at)
    return CheckInResult(CheckIn.CHECKED_IN, match, now)


async def _mark_of(
    session: AsyncSession, course_id: int, official_id: int, day: date
) -> AttendanceMark | None:
    return await session.scalar(
        select(AttendanceMark)
        .where(
            AttendanceMark.course_id == course_id,
            AttendanceMark.official_id == official_id,
            AttendanceMark.day == day,
        )
        .execution_options(populate_existing=True)
    )


async def _insert_present(
    session: AsyncSession, course_id: int, official_id: int, day: date, now: datetime
) -> bool:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = AttendanceMark.__table__
    new_id = await session.scalar(
        insert(table)
        .values(
            course_id=course_id,
            official_id=official_id,
            day=day,
            status=Presence.PRESENT.value,
            marked_at=now,
            marked_by_official_id=official_id,
        )
        .on_conflict_do_nothing(index_elements=["course_id", "official_id", "day"])
        .returning(table.c.id)
    )
    return new_id is not None


async def _closed(session: AsyncSession, course_id: int) -> bool:
    return await session.get(RosterClosure, course_id) is not None


# --- who may organise ----------------------------------------------------------------------


async def organiser_scope(session: AsyncSession, admin: Official, course: Course) -> Scope | None:
    """The admin's scope when it reaches the course's organising unit (a course without one
    is the province's), else None."""
    scope = await scope_of(session, admin)
    if not scope.is_admin:
        return None
    if course.owner_unit_id is None:
        return scope if scope.is_province else None
    owner = await session.get(OrgUnit, course.owner_unit_id)
    return scope if owner is not None and scope.reaches(owner.path) else None


async def organised_courses(
    session: AsyncSession, admin: Official, today: date, *, limit: int = 10
) -> list[Course]:
    """Courses running today or ended in the last 30 days that this admin organises."""
    rows = await session.scalars(
        select(Course)
        .where(
            Course.starts_on <= today,
            Course.ends_on >= today - timedelta(days=30),
            Course.status != CourseStatus.CANCELLED,
        )
        .order_by(Course.ends_on.desc(), Course.code)
    )
    found: list[Course] = []
    for course in rows.unique():
        if await organiser_scope(session, admin, course) is not None:
            found.append(course)
            if len(found) == limit:
                break
    return found


async def present_count(session: AsyncSession, course_id: int, day: date) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(AttendanceMark)
            .where(
                AttendanceMark.course_id == course_id,
                AttendanceMark.day == day,
                AttendanceMark.status == Presence.PRESENT,
            )
        )
        or 0
    )


async def seated_count(session: AsyncSession, course_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.course_id == course_id, Registration.status == RegStatus.CONFIRMED)
        )
        or 0
    )


# --- "vắng có lý do" -----------------------------------------------------------------------


class Excuse(StrEnum):
    MARKED = "marked"
    ALREADY_PRESENT = "already_present"
    NOT_A_SESSION = "not_a_session"
    NOT_REGISTERED = "not_registered"
    NOT_ALLOWED = "not_allowed"  # neither the official nor an organiser of the course
    CLOSED = "closed"


async def mark_excused(
    session: AsyncSession,
    *,
    course_id: int,
    official_id: int,
    day: date,
    reason: Reason,
    note: str | None,
    by: Official,
    now: datetime,
) -> Excuse:
    """Record an excused absence, by the official themself or by an organiser of the
    course (checked here against `by`'s roles, never against the caller's word)."""
    course = await session.get(Course, course_id)
    if course is None or course.status == CourseStatus.CANCELLED:
        return Excuse.NOT_REGISTERED
    if by.id != official_id and await organiser_scope(session, by, course) is None:
        return Excuse.NOT_ALLOWED
    if await _closed(session, course_id):
        return Excuse.CLOSED
    reg = await registration_of(session, course_id, official_id)
    if reg is None or reg.status != RegStatus.CONFIRMED:
        return Excuse.NOT_REGISTERED
    if day not in sessions_of(course):
        return Excuse.NOT_A_SESSION
    mark = await _mark_of(session, course_id, official_id, day)
    if mark is not None and mark.status == Presence.PRESENT:
        return Excuse.ALREADY_PRESENT
    if mark is None:
        mark = AttendanceMark(course_id=course_id, official_id=official_id, day=day)
        session.add(mark)
    text = (note or "").strip()[:200] or None
    mark.status, mark.reason, mark.note = Presence.EXCUSED, reason.value, text
    mark.marked_at, mark.marked_by_official_id = now, by.id
    if by.id != official_id:
        audit.record(
            session,
            actor=f"official:{by.employee_code}",
            actor_official_id=by.id,
            action=AUDIT_EXCUSED,
            subject=course.code,
            affected=1,
            detail={"official_id": official_id, "day": day.isoformat(), "reason": reason.value},
            at=now,
        )
    await session.flush()
    return Excuse.MARKED


# --- the roster ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExcusedDay:
    day: date
    reason: str
    note: str | None


@dataclass(frozen=True)
class RosterLine:
    official: Official
    status: str  # the registration's
    present: tuple[date, ...]
    excused: tuple[ExcusedDay, ...]

    def attended_all(self, sessions: Sequence[date]) -> bool:
        return bool(sessions) and set(sessions) <= set(self.present)


@dataclass(frozen=True)
class Roster:
    course: Course
    sessions: tuple[date, ...]
    lines: tuple[RosterLine, ...]
    closed: RosterClosure | None = None

    @property
    def full_attendance(self) -> int:
        return sum(1 for line in self.lines if line.attended_all(self.sessions))


_ON_ROSTER = (RegStatus.CONFIRMED, RegStatus.COMPLETED, RegStatus.ATTENDED, RegStatus.ABSENT)


async def roster(session: AsyncSession, course_id: int) -> Roster | None:
    """Everyone holding a seat (or a result) in the course, with their marks, by name."""
    course = await session.get(Course, course_id)
    if course is None:
        return None
    rows = await session.execute(
        select(Registration, Official)
        .join(Official, Official.id == Registration.official_id)
        .where(Registration.course_id == course_id, Registration.status.in_(_ON_ROSTER))
        .order_by(Official.employee_code)
    )
    marks = await session.scalars(
        select(AttendanceMark)
        .where(AttendanceMark.course_id == course_id)
        .order_by(AttendanceMark.day)
    )
    present: dict[int, list[date]] = {}
    excused: dict[int, list[ExcusedDay]] = {}
    for mark in marks:
        if mark.status == Presence.PRESENT:
            present.setdefault(mark.official_id, []).append(mark.day)
        else:
            excused.setdefault(mark.official_id, []).append(
                ExcusedDay(mark.day, mark.reason or Reason.OTHER.value, mark.note)
            )
    lines = tuple(
        RosterLine(
            official,
            reg.status,
            tuple(present.get(official.id, ())),
            tuple(excused.get(official.id, ())),
        )
        for reg, official in sorted(rows.unique(), key=lambda row: name_key(row[1].full_name))
    )
    closure = await session.get(RosterClosure, course_id)
    return Roster(course, tuple(sessions_of(course)), lines, closure)


# --- closing -------------------------------------------------------------------------------


class Close(StrEnum):
    CLOSED = "closed"
    ALREADY_CLOSED = "already_closed"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    NOT_OVER = "not_over"  # the last session has not begun
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CloseResult:
    outcome: Close
    completed: int = 0
    absent: int = 0
    records: list[int] = field(default_factory=list)  # training record ids written now


async def close_roster(
    session: AsyncSession,
    *,
    admin: Official,
    course_id: int,
    now: datetime,
    tz: ZoneInfo,
    actor: str | None = None,
    invite: PlanningSettings | None = None,
) -> CloseResult:
    """Turn the marks into results: full attendance → completed (+ a training record),
    anyone else with a seat → absent. Only an organiser, from the last day on; once.
    With `invite`, those who completed are asked to evaluate the course in the same
    transaction (the certificate waits for that answer) instead of at the next planning."""
    course = await lock_course(session, course_id)
    if course is None:
        return CloseResult(Close.NOT_FOUND)
    if await organiser_scope(session, admin, course) is None:
        return CloseResult(Close.NOT_ALLOWED)
    closure = await session.get(RosterClosure, course_id)
    if closure is not None:
        return CloseResult(Close.ALREADY_CLOSED, closure.completed, closure.absent)
    if course.status == CourseStatus.CANCELLED:
        return CloseResult(Close.CANCELLED)
    if now.astimezone(tz).date() < course.ends_on:
        return CloseResult(Close.NOT_OVER)
    current = await roster(session, course_id)
    assert current is not None
    seats = {
        r.official_id: r
        for r in await session.scalars(
            select(Registration)
            .where(Registration.course_id == course_id, Registration.status == RegStatus.CONFIRMED)
            .execution_options(populate_existing=True)
        )
    }
    completed = absent = 0
    records: list[int] = []
    for line in current.lines:
        reg = seats.get(line.official.id)
        if reg is None:
            continue  # a result an import already gave stays as it is
        if line.attended_all(current.sessions):
            completed += 1
            status = RegStatus.COMPLETED
        else:
            absent += 1
            status = RegStatus.ABSENT
        await write_result(session, reg, course, status, reg.certificate_no, RECORD_SOURCE, now)
        if reg.training_record_id is not None:
            records.append(reg.training_record_id)
    session.add(
        RosterClosure(
            course_id=course_id,
            closed_at=now,
            closed_by_official_id=admin.id,
            completed=completed,
            absent=absent,
        )
    )
    audit.record(
        session,
        actor=actor or f"official:{admin.employee_code}",
        actor_official_id=admin.id,
        action=AUDIT_CLOSE,
        subject=course.code,
        affected=completed + absent,
        detail={"completed": completed, "absent": absent, "sessions": len(current.sessions)},
        at=now,
    )
    await session.flush()
    if invite is not None and completed:
        await invite_to_evaluate(session, course_id, now=now, settings=invite)
    return CloseResult(Close.CLOSED, completed, absent, records)
