"""Compliance: for a unit subtree and a year, the share of officials meeting each rule and
each province target of the catalogue. The admin report builds on this.

Two queries load the whole population (officials with their units, then every completion
up to the evaluation day); evaluation is then the same pure code /yeucau uses, so the report
and what an official sees can never disagree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.bulk import collector_paused
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.evaluation import (
    Completion,
    DayRules,
    Profile,
    Status,
    day_rules,
    evaluate_applying,
)
from models.requirements.model import Catalogue, Rule, Target
from models.requirements.profiles import profile_columns, profile_from_row, rule_reads
from models.requirements.store import current_catalogue
from models.requirements.training_records import COMPLETION_COLUMNS, TrainingRecord

Population = list[tuple[Profile, dict[str, list[Completion]]]]
_NO_RECORDS: dict[str, list[Completion]] = {}
_NO_LANGUAGES: frozenset[str] = frozenset()
_completed_on = itemgetter(1)  # Completion.completed_on
# Completion(...) is a Python-level __new__ around this: a frame per completion read.
_new_tuple = tuple.__new__


@dataclass(frozen=True)
class RuleCompliance:
    rule: Rule
    applicable: int  # officials the rule applied to on the evaluation day
    met: int
    unknown: int = 0  # of those, officials whose roster lacks what the rule reads

    @property
    def known(self) -> int:
        return self.applicable - self.unknown

    @property
    def share(self) -> float | None:
        # Missing data is not failure: the share is of those whose data is known.
        return self.met / self.known if self.known else None


@dataclass(frozen=True)
class TargetCompliance:
    target: Target
    applicable: int
    met: int
    unknown: int = 0

    @property
    def known(self) -> int:
        return self.applicable - self.unknown

    @property
    def share(self) -> float | None:
        return self.met / self.known if self.known else None

    @property
    def achieved(self) -> bool | None:
        """None when there is nothing to judge: nobody in the subtree is concerned (or
        nobody's data is known), or the province has not set the target's value."""
        share, threshold = self.share, self.target.threshold
        return None if share is None or threshold is None else share >= threshold


@dataclass(frozen=True)
class ComplianceReport:
    year: int
    as_of: date
    unit_id: int | None
    officials: int
    rules: tuple[RuleCompliance, ...]
    targets: tuple[TargetCompliance, ...]  # those of the plan period the year falls in

    @property
    def periods(self) -> tuple[tuple[date | None, date | None], ...]:
        """The plan periods the targets measure, in order (usually one, e.g. 2021–2025)."""
        return tuple(dict.fromkeys(t.target.period for t in self.targets))


def evaluation_day(year: int, today: date) -> date:
    """A past year is judged on its last day; the current year on today."""
    if year > today.year:
        raise ValueError(f"year {year} has not started yet")
    return min(today, date(year, 12, 31))


async def load_population(
    session: AsyncSession,
    *,
    as_of: date,
    unit: OrgUnit | None = None,
    unit_ids: Collection[int] | None = None,
    kinds: Collection[str] | None = None,
    since: Mapping[str, date] | None = None,
    reads: Collection[str] | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> Population:
    """Active officials in the subtree with their completions up to `as_of`, grouped by kind
    (oldest first), in two queries. `unit_ids` narrows it to officials whose own unit is one
    of those (not their subtrees); the caller keeps the list short enough for one IN. `kinds`
    leaves out completions of other training kinds, `since` those of the kinds it names
    dated before its day (see `DayRules.earliest_counted`), and `reads` the profile fields
    no rule being judged reads (profiles.rule_reads), for callers judging a few rules;
    `where` adds conditions on the official (sql_conditions.implied_terms)."""
    with collector_paused():
        return await _load_population(
            session,
            as_of=as_of,
            unit=unit,
            unit_ids=unit_ids,
            kinds=kinds,
            since=since,
            reads=reads,
            where=where,
        )


async def _load_population(
    session: AsyncSession,
    *,
    as_of: date,
    unit: OrgUnit | None = None,
    unit_ids: Collection[int] | None = None,
    kinds: Collection[str] | None = None,
    since: Mapping[str, date] | None = None,
    reads: Collection[str] | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> Population:
    in_scope: list[ColumnElement[bool]] = [Official.active.is_(True), *where]
    if unit is not None:
        in_scope.append(OrgUnit.path.startswith(unit.path, autoescape=True))
    if unit_ids is not None:
        in_scope.append(Official.unit_id.in_(sorted(unit_ids)))
    record_filters: list[ColumnElement[bool]] = []
    if kinds is not None:
        record_filters.append(TrainingRecord.kind.in_(sorted(kinds)))
    if since:
        record_filters.append(_counted_since(since))
    # Core on the session's connection: the ORM's row processing cost more than the SQL.
    conn = await session.connection()
    # In table order, not by date: walking the completed_on index for the whole roster
    # visited the table at random and took five times longer; each official's few
    # completions are sorted below instead.
    query = select(*COMPLETION_COLUMNS).join(Official, Official.id == TrainingRecord.official_id)
    if unit is not None:  # a lookup per completion otherwise spent for nothing
        query = query.join(OrgUnit, OrgUnit.id == Official.unit_id)
    records = await conn.execute(
        query.where(TrainingRecord.completed_on <= as_of, *in_scope, *record_filters).order_by(
            TrainingRecord.id
        )
    )
    grouped: dict[int, dict[str, list[Completion]]] = {}
    unsorted: list[list[Completion]] = []
    for official_id, kind, completed_on, periods, certificate_no, program_code in records.all():
        by_kind = grouped.get(official_id)
        if by_kind is None:
            by_kind = grouped[official_id] = {}
        record = _new_tuple(
            Completion, (kind, completed_on, periods, certificate_no, program_code, None, None)
        )
        same_kind = by_kind.get(kind)
        if same_kind is None:
            by_kind[kind] = [record]
        else:
            if len(same_kind) == 1:
                unsorted.append(same_kind)
            same_kind.append(record)
    for same_kind in unsorted:
        same_kind.sort(key=_completed_on)  # stable: equal dates stay in table order
    officials = await conn.execute(
        select(*profile_columns(reads))
        .join(OrgUnit, OrgUnit.id == Official.unit_id)
        .where(*in_scope)
        .order_by(Official.id)
    )
    population: Population = []
    for row in officials.all():
        person = profile_from_row(row)
        official_id = person.official_id
        population.append((person, grouped.get(official_id, _NO_RECORDS)))
    return population


def _counted_since(since: Mapping[str, date]) -> ColumnElement[bool]:
    by_day: dict[date, list[str]] = {}
    for kind, day in since.items():
        by_day.setdefault(day, []).append(kind)
    return or_(
        TrainingRecord.kind.not_in(sorted(since)),
        *(
            and_(TrainingRecord.kind.in_(sorted(kinds)), TrainingRecord.completed_on >= day)
            for day, kinds in sorted(by_day.items())
        ),
    )


async def load_for(
    session: AsyncSession,
    rules: DayRules,
    *,
    unit: OrgUnit | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> Population:
    """`load_population` for judging `rules` on their day: only the completions and the
    profile fields they can read, so a report does not fetch and group a decade of
    completions that no rule in force counts (59 % of the demo province's)."""
    earliest = rules.earliest_counted()
    since = None
    if earliest is not None:
        since = {kind: day for kind, day in earliest.items() if day is not None}
    return await load_population(
        session,
        as_of=rules.today,
        unit=unit,
        kinds=earliest,
        since=since,
        reads=rule_reads(rules.rules),
        where=where,
    )


Counts = dict[str, tuple[int, int, int]]  # rule id -> (applicable, met, unknown)


def tally(
    catalogue: Catalogue,
    population: Iterable[tuple[Profile, dict[str, list[Completion]]]],
    as_of: date,
) -> tuple[int, Counts]:
    """(officials, rule id -> (applicable, met, unknown)). Pure: the benchmark times this
    alone."""
    applicable: dict[str, int] = dict.fromkeys(catalogue.rules_by_id, 0)
    met: dict[str, int] = dict.fromkeys(catalogue.rules_by_id, 0)
    unknown: dict[str, int] = dict.fromkeys(catalogue.rules_by_id, 0)
    count = 0
    done, no_data = Status.DONE, Status.NO_DATA
    rules = day_rules(catalogue, as_of)
    with collector_paused():
        for profile, records in population:
            count += 1
            # Counting needs no order: skip evaluate's sort.
            for status in evaluate_applying(rules, profile, records):
                rule_id = status.rule.id
                applicable[rule_id] += 1
                if status.status is done:
                    met[rule_id] += 1
                elif status.status is no_data:
                    unknown[rule_id] += 1
    return count, {rid: (applicable[rid], met[rid], unknown[rid]) for rid in applicable}


def build_report(
    catalogue: Catalogue,
    year: int,
    as_of: date,
    unit_id: int | None,
    officials: int,
    counts: Counts,
) -> ComplianceReport:
    rules = tuple(RuleCompliance(r, *counts[r.id]) for r in catalogue.rules)
    targets = tuple(
        TargetCompliance(t, *counts.get(t.rule_id, (0, 0, 0))) for t in catalogue.targets_for(year)
    )
    return ComplianceReport(year, as_of, unit_id, officials, rules, targets)


async def compliance(
    session: AsyncSession,
    *,
    year: int,
    today: date,
    unit: OrgUnit | None = None,
    catalogue: Catalogue | None = None,
) -> ComplianceReport:
    """Each rule's and each target's share for the subtree of `unit` (the whole roster when
    None) in `year`. `today` is the local date; a past year is judged as of 31 December."""
    as_of = evaluation_day(year, today)
    catalogue = catalogue or await current_catalogue(session)
    population = await load_for(session, day_rules(catalogue, as_of), unit=unit)
    officials, counts = tally(catalogue, population, as_of)
    return build_report(catalogue, year, as_of, unit.id if unit else None, officials, counts)


def unmet_targets(report: ComplianceReport) -> Sequence[TargetCompliance]:
    return [t for t in report.targets if t.achieved is False]
