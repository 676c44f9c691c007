"""What every import kind's plan holds and how it is shown: the file, the valid rows, the
row errors with the bad rows as read, what applying would do; the report a person reads and
the error workbook they can fix and send back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from locales import _, format_number
from models.exports.sheets import column_letter, put, save, sheet_title
from models.imports.cells import RowError
from models.imports.table import (
    CellValue,
    Column,
    EncodedSheets,
    Sheet,
    Table,
    TableError,
    read_table,
)
from models.vocabulary import N_

RowT = TypeVar("RowT")

MSG_PLAN_PREVIEW = N_("If imported: {create} new, {update} updated, {same} unchanged.")
MSG_PLAN_IGNORED = N_("Columns not used: {columns}.")
MSG_PLAN_OK = N_("No errors found. The file is ready to import.")
MSG_PLAN_HAS_ERRORS = N_(
    "No data has been written. Please correct the rows below and send the file again, or"
    " choose to import only the valid rows."
)
MSG_MORE_ERRORS = N_("… and {count} more errors.")
MSG_ERRORS_SHEET = N_("Rows with errors")
MSG_ERRORS_ROW = N_("Row")
MSG_ERRORS_COLUMN = N_("Errors")


@dataclass
class Plan(Generic[RowT]):
    """A checked file, nothing written yet. `today` is the day it was checked on."""

    file_name: str
    today: date
    file_error: TableError | None = None
    sheet: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # field -> header as written
    header_cells: list[str] = field(default_factory=list)  # the header row as written
    ignored_headers: list[str] = field(default_factory=list)
    total_rows: int = 0
    rows: list[RowT] = field(default_factory=list)  # the valid rows
    errors: list[RowError] = field(default_factory=list)  # in row order
    bad_rows: dict[int, tuple[CellValue, ...]] = field(default_factory=dict)  # row -> cells
    # The admin's unit the rows must belong to, if any.
    scope_unit_id: int | None = None
    scope_path: str | None = None
    scope_name: str | None = None
    # The server's pepper for keyed hashes of personal numbers (models/org/id_numbers).
    pepper: bytes = field(default=b"", repr=False)
    # What applying now would do with the valid rows (applying looks again).
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors

    @property
    def bad_row_count(self) -> int:
        return len(self.bad_rows)

    def in_scope(self, path: str) -> bool:
        """Whether a unit with this tree path is inside the plan's scope."""
        return self.scope_path is None or path.startswith(self.scope_path)

    def read(
        self, content: bytes | Sequence[Sheet] | EncodedSheets, columns: Sequence[Column]
    ) -> Table | None:
        """The file's table (from the file, or from its sheets read before), or None with
        `file_error` set."""
        if isinstance(content, EncodedSheets):
            content = content.decode()
        try:
            table = read_table(self.file_name, content, columns)
        except TableError as exc:
            self.file_error = exc
            return None
        self.sheet = table.sheet
        self.headers = dict(table.headers)
        self.header_cells = list(table.header_cells)
        self.ignored_headers = list(table.ignored_headers)
        self.total_rows = len(table.rows)
        return table

    def add(self, row: RowT, *, new: bool, changed: bool) -> None:
        self.rows.append(row)
        if new:
            self.to_create += 1
        elif changed:
            self.to_update += 1
        else:
            self.unchanged += 1

    def add_errors(self, table: Table, errors: dict[int, list[RowError]]) -> None:
        """Record the rows with errors, each row's errors left to right as its columns."""
        wanted = sorted(n for n, found in errors.items() if found)
        if not wanted:
            return  # the usual file: no pass over its rows
        by_number = {row.number: row for row in table.rows}
        order = {header: i for i, header in enumerate(table.header_cells)}
        for number in wanted:
            self.errors.extend(
                sorted(errors[number], key=lambda e: order.get(e.column, len(order)))
            )
            self.bad_rows[number] = by_number[number].cells


def plan_report(
    plan: Plan[Any],
    summary: str,
    *,
    limit: int = 20,
    summary_with_sheet: str | None = None,
    list_ignored: bool = True,
) -> str:
    """`summary` takes {file} {total} {valid} {bad} (and {sheet}: `summary_with_sheet`)."""
    if plan.file_error is not None:
        return plan.file_error.message()
    counts = {
        "file": plan.file_name,
        "total": format_number(plan.total_rows),
        "valid": format_number(len(plan.rows)),
        "bad": format_number(plan.bad_row_count),
    }
    if summary_with_sheet is not None and plan.sheet is not None:
        lines = [_(summary_with_sheet).format(sheet=plan.sheet, **counts)]
    else:
        lines = [_(summary).format(**counts)]
    lines.append(
        _(MSG_PLAN_PREVIEW).format(
            create=format_number(plan.to_create),
            update=format_number(plan.to_update),
            same=format_number(plan.unchanged),
        )
    )
    if list_ignored and plan.ignored_headers:
        columns = ", ".join(f"“{h}”" for h in plan.ignored_headers)
        lines.append(_(MSG_PLAN_IGNORED).format(columns=columns))
    if not plan.errors:
        lines.append(_(MSG_PLAN_OK))
        return "\n".join(lines)
    lines.append(_(MSG_PLAN_HAS_ERRORS))
    shown = max(limit, 0)
    lines.extend(f"- {error.message()}" for error in plan.errors[:shown])
    if len(plan.errors) > shown:
        lines.append(_(MSG_MORE_ERRORS).format(count=format_number(len(plan.errors) - shown)))
    return "\n".join(lines)


# --- the error workbook ------------------------------------------------------------------


def error_workbook(plan: Plan[Any]) -> bytes:
    """An .xlsx of the bad rows as they were read, with the row number and the errors, so
    HR can fix them and send just those rows back."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(_(MSG_ERRORS_SHEET))
    if plan.file_error is not None:
        put(sheet.cell(row=1, column=1), plan.file_error.message())
        return save(workbook)
    header = [_(MSG_ERRORS_ROW), *plan.header_cells, _(MSG_ERRORS_COLUMN)]
    for col, title in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=col)
        put(cell, title)
        cell.font = Font(bold=True)
    messages: dict[int, list[str]] = defaultdict(list)
    for error in plan.errors:
        messages[error.row].append(error.message())
    error_col = len(header)
    for out_row, number in enumerate(sorted(plan.bad_rows), start=2):
        sheet.cell(row=out_row, column=1, value=number)
        for col, value in enumerate(plan.bad_rows[number][: len(plan.header_cells)], start=2):
            put(sheet.cell(row=out_row, column=col), value)
        cell = sheet.cell(row=out_row, column=error_col)
        put(cell, "\n".join(messages[number]))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions[column_letter(error_col)].width = 80
    sheet.freeze_panes = "B2"
    return save(workbook)
