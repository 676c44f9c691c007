"""Parsing the catalogue document (YAML, format: docs/requirements.md) into a `Catalogue`.

Validation is complete: every problem is reported by rule, and a document with any problem
compiles to nothing. The document's sections (levels, parameters, training kinds, bases,
targets) are read here; each rule's definition in models/requirements/rule_parser.py.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from models.requirements.model import (
    BASIS_KINDS,
    LEGACY_VERIFIED,
    VERIFICATIONS,
    Basis,
    Catalogue,
    Parameter,
    Province,
    Rule,
    Target,
    Text,
    TrainingKind,
)
from models.requirements.reader import (
    MSG_BAD_CHOICE,
    MSG_BAD_ID,
    MSG_BAD_THRESHOLD,
    MSG_BAD_WINDOW,
    MSG_DUPLICATE,
    MSG_LIST,
    MSG_MAPPING,
    MSG_MISSING,
    MSG_UNKNOWN_BASIS,
    MSG_UNKNOWN_RULE,
    CatalogueError,
    Reader,
)
from models.requirements.rule_parser import RuleParser

# Rule ids travel in button values ("why:<id>", 64 bytes at most on Telegram).
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,47}$")


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


class _Parser(Reader):
    def __init__(self, document: Mapping[str, Any], units: Mapping[str, tuple[str, str]]) -> None:
        super().__init__()
        self.doc = document
        self.units = units

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
                "province",
                "national",
            },
            "catalogue",
        )
        name = str(doc.get("catalogue") or "")
        version = str(doc.get("version") or "")
        if not name:
            self.error("catalogue", MSG_MISSING, key="catalogue")
        if not version:
            self.error("catalogue", MSG_MISSING, key="version")
        province = self.parse_province()
        levels = self.parse_levels()
        parameters = self.parse_parameters()
        kinds = self.parse_kinds()
        bases = self.parse_bases()
        rule_parser = RuleParser(
            self.errors,
            levels=levels,
            parameters=parameters,
            kinds=kinds,
            bases=bases,
            units=self.units,
        )
        rules = self.parse_rules(rule_parser)
        # Targets are checked against declared ids: a rule with its own errors is reported
        # once, not again by every target that names it.
        declared = {str(r.get("id")) for r in doc.get("rules") or [] if isinstance(r, dict)}
        targets = self.parse_targets(declared, bases)
        if self.errors:
            return None
        return Catalogue(
            name=name,
            version=version,
            sha256=document_hash(doc),
            levels=levels,
            parameters=parameters,
            kinds=kinds,
            bases=bases,
            rules=tuple(rules),
            targets=tuple(targets),
            unit_names=rule_parser.unit_names,
            unresolved_units=frozenset(rule_parser.unresolved),
            province=province,
        )

    def parse_province(self) -> Province | None:
        """`province: {name, code}` of a composed catalogue; none for national rules alone."""
        raw = self.doc.get("province")
        if raw is None:
            return None
        spec = self.mapping(raw, "province")
        if spec is None:
            return None
        self.check_keys(spec, {"name", "code"}, "province")
        name = str(spec.get("name") or "").strip()
        if not name:
            self.error("province", MSG_MISSING, key="name")
            return None
        code = spec.get("code")
        return Province(name, str(code).strip() if code is not None else None)

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
        replaced: dict[str, str] = {}
        for ref, spec in raw.items():
            where = f"bases.{ref}"
            spec = self.mapping(spec, where)
            if spec is None:
                continue
            self.check_keys(
                spec,
                {
                    "title",
                    "verification",
                    "verified",
                    "kind",
                    "source",
                    "in_force_from",
                    "in_force_until",
                    "replaced_by",
                    "in_force",
                    "issued",
                    "note",
                },
                where,
            )
            title = self.text(spec.get("title"), where)
            labels = self.verification(spec, where)
            if labels is None:
                continue
            verification, kind = labels
            start = end = None
            if "verification" in spec and "in_force_from" not in spec:
                # Written out even when unknown (null): a basis without dates is a choice.
                self.error(where, MSG_MISSING, key="in_force_from")
            if spec.get("in_force_from") is not None:
                start = self.day(spec["in_force_from"], f"{where}.in_force_from")
            if spec.get("in_force_until") is not None:
                end = self.day(spec["in_force_until"], f"{where}.in_force_until")
            if start and end and start > end:
                self.error(where, MSG_BAD_WINDOW)
            if spec.get("replaced_by") is not None:
                replaced[ref] = str(spec["replaced_by"])
            if title is not None:
                source = spec.get("source")
                bases[ref] = Basis(
                    ref,
                    title,
                    verification,
                    str(source) if source else None,
                    kind,
                    start,
                    end,
                    replaced.get(ref),
                )
        for ref, successor in replaced.items():
            if successor not in raw:
                self.error(f"bases.{ref}.replaced_by", MSG_UNKNOWN_BASIS, ref=successor)
        return bases

    def verification(self, spec: Mapping[str, Any], where: str) -> tuple[str, str] | None:
        """(verification, kind), from the current keys or the legacy `verified:` one."""
        if "verification" not in spec and "verified" in spec:
            legacy = LEGACY_VERIFIED.get(str(spec["verified"]))
            if legacy is None:
                allowed = ", ".join(LEGACY_VERIFIED)
                self.error(where, MSG_BAD_CHOICE, value=spec["verified"], allowed=allowed)
            return legacy
        verification = spec.get("verification")
        if verification not in VERIFICATIONS:
            allowed = ", ".join(VERIFICATIONS)
            self.error(where, MSG_BAD_CHOICE, value=verification, allowed=allowed)
            return None
        kind = spec.get("kind", "law")
        if kind not in BASIS_KINDS:
            self.error(where, MSG_BAD_CHOICE, value=kind, allowed=", ".join(BASIS_KINDS))
            return None
        return str(verification), str(kind)

    def parse_rules(self, rule_parser: RuleParser) -> list[Rule]:
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
            rule = rule_parser.parse_rule(spec, where, position)
            if rule is not None:
                rules.append(rule)
        return rules

    def parse_targets(self, rule_ids: set[str], bases: Mapping[str, Basis]) -> list[Target]:
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
            self.check_keys(
                spec, {"id", "rule", "threshold", "title", "basis", "period", "note"}, where
            )
            tid = str(spec.get("id") or "")
            if not tid:
                self.error(where, MSG_MISSING, key="id")
            elif tid in seen:
                self.error(where, MSG_DUPLICATE, id=tid)
            seen.add(tid)
            rule_id = str(spec.get("rule"))
            if rule_id not in rule_ids:
                self.error(where, MSG_UNKNOWN_RULE, rule=rule_id)
            # A null threshold is a value the province has not set (yet): "no data", not 0.
            threshold = spec.get("threshold")
            if threshold is not None and (
                not isinstance(threshold, int | float)
                or isinstance(threshold, bool)
                or not 0 <= threshold <= 1
            ):
                self.error(where, MSG_BAD_THRESHOLD)
                threshold = 0.0
            period_from, period_to = self.period(spec.get("period"), f"{where}.period")
            title = self.text(spec.get("title"), where)
            basis = bases.get(str(spec.get("basis"))) if spec.get("basis") else None
            if spec.get("basis") and basis is None:
                self.error(where, MSG_UNKNOWN_BASIS, ref=spec.get("basis"))
            if title is not None:
                targets.append(
                    Target(
                        tid,
                        rule_id,
                        None if threshold is None else float(threshold),
                        title,
                        basis,
                        period_from,
                        period_to,
                    )
                )
        return targets

    def period(self, spec: Any, where: str) -> tuple[date | None, date | None]:
        """`{from: 2021, to: 2025}` (whole years) or dates; either end may be open."""
        if spec is None:
            return None, None
        spec = self.mapping(spec, where)
        if spec is None:
            return None, None
        self.check_keys(spec, {"from", "to"}, where)
        ends: list[date | None] = []
        for key, month, day in (("from", 1, 1), ("to", 12, 31)):
            value = spec.get(key)
            if value is None:
                ends.append(None)
            elif isinstance(value, int) and not isinstance(value, bool) and 1900 < value < 3000:
                ends.append(date(value, month, day))
            else:
                ends.append(self.day(value, where))
        start, end = ends
        if start and end and start > end:
            self.error(where, MSG_BAD_WINDOW)
        return start, end


def compile_catalogue(
    document: Mapping[str, Any], units: Mapping[str, tuple[str, str]] | None = None
) -> tuple[Catalogue | None, list[CatalogueError]]:
    """Validate and compile; `units` maps unit codes used in conditions to (path, name)."""
    parser = _Parser(document, units or {})
    catalogue = parser.parse()
    return catalogue, parser.errors
