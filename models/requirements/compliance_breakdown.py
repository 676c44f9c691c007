"""Compliance of a scope broken down by unit and by level, from one population load.

The admin report needs "per unit and level" for a whole province; calling `compliance`
once per unit would reload the population each time, so this loads it once and tallies
each group with the same pure evaluation.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.org.units import OrgUnit
from models.requirements.compliance import (
    ComplianceReport,
    build_report,
    evaluation_day,
    load_for,
)
from models.requirements.evaluation import Status, day_rules, evaluate_applying
from models.requirements.model import Catalogue
from models.requirements.store import current_catalogue


@dataclass(frozen=True)
class Breakdown:
    scope: ComplianceReport
    by_unit: tuple[tuple[OrgUnit, ComplianceReport], ...]  # the scope's direct sub-units
    by_level: tuple[tuple[str, ComplianceReport], ...]


async def child_units(session: AsyncSession, unit: OrgUnit) -> list[OrgUnit]:
    rows = await session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == unit.id).order_by(OrgUnit.name)
    )
    return list(rows)


async def breakdown(
    session: AsyncSession,
    *,
    scope: OrgUnit,
    year: int,
    today: date,
    catalogue: Catalogue | None = None,
) -> Breakdown:
    as_of = evaluation_day(year, today)
    catalogue = catalogue or await current_catalogue(session)
    rules = day_rules(catalogue, as_of)
    population = await load_for(session, rules, unit=scope)
    children = await child_units(session, scope)

    # One evaluation per official, counted into its scope, unit and level groups.
    empty = dict.fromkeys(catalogue.rules_by_id, 0)
    officials: dict[object, int] = defaultdict(int)
    applicable: dict[object, dict[str, int]] = defaultdict(lambda: dict(empty))
    met: dict[object, dict[str, int]] = defaultdict(lambda: dict(empty))
    unknown: dict[object, dict[str, int]] = defaultdict(lambda: dict(empty))
    done, no_data = Status.DONE, Status.NO_DATA
    for profile, records in population:
        child = next((c for c in children if profile.unit_path.startswith(c.path)), None)
        keys: tuple[object, ...] = ("scope", ("level", profile.level)) + (
            (("unit", child.id),) if child is not None else ()
        )
        statuses = evaluate_applying(rules, profile, records)
        for key in keys:
            officials[key] += 1
            applied, satisfied, lacking = applicable[key], met[key], unknown[key]
            for status in statuses:
                applied[status.rule.id] += 1
                if status.status is done:
                    satisfied[status.rule.id] += 1
                elif status.status is no_data:
                    lacking[status.rule.id] += 1

    def report(key: object, unit_id: int | None) -> ComplianceReport:
        counts = {rid: (applicable[key][rid], met[key][rid], unknown[key][rid]) for rid in empty}
        return build_report(catalogue, year, as_of, unit_id, officials[key], counts)

    return Breakdown(
        scope=report("scope", scope.id),
        by_unit=tuple(
            (child, report(("unit", child.id), child.id))
            for child in children
            if officials.get(("unit", child.id))
        ),
        by_level=tuple(
            (level, report(("level", level), None))
            for level in sorted(k[1] for k in officials if isinstance(k, tuple) and k[0] == "level")
        ),
    )
