"""Demand for a plan year: per unit and training kind, the officials who will owe training
in that year (overdue now, or due on or before 31 December, not yet done) and the periods
they still owe where the rule names a minimum.

One population load (compliance's two batched queries) and the same pure evaluation
/yeucau uses, so the plan and what an official sees cannot disagree. Only obligations are
demand: advice, standards and the province's targets are not a debt with a date.

The rows are the units right below each of the admin's units (a province admin sees each
top unit; a unit admin their sub-units), plus the admin's unit itself for officials who
work in it directly. Levels are data: a row is a child in the tree, whatever its level.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.org.admins import Scope
from models.org.units import OrgUnit
from models.requirements.compliance import load_population
from models.requirements.evaluation import (
    Completion,
    DayRules,
    Profile,
    RuleStatus,
    Status,
    evaluate_applying,
    item_status,
    qualifying_completions,
)
from models.requirements.model import OBLIGATION, Catalogue, TrainingItem
from models.requirements.profiles import rule_reads
from models.requirements.store import current_catalogue

_OWING = (Status.OVERDUE, Status.DUE)


@dataclass(frozen=True)
class DemandCell:
    """One unit × kind: who owes, the periods they still owe (None: no rule of this kind
    names a minimum), and officials whose roster lacks what a rule of this kind reads."""

    officials: int = 0
    periods: int | None = None
    unknown: int = 0


@dataclass(frozen=True)
class DemandRow:
    unit: OrgUnit
    own_only: bool  # the admin's own unit: only the officials working in it directly
    officials: int  # active officials counted in the row
    by_kind: Mapping[str, DemandCell] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        """False for a unit with nobody on the roster: its demand reads "no data yet"."""
        return self.officials > 0


@dataclass(frozen=True)
class Demand:
    year: int
    as_of: date  # the day the rules were evaluated on
    rows: tuple[DemandRow, ...]
    kinds: tuple[str, ...]  # the kinds anyone owes or lacks data for, in catalogue order

    def total(self, kind: str) -> DemandCell:
        cells = [r.by_kind[kind] for r in self.rows if kind in r.by_kind]
        periods = [c.periods for c in cells if c.periods is not None]
        return DemandCell(
            sum(c.officials for c in cells),
            sum(periods) if periods else None,
            sum(c.unknown for c in cells),
        )


def plan_day(year: int, today: date) -> date:
    """The day a plan year is judged on: today for this year, 1 January for a year to
    come (nothing done in it yet), 31 December for a past one."""
    if year > today.year:
        return date(year, 1, 1)
    return min(today, date(year, 12, 31))


async def plan_rows(session: AsyncSession, scope: Scope) -> list[tuple[OrgUnit, bool]]:
    """(unit, own_only) for each row of the scope: each scope unit's children by name,
    then the scope unit itself for its own officials."""
    rows: list[tuple[OrgUnit, bool]] = []
    for parent in scope.units:
        children = await session.scalars(
            select(OrgUnit).where(OrgUnit.parent_id == parent.id).order_by(OrgUnit.name)
        )
        rows += [(child, False) for child in children]
        rows.append((parent, True))
    return rows


def _periods_done(
    item: TrainingItem, records: Sequence[Completion] | None, start: date | None, end: date
) -> int:
    """The periods already done towards the item in its window (evaluation's filters)."""
    return sum(record.periods or 0 for record in qualifying_completions(item, records, start, end))


def owed(
    status: RuleStatus, profile: Profile, records: Mapping[str, Sequence[Completion]], as_of: date
) -> dict[str, int | None]:
    """Kind → periods still owed (None: no minimum) for one owing status. Every unmet item
    of an all-of rule is owed; an any-of rule is owed once, as the item the official is
    closest to finishing (the first listed when none is begun), so nobody counts twice."""
    rule = status.rule
    start = status.period_start
    found: list[tuple[float, str, int | None]] = []
    for item, met in item_status(rule, profile, records, start, as_of):
        if not isinstance(item, TrainingItem) or met:
            continue
        periods, share = None, 1.0
        if item.min_periods:
            done = _periods_done(item, records.get(item.kind), start, as_of)
            periods = max(item.min_periods - done, 0)
            share = periods / item.min_periods
        found.append((share, item.kind, periods))
    if rule.any_of and found:
        closest = min(found, key=lambda f: f[0])  # min() keeps the first of equals
        return {closest[1]: closest[2]}
    return {kind: periods for _share, kind, periods in found}


def _due_in_year(status: RuleStatus, year_end: date) -> bool:
    return status.status is Status.OVERDUE or status.due is None or status.due <= year_end


async def demand(
    session: AsyncSession,
    *,
    year: int,
    today: date,
    scope: Scope,
    catalogue: Catalogue | None = None,
) -> Demand:
    """Who will owe what in `year`, per row of the admin's scope and training kind."""
    as_of = plan_day(year, today)
    year_end = date(year, 12, 31)
    catalogue = catalogue or await current_catalogue(session)
    # Only obligations are demand: evaluating them alone, reading only the fields and the
    # training kinds they need, is cheaper than the compliance report on the same roster.
    obligations = [r for r in catalogue.active_on(as_of) if r.item == OBLIGATION and not r.advisory]
    rules = DayRules(obligations, as_of)
    kinds_read = frozenset().union(*(r.training_kinds for r in obligations))
    reads = rule_reads(obligations)
    rows = await plan_rows(session, scope)
    row_of = _RowFinder(rows)
    officials: dict[int, int] = defaultdict(int)
    owing: dict[tuple[int, str], int] = defaultdict(int)
    periods: dict[tuple[int, str], int] = {}
    unknown: dict[tuple[int, str], int] = defaultdict(int)
    for parent in scope.units:
        population = await load_population(
            session, as_of=as_of, unit=parent, kinds=kinds_read, reads=reads
        )
        for profile, records in population:
            row = row_of(profile.unit_path)
            if row is None:
                continue
            officials[row] += 1
            kinds_owed: dict[str, int | None] = {}
            kinds_unknown: set[str] = set()
            for status in evaluate_applying(rules, profile, records):
                if status.status is Status.NO_DATA:
                    kinds_unknown |= status.rule.training_kinds
                elif status.status in _OWING and _due_in_year(status, year_end):
                    for kind, still in owed(status, profile, records, as_of).items():
                        before = kinds_owed.get(kind)
                        if kind not in kinds_owed or (
                            still is not None and (before is None or still > before)
                        ):
                            kinds_owed[kind] = still
            for kind, still in kinds_owed.items():
                owing[row, kind] += 1
                if still is not None:
                    periods[row, kind] = periods.get((row, kind), 0) + still
            for kind in kinds_unknown - kinds_owed.keys():
                unknown[row, kind] += 1
    seen = {kind for _row, kind in (*owing, *unknown)}
    kinds = tuple(k for k in catalogue.kinds if k in seen) + tuple(
        sorted(seen - catalogue.kinds.keys())
    )
    result = []
    for i, (unit, own) in enumerate(rows):
        if own and not officials.get(i) and any(not o for _u, o in rows):
            continue  # the admin's unit has no one of its own: its children say it all
        cells = {
            kind: DemandCell(
                owing.get((i, kind), 0), periods.get((i, kind)), unknown.get((i, kind), 0)
            )
            for kind in kinds
            if (i, kind) in owing or (i, kind) in unknown
        }
        result.append(DemandRow(unit, own, officials.get(i, 0), cells))
    return Demand(year, as_of, tuple(result), kinds)


class _RowFinder:
    """Which row an official's unit path falls in: the scope unit's own row, or the child
    named by the path's next segment ("/1/7/42/" under "/1/" is child 7), memoised per
    path (a province has a few thousand units and tens of thousands of officials)."""

    def __init__(self, rows: Sequence[tuple[OrgUnit, bool]]) -> None:
        self._own = [(unit.path, i) for i, (unit, own) in enumerate(rows) if own]
        self._child = {unit.id: i for i, (unit, own) in enumerate(rows) if not own}
        self._memo: dict[str, int | None] = {}

    def __call__(self, path: str) -> int | None:
        if path in self._memo:
            return self._memo[path]
        found: int | None = None
        for prefix, own_row in self._own:
            if path.startswith(prefix):
                rest = path[len(prefix) :]
                segment = rest.split("/", 1)[0]
                found = own_row if not rest else self._child.get(int(segment))
                break
        self._memo[path] = found
        return found
