"""One rule's definition: who it applies to, what satisfies it, when it recurs, its
validity window and legal basis, checked against the sections the catalogue declared
(levels, parameters, training kinds, bases) and compiled into a `Rule`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from locales.folding import fold_key
from models.requirements.fields import FIELDS, NO_VALUE, OPS, allowed_values, predicate
from models.requirements.model import (
    ADVICE,
    EVENT_FIELDS,
    ITEM_KINDS,
    OBLIGATION,
    RECURRENCES,
    STANDARD,
    AttributeItem,
    Basis,
    BasisRef,
    Condition,
    Item,
    Parameter,
    Recurrence,
    Rule,
    Text,
    Topic,
    TopicsItem,
    TrainingItem,
    TrainingKind,
)
from models.requirements.reader import (
    MSG_BAD_CHOICE,
    MSG_BAD_MONTH_DAY,
    MSG_BAD_OP,
    MSG_BAD_TOPIC,
    MSG_BAD_VALUE,
    MSG_BAD_WINDOW,
    MSG_ITEM,
    MSG_LIST,
    MSG_MISSING,
    MSG_SATISFIED,
    MSG_TOPIC_TWICE,
    MSG_TOPICS_COMPULSORY_ABOVE,
    MSG_TOPICS_TOO_MANY,
    MSG_TOPICS_UNKNOWN_COMPULSORY,
    MSG_UNKNOWN_BASIS,
    MSG_UNKNOWN_FIELD,
    MSG_UNKNOWN_KIND,
    MSG_UNKNOWN_PARAM,
    CatalogueError,
    Reader,
)

# What an unknown {param: …} resolves to: already reported, so nothing else complains.
_UNRESOLVED = object()


class RuleParser(Reader):
    """Parses rules against the catalogue's declared sections. Unit codes resolve through
    `units` (code -> (path, name)); codes not found are collected in `unresolved`."""

    def __init__(
        self,
        errors: list[CatalogueError],
        *,
        levels: Mapping[str, Text],
        parameters: Mapping[str, Parameter],
        kinds: Mapping[str, TrainingKind],
        bases: Mapping[str, Basis],
        units: Mapping[str, tuple[str, str]],
    ) -> None:
        super().__init__(errors)
        self.levels = levels
        self.parameters = parameters
        self.kinds = kinds
        self.bases = bases
        self.units = units
        self.unresolved: set[str] = set()
        self.unit_names: dict[str, str] = {}

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
                "item",
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
        item = spec.get("item")
        if item is not None and (item not in ITEM_KINDS or (advisory is True and item != ADVICE)):
            allowed = ADVICE if advisory is True else ", ".join(ITEM_KINDS)
            self.error(f"{where}.item", MSG_BAD_CHOICE, value=item, allowed=allowed)
        if len(self.errors) > before or title is None or recurrence is None:
            return None
        item = item or infer_item(bool(advisory), recurrence, items)
        return Rule(
            id=str(spec["id"]),
            position=position,
            title=title,
            description=description,
            advisory=item == ADVICE,
            conditions=tuple(c for c in conditions if c is not None),
            any_of=any_of,
            items=tuple(items),
            recurrence=recurrence,
            valid_from=valid_from,
            valid_to=valid_to,
            basis=tuple(basis),
            parameters=tuple(used.values()),
            training_kinds=frozenset(_kinds_of(items)),
            item=item,
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
        if op in NO_VALUE:
            return Condition(name, op, None, predicate(name, kind, op, None))
        if "value" not in spec:
            self.error(where, MSG_MISSING, key="value")
            return None
        value = self.resolve(spec["value"], where, used)
        if value is _UNRESOLVED:
            return None
        value = self.condition_value(name, kind, op, value, where)
        if value is None:
            return None
        return Condition(name, op, value, predicate(name, kind, op, value))

    def condition_value(self, name: str, kind: str, op: str, value: Any, where: str) -> Any:
        many = op in ("in", "not_in", "under", "not_under", "mentions_any", "mentions_none")
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
            allowed = allowed_values(name, self.levels)
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
        return fold_key(str(value))  # ethnicity, zone, codes, phrases: compared folded

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
        if "topics" in spec:
            return self.topics(spec, where, used)
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

    def topics(self, spec: dict[str, Any], where: str, used: dict[str, Parameter]) -> Item | None:
        """ "k of n topics, including m compulsory": refused when it cannot be met as
        written (more required than listed, more compulsory than required, a compulsory
        topic that is not listed), so no official is shown a requirement no one can meet."""
        self.check_keys(spec, {"topics", "at_least", "compulsory", "training", "note"}, where)
        before = len(self.errors)
        listed = spec.get("topics")
        if not isinstance(listed, list) or not listed:
            self.error(f"{where}.topics", MSG_LIST)
            return None
        topics: list[Topic] = []
        seen: set[str] = set()
        for i, entry in enumerate(listed):
            topic = self.topic(entry, f"{where}.topics[{i + 1}]")
            if topic is None:
                continue
            key = fold_key(topic.code)
            if key in seen:
                self.error(f"{where}.topics[{i + 1}]", MSG_TOPIC_TWICE, code=topic.code)
                continue
            seen.add(key)
            topics.append(topic)
        kind = spec.get("training")
        if kind is not None and str(kind) not in self.kinds:
            self.error(where, MSG_UNKNOWN_KIND, kind=kind)
        if "at_least" not in spec:
            self.error(where, MSG_MISSING, key="at_least")
            return None
        raw = self.resolve(spec["at_least"], where, used)
        at_least = self.whole(raw, f"{where}.at_least", 1) if raw is not _UNRESOLVED else None
        compulsory_raw = spec.get("compulsory") or []
        if not isinstance(compulsory_raw, list):
            compulsory_raw = [compulsory_raw]
        compulsory: list[str] = []
        for code in compulsory_raw:
            if not isinstance(code, str | int) or isinstance(code, bool):
                self.error(f"{where}.compulsory", MSG_BAD_TOPIC, value=code)
                continue
            known = next((t.code for t in topics if fold_key(t.code) == fold_key(str(code))), None)
            if known is None:
                self.error(f"{where}.compulsory", MSG_TOPICS_UNKNOWN_COMPULSORY, code=code)
            elif known not in compulsory:
                compulsory.append(known)
        if at_least is not None and len(self.errors) == before:
            if at_least > len(topics):
                self.error(where, MSG_TOPICS_TOO_MANY, at_least=at_least, count=len(topics))
            elif len(compulsory) > at_least:
                self.error(
                    where,
                    MSG_TOPICS_COMPULSORY_ABOVE,
                    compulsory=len(compulsory),
                    at_least=at_least,
                )
        if len(self.errors) > before or at_least is None:
            return None
        return TopicsItem(at_least, tuple(topics), tuple(compulsory), str(kind) if kind else None)

    def topic(self, entry: Any, where: str) -> Topic | None:
        if isinstance(entry, str | int) and not isinstance(entry, bool) and str(entry).strip():
            return Topic(str(entry).strip())
        if isinstance(entry, dict) and isinstance(entry.get("code"), str | int):
            code = str(entry["code"]).strip()
            self.check_keys(entry, {"code", "vi", "en", "note"}, where)
            title = None
            if "vi" in entry:
                title = self.text({"vi": entry["vi"], "en": entry.get("en")}, where)
            if code:
                return Topic(code, title)
        self.error(where, MSG_BAD_TOPIC, value=entry)
        return None

    def recurrence(self, spec: Any, where: str, used: dict[str, Parameter]) -> Recurrence | None:
        spec = self.mapping(spec, where)
        if spec is None:
            return None
        self.check_keys(spec, {"type", "due", "event", "months", "repeat", "note"}, where)
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
        if kind == "once" and "repeat" in spec:
            repeat = spec["repeat"]
            if repeat not in ("none", "unknown"):
                self.error(where, MSG_BAD_CHOICE, value=repeat, allowed="none, unknown")
                return None
            return Recurrence(kind, repeat_known=repeat == "none")
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


def _kinds_of(items: list[Item]) -> list[str]:
    kinds = [i.kind for i in items if isinstance(i, TrainingItem | TopicsItem)]
    return [kind for kind in kinds if kind is not None]


def infer_item(advisory: bool, recurrence: Recurrence, items: list[Item]) -> str:
    """The kind of item a rule is when its `item:` is not written: a recommendation is
    advice; something to do each year or after an event is an obligation; a condition on
    the official's own attributes (a degree, a level) held as a state is a standard."""
    if advisory:
        return ADVICE
    if recurrence.type in ("state", "by_date") and any(isinstance(i, AttributeItem) for i in items):
        return STANDARD
    return OBLIGATION


def _month_day(value: Any) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value))
    if not match:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2024, month)[1]:
        return None
    return month, day
