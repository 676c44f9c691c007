"""ZNS (Zalo Notification Service): approved template messages sent by phone number to the
officials who never linked a chat (issue #14.2; docs/zalo-oa.md "ZNS").

A ZNS message is not our text: it is an approved template plus parameter values. Which
template carries which notice kind, and where each parameter's value comes from, is data
(models/notices/data/zns_templates.yaml), loaded and checked once at start so a typo is a
start-up error, not a refused message at 08:00. Template review refuses "anh/chị"
(training-rules.md §12), so neither the template text nor a parameter value may say it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from locales import _, format_number

DEFAULT_TEMPLATES = Path(__file__).resolve().parent / "data" / "zns_templates.yaml"
CHANNEL = "zns"
# What a template parameter may be filled from (the YAML's `source`).
SOURCES = frozenset({"official.name", "official.code", "notice.date", "notice.ref"})
# Hard deadlines first (issue #14.2): the kinds a province sends by ZNS unless it says
# otherwise (ZNS_KINDS).
DEFAULT_KINDS = ("requirement_due", "requirement_overdue", "registration_deadline")
# A ZNS message's price in đồng when the province has not set its contract's figure:
# Zalo's published list puts a custom template around 200–300 ₫ (docs/zalo-oa.md "ZNS", [U]).
DEFAULT_PRICE_VND = 300
_ADDRESS = re.compile(r"\banh\s*/\s*chị\b", re.IGNORECASE)


class ZnsTemplateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ZnsParam:
    name: str
    source: str
    max_len: int


@dataclass(frozen=True, slots=True)
class ZnsTemplate:
    kind: str
    locale: str
    template_id: str
    params: tuple[ZnsParam, ...]
    sample: str = ""


@dataclass(frozen=True)
class ZnsCatalogue:
    templates: tuple[ZnsTemplate, ...] = ()

    def for_kind(self, kind: str, locale: str) -> ZnsTemplate | None:
        """The template for `kind` in `locale`, else its Vietnamese one (every approved
        template exists in Vietnamese first)."""
        fallback = None
        for template in self.templates:
            if template.kind == kind:
                if template.locale == locale:
                    return template
                if template.locale == "vi":
                    fallback = template
        return fallback


@dataclass(frozen=True)
class ZnsSettings:
    """Built from the environment by bot/config.py (zns_settings)."""

    enabled: bool = False
    kinds: frozenset[str] = frozenset(DEFAULT_KINDS)
    price_vnd: int = DEFAULT_PRICE_VND
    catalogue: ZnsCatalogue = field(default_factory=ZnsCatalogue)
    api_base_url: str = "https://business.openapi.zalo.me"
    max_per_second: float = 10.0


def says_anh_chi(text: str) -> bool:
    return bool(_ADDRESS.search(text))


def load_catalogue(path: Path = DEFAULT_TEMPLATES, *, known_kinds: frozenset[str]) -> ZnsCatalogue:
    """Read and check the template file; raises ZnsTemplateError naming the entry."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ZnsTemplateError(f"{path}: {exc}") from exc
    return parse_catalogue(data, known_kinds=known_kinds, origin=str(path))


def parse_catalogue(
    data: Mapping[str, Any], *, known_kinds: frozenset[str], origin: str = "templates"
) -> ZnsCatalogue:
    entries = data.get("templates")
    if not isinstance(entries, list):
        raise ZnsTemplateError(f"{origin}: a list `templates` is required")
    found: list[ZnsTemplate] = []
    seen: set[tuple[str, str]] = set()
    for number, entry in enumerate(entries, 1):
        where = f"{origin}: template {number}"
        if not isinstance(entry, dict):
            raise ZnsTemplateError(f"{where}: must be a mapping")
        kind, locale = str(entry.get("kind", "")), str(entry.get("locale", "vi"))
        template_id = str(entry.get("template_id") or "")
        if kind not in known_kinds:
            raise ZnsTemplateError(f"{where}: unknown notice kind {kind!r}")
        if not template_id.isdigit():
            raise ZnsTemplateError(f"{where}: template_id must be Zalo's numeric id")
        if (kind, locale) in seen:
            raise ZnsTemplateError(f"{where}: a second template for {kind} in {locale}")
        seen.add((kind, locale))
        sample = str(entry.get("sample") or "")
        if says_anh_chi(sample):
            raise ZnsTemplateError(f"{where}: ZNS review refuses “anh/chị” in a template")
        params: list[ZnsParam] = []
        for raw in entry.get("params") or ():
            name, source, limit = raw.get("name"), raw.get("source"), raw.get("max")
            if not name or source not in SOURCES:
                raise ZnsTemplateError(f"{where}: parameter {name!r} has unknown source {source!r}")
            if not isinstance(limit, int) or limit < 1:
                raise ZnsTemplateError(f"{where}: parameter {name!r} needs a positive `max`")
            params.append(ZnsParam(str(name), str(source), limit))
        if not params:
            # Review requires at least one specific parameter (training-rules.md §12).
            raise ZnsTemplateError(f"{where}: a template needs at least one parameter")
        found.append(ZnsTemplate(kind, locale, template_id, tuple(params), sample))
    return ZnsCatalogue(tuple(found))


def zns_phone(e164: str | None) -> str | None:
    """The number as ZNS wants it: "+84912345678" -> "84912345678"; None unless Vietnamese."""
    if not e164:
        return None
    digits = e164.removeprefix("+")
    if not digits.startswith("84") or not digits.isdigit() or len(digits) not in (11, 12):
        return None
    return digits


def notice_ref(subject: str) -> str:
    """What a notice is about, from its subject: "rule:DB-03:2026-12-31" -> "DB-03"."""
    parts = subject.split(":")
    return parts[1] if len(parts) > 1 else subject


def template_data(
    template: ZnsTemplate,
    *,
    name: str,
    code: str,
    subject: str,
    deadline: datetime,
    tz: ZoneInfo,
) -> dict[str, str]:
    """The parameter values, each cut to its declared length. A value that would say
    "anh/chị" (a name never does; a ref might) loses it rather than fail review."""
    facts = {
        "official.name": name,
        "official.code": code,
        "notice.date": deadline.astimezone(tz).strftime("%d/%m/%Y"),
        "notice.ref": notice_ref(subject),
    }
    values: dict[str, str] = {}
    for param in template.params:
        value = _ADDRESS.sub("", facts[param.source]).strip()
        values[param.name] = value[: param.max_len]
    return values


def estimated_cost(messages: int, price_vnd: int) -> int:
    return messages * price_vnd


def cost_line(messages: int, price_vnd: int) -> str:
    """ "ước tính 7.245.000 ₫ cho 24.150 tin ZNS" in the current language."""
    return _("estimated {cost} ₫ for {n} ZNS messages").format(
        cost=format_number(estimated_cost(messages, price_vnd)), n=format_number(messages)
    )
