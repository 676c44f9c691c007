"""Nominations ("cử đi học"): a unit's HR registers one of its officials for a course,
charged to a seat quota (models/plan/quotas.py), and the official confirms or declines.

A nomination is a registration row (`source = "nominated"`), not a table of its own: it
takes the course's seats and follows the waitlist rules of models/courses/registrations.py
exactly like a self-registration (same course lock, same conditional seat update, same
UNIQUE (course, official) row, same promotion when a seat is given back), and attendance,
evaluation and certificates all hang off the registration id. A second table would be one
more truth to keep in step with the seat count.

Decisions:
- A nomination waiting for the official's answer holds its seat (status confirmed, answer
  "pending"): the unit planned it. If the course is full it joins the waitlist by the same
  rules as anyone; it still uses one of the quota's seats, or a unit could fill the
  waitlist past its plan.
- Which quota pays: the nearest unit on the path from the official's unit to the root that
  has a quota row on the course (a quota covers its subtree). The row records that unit
  (`quota_unit_id`), so counting the seats used is one indexed count under the course lock,
  and a quota changed later never moves nominations between units. The admin's scope must
  reach the official's unit; a district's shared quota may be used by a commune's HR
  below it.
- Counting happens with the course row locked (`lock_course`), so concurrent nominations
  of one course run one after another and each sees the ones committed before it: a quota
  of k gives exactly k nominations.
- Quotas are a cap on nominations, not a reservation: a self-registration may still take a
  seat the plan meant for a unit (registrations.py is unchanged); the nomination then goes
  to the waitlist and HR sees that in the reply.
- Declining gives the seat back (the waitlist moves on, as for a cancellation) and with
  it the quota's seat (a declined row no longer counts). Answers are taken until the course
  starts, unless it was cancelled; after the registration deadline a decline still frees
  the quota, but the course seat stays free (promotion stops at the deadline, as always).
- Nobody answered: `plan_answer_reminders` sends one reminder when the registration
  deadline is near; after the deadline the nomination simply stays "nominated, not
  answered" with its seat held — HR decides, the bot does not cancel a planned seat.

Everyone told is told through the outbox (quiet hours respected; the official's notice
carries the two answer buttons); the unit heads of the official's own unit get a notice
too (models/notices/digest.py decides who is a head).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import use_locale
from models import audit
from models.courses import nomination_texts as texts
from models.courses.catalogue import Course, CourseStatus, Ineligibility, Window, ineligibility
from models.courses.catalogue import window as course_window
from models.courses.registrations import (
    ACTIVE,
    DONE,
    OTHER,
    Registration,
    RegStatus,
    _claim_row,
    _free_seat,
    _queue_moment,
    _take_seat,
    lock_course,
    position,
    priority_for,
    promote_waitlist,
    registration_of,
)
from models.notices import outbox
from models.notices.digest import unit_heads
from models.notices.outbox import NewNotice
from models.org.admins import scope_of
from models.org.officials import Official
from models.org.units import OrgUnit
from models.plan.quotas import CourseQuota

SELF = "self"
NOMINATED = "nominated"

PENDING = "pending"
ACCEPTED = "accepted"
DECLINED = "declined"

# Notice kinds (the outbox's `kind`, at most 30 characters).
NOMINATION = "nomination"  # to the official: the two answer buttons
NOMINATION_REMINDER = "nomination_reminder"
NOMINATION_HEAD = "nomination_head"  # to the unit's heads: who was nominated, who declined
NOMINATION_ANSWER = "nomination_answer"  # to the HR officer who nominated: the answer

# The few reasons a decline offers; "other" asks for free text.
REASONS = ("busy", "ill", "done", "other")
REASON_TEXT_MAX = 200
REMIND_DAYS_BEFORE = 2  # days before the registration deadline the one reminder is due

# Audit actions.
NOMINATE_ACTION = "nomination.create"
REFUSED_ACTION = "nomination.refused"
ANSWER_ACTION = "nomination.answer"
FORGED_ACTION = "nomination.forged_answer"


class NominationOutcome(StrEnum):
    NOMINATED = "nominated"  # a seat is held, the official's answer awaited
    WAITLISTED = "waitlisted"  # the course is full: on its waitlist, quota seat used
    OVER_QUOTA = "over_quota"  # "hết chỉ tiêu"
    NO_QUOTA = "no_quota"  # no unit above the official was given seats on this course
    NOT_IN_SCOPE = "not_in_scope"  # not an admin, or the official is outside their units
    INELIGIBLE = "ineligible"
    ALREADY_REGISTERED = "already_registered"
    WINDOW = "window"  # registration is not open (closed, passed, started, cancelled)
    NOT_FOUND = "not_found"  # no such course


@dataclass
class NominationResult:
    outcome: NominationOutcome
    course: Course | None = None
    official: Official | None = None
    registration: Registration | None = None
    quota_unit: OrgUnit | None = None
    quota_seats: int | None = None
    quota_used: int | None = None  # after this nomination
    position: int | None = None  # on the waitlist
    window: Window | None = None
    problems: list[Ineligibility] = field(default_factory=list)


class AnswerOutcome(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ALREADY_ANSWERED = "already_answered"  # or the nomination was withdrawn meanwhile
    TOO_LATE = "too_late"  # the course has started, finished or been cancelled
    NOT_YOURS = "not_yours"  # no such nomination for this official (forged or foreign)


@dataclass
class AnswerResult:
    outcome: AnswerOutcome
    course: Course | None = None
    registration: Registration | None = None
    promoted: list[Registration] = field(default_factory=list)


@dataclass(frozen=True)
class QuotaUse:
    unit: OrgUnit
    seats: int
    used: int

    @property
    def left(self) -> int:
        return max(self.seats - self.used, 0)


# --- quotas ------------------------------------------------------------------------------


async def quota_paying_for(
    session: AsyncSession, course_id: int, official: Official
) -> QuotaUse | None:
    """The quota a nomination of `official` is charged to: the nearest unit on the path
    from theirs to the root with a quota row on the course; with the seats already used."""
    ancestor_ids = [int(p) for p in official.unit.path.strip("/").split("/") if p]
    rows = await session.execute(
        select(CourseQuota.seats, OrgUnit)
        .join(OrgUnit, OrgUnit.id == CourseQuota.unit_id)
        .where(CourseQuota.course_id == course_id, CourseQuota.unit_id.in_(ancestor_ids))
    )
    found = [(unit, seats) for seats, unit in rows]
    if not found:
        return None
    unit, seats = max(found, key=lambda pair: pair[0].depth)
    return QuotaUse(unit, seats, await quota_used(session, course_id, unit.id))


async def quota_used(session: AsyncSession, course_id: int, unit_id: int) -> int:
    """Nominations charged to the unit's quota that still count (not declined/cancelled)."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(
                Registration.course_id == course_id,
                Registration.quota_unit_id == unit_id,
                Registration.source == NOMINATED,
                Registration.status.in_(ACTIVE + DONE),
            )
        )
        or 0
    )


async def nominable_courses(
    session: AsyncSession, admin: Official, today: date
) -> list[tuple[Course, QuotaUse]]:
    """Open courses with a quota the admin can nominate into: a quota unit inside their
    scope, or above it (a shared quota of a parent unit), soonest first."""
    scope = await scope_of(session, admin)
    if not scope.is_admin:
        return []
    rows = await session.execute(
        select(Course, CourseQuota.seats, OrgUnit)
        .join(CourseQuota, CourseQuota.course_id == Course.id)
        .join(OrgUnit, OrgUnit.id == CourseQuota.unit_id)
        .where(Course.status == CourseStatus.OPEN, Course.starts_on > today)
        .order_by(Course.starts_on, Course.code, OrgUnit.path)
    )
    found: list[tuple[Course, QuotaUse]] = []
    for course, seats, unit in rows.unique():
        if course_window(course, today) is not Window.OPEN:
            continue
        usable = scope.reaches(unit.path) or any(u.path.startswith(unit.path) for u in scope.units)
        if usable and seats > 0:
            found.append(
                (course, QuotaUse(unit, seats, await quota_used(session, course.id, unit.id)))
            )
    return found


# --- nominate ----------------------------------------------------------------------------


async def nominate(
    session: AsyncSession,
    *,
    admin: Official,
    course_id: int,
    official_id: int,
    today: date,
    now: datetime,
    actor: str | None = None,
) -> NominationResult:
    """Nominate `official_id` for the course on behalf of `admin` (the linked HR officer;
    their scope is read here, never taken from a button). Checks, in order: the admin
    reaches the official, the course exists (then locked), the official holds no row yet,
    the registration window, eligibility, the quota; then a seat or the waitlist."""
    who = actor or f"official:{admin.employee_code}"
    scope = await scope_of(session, admin)
    official = await session.get(Official, official_id)
    if official is None or not official.active or not scope.reaches(official.unit.path):
        _refused(session, who, admin, course_id, official_id, "not_in_scope", now)
        return NominationResult(NominationOutcome.NOT_IN_SCOPE)
    course = await lock_course(session, course_id)
    if course is None:
        return NominationResult(NominationOutcome.NOT_FOUND, official=official)
    existing = await registration_of(session, course.id, official.id)
    if existing is not None and existing.status in ACTIVE + DONE:
        return NominationResult(
            NominationOutcome.ALREADY_REGISTERED, course, official, existing,
            position=await position(session, existing),
        )  # fmt: skip
    state = course_window(course, today)
    if state is not Window.OPEN:
        return NominationResult(NominationOutcome.WINDOW, course, official, existing, window=state)
    problems = ineligibility(course, official)
    if problems:
        return NominationResult(
            NominationOutcome.INELIGIBLE, course, official, existing, problems=problems
        )
    quota = await quota_paying_for(session, course.id, official)
    if quota is None:
        return NominationResult(NominationOutcome.NO_QUOTA, course, official)
    if quota.used >= quota.seats:
        return NominationResult(
            NominationOutcome.OVER_QUOTA, course, official, None, quota.unit,
            quota.seats, quota.used,
        )  # fmt: skip

    reg = existing or await _claim_row(session, course, official, now)
    if reg is None:  # another HR officer nominated (or the official registered) just now
        reg = await registration_of(session, course.id, official.id)
        return NominationResult(NominationOutcome.ALREADY_REGISTERED, course, official, reg)
    reg.requested_at = await _queue_moment(session, reg, now)
    reg.updated_at, reg.cancelled_at = now, None
    reg.promoted_at = reg.promotion_notified_at = None
    reg.source, reg.nominated_by_official_id, reg.nominated_at = NOMINATED, admin.id, now
    reg.quota_unit_id, reg.answer, reg.answered_at = quota.unit.id, PENDING, None
    reg.decline_reason = reg.answer_reminded_at = None
    if await _take_seat(session, course):
        reg.status, reg.confirmed_at, reg.priority = RegStatus.CONFIRMED, now, OTHER
        outcome, place = NominationOutcome.NOMINATED, None
    else:
        reg.status, reg.confirmed_at = RegStatus.WAITLISTED, None
        reg.priority = await priority_for(session, official, course.kind, today)
        outcome = NominationOutcome.WAITLISTED
    await session.flush()
    if outcome is NominationOutcome.WAITLISTED:
        place = await position(session, reg)
    audit.record(
        session,
        actor=who,
        actor_official_id=admin.id,
        action=NOMINATE_ACTION,
        subject=f"{course.code}:{official.employee_code}",
        affected=1,
        detail={"registration_id": reg.id, "quota_unit": quota.unit.code, "status": reg.status},
        at=now,
    )
    await _tell_nominee(session, reg, course, official, now)
    await _tell_heads(session, reg, course, official, admin, now)
    return NominationResult(
        outcome, course, official, reg, quota.unit, quota.seats, quota.used + 1, place
    )


def _refused(
    session: AsyncSession,
    actor: str,
    admin: Official,
    course_id: int,
    official_id: int,
    reason: str,
    now: datetime,
) -> None:
    audit.record(
        session,
        actor=actor,
        actor_official_id=admin.id,
        action=REFUSED_ACTION,
        subject=f"course:{course_id}:official:{official_id}",
        detail={"reason": reason},
        at=now,
    )


# --- answer ------------------------------------------------------------------------------


async def answer_nomination(
    session: AsyncSession,
    *,
    official: Official,
    registration_id: int,
    accept: bool,
    reason: str | None,
    today: date,
    now: datetime,
    actor: str | None = None,
) -> AnswerResult:
    """The nominee's answer. `official` is the linked sender; a registration that is not
    their nomination is refused and audited (a forged or foreign button). Declining needs
    a reason: one of REASONS' codes, or "other: <text>"."""
    who = actor or f"official:{official.employee_code}"
    reg = await session.get(Registration, registration_id, populate_existing=True)
    if reg is None or reg.official_id != official.id or reg.source != NOMINATED:
        audit.record(
            session,
            actor=who,
            actor_official_id=official.id,
            action=FORGED_ACTION,
            subject=f"registration:{registration_id}",
            detail={"accept": accept},
            at=now,
        )
        return AnswerResult(AnswerOutcome.NOT_YOURS)
    course = await lock_course(session, reg.course_id)
    assert course is not None  # a foreign key
    await session.refresh(reg)
    if reg.answer != PENDING or reg.status not in ACTIVE:
        return AnswerResult(AnswerOutcome.ALREADY_ANSWERED, course, reg)
    if (
        course.status in (CourseStatus.CANCELLED, CourseStatus.FINISHED)
        or today >= course.starts_on
    ):
        return AnswerResult(AnswerOutcome.TOO_LATE, course, reg)
    reg.answered_at, reg.updated_at = now, now
    promoted: list[Registration] = []
    if accept:
        reg.answer = ACCEPTED
    else:
        reg.answer, reg.decline_reason = DECLINED, clean_reason(reason)
        had_seat = reg.status == RegStatus.CONFIRMED
        reg.status, reg.cancelled_at = RegStatus.CANCELLED, now
        await session.flush()
        if had_seat:
            await _free_seat(session, course)
            promoted = await promote_waitlist(session, course.id, today=today, now=now)
    await session.flush()
    audit.record(
        session,
        actor=who,
        actor_official_id=official.id,
        action=ANSWER_ACTION,
        subject=f"{course.code}:{official.employee_code}",
        affected=1,
        detail={"registration_id": reg.id, "answer": reg.answer},
        at=now,
    )
    await _tell_answer(session, reg, course, official, now)
    outcome = AnswerOutcome.ACCEPTED if accept else AnswerOutcome.DECLINED
    return AnswerResult(outcome, course, reg, promoted)


def clean_reason(reason: str | None) -> str:
    """A reason code, or "other: <text>" (trimmed, at most REASON_TEXT_MAX characters)."""
    text = " ".join((reason or "").split())
    if text in REASONS:
        return text
    if text.startswith("other:"):
        text = text[len("other:") :].strip()
    return f"other: {text[:REASON_TEXT_MAX]}" if text else "other"


async def own_nomination(
    session: AsyncSession,
    *,
    official: Official,
    registration_id: int,
    now: datetime,
    actor: str | None = None,
) -> tuple[Registration, Course] | None:
    """The official's own nomination by id, read before an answer (the reasons' screen);
    None for anyone else's or a self-registration, and that attempt is audited."""
    reg = await session.get(Registration, registration_id, populate_existing=True)
    if reg is None or reg.official_id != official.id or reg.source != NOMINATED:
        audit.record(
            session,
            actor=actor or f"official:{official.employee_code}",
            actor_official_id=official.id,
            action=FORGED_ACTION,
            subject=f"registration:{registration_id}",
            detail={"step": "decline"},
            at=now,
        )
        return None
    course = await session.get(Course, reg.course_id, populate_existing=True)
    assert course is not None
    return reg, course


def answer_open(course: Course, reg: Registration, today: date) -> bool:
    """Whether an answer can still be given: pending, and the course neither started nor
    cancelled (the same rule `answer_nomination` applies)."""
    if reg.answer != PENDING or reg.status not in ACTIVE:
        return False
    return course.status not in (CourseStatus.CANCELLED, CourseStatus.FINISHED) and (
        today < course.starts_on
    )


# --- the one reminder --------------------------------------------------------------------


async def plan_answer_reminders(session: AsyncSession, *, today: date, now: datetime) -> int:
    """One reminder per unanswered nomination whose registration deadline is within
    REMIND_DAYS_BEFORE days; returns how many were queued. Running it twice queues
    nothing twice (`answer_reminded_at`, and the outbox's key)."""
    rows = await session.execute(
        select(Registration, Course, Official)
        .join(Course, Course.id == Registration.course_id)
        .join(Official, Official.id == Registration.official_id)
        .where(
            Registration.source == NOMINATED,
            Registration.answer == PENDING,
            Registration.status.in_(ACTIVE),
            Registration.answer_reminded_at.is_(None),
            Course.status != CourseStatus.CANCELLED,
            Course.registration_closes_on >= today,
            Course.registration_closes_on <= today + timedelta(days=REMIND_DAYS_BEFORE),
        )
    )
    queued = 0
    for reg, course, official in rows.unique():
        queued += await _queue(
            session, official, NOMINATION_REMINDER, f"nomination:{reg.id}", now, course,
            partial(_reminder_text, course), answer_buttons(reg.id),
        )  # fmt: skip
        reg.answer_reminded_at = now
    return queued


# --- telling people ----------------------------------------------------------------------


def _reminder_text(course: Course, official: Official) -> str:
    return texts.reminder(official.gender, course)


def answer_buttons(registration_id: int) -> tuple[tuple[str, str], ...]:
    """The notice's two buttons; their values match handlers/payloads.py NOMINATION_*."""
    return (
        (texts.accept_label(), f"nom:yes:{registration_id}"),
        (texts.decline_label(), f"nom:no:{registration_id}"),
    )


async def _queue(
    session: AsyncSession,
    official: Official,
    kind: str,
    subject: str,
    now: datetime,
    course: Course,
    render: Callable[[Official], str],
    buttons: tuple[tuple[str, str], ...] = (),
) -> int:
    locale = (await outbox.recipient_locales(session, [official.id]))[official.id]
    with use_locale(locale):
        text = render(official)
        labels = tuple((str(label), value) for label, value in buttons)
    relevant_until = datetime.combine(course.starts_on, datetime.min.time(), now.tzinfo)
    notice = NewNotice(official.id, kind, subject, now, text, locale, relevant_until, False, labels)
    return await outbox.enqueue_many(session, [notice])


async def _tell_nominee(
    session: AsyncSession, reg: Registration, course: Course, official: Official, now: datetime
) -> None:
    waitlisted = reg.status == RegStatus.WAITLISTED
    await _queue(
        session, official, NOMINATION, f"nomination:{reg.id}", now, course,
        lambda o: texts.nominated(o.gender, course, waitlisted=waitlisted),
        answer_buttons(reg.id),
    )  # fmt: skip


async def _heads_of(session: AsyncSession, official: Official) -> list[Official]:
    heads = (await unit_heads(session, [official.unit_id])).get(official.unit_id, frozenset())
    ids = sorted(h for h in heads if h != official.id)
    if not ids:
        return []
    return list(await session.scalars(select(Official).where(Official.id.in_(ids))))


async def _tell_heads(
    session: AsyncSession,
    reg: Registration,
    course: Course,
    official: Official,
    admin: Official,
    now: datetime,
) -> None:
    for head in await _heads_of(session, official):
        await _queue(
            session, head, NOMINATION_HEAD, f"nomination:{reg.id}:nominated", now, course,
            lambda h: texts.head_nominated(h.gender, course, official, admin),
        )  # fmt: skip


async def _tell_answer(
    session: AsyncSession, reg: Registration, course: Course, official: Official, now: datetime
) -> None:
    """The HR officer who nominated learns the answer; the heads learn of a decline (the
    unit must send someone else, or give the seat back)."""
    nominator = (
        await session.get(Official, reg.nominated_by_official_id)
        if reg.nominated_by_official_id
        else None
    )
    if nominator is not None and nominator.active:
        await _queue(
            session, nominator, NOMINATION_ANSWER, f"nomination:{reg.id}:{reg.answer}", now,
            course, lambda h: texts.answer_for_hr(h.gender, course, official, reg),
        )  # fmt: skip
    if reg.answer == DECLINED:
        for head in await _heads_of(session, official):
            if nominator is not None and head.id == nominator.id:
                continue
            await _queue(
                session, head, NOMINATION_HEAD, f"nomination:{reg.id}:declined", now, course,
                lambda h: texts.answer_for_hr(h.gender, course, official, reg),
            )  # fmt: skip
