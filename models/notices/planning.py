"""Planning: which notices should exist now, written set-based into the outbox.

Called by the scheduler's jobs (scheduler/jobs.py), each in one transaction the job owns.
Nothing here sends or sleeps; `now` is always a parameter, so tests move time freely.

When each reminder falls (requirement stages, overdue, course leads, registration deadlines)
is plain date arithmetic in models/notices/stages.py; this module finds who owes what and
writes the rows. Each run plans only the stage that is current within `horizon`, so a
training import before the moment still withdraws the notice (`_withdraw_resolved`).
Officials are streamed in id batches; only those whose due dates can have a current stage
are read at all (yearly/by-date rules: everyone on stage days; event-based rules: a
date-range filter on the event column).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from locales import _, use_locale
from models.bulk import collector_paused
from models.certificates.reminders import CERTIFICATE_EXPIRING, plan_expiry_reminders
from models.chat.accounts import ChatAccount
from models.courses.catalogue import Course, CourseStatus
from models.courses.evaluation import EVALUATION_INVITE, plan_evaluation_invitations
from models.courses.registrations import ACTIVE, Registration, RegStatus, pending_promotions
from models.courses.registrations import mark_promotion_notified as _mark_promoted
from models.notices import outbox as notices
from models.notices import texts
from models.notices.outbox import NewNotice
from models.notices.preferences import LEAD_DAY_OPTIONS, Preferences, preferences_for
from models.notices.stages import (
    Stage,
    course_day_starts,
    course_start_stages,
    current,
    deadline_stage,
    due_dates_of,
    due_range,
    earliest_completion,
    event_range,
    plannable,
    stages_for,
)
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.evaluation import (
    Completion,
    DayRules,
    Profile,
    Status,
    evaluate,
    evaluate_applicable,
    evaluate_rule,
)
from models.requirements.model import OBLIGATION, STANDARD, Catalogue, Rule
from models.requirements.profiles import WIDTH, profile_columns, profile_from_row, rule_reads
from models.requirements.store import current_catalogue
from models.requirements.training_records import COMPLETION_COLUMNS, TrainingRecord

PERSON_FIELDS = frozenset(
    {
        "post_title",
        "leadership_tier",
        "leadership_appointed_on",
        "rank_code",
        "rank_tier",
        "rank_assigned_on",
        "professional_title_code",
        "category",
        "level",
        "unit_id",
    }
)
_EVENT_RULES = ("within_months_after_event", "once_before_event")
_OPEN = (Status.DUE, Status.OVERDUE)
_NO_LANGUAGES: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PlanningSettings:
    """Built from the environment by bot/config.py (planning_settings)."""

    tz: ZoneInfo
    stages_days: tuple[int, ...] = (91, 46, 16)
    overdue_days: int = 1
    overdue_relevant_days: int = 14
    send_time: time = time(8, 0)
    horizon: timedelta = timedelta(hours=6)
    registration_lead_days: int = 2
    certificate_reminder_days: int = 30  # before a certificate expires (#16.5)
    default_locale: str = "vi"
    batch_size: int = 5000

    def at(self, day: date, moment: time | None = None) -> datetime:
        return datetime.combine(day, moment or self.send_time, self.tz)


@dataclass
class PlanStats:
    officials: int = 0  # officials evaluated
    planned: int = 0  # notice rows written (new)
    withdrawn: int = 0  # pending notices dropped because the need went away
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, other: PlanStats) -> None:
        self.officials += other.officials
        self.planned += other.planned
        self.withdrawn += other.withdrawn
        for kind, n in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + n


# --- streaming the population ---------------------------------------------------------------


class Person(NamedTuple):
    profile: Profile
    gender: str | None
    locale: str


class Batch(NamedTuple):
    """One id range of the population: the people wanted, their completions, and how many
    people with a reachable chat the range held (wanted or not: all were judged)."""

    people: list[Person]
    records: dict[int, dict[str, list[Completion]]]
    read: int


def _reachable(official_id: Any) -> Any:
    return exists().where(
        ChatAccount.official_id == official_id, ChatAccount.unreachable_at.is_(None)
    )


async def _id_bounds(conn: AsyncConnection, only_ids: Sequence[int] | None) -> tuple[int, int]:
    if only_ids is not None:
        return (min(only_ids), max(only_ids)) if only_ids else (1, 0)
    low, high = (await conn.execute(select(func.min(Official.id), func.max(Official.id)))).one()
    return (low, high) if low is not None else (1, 0)


async def _account_locales(conn: AsyncConnection, low: int, high: int) -> dict[int, str | None]:
    """Official id → the locale of its most recently used reachable account (None: that
    account has not chosen one), for the officials of [low, high] that have one."""
    rows = await conn.execute(
        select(ChatAccount.official_id, ChatAccount.locale)
        .where(ChatAccount.official_id.between(low, high), ChatAccount.unreachable_at.is_(None))
        # Ordered so the most recently used account comes last and wins below: reading
        # last_seen_at into Python datetimes cost more than the rest of the batch's reads.
        .order_by(ChatAccount.official_id, ChatAccount.last_seen_at, ChatAccount.id)
    )
    return {oid: locale for oid, locale in rows.all() if oid is not None}


async def stream_people(
    session: AsyncSession,
    *,
    as_of: date,
    extra: Sequence[Any],
    s: PlanningSettings,
    only_ids: Sequence[int] | None = None,
    kinds: frozenset[str] | None = None,
    since: date | None = None,
    wanted: Callable[[Profile], object] | None = None,
    reads: frozenset[str] | None = None,
) -> AsyncIterator[Batch]:
    """Active officials with a reachable linked account, in id order, one id range of
    `batch_size` at a time, with their completions up to `as_of` grouped by kind (oldest
    first): memory stays flat. `kinds`/`since` leave out completions no rule being planned
    can count (most of the time spent here is turning rows into Python dates). `wanted`:
    only the people it accepts are yielded and have their completions built (on a stage
    day most officials have no rule to plan, and building their completions was the
    largest part of reading); `Batch.read` still counts everyone. `reads`: the Profile
    fields anything downstream reads (see `profile_columns`); None: all of them.

    Id ranges, not "the next 5,000 after": each batch's three queries (officials,
    accounts, completions) are range scans of a primary key or an official_id index, so
    the cost per official stays the same however large the province. Ordering completions
    by date instead walked the completed_on index over the whole table for every batch."""
    record_filters: list[Any] = [TrainingRecord.completed_on <= as_of]
    if kinds is not None:
        record_filters.append(TrainingRecord.kind.in_(sorted(kinds)))
    if since is not None:
        record_filters.append(TrainingRecord.completed_on >= since)
    # Core on the session's connection: no ORM row processing for 5,000 plain tuples.
    conn = await session.connection()
    first, last = await _id_bounds(conn, only_ids)
    for low in range(first, last + 1, s.batch_size):
        high = min(low + s.batch_size - 1, last)
        query = (
            select(*profile_columns(reads), Official.gender, Official.preferred_locale)
            .join(OrgUnit, OrgUnit.id == Official.unit_id)
            .where(Official.active.is_(True), Official.id.between(low, high), *extra)
            .order_by(Official.id)
        )
        if only_ids is not None:
            query = query.where(Official.id.in_(list(only_ids)))
        with collector_paused():
            batch = await _read_batch(
                conn, query, low, high, s.default_locale, record_filters, wanted
            )
        if batch is not None:
            yield batch


async def _read_batch(
    conn: AsyncConnection,
    query: Any,
    low: int,
    high: int,
    default: str,
    record_filters: Sequence[Any],
    wanted: Callable[[Profile], object] | None,
) -> Batch | None:
    """One id range's people (those with a reachable chat) and their completions."""
    rows = (await conn.execute(query)).all()
    if not rows:
        return None
    account_locales = await _account_locales(conn, low, high)
    people: list[Person] = []
    read = 0
    for row in rows:
        oid = row[0]
        if oid not in account_locales:
            continue  # no reachable linked chat: nothing to plan for them
        read += 1
        profile = profile_from_row(row)
        if wanted is None or wanted(profile):
            # The two columns selected after the profile's, both nullable strings.
            gender: str | None = row[WIDTH]
            locale = account_locales[oid] or row[WIDTH + 1] or default
            people.append(Person(profile, gender, locale if locale in ("vi", "en") else "vi"))
    if not people:
        return Batch([], {}, read) if read else None
    records: dict[int, dict[str, list[Completion]]] = {}
    ids = {p.profile.official_id for p in people}
    if len(ids) * 4 < read:
        # Few wanted (a stage day's usual case): fetch only their completions, still on the
        # official_id index; the range would read and convert everyone's.
        record_filters = [*record_filters, TrainingRecord.official_id.in_(sorted(ids))]
    result = await conn.execute(
        select(*COMPLETION_COLUMNS)
        .where(TrainingRecord.official_id.between(low, high), *record_filters)
        .order_by(TrainingRecord.official_id, TrainingRecord.completed_on)
    )
    for oid, kind, completed_on, periods, cert, program in result.all():
        if oid not in ids:
            continue
        by_kind = records.get(oid)
        if by_kind is None:
            by_kind = records[oid] = {}
        completion = Completion(kind, completed_on, periods, cert, program)
        same_kind = by_kind.get(kind)
        if same_kind is None:
            by_kind[kind] = [completion]
        else:
            same_kind.append(completion)
    return Batch(people, records, read)


async def registered_kinds(
    session: AsyncSession, low: int, high: int, today: date
) -> dict[int, frozenset[str]]:
    conn = await session.connection()
    rows = await conn.execute(
        select(Registration.official_id, Course.kind)
        .join(Course, Course.id == Registration.course_id)
        .where(
            Registration.official_id.between(low, high),
            Registration.status == RegStatus.CONFIRMED,
            Course.status != CourseStatus.CANCELLED,
            Course.ends_on >= today,
        )
    )
    found: dict[int, set[str]] = {}
    for oid, kind in rows:
        found.setdefault(oid, set()).add(kind)
    return {oid: frozenset(kinds) for oid, kinds in found.items()}


# --- requirement and registration-deadline notices ------------------------------------------


def _subject(rule: Rule, due: date) -> str:
    return f"rule:{rule.id}:{due.isoformat()}"


def _event_window(rule: Rule, low: date, high: date) -> Any:
    """SQL: the event column puts the rule's due date within [low, high] (± a few days for
    month arithmetic; the exact stage is decided in Python)."""
    column = getattr(Official, rule.recurrence.event or "")
    return column.between(*event_range(rule, low, high))


@dataclass(frozen=True)
class _DeadlineCourse:
    course_id: int
    code: str
    title: str
    kind: str
    closes: date
    levels: frozenset[str]
    categories: frozenset[str]
    ranks: frozenset[str]
    unit_path: str | None
    rules: tuple[Rule, ...]
    moment: datetime
    relevant_until: datetime

    def eligible(self, p: Profile) -> bool:
        # The same conditions as models.courses.catalogue.ineligibility, on a Profile instead
        # of an ORM object (planning never loads ORM officials).
        return (
            (not self.levels or p.level in self.levels)
            and (not self.categories or p.category in self.categories)
            and (not self.ranks or p.rank_tier in self.ranks)
            and (self.unit_path is None or p.unit_path.startswith(self.unit_path))
        )


async def _deadline_courses(
    session: AsyncSession, catalogue: Catalogue, now: datetime, s: PlanningSettings
) -> list[_DeadlineCourse]:
    today = now.astimezone(s.tz).date()
    lead = s.registration_lead_days
    rows = (
        (
            await session.execute(
                select(Course, OrgUnit.path)
                .outerjoin(OrgUnit, OrgUnit.id == Course.eligible_unit_id)
                .where(
                    Course.status == CourseStatus.OPEN,
                    Course.registration_closes_on.between(today, today + timedelta(days=lead + 1)),
                )
            )
        )
        .unique()
        .all()
    )
    found = []
    for course, unit_path in rows:
        moment, until = deadline_stage(course.registration_closes_on, lead, s)
        if not plannable(moment, until, now, s):
            continue
        rules = tuple(
            r for r in catalogue.rules if course.kind in r.training_kinds and r.item == OBLIGATION
        )
        if rules:
            found.append(
                _DeadlineCourse(
                    course.id,
                    course.code,
                    course.title,
                    course.kind,
                    course.registration_closes_on,
                    frozenset(course.eligible_levels or ()),
                    frozenset(course.eligible_categories or ()),
                    frozenset(course.eligible_ranks or ()),
                    unit_path,
                    rules,
                    moment,
                    until,
                )
            )
    return found


async def plan_requirement_notices(
    session: AsyncSession,
    *,
    now: datetime,
    settings: PlanningSettings,
    catalogue: Catalogue | None = None,
) -> PlanStats:
    """Due-date, overdue and registration-deadline notices for every official, in the
    caller's transaction. Running it twice plans nothing twice."""
    s = settings
    catalogue = catalogue or await current_catalogue(session)
    today = now.astimezone(s.tz).date()
    # Only obligations have dates to remind of: a standard is met or not, a province
    # target (ended or not) is HR's measure, never an official's deadline.
    rules = [r for r in catalogue.rules if r.item == OBLIGATION]
    global_slots: list[tuple[Rule, date, list[Stage]]] = []
    for rule in rules:
        for due in due_dates_of(rule, today):
            stages = current(stages_for(due, s), now, s)
            if stages and rule.valid_on(min(today, due)):
                global_slots.append((rule, due, stages))
    low, high = due_range(today, s)
    event_rules = [
        r
        for r in rules
        if r.recurrence.type in _EVENT_RULES and r.recurrence.event and r.valid_on(today)
    ]
    deadline_courses = await _deadline_courses(session, catalogue, now, s)
    if global_slots or deadline_courses:
        extra: list[Any] = []
    elif event_rules:
        extra = [or_(*(_event_window(r, low, high) for r in event_rules))]
    else:
        return PlanStats()
    stats = PlanStats()
    cache = texts.TextCache()
    planned_rules = [r for r, _due, _st in global_slots] + event_rules
    planned_rules += [r for c in deadline_courses for r in c.rules]
    kinds = frozenset(k for r in planned_rules for k in r.training_kinds)
    # Which of the slot and event rules apply, memoised by profile key: testing every
    # rule's conditions for every official was the largest part of planning's Python time.
    applying = DayRules(
        tuple({r.id: r for r in [*(r for r, _d, _s in global_slots), *event_rules]}.values()), today
    )

    def concerned(profile: Profile) -> bool:
        """Whether any rule or course being planned can concern this official."""
        return bool(applying.applicable_ids(profile)) or any(
            c.eligible(profile) for c in deadline_courses
        )

    # Without deadline courses the applicable rules' ids decide alone (a truthy set):
    # one call per official fewer on the path every official takes.
    wanted = concerned if deadline_courses else applying.applicable_ids

    async for people, records, read in stream_people(
        session,
        as_of=today,
        extra=extra,
        s=s,
        kinds=kinds,
        since=earliest_completion(
            [(r, due) for r, due, _st in global_slots], event_rules, low, bool(deadline_courses)
        ),
        wanted=wanted,
        # What the planned rules and the deadline courses' eligibility read, no more.
        reads=rule_reads(planned_rules) | {"rank_tier"},
    ):
        stats.officials += read
        if not people:
            continue
        ids = [p.profile.official_id for p in people]
        registered = await registered_kinds(session, ids[0], ids[-1], today)
        prefs = await preferences_for(session, ids) if deadline_courses else {}
        batch: list[NewNotice] = []
        resolved: set[tuple[int, str]] = set()
        for person in people:
            profile = person.profile
            oid = profile.official_id
            own = records.get(oid, {})
            kinds = registered.get(oid, frozenset())
            applies_to = applying.applicable_ids(profile)
            for rule, due, stages in global_slots:
                if rule.id not in applies_to:
                    continue  # not applicable: nothing to plan or withdraw
                status = evaluate_applicable(rule, profile, own, min(today, due), kinds)
                if status.status in _OPEN and status.due == due:
                    batch += _requirement_rows(person, rule, due, stages, cache)
                elif status.status is not Status.NOT_APPLICABLE:
                    resolved.add((oid, _subject(rule, due)))
            for rule in event_rules:
                if rule.id not in applies_to:
                    continue
                status = evaluate_applicable(rule, profile, own, today, kinds)
                if status.status in _OPEN and status.due is not None:
                    stages = current(stages_for(status.due, s), now, s)
                    batch += _requirement_rows(person, rule, status.due, stages, cache)
                elif status.due is not None and status.status is not Status.NOT_APPLICABLE:
                    resolved.add((oid, _subject(rule, status.due)))
            for course in deadline_courses:
                if not course.eligible(profile) or course.kind in kinds:
                    continue
                if not prefs.get(oid, Preferences()).wants(notices.REGISTRATION_DEADLINE):
                    continue
                batch += _deadline_rows(person, course, own, today, kinds, cache)
        stats.planned += await notices.enqueue_many(session, batch)
        for row in batch:
            stats.by_kind[row.kind] = stats.by_kind.get(row.kind, 0) + 1
        stats.withdrawn += await _withdraw_resolved(session, ids[0], ids[-1], resolved, now)
    return stats


def _requirement_rows(
    person: Person, rule: Rule, due: date, stages: Sequence[Stage], cache: texts.TextCache
) -> list[NewNotice]:
    rows = []
    gender, locale = person.gender, person.locale
    for stage in stages:
        if stage.kind == notices.REQUIREMENT_OVERDUE:
            key: tuple[Any, ...] = ("overdue", rule.id, due)
            text = cache.get(
                locale,
                gender,
                key,
                lambda: texts.requirement_overdue(gender, rule.title.localized(), due),
            )
        else:
            days = stage.days_before
            key = ("due", rule.id, due, days)
            text = cache.get(
                locale,
                gender,
                key,
                partial(_due_text, gender, rule, due, days),
            )
        rows.append(
            NewNotice(
                person.profile.official_id,
                stage.kind,
                _subject(rule, due),
                stage.moment,
                text,
                locale,
                stage.relevant_until,
            )
        )
    return rows


# Rendered by TextCache inside the recipient's locale, so the rule's title is localized there.
def _due_text(gender: str | None, rule: Rule, due: date, days: int) -> str:
    return texts.requirement_due(gender, rule.title.localized(), due, days)


def _deadline_text(gender: str | None, course: _DeadlineCourse, rule: Rule) -> str:
    return texts.registration_deadline(
        gender, course.code, course.title, course.closes, rule.title.localized()
    )


def _deadline_rows(
    person: Person,
    course: _DeadlineCourse,
    records: Any,
    today: date,
    kinds: frozenset[str],
    cache: texts.TextCache,
) -> list[NewNotice]:
    for rule in course.rules:
        status = evaluate_rule(rule, person.profile, records, today, kinds)
        if status.status in _OPEN:
            gender, locale = person.gender, person.locale
            text = cache.get(
                locale,
                gender,
                ("deadline", course.course_id, rule.id),
                partial(_deadline_text, gender, course, rule),
            )
            return [
                NewNotice(
                    person.profile.official_id,
                    notices.REGISTRATION_DEADLINE,
                    f"course:{course.course_id}",
                    course.moment,
                    text,
                    locale,
                    course.relevant_until,
                )
            ]
    return []


async def _withdraw_resolved(
    session: AsyncSession, low: int, high: int, resolved: set[tuple[int, str]], now: datetime
) -> int:
    """Pending requirement notices whose requirement was met (or started) meanwhile."""
    if not resolved:
        return 0
    rows = await session.execute(
        select(notices.Notice.id, notices.Notice.official_id, notices.Notice.subject).where(
            notices.Notice.official_id.between(low, high),
            # `state || ''` keeps the planner on the (official_id, …) key: on the state index
            # it read every pending notice of the province for each batch (a broadcast's
            # 24,150 pending rows made planning quadratic).
            notices.Notice.state.op("||")("") == notices.PENDING,
            notices.Notice.kind.in_((notices.REQUIREMENT_DUE, notices.REQUIREMENT_OVERDUE)),
        )
    )
    ids = [nid for nid, oid, subject in rows if (oid, subject) in resolved]
    for start in range(0, len(ids), 900):
        await session.execute(
            update(notices.Notice)
            .where(
                notices.Notice.id.in_(ids[start : start + 900]),
                notices.Notice.state == notices.PENDING,
            )
            .values(state=notices.DROPPED, last_error=notices.RESOLVED, finished_at=now)
        )
    return len(ids)


# --- course notices ---------------------------------------------------------------------------


async def plan_course_notices(
    session: AsyncSession, *, now: datetime, settings: PlanningSettings
) -> PlanStats:
    """Course-start reminders (each official's lead times), waitlist promotions not yet told
    and cancelled courses' registrants."""
    s = settings
    stats = PlanStats()
    for part in (
        await _plan_course_starts(session, now, s),
        await _plan_promotions(session, now, s),
        await _plan_cancellations(session, now, s),
        await _plan_certificate_expiry(session, now, s),
    ):
        stats.add(part)
    # --- course evaluation (#16.4): "please evaluate" once a course is over ---
    invited = await plan_evaluation_invitations(session, now=now, settings=s)
    if invited:
        stats.add(PlanStats(planned=invited, by_kind={EVALUATION_INVITE: invited}))
    return stats


async def _plan_certificate_expiry(
    session: AsyncSession, now: datetime, s: PlanningSettings
) -> PlanStats:
    planned = await plan_expiry_reminders(
        session,
        now=now,
        tz=s.tz,
        send_time=s.send_time,
        lead_days=s.certificate_reminder_days,
        default_locale=s.default_locale,
    )
    return PlanStats(planned=planned, by_kind={CERTIFICATE_EXPIRING: planned} if planned else {})


async def _people_info(
    session: AsyncSession, ids: Sequence[int], s: PlanningSettings
) -> dict[int, tuple[str | None, str]]:
    locales = await notices.recipient_locales(session, ids, s.default_locale)
    genders: dict[int, str | None] = {}
    for start in range(0, len(ids), 900):
        rows = await session.execute(
            select(Official.id, Official.gender).where(Official.id.in_(ids[start : start + 900]))
        )
        genders.update({oid: gender for oid, gender in rows})
    return {oid: (genders.get(oid), locales[oid]) for oid in ids}


async def _write(session: AsyncSession, rows: list[NewNotice]) -> PlanStats:
    stats = PlanStats(planned=await notices.enqueue_many(session, rows))
    for row in rows:
        stats.by_kind[row.kind] = stats.by_kind.get(row.kind, 0) + 1
    return stats


async def _registrants(session: AsyncSession, extra: Any, *conditions: Any) -> Sequence[Any]:
    """(official id, course id, code, title, starts on, `extra`) for each registration of an
    active official that meets `conditions`."""
    result = await session.execute(
        select(
            Registration.official_id,
            Course.id,
            Course.code,
            Course.title,
            Course.starts_on,
            extra,
        )
        .join(Course, Course.id == Registration.course_id)
        .join(Official, Official.id == Registration.official_id)
        .where(*conditions, Official.active.is_(True))
    )
    return result.all()


async def _plan_course_starts(
    session: AsyncSession, now: datetime, s: PlanningSettings
) -> PlanStats:
    today = now.astimezone(s.tz).date()
    rows = await _registrants(
        session,
        Course.place,
        Registration.status == RegStatus.CONFIRMED,
        Course.status.notin_((CourseStatus.CANCELLED, CourseStatus.FINISHED)),
        Course.starts_on.between(today, today + timedelta(days=max(LEAD_DAY_OPTIONS) + 1)),
        _reachable(Official.id),
    )
    ids = sorted({r[0] for r in rows})
    prefs = await preferences_for(session, ids)
    info = await _people_info(session, ids, s)
    cache = texts.TextCache()
    batch: list[NewNotice] = []
    for oid, course_id, code, title, starts, place in rows:
        pref = prefs.get(oid, Preferences())
        if not pref.wants(notices.COURSE_START):
            continue
        gender, locale = info[oid]
        for lead, moment, until in course_start_stages(starts, pref.course_lead_days, now, s):
            text = cache.get(
                locale,
                gender,
                ("start", course_id, lead),
                partial(texts.course_start, gender, code, title, starts, lead, place),
            )
            batch.append(
                NewNotice(
                    oid,
                    notices.COURSE_START,
                    f"course:{course_id}:lead{lead}",
                    moment,
                    text,
                    locale,
                    until,
                )
            )
    return await _write(session, batch)


async def _plan_promotions(session: AsyncSession, now: datetime, s: PlanningSettings) -> PlanStats:
    stats = PlanStats()
    while promoted := await pending_promotions(session, limit=500):
        info = await _people_info(session, [o.id for _r, _c, o in promoted], s)
        batch = []
        for reg, course, official in promoted:
            gender, locale = info[official.id]
            with use_locale(locale):
                text = texts.waitlist_promoted(gender, course.code, course.title, course.starts_on)
                # The promoted person gets the calendar file too, one tap away
                # (handlers/payloads.py COURSE_CALENDAR; notices carry no files).
                buttons = ((_("📅 Calendar file"), f"ics:{course.id}"),)
            moment = reg.promoted_at or now
            batch.append(
                NewNotice(
                    official.id,
                    notices.WAITLIST_PROMOTED,
                    f"course:{course.id}",
                    moment,
                    text,
                    locale,
                    course_day_starts(course.starts_on, s),
                    choices=buttons,
                )
            )
        stats.add(await _write(session, batch))
        await _mark_promoted(session, [reg.id for reg, _c, _o in promoted], now)
    return stats


async def _plan_cancellations(
    session: AsyncSession, now: datetime, s: PlanningSettings
) -> PlanStats:
    today = now.astimezone(s.tz).date()
    rows = await _registrants(
        session,
        Course.updated_at,
        Course.status == CourseStatus.CANCELLED,
        Course.starts_on >= today,
        Registration.status.in_(ACTIVE),
    )
    info = await _people_info(session, sorted({r[0] for r in rows}), s)
    batch = []
    for oid, course_id, code, title, starts, changed_at in rows:
        gender, locale = info[oid]
        with use_locale(locale):
            text = texts.course_cancelled(gender, code, title, starts)
        batch.append(
            NewNotice(
                oid,
                notices.COURSE_CANCELLED,
                f"course:{course_id}",
                changed_at,
                text,
                locale,
                course_day_starts(starts, s),
            )
        )
    return await _write(session, batch)


async def enqueue_course_changed(
    session: AsyncSession,
    course: Course,
    *,
    now: datetime,
    settings: PlanningSettings,
) -> int:
    """Tell everyone holding or waiting for a seat that the course's dates or place changed.
    For the courses feature to call in the transaction that changes the course."""
    s = settings
    ids = list(
        await session.scalars(
            select(Registration.official_id).where(
                Registration.course_id == course.id, Registration.status.in_(ACTIVE)
            )
        )
    )
    if not ids:
        return 0
    prefs = await preferences_for(session, ids)
    ids = [i for i in ids if prefs.get(i, Preferences()).wants(notices.COURSE_CHANGED)]
    info = await _people_info(session, ids, s)
    batch = []
    for oid in ids:
        gender, locale = info[oid]
        with use_locale(locale):
            text = texts.course_changed(
                gender, course.code, course.title, course.starts_on, course.place
            )
        batch.append(
            NewNotice(
                oid,
                notices.COURSE_CHANGED,
                f"course:{course.id}",
                now,
                text,
                locale,
                course_day_starts(course.starts_on, s),
            )
        )
    return await notices.enqueue_many(session, batch)


# --- a person-level change (roster import) -----------------------------------------------------


async def plan_change_notices(
    session: AsyncSession,
    changes: Sequence[Any],
    *,
    now: datetime,
    settings: PlanningSettings,
    catalogue: Catalogue | None = None,
) -> int:
    """One notice per official whose post, rank or position changed in a roster import,
    listing the requirements that now apply and are not yet met. `changes` is
    `RosterResult.changes` (OfficialChange: employee_code, official_id, fields); call it in
    the import's transaction, after `apply_import`."""
    s = settings
    relevant = {c.official_id: c for c in changes if PERSON_FIELDS & set(c.fields)}
    if not relevant:
        return 0
    catalogue = catalogue or await current_catalogue(session)
    today = now.astimezone(s.tz).date()
    batch: list[NewNotice] = []
    ids = sorted(relevant)
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        async for people, records, _read in stream_people(
            session, as_of=today, extra=[], s=s, only_ids=chunk
        ):
            registered = await registered_kinds(session, chunk[0], chunk[-1], today)
            for person in people:
                oid = person.profile.official_id
                statuses = evaluate(
                    catalogue,
                    person.profile,
                    records.get(oid, {}),
                    today,
                    registered_kinds=registered.get(oid, frozenset()),
                )
                with use_locale(person.locale):
                    lines = [
                        (st.rule.title.localized(), st.due)
                        for st in statuses
                        if (st.status in _OPEN and st.rule.item == OBLIGATION)
                        or (st.status is Status.NOT_MET and st.rule.item == STANDARD)
                    ]
                    if not lines:
                        continue
                    text = texts.person_change(person.gender, lines)
                digest = hashlib.sha256(
                    repr(sorted((k, repr(v[1])) for k, v in relevant[oid].fields.items())).encode()
                ).hexdigest()[:16]
                batch.append(
                    NewNotice(
                        oid,
                        notices.PERSON_CHANGE,
                        f"roster:{digest}",
                        now,
                        text,
                        person.locale,
                        now + timedelta(days=14),
                    )
                )
    return await notices.enqueue_many(session, batch)
