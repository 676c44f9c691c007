"""The year's plan as HR holds it: the courses starting in the year (with their seats) and
the seat quotas given to units on them, seen from one admin's scope, and the one way a
quota is set from the chat (`allocate`).

Who may set a quota: an admin whose scope reaches the course's organising unit (a course
made outside an import is the province's), and only for units inside their own scope. The
quotas of a course divide its capacity and never add to it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.courses.catalogue import Course, CourseStatus
from models.courses.registrations import lock_course
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit
from models.plan.quotas import CourseQuota, quota_for, set_quota

AUDIT_ACTION = "quota.set"


@dataclass(frozen=True)
class PlannedCourse:
    course: Course
    quotas: Mapping[int, int] = field(default_factory=dict)  # unit id -> seats, in scope

    @property
    def quota_seats(self) -> int:
        return sum(self.quotas.values())


@dataclass(frozen=True)
class YearPlan:
    year: int
    courses: tuple[PlannedCourse, ...]
    quota_units: tuple[OrgUnit, ...]  # the units in scope holding a quota, by path


async def root_id(session: AsyncSession) -> int | None:
    return await session.scalar(select(func.min(OrgUnit.id)).where(OrgUnit.parent_id.is_(None)))


async def owner_of(session: AsyncSession, course: Course) -> OrgUnit | None:
    """The course's organising unit; courses made outside an import are the province's."""
    owner_id = course.owner_unit_id or await root_id(session)
    return await session.get(OrgUnit, owner_id) if owner_id is not None else None


async def may_plan(session: AsyncSession, scope: Scope, course: Course) -> bool:
    """Whether this admin may set quotas on the course."""
    if scope.is_province:
        return True
    owner = await owner_of(session, course)
    return owner is not None and scope.reaches(owner.path)


async def plannable(session: AsyncSession, scope: Scope, courses: Sequence[Course]) -> list[Course]:
    """The courses this admin may set quotas on (`may_plan`), with one query for owners."""
    if scope.is_province:
        return list(courses)
    root = await root_id(session)
    wanted = sorted({i for c in courses if (i := c.owner_unit_id or root) is not None})
    paths: dict[int, str] = {}
    for start in range(0, len(wanted), 900):
        rows = await session.execute(
            select(OrgUnit.id, OrgUnit.path).where(OrgUnit.id.in_(wanted[start : start + 900]))
        )
        paths.update((i, p) for i, p in rows)
    return [
        c
        for c in courses
        if (path := paths.get(c.owner_unit_id or root or -1)) is not None and scope.reaches(path)
    ]


def open_to(scope: Scope, course: Course) -> bool:
    """Whether the scope's officials could attend: open to all, or to a unit that holds or
    lies inside one of the scope's units."""
    unit = course.eligible_unit
    if scope.is_province or unit is None:
        return True
    return any(u.path.startswith(unit.path) or unit.path.startswith(u.path) for u in scope.units)


async def courses_of_year(session: AsyncSession, year: int, scope: Scope) -> list[Course]:
    """The courses starting in `year` that are not cancelled, open to the scope, by date.
    A year holds hundreds of courses at most: the scope is checked here, not in SQL."""
    rows = await session.scalars(
        select(Course)
        .where(
            Course.starts_on >= date(year, 1, 1),
            Course.starts_on <= date(year, 12, 31),
            Course.status != CourseStatus.CANCELLED,
        )
        .order_by(Course.starts_on, Course.code)
    )
    return [c for c in rows.unique() if open_to(scope, c)]


async def year_plan(session: AsyncSession, year: int, scope: Scope) -> YearPlan:
    """The year's courses with the quotas given to units inside the scope (a unit admin
    never sees what another branch was given)."""
    courses = await courses_of_year(session, year, scope)
    quotas: dict[int, dict[int, int]] = defaultdict(dict)
    units: dict[int, OrgUnit] = {}
    ids = [c.id for c in courses]
    for start in range(0, len(ids), 900):
        rows = await session.execute(
            select(CourseQuota.course_id, CourseQuota.seats, OrgUnit)
            .join(OrgUnit, OrgUnit.id == CourseQuota.unit_id)
            .where(CourseQuota.course_id.in_(ids[start : start + 900]))
        )
        for course_id, seats, unit in rows:
            if scope.reaches(unit.path):
                quotas[course_id][unit.id] = seats
                units[unit.id] = unit
    return YearPlan(
        year,
        tuple(PlannedCourse(c, dict(sorted(quotas[c.id].items()))) for c in courses),
        tuple(sorted(units.values(), key=lambda u: u.path)),
    )


async def units_to_allocate(session: AsyncSession, scope: Scope) -> list[OrgUnit]:
    """The units an admin may give a quota to: their own units and the ones right below,
    operating ones only (the plan's rows, so the numbers meet the demand sheet's)."""
    found: list[OrgUnit] = []
    for parent in scope.units:
        found.append(parent)
        children = await session.scalars(
            select(OrgUnit)
            .where(OrgUnit.parent_id == parent.id, OrgUnit.valid_to.is_(None))
            .order_by(OrgUnit.name)
        )
        found += list(children)
    return found


class Allocation(StrEnum):
    SET = "set"
    UNCHANGED = "unchanged"
    UNKNOWN = "unknown"  # no such course or unit (a stale or forged button)
    COURSE_NOT_YOURS = "course_not_yours"  # the course's owner is outside the scope
    UNIT_NOT_YOURS = "unit_not_yours"
    CANCELLED = "cancelled"
    OVER_CAPACITY = "over_capacity"


@dataclass(frozen=True)
class AllocationResult:
    outcome: Allocation
    course: Course | None = None
    unit: OrgUnit | None = None
    seats: int = 0
    before: int | None = None  # the unit's quota before
    available: int = 0  # the most this unit could have been given

    @property
    def changed(self) -> bool:
        return self.outcome is Allocation.SET


async def allocate(
    session: AsyncSession,
    *,
    scope: Scope,
    course_id: int,
    unit_id: int,
    seats: int,
    by: Official,
    actor: str,
    now: datetime,
) -> AllocationResult:
    """Give `unit_id` `seats` seats of the course, if this admin may and the course's
    quotas stay within its capacity; audited. Checks run against the database, never a
    button: the course is locked first, so two admins cannot overfill it together."""
    if seats < 0:
        raise ValueError("seats must not be negative")
    course = await lock_course(session, course_id)
    unit = await session.get(OrgUnit, unit_id)
    if course is None or unit is None:
        return AllocationResult(Allocation.UNKNOWN)
    if not await may_plan(session, scope, course):
        return AllocationResult(Allocation.COURSE_NOT_YOURS, course, unit)
    if not scope.reaches(unit.path):
        return AllocationResult(Allocation.UNIT_NOT_YOURS, course, unit)
    if course.status == CourseStatus.CANCELLED:
        return AllocationResult(Allocation.CANCELLED, course, unit)
    before = await quota_for(session, course.id, unit.id)
    others = await session.scalar(
        select(func.coalesce(func.sum(CourseQuota.seats), 0)).where(
            CourseQuota.course_id == course.id, CourseQuota.unit_id != unit.id
        )
    )
    available = max(course.capacity - int(others or 0), 0)
    if seats > available:
        return AllocationResult(Allocation.OVER_CAPACITY, course, unit, seats, before, available)
    if before == seats:
        return AllocationResult(Allocation.UNCHANGED, course, unit, seats, before, available)
    await set_quota(
        session, course_id=course.id, unit_id=unit.id, seats=seats, by_official_id=by.id
    )
    audit.record(
        session,
        actor=actor,
        actor_official_id=by.id,
        action=AUDIT_ACTION,
        subject=f"{course.code}@{unit.code}"[:200],
        affected=1,
        at=now,
        detail={"course": course.code, "unit": unit.code, "before": before, "seats": seats},
    )
    return AllocationResult(Allocation.SET, course, unit, seats, before, available)


def quota_total(plan: YearPlan, kind: str) -> int:
    return sum(p.quota_seats for p in plan.courses if p.course.kind == kind)


def capacity_total(plan: YearPlan, kind: str) -> int:
    return sum(p.course.capacity for p in plan.courses if p.course.kind == kind)


def kinds_of(plan: YearPlan) -> Sequence[str]:
    return tuple(dict.fromkeys(p.course.kind for p in plan.courses))
