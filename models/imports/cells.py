"""Reading one cell of an HR file, the same way for every import kind.

Each parser takes a cell as `read_table` gives it (text, number, date, bool or None) and
returns a typed value, None for a blank cell, or raises `CellError` with a msgid. The row
loop turns a `CellError` into a `RowError`, which knows the row and the column. So one
spreadsheet's dates, numbers and yes/no words mean the same in the roster, the course
catalogue, the training records and attendance.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Generic, TypeVar

from locales import _
from locales.folding import clean, fold, fold_key
from locales.wording import shorten
from models.imports.table import CellValue, TableRow, cell_text
from models.org.phones import normalize_phone
from models.vocabulary import N_, parse_code

__all__ = ["N_", "CellError", "RowError"]

T = TypeVar("T")

MIN_DATE = date(1900, 1, 1)
_SHOWN_VALUE_MAX = 80
# Excel date serials (1900 date system) that a date column may hold when unformatted.
_EXCEL_SERIAL_MAX = 2_958_465
# "-", "—", "." and the like: what people write in a cell they mean to leave empty.
_BLANK_MARKS = re.compile(r"^[\-–—.\s]*$")
_TIME = r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})" + _TIME.replace("[ T]", r"\s+") + "$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME + "$")
# Whole numbers as HR writes them: "40", "40,0" / "40.0" (a decimal zero), "1.234" (the
# Vietnamese thousands dot).
_INTEGER = re.compile(r"^(\d{1,3}(?:\.\d{3})+|\d+)(?:[.,]0+)?$")
# Decimals: "1,5" (the Vietnamese decimal comma), "1.5", "1.234,5".
_NUMBER = re.compile(r"^(\d{1,3}(?:\.\d{3})+|\d+)(?:[.,](\d+))?$")
_LIST_SPLIT = re.compile(r"[,;/\n]+")

YES_WORDS = frozenset({"co", "x", "yes", "y", "1", "true", "dung"})
NO_WORDS = frozenset({"khong", "k", "no", "n", "0", "false", "sai"})

MSG_ROW_COLUMN = N_("Row {row}, column “{column}”: {problem}")
MSG_REQUIRED = N_("this information is required; please fill it in.")
MSG_TOO_LONG = N_("“{value}” is too long (at most {max} characters).")
MSG_BAD_DATE = N_("“{value}” is not a valid date (dd/mm/yyyy).")
MSG_OLD_DATE = N_("“{value}” is before 1900; please check the year.")
MSG_BAD_PHONE = N_("“{value}” is not a valid Vietnamese phone number (e.g. 0912 345 678).")
MSG_BAD_CHOICE = N_("“{value}” is not a recognised value; please use one of: {accepted}.")
MSG_BAD_BOOL = N_("“{value}” is not a yes/no value; please write “có” or “không”.")
MSG_BAD_LIST_VALUE = N_("“{item}” in “{value}” is not recognised; please use: {accepted}.")


class CellError(Exception):
    """A cell that cannot be used; the row loop adds where it is (see `RowError`)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params

    def at(self, row: int, column: str, raw: CellValue) -> RowError:
        return RowError(row, column, cell_text(raw), self.msgid, self.params)


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row in the sheet/file
    column: str  # the header as written in the file
    value: str  # the bad value as text ("" when missing)
    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        """Translated when shown, so the reader's locale applies."""
        shown = shorten(self.value, _SHOWN_VALUE_MAX)
        problem = _(self.msgid).format(value=shown, **self.params)
        return _(MSG_ROW_COLUMN).format(row=self.row, column=self.column, problem=problem)


def read_cells(
    row: TableRow, headers: Mapping[str, str], parse: Callable[[str, CellValue], T]
) -> tuple[dict[str, T], list[RowError]]:
    """`parse(field, cell)` for every column the file has; blank marks arrive as None."""
    values: dict[str, T] = {}
    errors: list[RowError] = []
    for name, header in headers.items():
        raw = blank(row.values.get(name))
        try:
            values[name] = parse(name, raw)
        except CellError as bad:
            errors.append(bad.at(row.number, header, raw))
    return values, errors


_UNSEEN: Any = object()


@dataclass(frozen=True)
class ParsedColumn(Generic[T]):
    """One column's cells parsed: `cells[i]` for the i-th row, `distinct` once each."""

    cells: list[T | CellError]
    distinct: list[T | CellError]

    @property
    def has_errors(self) -> bool:
        return any(isinstance(hit, CellError) for hit in self.distinct)


def parse_column(raws: Sequence[CellValue], parse: Callable[[CellValue], T]) -> ParsedColumn[T]:
    """`parse(cell)` for one column's cells, each distinct cell parsed once: rosters repeat
    units, ranks, levels, sexes and dates thousands of times. Blank marks arrive as None;
    a cell that cannot be used gives its `CellError` (shared by every row holding it)."""
    seen: dict[Any, T | CellError] = {}
    cells: list[T | CellError] = []
    append = cells.append
    for raw in raws:
        # Text keys by itself (most cells); other cells by type too: True == 1 == 1.0.
        key = raw if raw.__class__ is str else (raw.__class__, raw)
        hit = seen.get(key, _UNSEEN)
        if hit is _UNSEEN:
            try:
                hit = parse(blank(raw))
            except CellError as bad:
                hit = bad
            seen[key] = hit
        append(hit)
    return ParsedColumn(cells, list(seen.values()))


def blank(raw: CellValue) -> CellValue:
    """None for a cell that only holds a blank mark."""
    if isinstance(raw, str) and _BLANK_MARKS.match(raw):
        return None
    return raw


def required(value: T | None) -> T:
    if value is None:
        raise CellError(MSG_REQUIRED)
    return value


def text(raw: CellValue, limit: int | None = None) -> str | None:
    """Trimmed NFC text, single spaces; None when blank."""
    if raw is None:
        return None
    if isinstance(raw, str):
        # ASCII needs no NFC and has no zero-width characters (most cells of a big roster).
        value = " ".join(raw.split()) if raw.isascii() else clean(raw)
    else:
        value = clean(cell_text(raw))
    if not value or _BLANK_MARKS.match(value):
        return None
    if limit is not None and len(value) > limit:
        raise CellError(MSG_TOO_LONG, max=limit)
    return value


def date_value(raw: CellValue) -> date | None:
    """A date from a date cell, an Excel serial, or text d/m/yyyy, dd/mm/yyyy or ISO, with or
    without a time of day (which is dropped)."""
    value = date_time(raw)
    return value.date() if value is not None else None


def date_time(raw: CellValue) -> datetime | None:
    """A wall-clock date-time as written (no time zone): date cells are at midnight."""
    if raw is None:
        return None
    if isinstance(raw, datetime):
        value = raw.replace(tzinfo=None)
    elif isinstance(raw, date):
        value = datetime.combine(raw, time(0))
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        value = _from_excel_serial(raw)
    elif isinstance(raw, str):
        value = _date_time_from_text(raw)
    else:
        raise CellError(MSG_BAD_DATE)
    if value.date() < MIN_DATE:
        raise CellError(MSG_OLD_DATE)
    return value


def _from_excel_serial(serial: float) -> datetime:
    if not 1 <= serial <= _EXCEL_SERIAL_MAX:
        raise CellError(MSG_BAD_DATE)
    from openpyxl.utils.datetime import from_excel

    converted = from_excel(serial)
    if not isinstance(converted, datetime):
        raise CellError(MSG_BAD_DATE)
    return converted


def _date_time_from_text(raw: str) -> datetime:
    value = raw.strip()
    if match := _DMY.match(value):
        day, month, year, *clock = match.groups()
    elif match := _YMD.match(value):
        year, month, day, *clock = match.groups()
    else:
        raise CellError(MSG_BAD_DATE)
    hour, minute, second = (int(part or 0) for part in clock)
    try:
        return datetime(int(year), int(month), int(day), hour, minute, second)
    except ValueError:
        raise CellError(MSG_BAD_DATE) from None


def integer(
    raw: CellValue, msgid: str, minimum: int, maximum: int, units: Collection[str] = ()
) -> int | None:
    """A whole number in [minimum, maximum]; `units` are folded words allowed after it
    ("40 tiết")."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise CellError(msgid)
    if isinstance(raw, int | float):
        if float(raw).is_integer() and minimum <= raw <= maximum:
            return int(raw)
        raise CellError(msgid)
    match = _INTEGER.match(_without_unit(raw, units))
    if match is None:
        raise CellError(msgid)
    value = int(match.group(1).replace(".", ""))
    if not minimum <= value <= maximum:
        raise CellError(msgid)
    return value


def number(raw: CellValue, msgid: str, units: Collection[str] = ()) -> float | None:
    """A decimal number: "1,5" and "1.234,5" as Vietnamese write them, "1.5" too."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise CellError(msgid)
    if isinstance(raw, int | float):
        return float(raw)
    match = _NUMBER.match(_without_unit(raw, units))
    if match is None:
        raise CellError(msgid)
    whole, decimals = match.groups()
    return float(f"{whole.replace('.', '')}.{decimals or 0}")


def _without_unit(raw: CellValue, units: Collection[str]) -> str:
    value = fold(cell_text(raw))
    for unit in units:
        if value.endswith(unit):
            return value.removesuffix(unit).rstrip()
    return value


def yes_no(
    raw: CellValue, yes: Collection[str] = YES_WORDS, no: Collection[str] = NO_WORDS
) -> bool | None:
    """có/không, x, yes/no, 1/0, with or without diacritics; `yes`/`no` are folded words."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    key = fold_key(cell_text(raw))
    if key in yes:
        return True
    if key in no:
        return False
    raise CellError(MSG_BAD_BOOL)


def phone(raw: CellValue) -> str | None:
    """A Vietnamese phone number as +84…"""
    value = text(raw)
    if value is None:
        return None
    normalised = normalize_phone(value)
    if normalised is None:
        raise CellError(MSG_BAD_PHONE)
    return normalised


def choice(
    raw: CellValue, words: Mapping[str, T], msgid: str = MSG_BAD_CHOICE, **params: Any
) -> T | None:
    """The value of a folded word from `words`; `msgid` (with `params`) when unknown."""
    value = text(raw)
    if value is None:
        return None
    found = words.get(fold_key(value))
    if found is None:
        raise CellError(msgid, **params)
    return found


def vocabulary(raw: CellValue, name: str, synonyms: Mapping[str, str], accepted: str) -> str | None:
    """A code of models.vocabulary field `name`, or of `synonyms` (folded word -> code)."""
    value = text(raw)
    if value is None:
        return None
    code = parse_code(name, value) or synonyms.get(fold_key(value))
    if code is None:
        raise CellError(MSG_BAD_CHOICE, accepted=accepted)
    return code


def items(raw: CellValue) -> list[str]:
    """The distinct items of a list cell ("Thái; Mông / thái"), split on , ; / or newline."""
    value = text(raw)
    if value is None:
        return []
    found: list[str] = []
    seen: set[str] = set()
    for part in _LIST_SPLIT.split(value):
        item = clean(part)
        if item and fold_key(item) not in seen:
            seen.add(fold_key(item))
            found.append(item)
    return found


def vocabulary_list(
    raw: CellValue, name: str, synonyms: Mapping[str, str], accepted: str
) -> list[str]:
    """The distinct codes of a list cell of vocabulary words."""
    codes: list[str] = []
    for item in items(raw):
        code = parse_code(name, item) or synonyms.get(fold_key(item))
        if code is None:
            raise CellError(MSG_BAD_LIST_VALUE, item=item, accepted=accepted)
        if code not in codes:
            codes.append(code)
    return codes
