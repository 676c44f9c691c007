"""The compiled catalogue: frozen rules, targets, legal bases and training kinds.

What the parser (models/requirements/parser.py) makes of the YAML document, and all that
evaluation (models/requirements/evaluation.py) reads: conditions carry ready-made
predicates, so evaluating an official is a loop over tuples with no database access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from locales import current_locale

if TYPE_CHECKING:
    from models.requirements.evaluation import Profile

# How far a basis was checked: "primary" only where the legal text itself was read;
# news, summaries, translations and mirrors are "secondary"; the rest "unverified".
VERIFICATIONS = ("primary", "secondary", "unverified")
# What a basis is: a legal act, or the province's own target (a plan's figure, not a duty).
BASIS_KINDS = ("law", "province_target")
# The old single `verified:` key, still read so catalogues stored before it changed compile.
# Its "verified" meant "a source was read", often a news page: at most secondary.
LEGACY_VERIFIED = {
    "verified": ("secondary", "law"),
    "weak": ("secondary", "law"),
    "seed": ("secondary", "province_target"),
    "unverified": ("unverified", "law"),
}
RECURRENCES = (
    "state",
    "once",
    "yearly",
    "within_months_after_event",
    "once_before_event",
    "by_date",
)
EVENT_FIELDS = ("leadership_appointed_on", "rank_assigned_on", "started_service_on")
# What an item is to the official who reads it, which decides how it may be worded: an
# obligation has a due date and can be overdue; a standard of the post or rank is met or
# not (never a day count); a target is the province's share of a population (HR's measure,
# context for the official); advice is a recommendation.
OBLIGATION, STANDARD, TARGET, ADVICE = "obligation", "standard", "target", "advice"
ITEM_KINDS = (OBLIGATION, STANDARD, TARGET, ADVICE)


@dataclass(frozen=True, slots=True)
class Text:
    vi: str
    en: str | None = None

    def localized(self) -> str:
        return self.en if current_locale() == "en" and self.en else self.vi


@dataclass(frozen=True, slots=True)
class Basis:
    id: str
    title: Text
    verification: str
    source: str | None = None
    kind: str = "law"
    in_force_from: date | None = None  # None: the date itself is not verified
    in_force_until: date | None = None  # last day in force; None: still in force
    replaced_by: str | None = None  # id of the basis that replaced it

    def in_force_on(self, day: date) -> bool:
        return not (
            (self.in_force_from is not None and day < self.in_force_from)
            or (self.in_force_until is not None and day > self.in_force_until)
        )

    @property
    def is_law(self) -> bool:
        return self.kind == "law"


@dataclass(frozen=True, slots=True)
class BasisRef:
    basis: Basis
    note: Text | None = None


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    value: Any
    explain: Text | None = None


@dataclass(frozen=True, slots=True)
class Province:
    """Whose catalogue this is: shown wherever a text names the province."""

    name: str
    code: str | None = None


@dataclass(frozen=True, slots=True)
class TrainingKind:
    code: str
    title: Text
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    op: str
    value: Any  # resolved (parameters substituted), as written otherwise
    test: Callable[[Profile], bool]

    def reads_unknown(self, profile: Profile) -> bool:
        """The roster lacks the attribute this condition reads (None: not filled in), so
        its answer says nothing about the official. A null test reads presence itself."""
        if self.op in ("is_null", "not_null"):
            return False
        return getattr(profile, "unit_path" if self.field == "unit" else self.field) is None


@dataclass(frozen=True, slots=True)
class TrainingItem:
    kind: str
    min_periods: int | None = None
    certificate_required: bool = False
    program_code: str | None = None


@dataclass(frozen=True, slots=True)
class AttributeItem:
    condition: Condition


@dataclass(frozen=True, slots=True)
class Topic:
    """One topic (chuyên đề) of a topics item: `code` as written (records match it folded,
    on their programme code); `title` what the official reads, the code when absent."""

    code: str
    title: Text | None = None

    def label(self) -> str:
        return self.title.localized() if self.title is not None else self.code


@dataclass(frozen=True, slots=True)
class TopicsItem:
    """ "At least `at_least` of `topics`, including every one of `compulsory`": met by
    completions whose programme code is one of the topics (of `kind` only, when given)."""

    at_least: int
    topics: tuple[Topic, ...]
    compulsory: tuple[str, ...]  # topic codes, as in `topics`
    kind: str | None = None


Item = TrainingItem | AttributeItem | TopicsItem


@dataclass(frozen=True, slots=True)
class Recurrence:
    type: str
    month_day: tuple[int, int] | None = None  # yearly
    due_date: date | None = None  # by_date
    event: str | None = None  # *_event
    months: int | None = None  # within_months_after_event
    # once: False when no one knows whether it must be repeated, so the bot never says
    # "không cần học lại" on a guess.
    repeat_known: bool = True


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    position: int
    title: Text
    description: Text | None
    advisory: bool
    conditions: tuple[Condition, ...]
    any_of: bool  # True: one item suffices; False: every item is needed
    items: tuple[Item, ...]
    recurrence: Recurrence
    valid_from: date | None
    valid_to: date | None
    basis: tuple[BasisRef, ...]
    parameters: tuple[Parameter, ...]  # province choices this rule depends on
    training_kinds: frozenset[str]
    item: str = OBLIGATION  # one of ITEM_KINDS

    def valid_on(self, day: date) -> bool:
        return not (
            (self.valid_from is not None and day < self.valid_from)
            or (self.valid_to is not None and day > self.valid_to)
        )

    def bases_in_force(self, day: date) -> tuple[BasisRef, ...]:
        """The bases that may be cited on `day`: a lapsed decree is never shown as a reason."""
        return tuple(ref for ref in self.basis if ref.basis.in_force_on(day))

    def has_basis_in_force(self, day: date) -> bool:
        """True when a legal act in force on `day` supports the rule. False: the rule is at
        most the province's target or advice and must never be presented as a legal duty."""
        return any(ref.basis.is_law and ref.basis.in_force_on(day) for ref in self.basis)

    def all_bases_lapsed(self, day: date) -> bool:
        """Nothing it cites (not even a province target) is in force on `day`."""
        return not self.bases_in_force(day)


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    rule_id: str
    threshold: float | None  # None: the province has not set the value (yet)
    title: Text
    basis: Basis | None
    period_from: date | None = None  # the plan period the target belongs to, e.g. 2021–2025
    period_to: date | None = None

    def covers(self, year: int) -> bool:
        return (self.period_from is None or self.period_from.year <= year) and (
            self.period_to is None or year <= self.period_to.year
        )

    def ended_on(self, day: date) -> bool:
        return self.period_to is not None and self.period_to < day

    @property
    def period(self) -> tuple[date | None, date | None]:
        return self.period_from, self.period_to

    @property
    def period_label(self) -> str | None:
        """ "2021–2025" (years, an en dash; "…" for an open end), None without a period."""
        return period_label(self.period)


def period_label(period: tuple[date | None, date | None]) -> str | None:
    start, end = period
    if start is None and end is None:
        return None
    return f"{start.year if start else '…'}–{end.year if end else '…'}"


@dataclass(frozen=True)
class Catalogue:
    name: str
    version: str
    sha256: str
    levels: dict[str, Text]
    parameters: dict[str, Parameter]
    kinds: dict[str, TrainingKind]
    bases: dict[str, Basis]
    rules: tuple[Rule, ...]
    targets: tuple[Target, ...]
    unit_names: dict[str, str]  # unit path -> name, for units named in conditions
    unresolved_units: frozenset[str]
    province: Province | None = None  # None: the national rules alone, no province file
    rules_by_id: dict[str, Rule] = field(init=False)
    targets_by_rule: dict[str, tuple[Target, ...]] = field(init=False)
    _active: dict[date, tuple[Rule, ...]] = field(init=False, repr=False)
    # evaluation.day_rules' memo: the compiled applicability of one day's rules.
    day_rules: dict[date, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules_by_id", {r.id: r for r in self.rules})
        by_rule: dict[str, list[Target]] = {}
        for target in self.targets:
            by_rule.setdefault(target.rule_id, []).append(target)
        object.__setattr__(self, "targets_by_rule", {k: tuple(v) for k, v in by_rule.items()})
        object.__setattr__(self, "_active", {})
        object.__setattr__(self, "day_rules", {})

    def active_on(self, day: date) -> tuple[Rule, ...]:
        """Rules whose validity window contains `day` (memoised: one day serves a batch)."""
        found = self._active.get(day)
        if found is None:
            if len(self._active) > 64:
                self._active.clear()
            found = tuple(r for r in self.rules if r.valid_on(day))
            self._active[day] = found
        return found

    def targets_for(self, year: int) -> tuple[Target, ...]:
        """The targets a report on `year` measures: those of the plan period covering it;
        when no period covers it yet (the next plan not loaded), the latest period that
        ended before it, which the report then says has ended."""
        covering = tuple(t for t in self.targets if t.covers(year))
        if covering:
            return covering
        ended = [t.period_to for t in self.targets if t.period_to and t.period_to.year < year]
        if not ended:
            return ()
        latest = max(ended)
        return tuple(t for t in self.targets if t.period_to == latest)

    def kind_title(self, code: str) -> str:
        kind = self.kinds.get(code)
        return kind.title.localized() if kind else code
