"""The demo province's course catalogue (models/demo/data/demo_courses.yaml), dated relative to
`today`, with seats already taken by generated demo officials so some courses are full.

Deterministic: the same (seed, today, roster) gives the same courses and registrations on
every backend. The README's fixed demo officials are never registered, so whoever tries
the demo starts with a clean /cuatoi. Like every domain function, this never commits.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.courses.catalogue import Course, CourseStatus, Mode, search_text_of
from models.courses.registrations import OTHER, Registration, RegStatus
from models.demo.province import fixed_officials
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.store import current_catalogue

DATA_FILE = Path(__file__).resolve().parent / "data" / "demo_courses.yaml"
SOURCE = "demo"
_WAITLISTED_WHEN_FULL = 3


async def seed_demo_courses(session: AsyncSession, *, seed: int, today: date, tz: ZoneInfo) -> int:
    """Create the demo courses unless they exist; returns how many were created."""
    if await session.scalar(select(Course.id).where(Course.source == SOURCE).limit(1)):
        return 0
    specs: list[dict[str, Any]] = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))["courses"]
    catalogue = await current_catalogue(session)
    unit_codes = {s["unit"] for s in specs if s.get("unit")}
    units = {
        u.code: u
        for u in await session.scalars(select(OrgUnit).where(OrgUnit.code.in_(unit_codes)))
    }
    fixed = {fields["employee_code"] for _unit, fields in fixed_officials(today)}
    people = (
        await session.execute(
            select(Official.id, Official.level, Official.category, Official.rank_tier, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == Official.unit_id)
            .where(Official.active.is_(True), Official.employee_code.not_in(fixed))
            .order_by(Official.id)
        )
    ).all()
    rng = random.Random(seed)
    stamp = datetime.combine(today, time(9, 0), tz)
    created = 0
    for spec in specs:
        course = _course(spec, today, units.get(spec.get("unit") or ""))
        course.search_text = search_text_of(course, catalogue)
        session.add(course)
        await session.flush()
        created += 1
        eligible = [p for p in people if _eligible(course, units.get(spec.get("unit") or ""), p)]
        wanted = (
            course.capacity
            if spec.get("fill") == "full"
            else round(course.capacity * float(spec.get("fill") or 0))
        )
        taken = rng.sample(eligible, min(wanted, len(eligible)))
        extra = _WAITLISTED_WHEN_FULL if len(taken) == course.capacity else 0
        waiting = rng.sample(
            [p for p in eligible if p not in taken], min(extra, len(eligible) - len(taken))
        )
        rows = [_registration(course, p.id, RegStatus.CONFIRMED, stamp, rng) for p in taken]
        rows += [_registration(course, p.id, RegStatus.WAITLISTED, stamp, rng) for p in waiting]
        if rows:
            await session.execute(insert(Registration), rows)
        course.seats_taken = len(taken)
    await session.flush()
    return created


def _course(spec: dict[str, Any], today: date, unit: OrgUnit | None) -> Course:
    starts = today + timedelta(days=int(spec["start"]))
    return Course(
        code=f"K-{starts.year}-{int(spec['n']):02d}",
        title=str(spec["title"]).format(year=starts.year),
        kind=spec["kind"],
        organiser=spec["organiser"],
        mode=Mode(spec.get("mode", Mode.IN_PERSON)),
        place=spec.get("place"),
        starts_on=starts,
        ends_on=starts + timedelta(days=int(spec["days"]) - 1),
        periods=spec.get("periods"),
        capacity=int(spec["capacity"]),
        seats_taken=0,
        registration_opens_on=today - timedelta(days=30),
        registration_closes_on=starts - timedelta(days=int(spec["closes"])),
        eligible_levels=list(spec.get("levels") or []),
        eligible_categories=list(spec.get("categories") or []),
        eligible_ranks=list(spec.get("ranks") or []),
        eligible_unit_id=unit.id if unit is not None else None,
        status=CourseStatus(spec.get("status", CourseStatus.OPEN)),
        source=SOURCE,
    )


def _eligible(course: Course, unit: OrgUnit | None, person: Any) -> bool:
    return (
        (not course.eligible_levels or person.level in course.eligible_levels)
        and (not course.eligible_categories or person.category in course.eligible_categories)
        and (not course.eligible_ranks or person.rank_tier in course.eligible_ranks)
        and (unit is None or person.path.startswith(unit.path))
    )


def _registration(
    course: Course, official_id: int, status: RegStatus, stamp: datetime, rng: random.Random
) -> dict[str, Any]:
    requested = stamp - timedelta(days=rng.randint(1, 25), minutes=rng.randint(0, 600))
    return {
        "course_id": course.id,
        "official_id": official_id,
        "status": status,
        "priority": OTHER,
        "requested_at": requested,
        "confirmed_at": requested if status == RegStatus.CONFIRMED else None,
        "updated_at": requested,
    }
