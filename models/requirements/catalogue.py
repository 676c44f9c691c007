"""The requirement catalogue: rules as data, validated, stored and compiled.

HR/IT edit a YAML file (format: docs/requirements.md; default:
models/requirements/data/requirements.yaml).
Loading validates it completely, reporting every problem by rule, and writes nothing unless
the whole file is good; loading the same content again changes nothing. The stored document
is compiled once per process into frozen objects with ready-made predicates, so evaluating
an official (models/requirements/evaluation.py) is a loop over tuples with no database access.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales import _, current_locale
from locales.folding import fold_key
from models import audit
from models.base import Base, utcnow
from models.org.units import OrgUnit
from models.vocabulary import (
    CATEGORIES,
    EDUCATION_LEVELS,
    LEADERSHIP_TIERS,
    POLITICAL_THEORY_LEVELS,
    RANK_TIERS,
)

if TYPE_CHECKING:
    from models.requirements.evaluation import Profile

DEFAULT_CATALOGUE = Path(__file__).resolve().parent / "data" / "requirements.yaml"
# Rule ids travel in button values ("why:<id>", 64 bytes at most on Telegram).
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$")
VERIFIED_LEVELS = ("verified", "weak", "seed", "unverified")
RECURRENCES = (
    "state",
    "once",
    "yearly",
    "within_months_after_event",
    "once_before_event",
    "by_date",
)
EVENT_FIELDS = ("leadership_appointed_on", "rank_assigned_on", "started_service_on")


def N_(message: str) -> str:
    """Mark a msgid for extraction; it is translated when the error is shown."""
    return message


MSG_YAML = N_("The catalogue could not be read as YAML: {error}")
MSG_MAPPING = N_("{where}: expected a mapping (key: value).")
MSG_LIST = N_("{where}: expected a list with at least one item.")
MSG_MISSING = N_("{where}: “{key}” is missing.")
MSG_UNKNOWN_KEY = N_("{where}: unknown key “{key}”.")
MSG_DUPLICATE = N_("{where}: the id “{id}” is used twice.")
MSG_BAD_ID = N_("{where}: “{id}” is not a valid id (letters, digits, “-”, “_”, “.”; at most 48).")
MSG_UNKNOWN_FIELD = N_("{where}: unknown field “{field}”. Known fields: {known}.")
MSG_BAD_OP = N_("{where}: the operator “{op}” cannot be used with “{field}”. Allowed: {allowed}.")
MSG_BAD_VALUE = N_("{where}: “{value}” is not a valid value for “{field}”. Allowed: {allowed}.")
MSG_UNKNOWN_KIND = N_("{where}: unknown training kind “{kind}”.")
MSG_UNKNOWN_PARAM = N_("{where}: unknown parameter “{param}”.")
MSG_UNKNOWN_BASIS = N_("{where}: unknown basis “{ref}”.")
MSG_UNKNOWN_RULE = N_("{where}: unknown rule “{rule}”.")
MSG_BAD_DATE = N_("{where}: “{value}” is not a date (YYYY-MM-DD).")
MSG_BAD_MONTH_DAY = N_("{where}: “{value}” is not a month and day (MM-DD).")
MSG_BAD_NUMBER = N_("{where}: “{value}” must be a whole number of at least {min}.")
MSG_BAD_CHOICE = N_("{where}: “{value}” is not allowed. Allowed: {allowed}.")
MSG_BAD_WINDOW = N_("{where}: “from” is after “to”.")
MSG_BAD_THRESHOLD = N_("{where}: the threshold must be a number between 0 and 1.")
MSG_NO_TEXT = N_("{where}: needs a Vietnamese text (vi).")
MSG_ITEM = N_("{where}: each item needs either “training” or “field”.")
MSG_SATISFIED = N_("{where}: needs exactly one of “any_of” or “all_of”.")


# --- tables ------------------------------------------------------------------------------


class RequirementCatalogue(Base):
    """Every distinct catalogue ever loaded; the newest row is the one in force."""

    __tablename__ = "requirement_catalogues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(120))


class RequirementRule(Base):
    """One row per rule id ever loaded, so notices and reports can refer to rules by id;
    a rule dropped from the catalogue is retired, never deleted."""

    __tablename__ = "requirement_rules"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("requirement_catalogues.id"), index=True)
    position: Mapped[int]
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    retired_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- compiled catalogue ------------------------------------------------------------------


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
    verified: str
    source: str | None = None


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


@dataclass(frozen=True, slots=True)
class TrainingItem:
    kind: str
    min_periods: int | None = None
    certificate_required: bool = False
    program_code: str | None = None


@dataclass(frozen=True, slots=True)
class AttributeItem:
    condition: Condition


Item = TrainingItem | AttributeItem


@dataclass(frozen=True, slots=True)
class Recurrence:
    type: str
    month_day: tuple[int, int] | None = None  # yearly
    due_date: date | None = None  # by_date
    event: str | None = None  # *_event
    months: int | None = None  # within_months_after_event


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

    def valid_on(self, day: date) -> bool:
        return not (
            (self.valid_from is not None and day < self.valid_from)
            or (self.valid_to is not None and day > self.valid_to)
        )


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    rule_id: str
    threshold: float
    title: Text
    basis: Basis | None


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
    rules_by_id: dict[str, Rule] = field(init=False)
    targets_by_rule: dict[str, tuple[Target, ...]] = field(init=False)
    _active: dict[date, tuple[Rule, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules_by_id", {r.id: r for r in self.rules})
        by_rule: dict[str, list[Target]] = {}
        for target in self.targets:
            by_rule.setdefault(target.rule_id, []).append(target)
        object.__setattr__(self, "targets_by_rule", {k: tuple(v) for k, v in by_rule.items()})
        object.__setattr__(self, "_active", {})

    def active_on(self, day: date) -> tuple[Rule, ...]:
        """Rules whose validity window contains `day` (memoised: one day serves a batch)."""
        found = self._active.get(day)
        if found is None:
            if len(self._active) > 64:
                self._active.clear()
            found = tuple(r for r in self.rules if r.valid_on(day))
            self._active[day] = found
        return found

    def kind_title(self, code: str) -> str:
        kind = self.kinds.get(code)
        return kind.title.localized() if kind else code


@dataclass(frozen=True)
class CatalogueError:
    where: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        return _(self.msgid).format(where=self.where, **self.params)

    def __str__(self) -> str:
        return self.msgid.format(where=self.where, **self.params)


# --- fields the rules may test -----------------------------------------------------------

_ORDERED: dict[str, tuple[str, ...]] = {
    "education_level": tuple(EDUCATION_LEVELS),
    "political_theory_level": tuple(POLITICAL_THEORY_LEVELS),
}
_ENUMS: dict[str, tuple[str, ...]] = {
    "category": tuple(CATEGORIES),
    "rank_tier": tuple(RANK_TIERS),
    "leadership_tier": tuple(LEADERSHIP_TIERS),
}
# field -> kind; "level" is an enum whose values the catalogue itself declares.
FIELDS: dict[str, str] = {
    "level": "enum",
    "category": "enum",
    "rank_tier": "enum",
    "leadership_tier": "enum",
    "education_level": "ordered",
    "political_theory_level": "ordered",
    "rank_code": "text",
    "ethnicity": "text",
    "zone": "text",
    "is_leader": "bool",
    "professional_field_matches_post": "bool",
    "ethnic_minority_area": "bool",
    "languages": "set",
    "unit": "unit",
    "leadership_appointed_on": "date",
    "rank_assigned_on": "date",
    "started_service_on": "date",
    "birth_date": "date",
}
OPS: dict[str, tuple[str, ...]] = {
    "enum": ("eq", "ne", "in", "not_in", "is_null", "not_null"),
    "ordered": ("eq", "ne", "in", "not_in", "gte", "lte", "is_null", "not_null"),
    "text": ("eq", "ne", "in", "not_in", "is_null", "not_null"),
    "bool": ("eq",),
    "set": ("non_empty", "empty", "contains"),
    "unit": ("under", "not_under"),
    "date": ("gte", "lte", "is_null", "not_null"),
}
_NO_VALUE = frozenset({"is_null", "not_null", "non_empty", "empty"})
# What an unknown {param: …} resolves to: already reported, so nothing else complains.
_UNRESOLVED = object()


def _predicate(field_name: str, kind: str, op: str, value: Any) -> Callable[[Profile], bool]:
    """A closure over C-level getters and frozensets: this runs rules × officials times."""
    get = attrgetter("unit_path" if kind == "unit" else field_name)
    if op == "is_null":
        return lambda p: get(p) is None
    if op == "not_null":
        return lambda p: get(p) is not None
    if op == "non_empty":
        return lambda p: bool(get(p))
    if op == "empty":
        return lambda p: not get(p)
    if op == "contains":
        return lambda p: value in get(p)
    if op == "under":
        prefixes = tuple(value)
        return lambda p: get(p).startswith(prefixes)
    if op == "not_under":
        prefixes = tuple(value)
        return lambda p: not get(p).startswith(prefixes)
    if op == "eq":
        return lambda p: get(p) == value
    if op == "ne":
        return lambda p: get(p) != value
    if op in ("in", "not_in"):
        members = frozenset(value)
        if op == "in":
            return lambda p: get(p) in members
        return lambda p: get(p) not in members
    if kind == "ordered":
        order = _ORDERED[field_name]
        cut = order.index(value)
        allowed = frozenset(order[cut:] if op == "gte" else order[: cut + 1])
        return lambda p: get(p) in allowed
    if op == "gte":
        return lambda p: (v := get(p)) is not None and v >= value
    return lambda p: (v := get(p)) is not None and v <= value


# --- parsing and validation --------------------------------------------------------------


def read_document(source: str | Path | bytes) -> dict[str, Any]:
    """The catalogue as plain JSON-compatible data (YAML dates become ISO strings)."""
    if isinstance(source, bytes):
        text = source.decode("utf-8-sig")
    else:
        text = Path(source).read_text(encoding="utf-8-sig")
    loaded = yaml.safe_load(text)
    return _jsonable(loaded) if isinstance(loaded, dict) else {"": loaded}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return value


def document_hash(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def unit_codes(document: Mapping[str, Any]) -> set[str]:
    """Unit codes named by `unit` conditions, so the caller can resolve them to paths."""
    codes: set[str] = set()
    for rule in document.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        conditions = list(rule.get("applies_to") or [])
        satisfied = rule.get("satisfied_by") or {}
        if isinstance(satisfied, dict):
            for key in ("any_of", "all_of"):
                conditions += list(satisfied.get(key) or [])
        for cond in conditions:
            if isinstance(cond, dict) and cond.get("field") == "unit":
                value = cond.get("value")
                codes.update(str(v) for v in (value if isinstance(value, list) else [value]))
    return codes


class _Parser:
    def __init__(self, document: Mapping[str, Any], units: Mapping[str, tuple[str, str]]) -> None:
        self.doc = document
        self.units = units
        self.errors: list[CatalogueError] = []
        self.unresolved: set[str] = set()
        self.unit_names: dict[str, str] = {}

    def error(self, where: str, msgid: str, **params: Any) -> None:
        self.errors.append(CatalogueError(where, msgid, params))

    # small readers ---------------------------------------------------------------------

    def mapping(self, value: Any, where: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.error(where, MSG_MAPPING)
        return None

    def text(self, value: Any, where: str, *, required: bool = True) -> Text | None:
        if value is None and not required:
            return None
        if isinstance(value, str) and value.strip():
            return Text(value.strip())
        if isinstance(value, dict) and isinstance(value.get("vi"), str) and value["vi"].strip():
            en = value.get("en")
            return Text(value["vi"].strip(), en.strip() if isinstance(en, str) else None)
        self.error(where, MSG_NO_TEXT)
        return None

    def day(self, value: Any, where: str) -> date | None:
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.error(where, MSG_BAD_DATE, value=value)
            return None

    def whole(self, value: Any, where: str, minimum: int) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        self.error(where, MSG_BAD_NUMBER, value=value, min=minimum)
        return None

    def check_keys(self, data: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for key in data:
            if key not in allowed:
                self.error(where, MSG_UNKNOWN_KEY, key=key)

    def resolve(self, value: Any, where: str, used: dict[str, Parameter]) -> Any:
        """Substitute {param: name}; the rule remembers which parameters it depends on."""
        if isinstance(value, dict) and set(value) == {"param"}:
            param = self.parameters.get(str(value["param"]))
            if param is None:
                self.error(where, MSG_UNKNOWN_PARAM, param=value["param"])
                return _UNRESOLVED
            used[param.name] = param
            return param.value
        return value

    # sections --------------------------------------------------------------------------

    def parse(self) -> Catalogue | None:
        doc = self.doc
        if "" in doc:
            self.error("catalogue", MSG_MAPPING)
            return None
        self.check_keys(
            doc,
            {
                "catalogue",
                "version",
                "jurisdiction",
                "levels",
                "parameters",
                "training_kinds",
                "bases",
                "rules",
                "targets",
                "notes",
            },
            "catalogue",
        )
        name = str(doc.get("catalogue") or "")
        version = str(doc.get("version") or "")
        if not name:
            self.error("catalogue", MSG_MISSING, key="catalogue")
        if not version:
            self.error("catalogue", MSG_MISSING, key="version")
        self.levels = self.parse_levels()
        self.parameters = self.parse_parameters()
        self.kinds = self.parse_kinds()
        self.bases = self.parse_bases()
        rules = self.parse_rules()
        # Targets are checked against declared ids: a rule with its own errors is reported
        # once, not again by every target that names it.
        declared = {str(r.get("id")) for r in doc.get("rules") or [] if isinstance(r, dict)}
        targets = self.parse_targets(declared)
        if self.errors:
            return None
        return Catalogue(
            name=name,
            version=version,
            sha256=document_hash(doc),
            levels=self.levels,
            parameters=self.parameters,
            kinds=self.kinds,
            bases=self.bases,
            rules=tuple(rules),
            targets=tuple(targets),
            unit_names=self.unit_names,
            unresolved_units=frozenset(self.unresolved),
        )

    def parse_levels(self) -> dict[str, Text]:
        levels: dict[str, Text] = {}
        raw = self.mapping(self.doc.get("levels"), "levels") or {}
        for code, label in raw.items():
            text = self.text(label, f"levels.{code}")
            if text is not None:
                levels[code] = text
        return levels

    def parse_parameters(self) -> dict[str, Parameter]:
        params: dict[str, Parameter] = {}
        raw = self.doc.get("parameters") or {}
        for name, spec in (self.mapping(raw, "parameters") or {}).items():
            where = f"parameters.{name}"
            spec = self.mapping(spec, where)
            if spec is None:
                continue
            self.check_keys(spec, {"value", "explain"}, where)
            if "value" not in spec:
                self.error(where, MSG_MISSING, key="value")
                continue
            explain = self.text(spec.get("explain"), where, required=False)
            params[name] = Parameter(name, spec["value"], explain)
        return params

    def parse_kinds(self) -> dict[str, TrainingKind]:
        kinds: dict[str, TrainingKind] = {}
        raw = self.mapping(self.doc.get("training_kinds"), "training_kinds") or {}
        for code, spec in raw.items():
            where = f"training_kinds.{code}"
            if not _ID.match(code):
                self.error(where, MSG_BAD_ID, id=code)
            spec = self.mapping(spec, where)
            if spec is None:
                continue
            self.check_keys(spec, {"vi", "en", "aliases", "note"}, where)
            title = self.text(spec, where)
            aliases = tuple(str(a) for a in spec.get("aliases") or [])
            if title is not None:
                kinds[code] = TrainingKind(code, title, aliases)
        return kinds

    def parse_bases(self) -> dict[str, Basis]:
        bases: dict[str, Basis] = {}
        raw = self.mapping(self.doc.get("bases"), "bases") or {}
        for ref, spec in raw.items():
            where = f"bases.{ref}"
            spec = self.mapping(spec, where)
            if spec is None:
                continue
            self.check_keys(spec, {"title", "verified", "source", "in_force", "issued"}, where)
            title = self.text(spec.get("title"), where)
            verified = spec.get("verified")
            if verified not in VERIFIED_LEVELS:
                self.error(
                    where, MSG_BAD_CHOICE, value=verified, allowed=", ".join(VERIFIED_LEVELS)
                )
                continue
            if title is not None:
                source = spec.get("source")
                bases[ref] = Basis(ref, title, verified, str(source) if source else None)
        return bases

    def parse_rules(self) -> list[Rule]:
        raw = self.doc.get("rules")
        if not isinstance(raw, list) or not raw:
            self.error("rules", MSG_LIST)
            return []
        rules: list[Rule] = []
        seen: set[str] = set()
        for position, spec in enumerate(raw):
            rid = str(spec.get("id")) if isinstance(spec, dict) and spec.get("id") else None
            where = rid or f"rules[{position + 1}]"
            if rid is not None:
                if rid in seen:
                    self.error(where, MSG_DUPLICATE, id=rid)
                seen.add(rid)
                if not _ID.match(rid):
                    self.error(where, MSG_BAD_ID, id=rid)
            rule = self.parse_rule(spec, where, position)
            if rule is not None:
                rules.append(rule)
        return rules

    def parse_rule(self, spec: Any, where: str, position: int) -> Rule | None:
        spec = self.mapping(spec, where)
        if spec is None:
            return None
        self.check_keys(
            spec,
            {
                "id",
                "title",
                "description",
                "advisory",
                "applies_to",
                "satisfied_by",
                "recurrence",
                "valid",
                "basis",
                "note",
            },
            where,
        )
        before = len(self.errors)
        if "id" not in spec:
            self.error(where, MSG_MISSING, key="id")
        title = self.text(spec.get("title"), f"{where}.title")
        description = self.text(spec.get("description"), f"{where}.description", required=False)
        used: dict[str, Parameter] = {}
        applies = spec.get("applies_to")
        if not isinstance(applies, list) or not applies:
            self.error(f"{where}.applies_to", MSG_LIST)
            applies = []
        conditions = [
            self.condition(c, f"{where}.applies_to[{i + 1}]", used) for i, c in enumerate(applies)
        ]
        any_of, items = self.satisfied_by(spec.get("satisfied_by"), f"{where}.satisfied_by", used)
        recurrence = self.recurrence(spec.get("recurrence"), f"{where}.recurrence", used)
        valid_from, valid_to = self.window(spec.get("valid"), f"{where}.valid")
        basis = self.basis_refs(spec.get("basis"), f"{where}.basis")
        advisory = spec.get("advisory", False)
        if not isinstance(advisory, bool):
            self.error(f"{where}.advisory", MSG_BAD_CHOICE, value=advisory, allowed="true, false")
        if len(self.errors) > before or title is None or recurrence is None:
            return None
        return Rule(
            id=str(spec["id"]),
            position=position,
            title=title,
            description=description,
            advisory=bool(advisory),
            conditions=tuple(c for c in conditions if c is not None),
            any_of=any_of,
            items=tuple(items),
            recurrence=recurrence,
            valid_from=valid_from,
            valid_to=valid_to,
            basis=tuple(basis),
            parameters=tuple(used.values()),
            training_kinds=frozenset(i.kind for i in items if isinstance(i, TrainingItem)),
        )

    def condition(self, spec: Any, where: str, used: dict[str, Parameter]) -> Condition | None:
        spec = self.mapping(spec, where)
        if spec is None:
            return None
        self.check_keys(spec, {"field", "op", "value", "note"}, where)
        name = spec.get("field")
        kind = FIELDS.get(str(name))
        if kind is None:
            self.error(where, MSG_UNKNOWN_FIELD, field=name, known=", ".join(FIELDS))
            return None
        op = spec.get("op")
        if op not in OPS[kind]:
            self.error(where, MSG_BAD_OP, op=op, field=name, allowed=", ".join(OPS[kind]))
            return None
        if op in _NO_VALUE:
            return Condition(name, op, None, _predicate(name, kind, op, None))
        if "value" not in spec:
            self.error(where, MSG_MISSING, key="value")
            return None
        value = self.resolve(spec["value"], where, used)
        if value is _UNRESOLVED:
            return None
        value = self.condition_value(name, kind, op, value, where)
        if value is None:
            return None
        return Condition(name, op, value, _predicate(name, kind, op, value))

    def condition_value(self, name: str, kind: str, op: str, value: Any, where: str) -> Any:
        many = op in ("in", "not_in", "under", "not_under")
        values = value if isinstance(value, list) else [value]
        if (many and not values) or (not many and isinstance(value, list)):
            self.error(where, MSG_BAD_VALUE, value=value, field=name, allowed="…")
            return None
        checked: list[Any] = []
        for item in values:
            ok = self.scalar(name, kind, item, where)
            if ok is None:
                return None
            checked.append(ok)
        if kind == "unit":
            return tuple(checked)
        return tuple(checked) if many else checked[0]

    def scalar(self, name: str, kind: str, value: Any, where: str) -> Any:
        if kind in ("enum", "ordered"):
            allowed = (
                tuple(self.levels) if name == "level" else (_ORDERED.get(name) or _ENUMS[name])
            )
            if value not in allowed:
                self.error(
                    where, MSG_BAD_VALUE, value=value, field=name, allowed=", ".join(allowed)
                )
                return None
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                self.error(where, MSG_BAD_VALUE, value=value, field=name, allowed="true, false")
                return None
            return value
        if kind == "date":
            return self.day(value, where)
        if kind == "unit":
            code = str(value)
            found = self.units.get(code)
            if found is None:
                # Matches nobody until the unit exists; resolved again on the next compile.
                self.unresolved.add(code)
                return f"\x00{code}/"
            path, unit_name = found
            self.unit_names[path] = unit_name
            return path
        if value is None or isinstance(value, dict | list):
            self.error(where, MSG_BAD_VALUE, value=value, field=name, allowed="text")
            return None
        return fold_key(str(value))  # ethnicity, zone, codes: compared folded

    def satisfied_by(
        self, spec: Any, where: str, used: dict[str, Parameter]
    ) -> tuple[bool, list[Item]]:
        spec = self.mapping(spec, where)
        if spec is None:
            return True, []
        keys = [k for k in ("any_of", "all_of") if k in spec]
        self.check_keys(spec, {"any_of", "all_of"}, where)
        if len(keys) != 1:
            self.error(where, MSG_SATISFIED)
            return True, []
        raw = spec[keys[0]]
        if not isinstance(raw, list) or not raw:
            self.error(f"{where}.{keys[0]}", MSG_LIST)
            return True, []
        items: list[Item] = []
        for i, item in enumerate(raw):
            parsed = self.item(item, f"{where}.{keys[0]}[{i + 1}]", used)
            if parsed is not None:
                items.append(parsed)
        return keys[0] == "any_of", items

    def item(self, spec: Any, where: str, used: dict[str, Parameter]) -> Item | None:
        spec = self.mapping(spec, where)
        if spec is None:
            return None
        if "field" in spec:
            condition = self.condition(spec, where, used)
            return AttributeItem(condition) if condition is not None else None
        if "training" not in spec:
            self.error(where, MSG_ITEM)
            return None
        self.check_keys(
            spec,
            {"training", "min_periods", "certificate_required", "program_code", "note"},
            where,
        )
        kind = str(spec["training"])
        if kind not in self.kinds:
            self.error(where, MSG_UNKNOWN_KIND, kind=kind)
            return None
        min_periods = None
        if spec.get("min_periods") is not None:
            raw = self.resolve(spec["min_periods"], where, used)
            if raw is not _UNRESOLVED:
                min_periods = self.whole(raw, where, 0)
        certificate = spec.get("certificate_required", False)
        if not isinstance(certificate, bool):
            self.error(where, MSG_BAD_CHOICE, value=certificate, allowed="true, false")
        program = spec.get("program_code")
        return TrainingItem(kind, min_periods, bool(certificate), str(program) if program else None)

    def recurrence(self, spec: Any, where: str, used: dict[str, Parameter]) -> Recurrence | None:
        spec = self.mapping(spec, where)
        if spec is None:
            return None
        self.check_keys(spec, {"type", "due", "event", "months", "note"}, where)
        kind = spec.get("type")
        if kind not in RECURRENCES:
            self.error(where, MSG_BAD_CHOICE, value=kind, allowed=", ".join(RECURRENCES))
            return None
        if kind == "yearly":
            raw = self.resolve(spec.get("due", "12-31"), where, used)
            if raw is _UNRESOLVED:
                return None
            month_day = _month_day(raw)
            if month_day is None:
                self.error(where, MSG_BAD_MONTH_DAY, value=raw)
                return None
            return Recurrence(kind, month_day=month_day)
        if kind == "by_date":
            if "due" not in spec:
                self.error(where, MSG_MISSING, key="due")
                return None
            raw = self.resolve(spec["due"], where, used)
            due = self.day(raw, where) if raw is not _UNRESOLVED else None
            return Recurrence(kind, due_date=due) if due else None
        if kind in ("within_months_after_event", "once_before_event"):
            event = spec.get("event")
            if event not in EVENT_FIELDS:
                self.error(where, MSG_BAD_CHOICE, value=event, allowed=", ".join(EVENT_FIELDS))
                return None
            if kind == "once_before_event":
                return Recurrence(kind, event=event)
            raw = self.resolve(spec.get("months"), where, used)
            months = self.whole(raw, where, 1) if raw is not _UNRESOLVED else None
            return Recurrence(kind, event=event, months=months) if months else None
        return Recurrence(kind)

    def window(self, spec: Any, where: str) -> tuple[date | None, date | None]:
        if spec is None:
            return None, None
        spec = self.mapping(spec, where)
        if spec is None:
            return None, None
        self.check_keys(spec, {"from", "to"}, where)
        start = self.day(spec["from"], where) if spec.get("from") is not None else None
        end = self.day(spec["to"], where) if spec.get("to") is not None else None
        if start and end and start > end:
            self.error(where, MSG_BAD_WINDOW)
        return start, end

    def basis_refs(self, spec: Any, where: str) -> list[BasisRef]:
        if not isinstance(spec, list) or not spec:
            self.error(where, MSG_LIST)
            return []
        refs: list[BasisRef] = []
        for i, item in enumerate(spec):
            here = f"{where}[{i + 1}]"
            item = self.mapping(item, here)
            if item is None:
                continue
            self.check_keys(item, {"ref", "note"}, here)
            basis = self.bases.get(str(item.get("ref")))
            if basis is None:
                self.error(here, MSG_UNKNOWN_BASIS, ref=item.get("ref"))
                continue
            refs.append(BasisRef(basis, self.text(item.get("note"), here, required=False)))
        return refs

    def parse_targets(self, rule_ids: set[str]) -> list[Target]:
        targets: list[Target] = []
        raw = self.doc.get("targets") or []
        if not isinstance(raw, list):
            self.error("targets", MSG_LIST)
            return []
        seen: set[str] = set()
        for i, spec in enumerate(raw):
            where = f"targets[{i + 1}]"
            spec = self.mapping(spec, where)
            if spec is None:
                continue
            self.check_keys(spec, {"id", "rule", "threshold", "title", "basis", "note"}, where)
            tid = str(spec.get("id") or "")
            if not tid:
                self.error(where, MSG_MISSING, key="id")
            elif tid in seen:
                self.error(where, MSG_DUPLICATE, id=tid)
            seen.add(tid)
            rule_id = str(spec.get("rule"))
            if rule_id not in rule_ids:
                self.error(where, MSG_UNKNOWN_RULE, rule=rule_id)
            threshold = spec.get("threshold")
            if (
                not isinstance(threshold, int | float)
                or isinstance(threshold, bool)
                or not 0 <= threshold <= 1
            ):
                self.error(where, MSG_BAD_THRESHOLD)
                threshold = 0.0
            title = self.text(spec.get("title"), where)
            basis = self.bases.get(str(spec.get("basis"))) if spec.get("basis") else None
            if spec.get("basis") and basis is None:
                self.error(where, MSG_UNKNOWN_BASIS, ref=spec.get("basis"))
            if title is not None:
                targets.append(Target(tid, rule_id, float(threshold), title, basis))
        return targets


def _month_day(value: Any) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value))
    if not match:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2024, month)[1]:
        return None
    return month, day


def compile_catalogue(
    document: Mapping[str, Any], units: Mapping[str, tuple[str, str]] | None = None
) -> tuple[Catalogue | None, list[CatalogueError]]:
    """Validate and compile; `units` maps unit codes used in conditions to (path, name)."""
    parser = _Parser(document, units or {})
    catalogue = parser.parse()
    return catalogue, parser.errors


# --- storing and reading -----------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    errors: list[CatalogueError]
    changed: bool = False
    catalogue_id: int | None = None
    version: str = ""
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


async def load_catalogue_file(
    session: AsyncSession, source: str | Path | bytes, *, actor: str, now: datetime
) -> LoadResult:
    """Validate the whole file, then store it as the catalogue in force. Nothing is written
    when there are errors, or when the newest stored catalogue already has this content."""
    try:
        document = read_document(source)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return LoadResult([CatalogueError("catalogue", MSG_YAML, {"error": str(exc)[:300]})])
    catalogue, errors = compile_catalogue(document)
    if catalogue is None:
        return LoadResult(errors)
    latest = await session.scalar(
        select(RequirementCatalogue).order_by(RequirementCatalogue.id.desc()).limit(1)
    )
    if latest is not None and latest.sha256 == catalogue.sha256:
        return LoadResult([], False, latest.id, catalogue.version, unchanged=len(catalogue.rules))
    row = RequirementCatalogue(
        name=catalogue.name,
        version=catalogue.version,
        sha256=catalogue.sha256,
        document=document,
        loaded_at=now,
        loaded_by=actor,
    )
    session.add(row)
    await session.flush()
    existing = {r.id: r for r in await session.scalars(select(RequirementRule))}
    definitions = {str(spec["id"]): spec for spec in document["rules"]}
    added = updated = unchanged = retired = 0
    for rule in catalogue.rules:
        spec = definitions[rule.id]
        current = existing.pop(rule.id, None)
        if current is None:
            current = RequirementRule(id=rule.id)
            session.add(current)
            added += 1
        elif current.definition == spec and current.retired_at is None:
            unchanged += 1
        else:
            updated += 1
        current.catalogue_id = row.id
        current.position = rule.position
        current.title_vi = rule.title.vi[:300]
        current.title_en = rule.title.en[:300] if rule.title.en else None
        current.definition = spec
        current.valid_from = rule.valid_from
        current.valid_to = rule.valid_to
        current.retired_at = None
        current.updated_at = now
    for gone in existing.values():
        if gone.retired_at is None:
            gone.retired_at = now
            retired += 1
    audit.record(
        session,
        actor=actor,
        action="rules.load",
        subject=f"{catalogue.name} {catalogue.version}",
        affected=added + updated + retired,
        detail={"sha256": catalogue.sha256, "added": added, "updated": updated, "retired": retired},
        at=now,
    )
    await session.flush()
    forget_current_catalogue()
    return LoadResult([], True, row.id, catalogue.version, added, updated, unchanged, retired)


async def ensure_default_catalogue(session: AsyncSession, now: datetime) -> LoadResult | None:
    """Load the shipped catalogue when none is stored yet; never replaces one HR loaded."""
    if await session.scalar(select(RequirementCatalogue.id).limit(1)) is not None:
        return None
    return await load_catalogue_file(session, DEFAULT_CATALOGUE, actor="system:default", now=now)


# Compiled catalogues by (content hash, resolved units): a unit's path differs between
# databases, so a catalogue naming units is compiled per resolution, never shared blindly.
_compiled: dict[tuple[str, tuple[tuple[str, str, str], ...]], Catalogue] = {}
_codes_by_hash: dict[str, frozenset[str]] = {}


@cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue, compiled: what applies until one is stored in the database."""
    catalogue, errors = compile_catalogue(read_document(DEFAULT_CATALOGUE))
    if catalogue is None:
        raise ValueError("shipped catalogue is invalid: " + "; ".join(map(str, errors)))
    return catalogue


# How long a process trusts the catalogue it last read. A catalogue loaded by HR reaches
# other processes within this time; in exchange /yeucau and /hoso skip two queries.
CATALOGUE_TTL_SECONDS = 5.0
_latest: dict[str, tuple[float, Catalogue]] = {}  # by database URL


async def current_catalogue(session: AsyncSession, *, max_age: float = 0.0) -> Catalogue:
    """The catalogue in force, compiled once per process. Chat handlers pass
    max_age=CATALOGUE_TTL_SECONDS to reuse what this process read a moment ago; jobs and
    reports read afresh."""
    database = str(session.get_bind().url)
    now = time.monotonic()
    hit = _latest.get(database)
    if hit is not None and now - hit[0] < max_age:
        return hit[1]
    found = await _read_current_catalogue(session)
    _latest[database] = (now, found)
    return found


def forget_current_catalogue() -> None:
    _latest.clear()


async def _read_current_catalogue(session: AsyncSession) -> Catalogue:
    """One small query, plus one for the units when the catalogue names any."""
    latest = (
        await session.execute(
            select(RequirementCatalogue.id, RequirementCatalogue.sha256)
            .order_by(RequirementCatalogue.id.desc())
            .limit(1)
        )
    ).first()
    if latest is None:
        return default_catalogue()
    catalogue_id, sha = latest
    document: dict[str, Any] | None = None
    codes = _codes_by_hash.get(sha)
    if codes is None:
        document = await _document(session, catalogue_id)
        codes = _codes_by_hash[sha] = frozenset(unit_codes(document))
    units: dict[str, tuple[str, str]] = {}
    if codes:
        rows = await session.execute(
            select(OrgUnit.code, OrgUnit.path, OrgUnit.name).where(OrgUnit.code.in_(codes))
        )
        units = {code: (path, name) for code, path, name in rows}
    key = (sha, tuple(sorted((c, p, n) for c, (p, n) in units.items())))
    found = _compiled.get(key)
    if found is None:
        document = document or await _document(session, catalogue_id)
        found, errors = compile_catalogue(document, units)
        if found is None:  # stored only after validation, so this means a code change broke it
            raise ValueError("stored catalogue no longer compiles: " + "; ".join(map(str, errors)))
        if len(_compiled) > 16:
            _compiled.clear()
        _compiled[key] = found
    return found


async def _document(session: AsyncSession, catalogue_id: int) -> dict[str, Any]:
    document = await session.scalar(
        select(RequirementCatalogue.document).where(RequirementCatalogue.id == catalogue_id)
    )
    assert document is not None
    return document


def format_load_result(result: LoadResult) -> str:
    if result.errors:
        lines = [_("The catalogue was not loaded. Please fix these problems:")]
        lines += [f"• {e.message()}" for e in result.errors]
        return "\n".join(lines)
    if not result.changed:
        return _("The catalogue {version} is already in force. Nothing changed.").format(
            version=result.version
        )
    return _(
        "Catalogue {version} loaded: {added} new rules, {updated} changed, {unchanged} "
        "unchanged, {retired} retired."
    ).format(
        version=result.version,
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged,
        retired=result.retired,
    )
