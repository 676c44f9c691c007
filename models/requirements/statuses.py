"""What an official owes: the catalogue in force, their completed training and the courses
they hold a seat in, evaluated for a day. One use case for /yeucau, /khoahoc and the
waitlist priority, so the three cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from models.courses import registrations as course_registrations
from models.courses.catalogue import Course
from models.org.officials import Official
from models.requirements.evaluation import (
    Completion,
    Profile,
    RuleStatus,
    evaluate,
    group_by_kind,
    profile_of,
)
from models.requirements.model import Catalogue
from models.requirements.store import current_catalogue
from models.requirements.training_records import Record, records_of


@dataclass(frozen=True)
class OfficialStatuses:
    catalogue: Catalogue
    profile: Profile
    records: list[Record]  # newest first
    completions: dict[str, list[Completion]]  # per training kind, oldest first
    registered: dict[str, Course]  # kind -> the soonest course with a confirmed seat
    statuses: list[RuleStatus]  # the applicable rules, most urgent first


async def official_statuses(
    session: AsyncSession,
    official: Official,
    today: date,
    catalogue: Catalogue | None = None,
    *,
    count_seats: bool = True,
) -> OfficialStatuses:
    """`catalogue`: the one in force when not given (read afresh). `count_seats`: a
    confirmed seat in a matching course makes an unmet rule "in progress"; the waitlist
    ranks by what is owed regardless, so it passes False."""
    if catalogue is None:
        catalogue = await current_catalogue(session)
    records = await records_of(session, official.id)
    completions = group_by_kind(r.completion() for r in records)
    registered = (
        await course_registrations.registered_courses_by_kind(session, official.id, today)
        if count_seats
        else {}
    )
    profile = profile_of(official)
    statuses = evaluate(
        catalogue, profile, completions, today, registered_kinds=frozenset(registered)
    )
    return OfficialStatuses(catalogue, profile, records, completions, registered, statuses)
