"""What one official owes on one day: the compiled catalogue applied to a profile and the
official's completed training. Pure and synchronous: no database, no clock, no locale.

"Today" comes from the caller, already in the configured time zone, so a yearly rule flips at
local midnight on 1 January, not at 07:00. Records dated after today are ignored, which is what
lets the compliance report evaluate a past year as of its last day.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from enum import StrEnum
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from locales.folding import fold_key
from models.requirements.model import (
    ADVICE,
    OBLIGATION,
    TARGET,
    AttributeItem,
    Catalogue,
    Condition,
    Rule,
    Topic,
    TopicsItem,
    TrainingItem,
)

if TYPE_CHECKING:
    from models.org.officials import Official


class Status(StrEnum):
    OVERDUE = "overdue"  # obligations only
    DUE = "due"  # obligations, and advice not yet followed
    IN_PROGRESS = "in_progress"
    NOT_MET = "not_met"  # a standard or a target: met or not, no day count
    NO_DATA = "no_data"  # the roster lacks what the rule reads: not a failure
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


# /yeucau's order: overdue obligations, due ones, standards not met, missing data, advice,
# met, and last the province's targets (context, whatever their state).
_ORDER = {
    Status.OVERDUE: 0,
    Status.DUE: 1,
    Status.IN_PROGRESS: 2,
    Status.NOT_MET: 3,
    Status.NO_DATA: 4,
    Status.DONE: 6,
    Status.NOT_APPLICABLE: 8,
}
_OPEN_ADVICE = 5
_CONTEXT = 7


class Profile(NamedTuple):
    """The roster fields rules may test, flattened for fast attribute access. Free-text
    fields (ethnicity, languages, zone) are folded so "Kinh", "kinh" and "KINH" agree.

    A NamedTuple rather than a frozen dataclass: building 24,150 of them for a report is
    several times cheaper, and it is just as immutable."""

    official_id: int
    level: str
    category: str
    unit_path: str
    ethnic_minority_area: bool
    zone: str | None
    rank_code: str | None
    rank_tier: str | None
    leadership_tier: str | None
    is_leader: bool
    education_level: str | None
    political_theory_level: str | None
    professional_field_matches_post: bool | None
    ethnicity: str | None
    languages: frozenset[str]
    leadership_appointed_on: date | None
    rank_assigned_on: date | None
    started_service_on: date | None
    birth_date: date | None
    post_title: str | None = None  # folded


@lru_cache(maxsize=4096)
def folded(text: str) -> str:
    # Roster values repeat (a few dozen ethnicities, zones, rank codes): fold each once.
    return fold_key(text)


def make_profile(
    *,
    official_id: int,
    level: str,
    category: str,
    unit_path: str,
    ethnic_minority_area: bool = False,
    zone: str | None = None,
    rank_code: str | None = None,
    rank_tier: str | None = None,
    leadership_tier: str | None = None,
    education_level: str | None = None,
    political_theory_level: str | None = None,
    professional_field_matches_post: bool | None = None,
    ethnicity: str | None = None,
    languages: Iterable[str] | None = None,
    leadership_appointed_on: date | None = None,
    rank_assigned_on: date | None = None,
    started_service_on: date | None = None,
    birth_date: date | None = None,
    post_title: str | None = None,
) -> Profile:
    return Profile(
        official_id=official_id,
        level=level,
        category=category,
        unit_path=unit_path,
        ethnic_minority_area=bool(ethnic_minority_area),
        zone=folded(zone) if zone else None,
        rank_code=folded(rank_code) if rank_code else None,
        rank_tier=rank_tier,
        leadership_tier=leadership_tier,
        is_leader=leadership_tier is not None,
        education_level=education_level,
        political_theory_level=political_theory_level,
        professional_field_matches_post=professional_field_matches_post,
        ethnicity=folded(ethnicity) if ethnicity else None,
        languages=frozenset(k for k in (folded(x) for x in languages or ()) if k),
        leadership_appointed_on=leadership_appointed_on,
        rank_assigned_on=rank_assigned_on,
        started_service_on=started_service_on,
        birth_date=birth_date,
        post_title=folded(post_title) if post_title else None,
    )


def profile_of(official: Official) -> Profile:
    unit = official.unit
    return make_profile(
        official_id=official.id,
        level=official.level,
        category=official.category,
        unit_path=unit.path,
        ethnic_minority_area=unit.ethnic_minority_area,
        zone=unit.zone,
        rank_code=official.rank_code,
        rank_tier=official.rank_tier,
        leadership_tier=official.leadership_tier,
        education_level=official.education_level,
        political_theory_level=official.political_theory_level,
        professional_field_matches_post=official.professional_field_matches_post,
        ethnicity=official.ethnicity,
        languages=official.languages or (),
        leadership_appointed_on=official.leadership_appointed_on,
        rank_assigned_on=official.rank_assigned_on,
        started_service_on=official.started_service_on,
        birth_date=official.birth_date,
        post_title=official.post_title,
    )


class Completion(NamedTuple):
    """A completed training as evaluation sees it (a NamedTuple: reports build 100,000)."""

    kind: str
    completed_on: date
    periods: int | None = None
    certificate_no: str | None = None
    program_code: str | None = None
    title: str | None = None
    record_id: int | None = None


RecordsByKind = Mapping[str, Sequence[Completion]]


def group_by_kind(records: Iterable[Completion]) -> dict[str, list[Completion]]:
    """Records per kind, oldest first (evaluation relies on the order)."""
    grouped: dict[str, list[Completion]] = {}
    for record in records:
        grouped.setdefault(record.kind, []).append(record)
    for items in grouped.values():
        items.sort(key=lambda r: r.completed_on)
    return grouped


class RuleStatus(NamedTuple):
    rule: Rule
    status: Status
    due: date | None = None
    days_left: int | None = None  # negative when overdue
    record: Completion | None = None  # the completion that satisfies it, if one does
    period_start: date | None = None  # start of the window records must fall in

    def sort_key(self) -> tuple[int, bool, date, int]:
        group = _ORDER[self.status]
        if self.rule.item == TARGET and self.status is not Status.NOT_APPLICABLE:
            group = _CONTEXT
        elif self.rule.advisory and self.status in (Status.DUE, Status.OVERDUE):
            group = _OPEN_ADVICE
        return (
            group,
            self.due is None,
            self.due or date.max,
            self.rule.position,
        )


def add_months(day: date, months: int) -> date:
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def applies(rule: Rule, profile: Profile) -> bool:
    # A plain loop, not all(genexpr): this is the hot path and a generator costs ~2x here.
    for condition in rule.conditions:  # noqa: SIM110
        if not condition.test(profile):
            return False
    return True


def _window(
    rule: Rule, profile: Profile | None, today: date
) -> tuple[bool, date | None, date | None]:
    """(has a window at all, start of the window records must fall in, due date)."""
    rec = rule.recurrence
    kind = rec.type
    if kind == "yearly":
        assert rec.month_day is not None
        month, day = rec.month_day
        due = date(today.year, month, min(day, calendar.monthrange(today.year, month)[1]))
        return True, date(today.year, 1, 1), due
    if kind == "by_date":
        return True, None, rec.due_date
    if kind in ("within_months_after_event", "once_before_event"):
        event: date | None = getattr(profile, rec.event or "")
        if event is None:
            return False, None, None
        if kind == "once_before_event":
            return True, None, event
        assert rec.months is not None
        return True, event, add_months(event, rec.months)
    return True, None, None  # state, once


def qualifying_completions(
    item: TrainingItem, records: Sequence[Completion] | None, start: date | None, end: date
) -> Iterator[Completion]:
    """The completions (sorted by day) that count towards the item in the window from
    `start` (None: from the first) to `end`: with a certificate where it asks for one,
    of its program where it names one."""
    for record in records or ():
        day = record.completed_on
        if day > end:
            break
        if start is not None and day < start:
            continue
        if item.certificate_required and not record.certificate_no:
            continue
        if item.program_code is not None and record.program_code != item.program_code:
            continue
        yield record


def _training(
    item: TrainingItem, records: Sequence[Completion] | None, start: date | None, end: date
) -> Completion | None:
    """The latest qualifying completion, if the window's completions meet the minimum."""
    if not records:
        return None
    total = 0
    latest: Completion | None = None
    for record in qualifying_completions(item, records, start, end):
        total += record.periods or 0
        latest = record
    if latest is None or (item.min_periods and total < item.min_periods):
        return None
    return latest


class TopicsProgress(NamedTuple):
    """How far an official is with a topics item in one window."""

    item: TopicsItem
    done: tuple[Topic, ...]  # the topics with a completion in the window, in item order
    missing_compulsory: tuple[Topic, ...]
    latest: Completion | None  # the newest completion that counted

    @property
    def counted(self) -> int:
        """Topics done, shown against `at_least` ("2/3"): never more than it."""
        return min(len(self.done), self.item.at_least)

    @property
    def met(self) -> bool:
        return len(self.done) >= self.item.at_least and not self.missing_compulsory


def topics_progress(
    item: TopicsItem, records: RecordsByKind, start: date | None, end: date
) -> TopicsProgress:
    """Which of the item's topics the completions in [start, end] cover; a topic is
    matched on the completion's programme code, folded ("pl-01" is "PL-01")."""
    by_code = {fold_key(t.code): t for t in item.topics}
    pools = [records.get(item.kind) or ()] if item.kind is not None else records.values()
    seen: set[str] = set()
    latest: Completion | None = None
    for pool in pools:
        for record in pool:
            day = record.completed_on
            if day > end or (start is not None and day < start) or not record.program_code:
                continue
            code = fold_key(record.program_code)
            if code not in by_code:
                continue
            seen.add(code)
            if latest is None or day > latest.completed_on:
                latest = record
    done = tuple(t for t in item.topics if fold_key(t.code) in seen)
    missing = tuple(by_code[fold_key(c)] for c in item.compulsory if fold_key(c) not in seen)
    return TopicsProgress(item, done, missing, latest)


def _attribute(item: AttributeItem, profile: Profile) -> bool | None:
    """Met, not met, or None when the roster lacks the attribute."""
    condition = item.condition
    if condition.reads_unknown(profile):
        return None
    return condition.test(profile)


def _check(
    rule: Rule, profile: Profile, records: RecordsByKind, start: date | None, end: date
) -> tuple[bool | None, Completion | None]:
    """Whether the items are met: True, False, or None when the answer hangs on an
    attribute the roster lacks (three-valued: all_of fails on any known failure, any_of
    succeeds on any success; otherwise an unknown item leaves the answer unknown)."""
    found: Completion | None = None
    unknown = False
    for item in rule.items:
        ok: bool | None
        if isinstance(item, TrainingItem):
            record = _training(item, records.get(item.kind), start, end)
            ok = record is not None
        elif isinstance(item, TopicsItem):
            progress = topics_progress(item, records, start, end)
            ok, record = progress.met, progress.latest if progress.met else None
        else:
            record = None
            ok = _attribute(item, profile)
        if ok is None:
            unknown = True
            continue
        if rule.any_of and ok:
            return True, record
        if not rule.any_of:
            if not ok:
                return False, None
            if record is not None and (found is None or record.completed_on > found.completed_on):
                found = record
    if unknown:
        return None, None
    return (not rule.any_of), found


def evaluate_rule(
    rule: Rule,
    profile: Profile,
    records: RecordsByKind,
    today: date,
    registered_kinds: frozenset[str] = frozenset(),
) -> RuleStatus:
    if not rule.valid_on(today) or not applies(rule, profile):
        return RuleStatus(rule, Status.NOT_APPLICABLE)
    return evaluate_applicable(rule, profile, records, today, registered_kinds)


# Field kinds whose values are nearly unique per official (a unit path, a date, a free-text
# title): applicability is keyed by their conditions' outcomes instead of their values.
_KEYED_BY_OUTCOME = frozenset({"unit", "date", "phrase"})
_MEMO_LIMIT = 50_000
# Of those, the kinds whose values still repeat across a province (unit paths, post
# titles: a few thousand), so each condition's outcome is worth remembering per value.
_REPEATING = frozenset({"unit", "phrase"})
_FIXED_WINDOWS = frozenset({"yearly", "by_date", "state", "once"})


def _remembered(condition: Condition) -> Callable[[Profile], bool]:
    """The condition's test, remembered per value of the one field it reads: testing a
    title against a rule's phrases was a quarter of the time spent keying profiles."""
    get = attrgetter("unit_path" if condition.field == "unit" else condition.field)
    test = condition.test
    seen: dict[Any, bool] = {}

    def remembered(profile: Profile) -> bool:
        value = get(profile)
        found = seen.get(value)
        if found is None:
            if len(seen) >= _MEMO_LIMIT:
                seen.clear()
            found = seen[value] = test(profile)
        return found

    return remembered


class DayRules:
    """The catalogue's rules in force on one day, with "which of them apply to this
    profile" memoised. Every condition's predicate reads one profile attribute, so the
    answer is a function of the attributes the conditions read (and, for the nearly
    unique ones, of those conditions' outcomes): a province's 24,150 officials share a
    few hundred such keys, and testing 18 rules' conditions per official was most of the
    time a report spent evaluating."""

    __slots__ = ("_by_outcome", "_ids", "_key", "_memo", "rules", "today", "windows")

    def __init__(self, rules: Sequence[Rule], today: date) -> None:
        """`rules`: those in force on `today` (the caller decides which)."""
        from models.requirements.fields import FIELDS

        self.today = today
        self.rules = tuple(rules)
        conditions = [c for r in self.rules for c in r.conditions]
        by_value = sorted(
            {c.field for c in conditions if FIELDS.get(c.field, "unit") not in _KEYED_BY_OUTCOME}
        )
        self._by_outcome = tuple(
            _remembered(c) if FIELDS.get(c.field, "unit") in _REPEATING else c.test
            for c in conditions
            if FIELDS.get(c.field, "unit") in _KEYED_BY_OUTCOME
        )
        self._key: Any = attrgetter(*by_value) if by_value else (lambda _p: None)
        self._memo: dict[Any, tuple[Rule, ...]] = {}
        self._ids: dict[Any, frozenset[str]] = {}
        # A window that reads no event date is the same for everyone: compute it once.
        self.windows: dict[str, tuple[bool, date | None, date | None]] = {
            r.id: _window(r, None, today) for r in self.rules if r.recurrence.type in _FIXED_WINDOWS
        }

    def _key_of(self, profile: Profile) -> Any:
        key = self._key(profile)
        if self._by_outcome:
            key = (key, *[test(profile) for test in self._by_outcome])
        return key

    def applicable(self, profile: Profile) -> tuple[Rule, ...]:
        """The rules whose conditions the profile meets, in the given order."""
        key = self._key_of(profile)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= _MEMO_LIMIT:
                self._memo.clear()
                self._ids.clear()
            found = tuple(r for r in self.rules if applies(r, profile))
            self._memo[key] = found
            self._ids[key] = frozenset(r.id for r in found)
        return found

    def earliest_counted(self) -> dict[str, date | None] | None:
        """Training kind -> the earliest completion day these rules can count on `today`
        (None: any day), for every kind they read; None when some rule reads every kind (a
        topics item naming none). A loader may leave out every other completion: a rule
        counts only completions inside its window, and a fixed window (`windows`) starts
        on the same day for everyone, while an event's window starts on each official's
        own date, so a kind read by such a rule is wanted from any day."""
        earliest: dict[str, date | None] = {}
        for rule in self.rules:
            fixed = self.windows.get(rule.id)
            start = fixed[1] if fixed is not None else None
            for item in rule.items:
                if isinstance(item, AttributeItem):
                    continue
                if item.kind is None:
                    return None
                if item.kind not in earliest:
                    earliest[item.kind] = start
                elif (known := earliest[item.kind]) is not None:
                    earliest[item.kind] = None if start is None else min(known, start)
        return earliest

    def applicable_ids(self, profile: Profile) -> frozenset[str]:
        """The ids of `applicable(profile)`."""
        key = self._key_of(profile)
        found = self._ids.get(key)
        if found is None:
            self.applicable(profile)
            found = self._ids[key]
        return found


def day_rules(catalogue: Catalogue, today: date) -> DayRules:
    """The catalogue's DayRules for `today`, kept on the catalogue (one per day asked)."""
    cache = catalogue.day_rules
    found = cache.get(today)
    if found is None:
        if len(cache) > 16:
            cache.clear()
        found = cache[today] = DayRules(catalogue.active_on(today), today)
    return found


def evaluate_applicable(
    rule: Rule,
    profile: Profile,
    records: RecordsByKind,
    today: date,
    registered_kinds: frozenset[str] = frozenset(),
    window: tuple[bool, date | None, date | None] | None = None,
) -> RuleStatus:
    """`evaluate_rule` for a rule already known to be in force and to apply; `window`:
    its `_window` when already known (DayRules.windows)."""
    has_window, start, due = window or _window(rule, profile, today)
    if not has_window:
        return RuleStatus(rule, Status.NOT_APPLICABLE)
    if rule.item not in (OBLIGATION, ADVICE):
        due = None  # a standard's or a target's date is never a personal deadline
    met, record = _check(rule, profile, records, start, today)
    if met:
        return RuleStatus(rule, Status.DONE, due, None, record, start)
    if met is None:
        return RuleStatus(rule, Status.NO_DATA, None, None, None, start)
    registered = bool(registered_kinds) and not rule.training_kinds.isdisjoint(registered_kinds)
    if rule.item not in (OBLIGATION, ADVICE):
        return RuleStatus(rule, Status.IN_PROGRESS if registered else Status.NOT_MET)
    days_left = (due - today).days if due is not None else None
    if registered:
        status = Status.IN_PROGRESS
    elif days_left is not None and days_left < 0:
        status = Status.OVERDUE
    else:
        status = Status.DUE
    return RuleStatus(rule, status, due, days_left, None, start)


def evaluate_applying(
    rules: DayRules,
    profile: Profile,
    records: RecordsByKind,
    registered_kinds: frozenset[str] = frozenset(),
) -> list[RuleStatus]:
    """The statuses of the rules that apply, in catalogue order, unsorted (for tallies)."""
    today, windows = rules.today, rules.windows
    results = []
    for rule in rules.applicable(profile):
        status = evaluate_applicable(
            rule, profile, records, today, registered_kinds, windows.get(rule.id)
        )
        if status.status is not Status.NOT_APPLICABLE:
            results.append(status)
    return results


def evaluate(
    catalogue: Catalogue,
    profile: Profile,
    records: RecordsByKind,
    today: date,
    *,
    registered_kinds: frozenset[str] = frozenset(),
    include_not_applicable: bool = False,
) -> list[RuleStatus]:
    """Every rule's status for the official, most urgent first.

    `registered_kinds`: training kinds of courses the official is registered in; an unmet
    rule they would satisfy is "in progress". Courses do not exist yet, so callers pass
    nothing until they do.
    """
    if include_not_applicable:
        results = [
            evaluate_rule(rule, profile, records, today, registered_kinds)
            for rule in catalogue.rules
        ]
    else:
        results = evaluate_applying(day_rules(catalogue, today), profile, records, registered_kinds)
    results.sort(key=RuleStatus.sort_key)
    return results


def matched_facts(rule: Rule, profile: Profile) -> list[tuple[Condition, Any]]:
    """Each condition that made the rule apply, with the official's own value for it."""
    attr = {"unit": "unit_path"}
    return [(c, getattr(profile, attr.get(c.field, c.field))) for c in rule.conditions]


def item_status(
    rule: Rule, profile: Profile, records: RecordsByKind, start: date | None, today: date
) -> list[tuple[TrainingItem | AttributeItem | TopicsItem, bool | None]]:
    """Which of the rule's items are met (None: the roster lacks the datum): "Vì sao?"
    lists what is still missing and what data is."""
    met: list[tuple[TrainingItem | AttributeItem | TopicsItem, bool | None]] = []
    for item in rule.items:
        ok: bool | None
        if isinstance(item, TrainingItem):
            ok = _training(item, records.get(item.kind), start, today) is not None
        elif isinstance(item, TopicsItem):
            ok = topics_progress(item, records, start, today).met
        else:
            ok = _attribute(item, profile)
        met.append((item, ok))
    return met
