"""Who a broadcast reaches: an audience inside the admin's scope, as official ids, and how
many of them the bot can actually reach (linked and not blocked).

Kinds: everyone in scope; by level, unit (subtree), category or rank tier; those who still
owe a requirement (evaluated with the same engine as /yeucau); those eligible for a course
and not registered in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from locales.folding import fold_key
from models.chat.accounts import ChatAccount
from models.courses.catalogue import Course, CourseStatus, query_terms, upcoming
from models.courses.catalogue import by_code as courses_by_code
from models.courses.registrations import ACTIVE, DONE, Registration
from models.notices.reception import Reception, classify
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit
from models.org.units import by_code as unit_by_code
from models.requirements.compliance import load_for
from models.requirements.evaluation import DayRules, Status, evaluate_applicable
from models.requirements.fields import is_sensitive
from models.requirements.model import Catalogue, Rule
from models.requirements.sql_conditions import implied_terms

KINDS = ("all", "level", "unit", "category", "rank", "owes", "course")


@dataclass(frozen=True)
class Audience:
    kind: str
    value: str = ""  # level code, unit id, category, rank tier, rule id or course id


@dataclass(frozen=True)
class Reach:
    official_ids: tuple[int, ...]  # everyone in the audience
    reachable: int  # linked on some channel and not blocked
    not_linked: int
    unreachable: int  # linked, but every linked chat blocked the bot


def in_scope(scope: Scope) -> list[Any]:
    """SQL conditions: the official's unit is inside one of the scope's subtrees."""
    return [or_(*(OrgUnit.path.startswith(u.path, autoescape=True) for u in scope.units))]


def _base(scope: Scope) -> Select[int]:
    return (
        select(Official.id)
        .join(OrgUnit, OrgUnit.id == Official.unit_id)
        .where(Official.active.is_(True), *in_scope(scope))
    )


async def resolve(
    session: AsyncSession,
    audience: Audience,
    scope: Scope,
    *,
    today: date,
    catalogue: Catalogue,
) -> tuple[int, ...] | None:
    """Official ids in the audience, or None if the audience is not valid for this scope
    (a unit outside it, an unknown rule or course…)."""
    query = _base(scope)
    kind, value = audience.kind, audience.value
    if kind == "all":
        pass
    elif kind == "level":
        query = query.where(Official.level == value)
    elif kind == "category":
        query = query.where(Official.category == value)
    elif kind == "rank":
        query = query.where(Official.rank_tier == value)
    elif kind == "unit":
        unit = await session.get(OrgUnit, int(value)) if value.isdigit() else None
        if unit is None or not scope.reaches(unit.path):
            return None
        query = query.where(OrgUnit.path.startswith(unit.path, autoescape=True))
    elif kind == "course":
        course = await session.get(Course, int(value)) if value.isdigit() else None
        if course is None:
            return None
        query = _eligible_for(query, course)
    elif kind == "owes":
        rule = catalogue.rules_by_id.get(value)
        if rule is None or not may_target(rule):
            return None
        return await _owing(session, scope, rule.id, today, catalogue)
    else:
        return None
    return tuple(await session.scalars(query.order_by(Official.id)))


# --- what the admin picks from ------------------------------------------------------------


async def levels_in_scope(session: AsyncSession, scope: Scope) -> list[str]:
    """The levels of active officials inside the scope, for the "by level" choice."""
    levels = await session.scalars(
        select(Official.level)
        .join(OrgUnit, OrgUnit.id == Official.unit_id)
        .where(Official.active.is_(True), *in_scope(scope))
        .distinct()
    )
    return sorted(levels)


async def open_courses(session: AsyncSession, today: date, *, limit: int) -> list[Course]:
    """Open courses that have not started, soonest first: a broadcast may attach one."""
    courses = await session.scalars(
        select(Course)
        .where(Course.status == CourseStatus.OPEN, Course.starts_on >= today)
        .order_by(Course.starts_on, Course.id)
        .limit(limit)
    )
    return list(courses)


async def find_units(
    session: AsyncSession, scope: Scope, text: str, *, limit: int
) -> list[OrgUnit]:
    """Units inside the scope that a typed code names exactly, or whose name contains the
    typed words (any diacritics); at most `limit`."""
    exact = await unit_by_code(session, text)
    if exact is not None and scope.reaches(exact.path):
        return [exact]
    key = fold_key(text)
    if not key:
        return []
    rows = await session.scalars(select(OrgUnit).where(*in_scope(scope)))
    return [u for u in rows if key in fold_key(u.name)][:limit]


def _eligible_for(query: Select[int], course: Course) -> Select[int]:
    """The SQL twin of models.courses.catalogue.ineligibility, plus "not already registered"."""
    if course.eligible_levels:
        query = query.where(Official.level.in_(course.eligible_levels))
    if course.eligible_categories:
        query = query.where(Official.category.in_(course.eligible_categories))
    if course.eligible_ranks:
        query = query.where(Official.rank_tier.in_(course.eligible_ranks))
    if course.eligible_unit is not None:
        query = query.where(OrgUnit.path.startswith(course.eligible_unit.path, autoescape=True))
    registered = exists().where(
        Registration.course_id == course.id,
        Registration.official_id == Official.id,
        Registration.status.in_([*ACTIVE, *DONE]),
    )
    return query.where(~registered)


def may_target(rule: Rule) -> bool:
    """Whether "those who still owe" this rule may be an audience. Not for a rule reading a
    sensitive field: its audience, its counts and its "not received" list would tell the
    broadcaster who is Kinh (Decree 13/2023 Art. 2.4)."""
    return not is_sensitive(rule)


async def _owing(
    session: AsyncSession, scope: Scope, rule_id: str, today: date, catalogue: Catalogue
) -> tuple[int, ...]:
    # Only the one rule, and only the officials its plain conditions admit, their
    # completions inside its window: evaluating the whole catalogue for a province took
    # 1.6 s, reading every profile and completion for one rule 0.45 s.
    rule = catalogue.rules_by_id[rule_id]
    if not rule.valid_on(today):
        return ()
    owing: list[int] = []
    applying = DayRules((rule,), today)
    window = applying.windows.get(rule.id)
    narrowed = implied_terms(rule)
    for unit in scope.units:
        population = await load_for(session, applying, unit=unit, where=narrowed)
        for profile, records in population:
            if not applying.applicable(profile):
                continue
            status = evaluate_applicable(rule, profile, records, today, window=window)
            if status.status in _OWING:
                owing.append(profile.official_id)
    return tuple(sorted(set(owing)))


_OWING = (Status.DUE, Status.OVERDUE)


async def reach(session: AsyncSession, official_ids: tuple[int, ...]) -> Reach:
    """How many of them have a linked chat that has not blocked the bot, counted with the
    same definition as the broadcast's progress and report (models/notices/reception)."""
    accounts: dict[int, tuple[int, int]] = {}
    ids = list(official_ids)
    counted = select(
        ChatAccount.official_id, func.count(), func.count(ChatAccount.unreachable_at)
    ).group_by(ChatAccount.official_id)
    conn = await session.connection()
    if ids and len(ids) * 4 >= max(ids) - min(ids) + 1:
        # A dense audience (everyone, a level): one range scan of the accounts index instead
        # of id lists, which cost more to send and look up than the counting itself.
        wanted = set(ids)
        rows = await conn.execute(
            counted.where(ChatAccount.official_id.between(min(ids), max(ids)))
        )
        for official_id, linked, blocked in rows.all():
            if official_id in wanted:
                accounts[official_id] = (linked, blocked)
    else:
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            rows = await conn.execute(counted.where(ChatAccount.official_id.in_(chunk)))
            for official_id, linked, blocked in rows.all():
                assert official_id is not None  # the query only asks for linked officials
                accounts[official_id] = (linked, blocked)
    counts = Counter(
        classify(linked=i in accounts, reachable=_reachable(accounts.get(i))) for i in official_ids
    )
    return Reach(
        official_ids=official_ids,
        reachable=counts[Reception.PENDING],
        not_linked=counts[Reception.NOT_LINKED],
        unreachable=counts[Reception.BLOCKED],
    )


def _reachable(accounts: tuple[int, int] | None) -> bool:
    """Some linked account has not blocked the bot."""
    return accounts is not None and accounts[0] > accounts[1]


async def within_scope(
    session: AsyncSession, scope: Scope, official_ids: Iterable[int]
) -> tuple[int, ...]:
    """Those of the officials who are active and inside the scope today (a resend reaches
    no one the admin could not pick as an audience)."""
    ids = sorted(set(official_ids))
    found: list[int] = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        found.extend(await session.scalars(_base(scope).where(Official.id.in_(chunk))))
    return tuple(sorted(found))


async def find_courses(
    session: AsyncSession, today: date, text: str, *, limit: int
) -> list[Course]:
    """Courses a typed text names: its exact code, else the open, not yet started courses
    whose code, title or kind contain every typed word (the /khoahoc search)."""
    exact = await courses_by_code(session, text.strip().upper())
    if exact is not None:
        return [exact]
    terms = query_terms(text)
    if not terms:
        return []
    found = await upcoming(session, today, terms=terms)
    return [c for c in found if c.status == CourseStatus.OPEN][:limit]
