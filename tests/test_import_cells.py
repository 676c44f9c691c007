"""The cell parsers every import kind shares, the same dates accepted by every kind, and the
error workbook each kind can send back."""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from bot.db import Database
from locales import _
from models.imports import cells
from models.imports import plan as import_plan
from models.imports.cells import CellError, RowError
from models.imports.importer import Importer
from models.imports.kinds import IMPORTERS
from tests.factories import make_official, small_province

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
SERIAL_1990_01_01 = 32874


def refused(parse: Any, *args: Any) -> str:
    with pytest.raises(CellError) as caught:
        parse(*args)
    return caught.value.msgid


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("5/9/1990", date(1990, 9, 5)),
        ("05/09/1990", date(1990, 9, 5)),
        ("05.09.1990", date(1990, 9, 5)),
        ("05-09-1990", date(1990, 9, 5)),
        ("1990-09-05", date(1990, 9, 5)),
        ("05/09/1990 08:30", date(1990, 9, 5)),
        ("05/09/1990 8:30:15", date(1990, 9, 5)),
        ("1990-09-05 08:30", date(1990, 9, 5)),
        ("1990-09-05T08:30:00.5", date(1990, 9, 5)),
        (" 05/09/1990 ", date(1990, 9, 5)),
        (datetime(1990, 9, 5, 8, 30), date(1990, 9, 5)),
        (date(1990, 9, 5), date(1990, 9, 5)),
        (SERIAL_1990_01_01, date(1990, 1, 1)),
        (SERIAL_1990_01_01 + 0.75, date(1990, 1, 1)),
        (None, None),
    ],
)
def test_dates_accepted(cell: Any, expected: date | None) -> None:
    assert cells.date_value(cell) == expected


@pytest.mark.parametrize(
    ("cell", "msgid"),
    [
        ("31/02/1990", cells.MSG_BAD_DATE),
        ("05/13/1990", cells.MSG_BAD_DATE),
        ("05/09/90", cells.MSG_BAD_DATE),
        ("05/09/1990 25:00", cells.MSG_BAD_DATE),
        ("hôm qua", cells.MSG_BAD_DATE),
        ("1890-01-01", cells.MSG_OLD_DATE),
        ("31/12/1899", cells.MSG_OLD_DATE),
        (date(1899, 12, 31), cells.MSG_OLD_DATE),
        (datetime(1850, 1, 1), cells.MSG_OLD_DATE),
        (0, cells.MSG_BAD_DATE),
        (-3, cells.MSG_BAD_DATE),
        (3_000_000, cells.MSG_BAD_DATE),
        (True, cells.MSG_BAD_DATE),
        (time(8, 30), cells.MSG_BAD_DATE),
    ],
)
def test_dates_refused(cell: Any, msgid: str) -> None:
    assert refused(cells.date_value, cell) == msgid


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("05/09/1990 08:30", datetime(1990, 9, 5, 8, 30)),
        ("1990-09-05T08:30:15", datetime(1990, 9, 5, 8, 30, 15)),
        ("05/09/1990", datetime(1990, 9, 5)),
        (date(1990, 9, 5), datetime(1990, 9, 5)),
        (SERIAL_1990_01_01 + 0.75, datetime(1990, 1, 1, 18, 0)),
        (datetime(1990, 9, 5, 8, 30, tzinfo=UTC), datetime(1990, 9, 5, 8, 30)),
    ],
)
def test_date_times(cell: Any, expected: datetime) -> None:
    assert cells.date_time(cell) == expected


# --- text, numbers, yes/no ---------------------------------------------------------------


def test_text_is_trimmed_nfc_and_limited() -> None:
    nfd = unicodedata.normalize("NFD", "Lò Thị Nhung")
    assert cells.text(f"  {nfd}\u200b  ") == "Lò Thị Nhung"
    assert cells.text("  Lò   Thị  ") == "Lò Thị"
    assert cells.text(1234.0) == "1234"  # Excel's number for a code typed without quotes
    for blank in (None, "", "  ", "-", "—", "..."):
        assert cells.text(blank) is None
    assert cells.text("abc", 3) == "abc"
    assert refused(cells.text, "abcd", 3) == cells.MSG_TOO_LONG


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("40", 40),
        ("40,0", 40),
        ("40.00", 40),
        ("1.234", 1234),  # the Vietnamese thousands dot
        ("1.234,0", 1234),
        ("40 tiết", 40),
        ("40 TIET", 40),
        (40, 40),
        (40.0, 40),
        (None, None),
    ],
)
def test_integers_accepted(cell: Any, expected: int | None) -> None:
    assert cells.integer(cell, "bad", 0, 5000, units=("tiet",)) == expected


@pytest.mark.parametrize("cell", ["1,5", "nhiều", "-3", "40 giờ", 1.5, True, 5001, "6.000"])
def test_integers_refused(cell: Any) -> None:
    assert refused(cells.integer, cell, "bad", 0, 5000, ("tiet",)) == "bad"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1,5", 1.5), ("1.5", 1.5), ("1.234,5", 1234.5), ("2", 2.0), (3, 3.0), (None, None)],
)
def test_numbers(cell: Any, expected: float | None) -> None:
    assert cells.number(cell, "bad") == expected


def test_numbers_refused() -> None:
    for cell in ("một", "1,5,5", True):
        assert refused(cells.number, cell, "bad") == "bad"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("có", True),
        ("Có", True),
        ("co", True),
        ("x", True),
        ("X", True),
        ("1", True),
        (1, True),
        (1.0, True),
        (True, True),
        ("yes", True),
        ("không", False),
        ("KHÔNG", False),
        ("khong", False),
        ("0", False),
        (0, False),
        (False, False),
        ("no", False),
        (None, None),
    ],
)
def test_yes_no(cell: Any, expected: bool | None) -> None:
    assert cells.yes_no(cell) is expected


def test_yes_no_refused() -> None:
    for cell in ("có lẽ", 2, "đang công tác"):
        assert refused(cells.yes_no, cell) == cells.MSG_BAD_BOOL
    # A kind may add its own words to the shared ones.
    assert cells.yes_no("đang công tác", cells.YES_WORDS | {"dang cong tac"}) is True


def test_phones() -> None:
    for cell in ("0912 345 678", "+84 912 345 678", "84912345678", "0912.345.678", 912345678):
        assert cells.phone(cell) == "+84912345678"
    assert cells.phone("-") is None
    assert refused(cells.phone, "12345") == cells.MSG_BAD_PHONE


def test_choices_and_vocabulary() -> None:
    words = {"truc tiep": "in_person", "truc tuyen": "online"}
    assert cells.choice("Trực tuyến", words) == "online"
    assert cells.choice(None, words) is None
    assert refused(cells.choice, "hàm thụ", words, "bad mode") == "bad mode"
    assert cells.vocabulary("Công chức", "category", {}, "…") == "cong_chuc"
    assert cells.vocabulary("CC", "category", {}, "…") == "cong_chuc"
    assert cells.vocabulary("CVC", "rank_tier", {"cvc": "chuyen_vien_chinh"}, "…") == (
        "chuyen_vien_chinh"
    )
    assert refused(cells.vocabulary, "hợp đồng", "category", {}, "…") == cells.MSG_BAD_CHOICE
    assert cells.items("Thái; Mông / thái") == ["Thái", "Mông"]
    assert cells.vocabulary_list("công chức, CB, công chức", "category", {}, "…") == [
        "cong_chuc",
        "can_bo",
    ]
    assert refused(cells.vocabulary_list, "CC, HĐ", "category", {}, "…") == (
        cells.MSG_BAD_LIST_VALUE
    )


def test_row_error_message_names_row_column_and_value() -> None:
    error = CellError(cells.MSG_TOO_LONG, max=3).at(7, "Họ và tên", "x" * 100)
    assert error == RowError(7, "Họ và tên", "x" * 100, cells.MSG_TOO_LONG, {"max": 3})
    message = error.message()
    assert message.startswith(_(cells.MSG_ROW_COLUMN).split("{")[0])
    assert "x" * 79 + "…" in message and "x" * 80 not in message


# --- the same cells in every kind --------------------------------------------------------


@pytest.fixture
async def world(db: Database) -> dict[str, Any]:
    async with db.transaction() as session:
        units = await small_province(session)
        await make_official(session, units["tccb"])  # DB000001
    return units


def csv_file(rows: list[list[Any]]) -> bytes:
    """CSV, so a cell that starts with "=" is text as the person typed it (openpyxl would
    store it as a formula)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


ROSTER_HEADER = ["Mã cán bộ", "Họ và tên", "Đối tượng", "Mã đơn vị", "Ngày sinh"]
TRAINING_HEADER = ["Mã cán bộ", "Loại bồi dưỡng", "Số tiết", "Ngày hoàn thành"]
COURSE_HEADER = [
    "Mã khóa học",
    "Tên khóa học",
    "Loại bồi dưỡng",
    "Đơn vị tổ chức",
    "Ngày khai giảng",
    "Ngày bế giảng",
    "Số chỗ",
]


def roster_row(code: str, day: Any) -> list[Any]:
    return [code, "Lò Thị Nhung", "công chức", "03158", day]


def training_row(code: str, day: Any) -> list[Any]:
    return [code, "tin học", "40 tiết", day]


def course_row(code: str, day: Any) -> list[Any]:
    return [code, "Tin học cơ bản", "tin học", "Sở Nội vụ", day, "30/03/2027", "1.000"]


# (kind, header, row builder, a date with a time, an Excel serial, a date before 1900)
DATED_KINDS = [
    ("officials", ROSTER_HEADER, roster_row, "05/09/1990 08:30", 32874, "31/12/1899"),
    ("training", TRAINING_HEADER, training_row, "15/06/2026 08:30", 46180, "31/12/1899"),
    ("courses", COURSE_HEADER, course_row, "08/03/2027 08:00", 46454, "01/01/1899"),
]


@pytest.mark.parametrize(
    ("kind", "header", "make_row", "with_time", "serial", "too_old"), DATED_KINDS
)
async def test_every_kind_reads_dates_alike(
    db: Database,
    world: dict,
    kind: str,
    header: list[str],
    make_row: Any,
    with_time: str,
    serial: int,
    too_old: str,
) -> None:
    importer = IMPORTERS[kind]
    content = xlsx(
        [
            header,
            make_row("DB000001" if kind == "training" else "A-1", with_time),
            make_row("DB000001" if kind == "training" else "A-2", serial),
            make_row("DB000001" if kind == "training" else "A-3", too_old),
        ]
    )
    async with db.transaction() as session:
        plan = await importer.plan(session, "f.xlsx", content, today=TODAY)
    assert [(e.row, e.msgid) for e in plan.errors] == [(4, cells.MSG_OLD_DATE)], (
        importer.format_plan_report(plan)
    )
    assert len(plan.rows) == 2


async def test_thousands_dot_in_course_capacity(db: Database, world: dict) -> None:
    content = xlsx([COURSE_HEADER, course_row("A-1", "08/03/2027")])
    async with db.transaction() as session:
        plan = await IMPORTERS["courses"].plan(session, "k.xlsx", content, today=TODAY)
    assert plan.ok and plan.rows[0].values["capacity"] == 1000


# --- the error workbook of every kind ----------------------------------------------------

FORMULA = '=HYPERLINK("http://x")'
BAD_FILES: dict[str, list[list[Any]]] = {
    "officials": [
        ROSTER_HEADER,
        roster_row("A-1", "05/09/1990"),
        roster_row(FORMULA, "31/02/1990"),
    ],
    "training": [
        TRAINING_HEADER,
        training_row("DB000001", "01/03/2026"),
        training_row(FORMULA, "01/03/2026"),
    ],
    "courses": [COURSE_HEADER, course_row("A-1", "08/03/2027"), course_row(FORMULA, "31/02/2027")],
    "attendance": [
        ["Mã khóa học", "Mã cán bộ", "Kết quả"],
        [FORMULA, "DB000001", "hoàn thành"],
    ],
    "units": [
        ["Mã đơn vị", "Tên đơn vị", "Mã đơn vị cấp trên", "Cấp"],
        ["U-1", "Đơn vị 1", "T11", "xã"],
        [FORMULA, "Đơn vị X", "KHONG-CO", "xã"],
    ],
    # --- external completions (#16.7) ---
    "external": [
        ["Mã chuyên đề", "Số điện thoại", "Ngày hoàn thành", "Loại bồi dưỡng"],
        ["PL-1", "0912000001", "01/03/2026", "tin học"],
        [FORMULA, "0912000001", "31/02/2026", "tin học"],
    ],
    # --- seat quotas (#16.1) ---
    "quotas": [["Mã khóa học", "Mã đơn vị", "Số chỉ tiêu"], [FORMULA, "T11", "5"]],
}


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
async def test_every_kind_writes_an_error_workbook(db: Database, world: dict, kind: str) -> None:
    importer: Importer[Any, Any] = IMPORTERS[kind]
    rows = BAD_FILES[kind]
    async with db.transaction() as session:
        plan = await importer.plan(session, "loi.csv", csv_file(rows), today=TODAY)
        result = await importer.apply(session, plan, actor="test", now=NOW)
    assert not result.applied and plan.errors
    bad_row = len(rows)  # the last row of the file
    assert sorted(plan.bad_rows) == [bad_row]
    workbook = load_workbook(io.BytesIO(importer.write_error_file(plan)))
    sheet = workbook.active
    assert sheet is not None and sheet.title == _(import_plan.MSG_ERRORS_SHEET)
    read = list(sheet.iter_rows(values_only=True))
    assert read[0] == (_(import_plan.MSG_ERRORS_ROW), *rows[0], _(import_plan.MSG_ERRORS_COLUMN))
    assert len(read) == 2 and read[1][0] == bad_row
    assert read[1][1] == FORMULA
    assert sheet.cell(row=2, column=2).data_type == "s"  # echoed as text, never a formula
    assert read[1][-1] == "\n".join(e.message() for e in plan.errors)


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
async def test_every_kind_writes_an_error_workbook_for_an_unreadable_file(
    db: Database, kind: str
) -> None:
    importer = IMPORTERS[kind]
    async with db.transaction() as session:
        plan = await importer.plan(session, "cu.xls", b"\xd0\xcf\x11\xe0 old", today=TODAY)
    assert plan.file_error is not None
    sheet = load_workbook(io.BytesIO(importer.write_error_file(plan))).active
    assert sheet is not None and sheet.cell(row=1, column=1).value == plan.file_error.message()
