"""The empty workbook HR fills for any import kind, built from the kind's column spec (so a
kind added later, such as the unit tree, gets its template for free): the header row (bold,
frozen, required columns shaded), drop-down lists on fixed-choice columns, a sheet of the
admin's own units, and a "Hướng dẫn" sheet. No example row in the data sheet: a template
sent back unchanged must be "no data", never a made-up official."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.exports.sheets import append_row, column_letter, put, save, sheet_title
from models.imports.roster_template import TEMPLATE_FORMATS
from models.imports.table import Column
from models.org.units import OrgUnit

DATA_ROWS = 500  # rows given formats and drop-downs; HR rarely sends more per unit at once
UNITS_SHEET = "Đơn vị"
GUIDE_SHEET = "Hướng dẫn"
_YES_NO = ("có", "không")

# Fixed-choice columns by field name, the words as HR writes them (each parses: tested).
# By name, not by kind, so a new kind with a "level" or "gender" column gets the list too.
CHOICES: dict[str, tuple[str, ...]] = {
    "gender": ("nam", "nữ"),
    "category": ("cán bộ", "công chức", "viên chức"),
    "level": ("tỉnh", "xã", "trung ương"),
    "rank_tier": ("chuyên viên cao cấp", "chuyên viên chính", "chuyên viên", "cán sự", "nhân viên"),
    "education_level": (
        "không",
        "sơ cấp",
        "trung cấp",
        "cao đẳng",
        "đại học",
        "thạc sĩ",
        "tiến sĩ",
    ),
    "political_theory_level": ("không", "sơ cấp", "trung cấp", "cao cấp"),
    "professional_field_matches_post": _YES_NO,
    "active": _YES_NO,
    "preferred_locale": ("vi", "en"),
    "result": ("hoàn thành", "tham gia", "vắng"),
    "ethnic_minority_area": _YES_NO,
}
# Help for columns without their own (the roster's COLUMN_HELP), by what the field is.
_GENERIC_HELP: dict[str, tuple[str, str]] = {
    "code": ("Mã, không trùng nhau", "K2026-01"),
    "course_code": ("Mã khóa học trong danh mục khóa học", "K2026-01"),
    "employee_code": ("Mã cán bộ trong danh sách cán bộ", "CB000123"),
    "unit_code": ("Mã đơn vị, xem trang “Đơn vị”", "T99-X01"),
    "parent_code": ("Mã đơn vị cấp trên, xem trang “Đơn vị”; để trống nếu là cấp tỉnh", "T99"),
    "result": ("hoàn thành / tham gia / vắng", "hoàn thành"),
    "periods": ("Số nguyên", "32"),
    "capacity": ("Số nguyên", "40"),
    "certificate_no": ("Số chứng chỉ hoặc giấy chứng nhận", "CC-2026/0123"),
}
_DATE_WORDS = ("_on", "date", "valid_from", "valid_to")


def column_help(column: Column, own: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
    """(format, example) for a column, in Vietnamese: the kind's own help, else by field."""
    if column.field in own:
        return own[column.field]
    if column.field in _GENERIC_HELP:
        return _GENERIC_HELP[column.field]
    if column.field in CHOICES:
        words = CHOICES[column.field]
        return " / ".join(words), words[0]
    if any(word in column.field for word in _DATE_WORDS):
        return "Ngày dd/mm/yyyy hoặc ô ngày của Excel", "01/07/2026"
    return "Chữ", ""


async def units_in_scope(
    session: AsyncSession, scope_paths: Sequence[str] | None
) -> list[tuple[str, str]]:
    """(code, name) of the units in the admin's subtrees, or every unit (None: the command
    line), operating ones only, by code."""
    query = select(OrgUnit.code, OrgUnit.name, OrgUnit.valid_to).order_by(OrgUnit.code)
    if scope_paths is not None:
        query = query.where(or_(*(OrgUnit.path.startswith(p) for p in scope_paths)))
    return [(code, name) for code, name, valid_to in await session.execute(query) if not valid_to]


def template_xlsx(
    columns: Sequence[Column],
    *,
    sheet_name: str,
    units: Iterable[tuple[str, str]] = (),
    choices: Mapping[str, tuple[str, ...]] = CHOICES,
    help: Mapping[str, tuple[str, str]] | None = None,
) -> bytes:
    """The workbook: data sheet first (what the importer reads), then units, then help."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(sheet_name)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    lists = workbook.create_sheet("Danh mục")  # the drop-downs' values: no 255-char limit
    list_col = 0
    for col, column in enumerate(columns, start=1):
        cell = put(sheet.cell(row=1, column=col), column.header)
        cell.font = Font(bold=True)
        if column.required:
            cell.fill = required_fill
        letter = column_letter(col)
        sheet.column_dimensions[letter].width = max(14, len(column.header) + 4)
        fmt = TEMPLATE_FORMATS.get(column.field)
        if fmt is not None:
            # Codes and phones as text, or Excel drops their leading zeros.
            for row in range(2, DATA_ROWS + 2):
                sheet.cell(row=row, column=col).number_format = fmt
        words = choices.get(column.field)
        if words:
            list_col += 1
            list_letter = column_letter(list_col)
            put(lists.cell(row=1, column=list_col), column.header)
            for i, word in enumerate(words, start=2):
                put(lists.cell(row=i, column=list_col), word)
            validation = DataValidation(
                type="list",
                formula1=f"'Danh mục'!${list_letter}$2:${list_letter}${len(words) + 1}",
                allow_blank=True,
                showErrorMessage=False,  # a drop-down helps; HR's own spellings still import
            )
            validation.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"
    if not list_col:
        workbook.remove(lists)
    else:
        lists.sheet_state = "hidden"

    unit_sheet = workbook.create_sheet(UNITS_SHEET)
    # Not "Mã đơn vị"/"Tên đơn vị": a unit-tree import must never take this list for data.
    append_row(unit_sheet, ["Mã", "Tên"])
    for cell in unit_sheet[1]:
        cell.font = Font(bold=True)
    for code, name in units:
        append_row(unit_sheet, [code, name])
    unit_sheet.column_dimensions["A"].width = 16
    unit_sheet.column_dimensions["B"].width = 50

    guide = workbook.create_sheet(GUIDE_SHEET)
    append_row(guide, ["Cột", "Bắt buộc", "Định dạng", "Ví dụ", "Tên cột khác được chấp nhận"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in columns:
        description, example = column_help(column, help or {})
        append_row(
            guide,
            [
                column.header,
                "Có" if column.required else "",
                description,
                example,
                ", ".join(column.aliases),
            ],
        )
    for letter, width in zip("ABCDE", (28, 10, 60, 24, 60), strict=True):
        guide.column_dimensions[letter].width = width
    return save(workbook)


def importer_template(importer: Any, units: Iterable[tuple[str, str]] = ()) -> bytes:
    """The template of an import kind (any `TableImporter`: its `columns` and `label`, and
    its `column_help` if it has one)."""
    from locales import _

    return template_xlsx(
        importer.columns,
        sheet_name=_(importer.label),
        units=units,
        help=getattr(importer, "column_help", None),
    )


def template_file_name(kind: str) -> str:
    return f"mau-{kind}.xlsx"
