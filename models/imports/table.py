"""Reading a table that people made by hand: an Excel workbook or a CSV file from HR.

Generic on purpose (the roster, the course catalogue and training records all come this
way): the caller gives a column spec, this module finds the header row, maps headers to
fields whatever their accents, case or Unicode form, and returns typed cells with the
spreadsheet row number each came from. Anything wrong with the file as a whole is a
`TableError`; nothing else escapes `read_table`.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from locales import _, format_number
from locales.folding import clean, fold_key
from models.vocabulary import N_

# What a cell can hold once read: calamine types Excel dates and numbers; CSV gives text.
CellValue = str | int | float | bool | date | datetime | time | None


@dataclass(frozen=True)
class Sheet:
    """One sheet's rows as read (trailing blank cells dropped); `name` None for CSV."""

    name: str | None
    rows: list[tuple[CellValue, ...]]


@dataclass(frozen=True)
class EncodedSheets:
    """Sheets as `grid.encode` kept them for a pending upload, decoded where they are used
    (in the worker process for the chat): decoding 20 MB is seconds of CPU too."""

    blob: bytes

    def decode(self) -> list[Sheet]:
        from models.imports.grid import decode

        return decode(self.blob)


CSV_SUFFIXES = (".csv", ".txt")
# HR files often open with a title block ("DANH SÁCH CÁN BỘ…") above the real header.
HEADER_SEARCH_ROWS = 20
DEFAULT_MAX_ROWS = 200_000

# Notes people add to headers: "Ngày sinh (dd/mm/yyyy)", "Họ và tên *", "Mã CB [bắt buộc]".
_HEADER_NOTES = re.compile(r"\([^)]*\)|\[[^\]]*\]|\*")


MSG_UNSUPPORTED = N_(
    "The file “{file}” is not a supported type. Please send an Excel file (.xlsx) or a CSV file."
)  # .xls and .ods are read too; the message names what HR should prefer
MSG_ENCRYPTED = N_(
    "The file “{file}” is protected by a password, so I cannot read it. Please save a copy"
    " without a password and send it again."
)
MSG_TOO_BIG = N_(
    "The file “{file}” is too large (over {max} MB once opened). Please split it into smaller"
    " files and send them one by one."
)
MSG_TOO_MANY_COLUMNS = N_(
    "The file “{file}” uses more than {max} columns. Please delete the unused columns on the"
    " right (or copy only the table to a new sheet) and send it again."
)
MSG_TOO_MANY_CELLS = N_(
    "The file “{file}” has more than {max} cells. Please delete the unused rows and columns, or"
    " split it into smaller files, and send it again."
)
MSG_EMPTY = N_("The file “{file}” is empty. Please check the file and send it again.")
MSG_NO_DATA = N_(
    "The file “{file}” has a header row but no data rows. Please add the data and send it again."
)
MSG_CORRUPT = N_(
    "The file “{file}” could not be opened as an Excel workbook. Please save it again as .xlsx"
    " and send it again."
)
MSG_ENCODING = N_(
    "The file “{file}” could not be read as text. Please save it as “CSV UTF-8” and send it again."
)
MSG_MISSING_COLUMNS = N_(
    "The file “{file}” is missing the required columns: {columns}. Please check the column"
    " names, or use the template (“📄 Download a template” after choosing “📥 Import an"
    " Excel/CSV file” in /quantri)."
)
MSG_WRONG_SHEET = N_(
    "No sheet in the file “{file}” has the required columns ({columns}). Sheets checked:"
    " {sheets}. Please check the column names, or use the template (“📄 Download a"
    " template” after choosing “📥 Import an Excel/CSV file” in /quantri)."
)
MSG_TOO_MANY_ROWS = N_(
    "The file “{file}” has more than {max} rows. Please split it into smaller files."
)


@dataclass(frozen=True)
class Column:
    """One field of a table: `header` is the canonical (template) header; `aliases` are other
    headers people write. Earlier aliases win when a file has two columns for one field."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False

    def keys(self) -> list[str]:
        return [k for k in (_header_key(a) for a in (self.header, *self.aliases)) if k]


class TableError(Exception):
    """A problem with the file as a whole. The text is produced by `message()` so it is
    translated in the reader's locale, not the one active when the file was read."""

    def __init__(self, msgid: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params: dict[str, Any] = dict(params or {})

    def message(self) -> str:
        params = {
            k: format_number(v) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in self.params.items()
        }
        return _(self.msgid).format(**params)

    def __str__(self) -> str:
        return self.msgid.format(**self.params)


@dataclass(frozen=True)
class TableRow:
    number: int  # 1-based row in the sheet or file, as the person sees it
    values: dict[str, CellValue]  # field -> cell (None when blank); only mapped columns
    cells: tuple[CellValue, ...]  # the whole row as read, for echoing bad rows back


@dataclass
class Table:
    file_name: str
    sheet: str | None  # None for CSV
    header_row: int
    header_cells: list[str]  # the header row as written, one entry per column
    headers: dict[str, str]  # field -> header as written
    ignored_headers: list[str]
    rows: list[TableRow]


def read_table(
    file_name: str,
    content: bytes | Sequence[Sheet],
    columns: Sequence[Column],
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Table:
    """The first table in the file whose header row has every required column. `content`
    is the file, or its sheets as `read_sheets` returned them (read once, mapped again).

    Raises TableError (and nothing else) when the file cannot be used.
    """
    sheets = read_sheets(file_name, content) if isinstance(content, bytes) else content
    return table_from_sheets(file_name, sheets, columns, max_rows)


def read_sheets(file_name: str, content: bytes) -> list[Sheet]:
    """Every sheet's cells (a CSV file is one sheet without a name), limits checked first;
    the slow part of an import, for a worker thread."""
    from models.imports.grid import check_size, is_spreadsheet, read_spreadsheet

    check_size(file_name, content)
    if is_spreadsheet(file_name, content):
        return read_spreadsheet(file_name, content)
    if _suffix(file_name) in CSV_SUFFIXES:
        return [_read_csv(file_name, content)]
    raise TableError(MSG_UNSUPPORTED, {"file": file_name})


def table_from_sheets(
    file_name: str, sheets: Sequence[Sheet], columns: Sequence[Column], max_rows: int
) -> Table:
    index = _alias_index(columns)
    best = _HeaderMatch({}, [])
    for sheet in sheets:
        found = _build_table(file_name, sheet.name, iter(sheet.rows), columns, index, max_rows)
        if isinstance(found, Table):
            return found
        if len(found.positions) > len(best.positions):
            best = found
    named = [s.name for s in sheets if s.name is not None]
    raise _missing_error(file_name, columns, named if named else None, best)


def _suffix(file_name: str) -> str:
    name = file_name.strip().lower()
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""


def cell_text(value: CellValue) -> str:
    """A cell as a person would read it back: dates dd/mm/yyyy, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def required_headers(columns: Iterable[Column]) -> list[str]:
    return [c.header for c in columns if c.required]


# --- header matching ---------------------------------------------------------------------


def _header_key(text: str) -> str:
    return fold_key(_HEADER_NOTES.sub(" ", text))


def _alias_index(columns: Sequence[Column]) -> dict[str, tuple[str, int]]:
    """Folded header -> (field, priority). A key claimed by two fields is a spec bug."""
    index: dict[str, tuple[str, int]] = {}
    for column in columns:
        for priority, key in enumerate(column.keys()):
            owner = index.get(key)
            if owner is not None and owner[0] != column.field:
                raise ValueError(f"header alias {key!r} maps to {owner[0]} and {column.field}")
            index.setdefault(key, (column.field, priority))
    return index


@dataclass
class _HeaderMatch:
    positions: dict[str, int]  # field -> column index
    ignored: list[str]

    def missing(self, columns: Sequence[Column]) -> list[Column]:
        return [c for c in columns if c.required and c.field not in self.positions]


def _match_header(cells: Sequence[CellValue], index: Mapping[str, tuple[str, int]]) -> _HeaderMatch:
    best: dict[str, tuple[int, int]] = {}  # field -> (priority, position)
    ignored: list[str] = []
    for position, cell in enumerate(cells):
        text = _clean_header(cell)
        if not text:
            continue
        hit = index.get(_header_key(text))
        if hit is None:
            ignored.append(text)
            continue
        name, priority = hit
        current = best.get(name)
        if current is None or priority < current[0]:
            if current is not None:
                ignored.append(_clean_header(cells[current[1]]))
            best[name] = (priority, position)
        else:
            ignored.append(text)
    return _HeaderMatch({name: pos for name, (_p, pos) in best.items()}, ignored)


def _clean_header(cell: CellValue) -> str:
    return clean(cell_text(cell)) if cell is not None else ""


def _build_table(
    file_name: str,
    sheet: str | None,
    rows: Iterator[tuple[CellValue, ...]],
    columns: Sequence[Column],
    index: Mapping[str, tuple[str, int]],
    max_rows: int,
) -> Table | _HeaderMatch:
    """The table if a header row with every required column is found near the top, else the
    best header candidate seen (to say what is missing)."""
    best: _HeaderMatch | None = None
    for number, raw in enumerate(rows, start=1):
        if number > HEADER_SEARCH_ROWS:
            break
        cells = tuple(_clean_cell(c) for c in raw)
        if not any(c is not None for c in cells):
            continue
        match = _match_header(cells, index)
        if not match.missing(columns):
            return _read_body(file_name, sheet, number, cells, match, rows, max_rows)
        if best is None or len(match.positions) > len(best.positions):
            best = match
    return best or _HeaderMatch({}, [])


def _read_body(
    file_name: str,
    sheet: str | None,
    header_row: int,
    header: tuple[CellValue, ...],
    match: _HeaderMatch,
    rows: Iterator[tuple[CellValue, ...]],
    max_rows: int,
) -> Table:
    body: list[TableRow] = []
    positions = list(match.positions.items())
    for number, raw in enumerate(rows, start=header_row + 1):
        cells = _clean_cells(raw)
        if not any(c is not None for c in cells):
            continue
        if len(body) >= max_rows:
            raise TableError(MSG_TOO_MANY_ROWS, {"file": file_name, "max": max_rows})
        values = {name: (cells[pos] if pos < len(cells) else None) for name, pos in positions}
        body.append(TableRow(number, values, cells))
    if not body:
        raise TableError(MSG_NO_DATA, {"file": file_name})
    return Table(
        file_name=file_name,
        sheet=sheet,
        header_row=header_row,
        header_cells=[_clean_header(c) for c in header],
        headers={name: _clean_header(header[pos]) for name, pos in positions},
        ignored_headers=match.ignored,
        rows=body,
    )


# Cells kept as read: calamine's typed values.
_TYPED = frozenset({int, float, bool, date, datetime, time})


def _clean_cells(raw: Sequence[Any]) -> tuple[CellValue, ...]:
    """`_clean_cell` of each cell, with the usual cells (blank, typed, ASCII text) cleaned
    inline: one function call per cell was a third of reading a 24,150-row roster."""
    cells: list[Any] = [
        None
        if c is None
        else c
        if c.__class__ in _TYPED
        else (" ".join(c.split()) or None)
        if c.__class__ is str and c.isascii()
        else _clean_cell(c)
        for c in raw
    ]
    return tuple(cells)


def _clean_cell(value: Any) -> CellValue:
    if value is None:
        return None
    if isinstance(value, str):
        # ASCII text needs no NFC and has no zero-width characters: only spaces to tidy.
        text = " ".join(value.split()) if value.isascii() else clean(value)
        return text or None
    if isinstance(value, bool | int | float | date | datetime | time):
        return value
    # Anything exotic (timedelta, error objects) is shown as text; validators reject it.
    text = clean(str(value))
    return text or None


def _missing_error(
    file_name: str, columns: Sequence[Column], sheets: list[str] | None, best: _HeaderMatch
) -> TableError:
    missing = ", ".join(f"“{c.header}”" for c in best.missing(columns))
    if sheets is None:
        return TableError(MSG_MISSING_COLUMNS, {"file": file_name, "columns": missing})
    wanted = ", ".join(f"“{h}”" for h in required_headers(columns))
    listed = ", ".join(f"“{s}”" for s in sheets)
    return TableError(MSG_WRONG_SHEET, {"file": file_name, "columns": wanted, "sheets": listed})


# --- csv ---------------------------------------------------------------------------------


def _decode(file_name: str, content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig",)
        # UTF-16 without a BOM shows up as every other byte being NUL.
        if content[:200].count(b"\x00") > len(content[:200]) // 4:
            encodings = ("utf-16-le", "utf-16-be")
        # Older Vietnamese Excel saves CSV in the ANSI code page (cp1258, else cp1252).
        encodings += ("cp1258", "cp1252")
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text.removeprefix("\ufeff")
    raise TableError(MSG_ENCODING, {"file": file_name})


def _sniff_delimiter(text: str) -> str:
    """The delimiter among , ; tab that splits the top lines into the most columns, most
    consistently (csv.Sniffer is easily fooled by commas inside Vietnamese names)."""
    sample = [line for line in text.splitlines()[:HEADER_SEARCH_ROWS] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t"):
        widths = [len(r) for r in csv.reader(sample, delimiter=delimiter)]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        score = (width, count) if width > 1 else (0, 0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(file_name: str, content: bytes) -> Sheet:
    from models.imports.grid import MAX_CELLS, MAX_COLUMNS

    text = _decode(file_name, content)
    if not text.strip():
        raise TableError(MSG_EMPTY, {"file": file_name})
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    # Rows are numbered by record, not physical line: Excel shows a quoted multi-line cell
    # as one row, and that is where the person will look.
    rows: list[tuple[CellValue, ...]] = []
    cells = 0
    try:
        for record in reader:
            if len(record) > MAX_COLUMNS:
                raise TableError(MSG_TOO_MANY_COLUMNS, {"file": file_name, "max": MAX_COLUMNS})
            cells += len(record)
            if cells > MAX_CELLS:
                raise TableError(MSG_TOO_MANY_CELLS, {"file": file_name, "max": MAX_CELLS})
            rows.append(tuple(record))
    except csv.Error as exc:
        raise TableError(MSG_ENCODING, {"file": file_name}) from exc
    return Sheet(None, rows)
