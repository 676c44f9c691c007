"""A spreadsheet's cells, read once: the expensive step of an import, kept apart from the
column mapping so it runs in a worker thread before any transaction and its result can be
kept for the confirmation instead of the file.

Limits are checked BEFORE a reader builds anything: calamine (like openpyxl) pads every row
to the widest one, so a 60 KB file with one cell in column XFD per row would take gigabytes.
For .xlsx the sheet XML is scanned for cell references first (columns, rows, cells), and
every zip container's declared uncompressed sizes are summed (a zip bomb is refused unread).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from datetime import date, datetime, time, timedelta
from typing import Any

from models.imports.table import (
    MSG_CORRUPT,
    MSG_EMPTY,
    MSG_ENCRYPTED,
    MSG_TOO_BIG,
    MSG_TOO_MANY_CELLS,
    MSG_TOO_MANY_COLUMNS,
    MSG_UNSUPPORTED,
    CellValue,
    Sheet,
    TableError,
)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # all members of an .xlsx/.ods together
MAX_COLUMNS = 256  # HR files have ~30; Excel's own limit is 16,384
# Rows x widest row: what a reader allocates. 24,150 rows x 60 columns fits; an XFD file not.
MAX_CELLS = 6_000_000

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
CSV_SUFFIXES = (".csv", ".txt")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")
_CELL_COLUMN = re.compile(rb"<c\b[^>]*?\br=\"([A-Z]{1,3})[0-9]{1,7}\"")
_CELL_ROW = re.compile(rb"<c\b[^>]*?\br=\"[A-Z]{1,3}([0-9]{1,7})\"")
_SCAN_CHUNK = 1 << 20


def suffix_of(file_name: str) -> str:
    name = file_name.strip().lower()
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""


def is_spreadsheet(file_name: str, content: bytes) -> bool:
    """Trust the bytes over the name: chat clients and mail gateways rename files."""
    suffix = suffix_of(file_name)
    return suffix in SPREADSHEET_SUFFIXES or (
        suffix in CSV_SUFFIXES and content.startswith((ZIP_MAGIC, OLE_MAGIC))
    )


def check_size(file_name: str, content: bytes) -> None:
    if not content or not content.strip():
        raise TableError(MSG_EMPTY, {"file": file_name})
    if len(content) > MAX_FILE_BYTES:
        raise TableError(MSG_TOO_BIG, {"file": file_name, "max": MAX_FILE_BYTES // 2**20})


def read_spreadsheet(file_name: str, content: bytes) -> list[Sheet]:
    """Every sheet's rows (trailing blanks dropped), or TableError."""
    check_size(file_name, content)
    if content.startswith(OLE_MAGIC) and _ENCRYPTED_MARK in content:
        raise TableError(MSG_ENCRYPTED, {"file": file_name})
    if content.startswith(ZIP_MAGIC):
        _check_zip(file_name, content)
    elif not content.startswith(OLE_MAGIC):
        if suffix_of(file_name) in SPREADSHEET_SUFFIXES:
            raise TableError(MSG_CORRUPT, {"file": file_name})
        raise TableError(MSG_UNSUPPORTED, {"file": file_name})
    import python_calamine

    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets = [
            Sheet(name, _rows(workbook.get_sheet_by_name(name))) for name in workbook.sheet_names
        ]
    except python_calamine.PasswordError as exc:
        raise TableError(MSG_ENCRYPTED, {"file": file_name}) from exc
    except TableError:
        raise
    except Exception as exc:  # calamine's errors (and panics) on broken files
        raise TableError(MSG_CORRUPT, {"file": file_name}) from exc
    return sheets


def _rows(sheet: Any) -> list[tuple[CellValue, ...]]:
    rows = []
    for raw in sheet.iter_rows():
        end = len(raw)
        while end and (raw[end - 1] is None or raw[end - 1] == ""):
            end -= 1
        # Text cells (most of them) inline; the rest through `_value`.
        rows.append(tuple([v if v.__class__ is str and v else _value(v) for v in raw[:end]]))
    return rows


def _value(value: Any) -> CellValue:
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # Excel keeps every number as a float; 320 is 320, not 320.0
    if isinstance(value, timedelta):
        return str(value)
    return value


def _check_zip(file_name: str, content: bytes) -> None:
    """Refuse by the zip's own directory what would not fit once inflated, then count the
    cells of each .xlsx sheet from its XML before any reader pads them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError(MSG_CORRUPT, {"file": file_name}) from exc
    if sum(m.file_size for m in members) > MAX_UNCOMPRESSED_BYTES:
        raise TableError(MSG_TOO_BIG, {"file": file_name, "max": MAX_FILE_BYTES // 2**20})
    for member in members:
        if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
            try:
                with archive.open(member) as stream:
                    _scan_sheet(file_name, stream)
            except TableError:
                raise
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
                raise TableError(MSG_CORRUPT, {"file": file_name}) from exc


def _scan_sheet(file_name: str, stream: Any) -> None:
    widest, last_row, tail = 0, 0, b""
    while chunk := stream.read(_SCAN_CHUNK):
        data = tail + chunk
        # Distinct columns (a sheet has few) and distinct rows, converted in C: one Python
        # step per cell was most of the scan's time.
        letters = set(_CELL_COLUMN.findall(data))
        if letters:
            widest = max(widest, max(map(_column_number, letters)))
            last_row = max(last_row, max(map(int, set(_CELL_ROW.findall(data)))))
        if widest > MAX_COLUMNS:
            raise TableError(MSG_TOO_MANY_COLUMNS, {"file": file_name, "max": MAX_COLUMNS})
        if widest * last_row > MAX_CELLS:
            raise TableError(MSG_TOO_MANY_CELLS, {"file": file_name, "max": MAX_CELLS})
        # A reference cut by the chunk boundary is found again in the next round (one found
        # twice changes no maximum).
        tail = data[-64:]


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


# --- keeping a read file for the confirmation -----------------------------------------------


def encode(sheets: list[Sheet]) -> bytes:
    """The sheets as compressed JSON (dates tagged), for the pending upload's row."""
    doc = [{"name": s.name, "rows": [[_tag(v) for v in row] for row in s.rows]} for s in sheets]
    return zlib.compress(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode(), 1)


def decode(blob: bytes) -> list[Sheet]:
    doc = json.loads(zlib.decompress(blob))
    return [Sheet(s["name"], [tuple(_untag(v) for v in row) for row in s["rows"]]) for s in doc]


def _tag(value: CellValue) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time):
        return {"t": value.isoformat()}
    return value


def _untag(value: Any) -> CellValue:
    if isinstance(value, dict):
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
        if "d" in value:
            return date.fromisoformat(value["d"])
        return time.fromisoformat(value["t"])
    return value
