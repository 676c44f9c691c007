"""The year-end report's layout as data: a YAML file of columns (key, header, measure).

The official forms' layout is not verified (see the default file's header), so a province
adjusts the columns without a release. A wrong file is refused with one line naming the
file, the column and what is wrong; it never reaches the workbook half-read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from locales import current_locale

DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "data" / "year_report.yaml"

# What a column of the kind × level table may show (models/exports/year_report.py).
ROW_MEASURES: tuple[str, ...] = (
    "row_number",
    "kind",
    "level",
    "classes",
    "planned_classes",
    "planned_seats",
    "quota_seats",
    "completions",
    "leader_completions",
    "officials",
    "leader_officials",
    "periods",
    "plan_share",
)
# What a column of the targets table may show.
TARGET_MEASURES: tuple[str, ...] = (
    "target",
    "period",
    "basis",
    "threshold",
    "met",
    "judged",
    "unknown",
    "share",
    "result",
)


class TemplateError(ValueError):
    """The template cannot be used; the message is one line for the operator."""


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header_vi: str
    header_en: str | None
    measure: str

    @property
    def header(self) -> str:
        return self.header_en if current_locale() == "en" and self.header_en else self.header_vi


@dataclass(frozen=True, slots=True)
class ReportTemplate:
    source: str  # the file it came from, for messages
    columns: tuple[Column, ...]
    target_columns: tuple[Column, ...]


def load_template(path: Path | None = None) -> ReportTemplate:
    """The template at `path` (the repository's default when None); TemplateError when the
    file is missing, not YAML, or names an unknown measure."""
    path = path or DEFAULT_TEMPLATE
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"year report template {path}: cannot be read ({exc})") from exc
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TemplateError(f"year report template {path}: not valid YAML ({first})") from exc
    return parse_template(document, source=str(path))


def parse_template(document: Any, *, source: str) -> ReportTemplate:
    if not isinstance(document, dict):
        raise TemplateError(f"year report template {source}: expected a mapping with 'columns'")
    unknown = sorted(set(document) - {"columns", "target_columns"})
    if unknown:
        raise TemplateError(
            f"year report template {source}: unknown section {unknown[0]!r} "
            "(known: columns, target_columns)"
        )
    columns = _columns(document.get("columns"), "columns", ROW_MEASURES, source)
    if not columns:
        raise TemplateError(f"year report template {source}: 'columns' lists no column")
    targets = _columns(document.get("target_columns"), "target_columns", TARGET_MEASURES, source)
    return ReportTemplate(source=source, columns=columns, target_columns=targets)


def _columns(raw: Any, section: str, measures: tuple[str, ...], source: str) -> tuple[Column, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise TemplateError(f"year report template {source}: '{section}' must be a list")
    out: list[Column] = []
    seen: set[str] = set()
    for n, item in enumerate(raw, start=1):
        where = f"year report template {source}: {section} #{n}"
        if not isinstance(item, dict):
            raise TemplateError(f"{where}: expected key, header and measure")
        key, header, measure = item.get("key"), item.get("header"), item.get("measure")
        if not isinstance(key, str) or not key.strip():
            raise TemplateError(f"{where}: 'key' is missing")
        if key in seen:
            raise TemplateError(f"{where}: key {key!r} is used twice")
        seen.add(key)
        if measure not in measures:
            raise TemplateError(
                f"{where} ({key}): unknown measure {measure!r} (known: {', '.join(measures)})"
            )
        if isinstance(header, str) and header.strip():
            vi, en = header, None
        elif isinstance(header, dict) and isinstance(header.get("vi"), str):
            vi, en = header["vi"], header.get("en") if isinstance(header.get("en"), str) else None
        else:
            raise TemplateError(f"{where} ({key}): 'header' must be a text or {{vi: …, en: …}}")
        out.append(Column(key=key, header_vi=vi, header_en=en, measure=str(measure)))
    return tuple(out)
