"""Writing people's data into a workbook safely, for every file the bot hands out.

Names, units, places and phones come from files and chats, so any of them may begin with
"=", "+", "-", "@", a tab or a carriage return: the characters OWASP's CSV-injection
guidance names, on which Excel and LibreOffice start a formula (`=HYPERLINK(…)` sends the
sheet's phones out on a click). Every cell therefore goes through `put` (or `append_row`):
text is always an explicit string cell, and risky text also carries Excel's quote prefix
(what typing a leading apostrophe does), so re-editing the cell does not revive it either.
The value itself is kept as written: a name is never shown with a stray apostrophe.

openpyxl is imported inside the functions that need it: every bot process imports this
package, and only the exports pay for openpyxl.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable
from datetime import date, time
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "dd/mm/yyyy"


def is_risky(text: str) -> bool:
    """Whether a spreadsheet would read this text as the start of a formula."""
    return text.startswith(FORMULA_STARTS)


def put(cell: Any, value: Any) -> Any:
    """Write one value into an openpyxl cell as data, never as code; returns the cell."""
    if isinstance(value, time):
        value = value.isoformat()
    cell.value = value
    if isinstance(value, str):
        # openpyxl types any text starting with "=" as a formula on assignment.
        cell.data_type = "s"
        if is_risky(value):
            cell.quotePrefix = True
    elif isinstance(value, date) and cell.number_format == "General":
        cell.number_format = DATE_FORMAT
    return cell


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """`sheet.append` made safe: the values as the next row (`sheet.max_row` after)."""
    values = list(values)
    sheet.append(values)
    row = sheet.max_row
    for col, value in enumerate(values, start=1):
        if value is not None:
            put(sheet.cell(row=row, column=col), value)


def bold_row(sheet: Any, row: int, fill: Any = None) -> None:
    """Make a header row bold (and shaded, when a fill is given)."""
    from openpyxl.styles import Font

    for cell in sheet[row]:
        cell.font = Font(bold=True)
        if fill is not None:
            cell.fill = fill


# Shared by every workbook, built on first use so that importing an export module does not
# import openpyxl (and numpy and PIL with it) into every bot process.
GOOD_COLOR = "C6EFCE"
BAD_COLOR = "FFC7CE"
HEADER_COLOR = "DDEBF7"


@functools.cache
def solid_fill(color: str) -> Any:
    from openpyxl.styles import PatternFill

    return PatternFill("solid", fgColor=color)


@functools.cache
def title_font() -> Any:
    from openpyxl.styles import Font

    return Font(bold=True, size=13)


def new_workbook() -> Any:
    from openpyxl import Workbook

    return Workbook()


def set_widths(sheet: Any, widths: list[int]) -> None:
    """Column widths from column A on, in characters."""
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[column_letter(i)].width = width


def column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def sheet_title(title: str) -> str:
    """A title Excel accepts: no []:*?/\\ and at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet1"


def save(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
