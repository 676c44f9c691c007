"""Roster import (HR's Excel/CSV of officials), on SQLite and PostgreSQL."""

from __future__ import annotations

import ast
import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from openpyxl import Workbook, load_workbook
from sqlalchemy import event, func, select

from bot.db import Database
from locales import _, i18n
from locales.folding import fold_key
from models.audit import AuditEntry
from models.imports import cells
from models.imports import officials as roster_import
from models.imports import plan as import_plan
from models.imports import table as tabular
from models.imports.officials import ACCEPTED_WORDS, ROSTER, RosterPlan, RosterResult
from models.imports.roster_template import COLUMN_HELP, ROSTER_COLUMNS, roster_template_xlsx
from models.org.officials import ROSTER_FIELDS, Official
from models.org.units import OrgUnit, add_unit
from models.vocabulary import parse_code

ROOT = Path(__file__).resolve().parent.parent
VI_PO = ROOT / "locales" / "vi" / "LC_MESSAGES" / "messages.po"
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)

HEADER = [
    "Mã cán bộ",
    "Họ và tên",
    "Ngày sinh",
    "Số điện thoại",
    "Đối tượng",
    "Mã đơn vị",
    "Chức vụ",
]


# --- helpers -----------------------------------------------------------------------------


def csv_bytes(
    rows: Sequence[Sequence[Any]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
    header: Sequence[str] = HEADER,
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in r] for r in rows])
    if encoding == "cp1258":
        return to_cp1258(buffer.getvalue())
    return buffer.getvalue().encode(encoding)


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """What Vietnamese Windows writes: letters with â/ă/ê/ô/ơ/ư precomposed, tone marks as
    separate combining characters (Python's charmap codec does not compose for us)."""
    out: list[bytes] = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out.append((base + "".join(c for c in decomposed if c in _TONES)).encode("cp1258"))
    return b"".join(out)


def xlsx_bytes(sheets: dict[str, Sequence[Sequence[Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row(
    code: str,
    name: str = "Lò Thị Nhung",
    birth: Any = "05/09/1990",
    phone: Any = "0912 345 678",
    category: str = "công chức",
    unit: str = "03158",
    post: str = "Công chức Văn phòng – Thống kê",
) -> list[Any]:
    return [code, name, birth, phone, category, unit, post]


@pytest.fixture
async def units(db: Database) -> dict[str, OrgUnit]:
    async with db.transaction() as session:
        root = await add_unit(
            session, code="T11", name="Tỉnh Điện Biên", level="province", kind="province"
        )
        noi_vu = await add_unit(
            session, code="SNV", name="Sở Nội vụ", level="province", kind="department", parent=root
        )
        tccb = await add_unit(
            session,
            code="SNV-TCCB",
            name="Phòng Tổ chức cán bộ",
            level="province",
            kind="division",
            parent=noi_vu,
        )
        sin_thau = await add_unit(
            session, code="03158", name="Xã Sín Thầu", level="commune", kind="commune", parent=root
        )
        old = await add_unit(
            session,
            code="H-TG",
            name="Huyện Tuần Giáo",
            level="district",
            parent=root,
            valid_to=date(2025, 6, 30),
        )
    return {"root": root, "noi_vu": noi_vu, "tccb": tccb, "sin_thau": sin_thau, "old": old}


async def plan(db: Database, content: bytes, name: str = "ds.csv", **kw: Any) -> RosterPlan:
    async with db.transaction() as session:
        return await ROSTER.plan(session, name, content, today=TODAY, **kw)


async def run(
    db: Database, content: bytes, name: str = "ds.csv", *, skip: bool = False, **kw: Any
) -> tuple[RosterPlan, RosterResult]:
    async with db.transaction() as session:
        p = await ROSTER.plan(session, name, content, today=TODAY, **kw)
        result = await ROSTER.apply(session, p, actor="test", now=NOW, skip_bad_rows=skip)
    return p, result


async def officials(db: Database) -> dict[str, Official]:
    async with db.transaction() as session:
        rows = (await session.scalars(select(Official))).all()
    return {o.employee_code: o for o in rows}


async def audit_count(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


@pytest.fixture
def vi_catalogue() -> Iterator[None]:
    with i18n.use_locale("vi"):
        yield


# --- reading -----------------------------------------------------------------------------


async def test_csv_with_vietnamese_headers_imports_and_normalises(
    db: Database, units: dict
) -> None:
    content = csv_bytes(
        [
            row("DB001", phone="0912 345 678"),
            row(
                "DB002",
                name="Nguyễn Văn An",
                phone="+84 912 345 678",
                birth="1/2/1985",
                category="CC",
                unit="Xã Sín Thầu",
            ),
            row(
                "DB003",
                name="Quàng Văn Bình",
                phone="84912345678",
                birth="1979-12-31",
                category="viên chức",
                unit="snv-tccb",
            ),
        ]
    )
    p, result = await run(db, content)
    assert p.ok and p.sheet is None
    assert (result.created, result.updated, result.unchanged, result.skipped) == (3, 0, 0, 0)
    stored = await officials(db)
    assert {o.phone for o in stored.values()} == {"+84912345678"}
    assert stored["DB001"].birth_date == date(1990, 9, 5)
    assert stored["DB002"].birth_date == date(1985, 2, 1)
    assert stored["DB003"].birth_date == date(1979, 12, 31)
    assert stored["DB002"].unit_id == units["sin_thau"].id  # by unit name, folded
    assert stored["DB003"].unit_id == units["tccb"].id  # code, any case
    assert stored["DB001"].level == "commune"  # the unit's level by default
    assert stored["DB003"].category == "vien_chuc"
    assert stored["DB001"].post_title == "Công chức Văn phòng – Thống kê"
    assert stored["DB001"].active is True and stored["DB001"].languages == []


@pytest.mark.parametrize(
    "header",
    [
        ["Mã cán bộ", "Họ và tên", "Ngày sinh", "Số điện thoại", "Đối tượng", "Đơn vị", "Chức vụ"],
        [
            "Ma can bo",
            "Ho va ten",
            "Ngay sinh",
            "So dien thoai",
            "Doi tuong",
            "Ma don vi",
            "Chuc vu",
        ],
        ["MÃ CB", "HỌ TÊN", "NGÀY SINH", "SĐT", "LOẠI", "ĐƠN VỊ CÔNG TÁC", "CHỨC VỤ"],
        [unicodedata.normalize("NFD", h) for h in HEADER],
        [
            "employee_code",
            "full_name",
            "birth_date",
            "phone",
            "category",
            "unit_code",
            "post_title",
        ],
        [
            "Mã cán bộ (*)",
            "Họ và tên *",
            "Ngày sinh (dd/mm/yyyy)",
            "Điện thoại",
            "Đối tượng",
            "Mã đơn vị",
            "Chức vụ\u200b",
        ],
    ],
)
async def test_header_spellings(db: Database, units: dict, header: list[str]) -> None:
    p = await plan(db, csv_bytes([row("DB001")], header=header))
    assert p.ok, ROSTER.format_plan_report(p)
    assert set(p.headers) == {
        "employee_code",
        "full_name",
        "birth_date",
        "phone",
        "category",
        "unit_code",
        "post_title",
    }
    assert p.headers["employee_code"] == unicodedata.normalize("NFC", header[0])
    assert p.rows[0].values["birth_date"] == date(1990, 9, 5)


async def test_csv_encodings_and_delimiters(db: Database, units: dict) -> None:
    rows = [row("DB001", name="Lò Thị Nhung, con")]
    for delimiter, encoding in (
        (",", "utf-8"),
        ("\t", "utf-16"),
        (";", "cp1258"),
        (",", "utf-16-le"),
    ):
        p = await plan(db, csv_bytes(rows, delimiter=delimiter, encoding=encoding))
        assert p.ok, (delimiter, encoding, ROSTER.format_plan_report(p))
        assert p.rows[0].values["full_name"] == "Lò Thị Nhung, con"
    # A cp1258 file of a Vietnamese name decodes to the same NFC text.
    p = await plan(db, csv_bytes([row("DB001", name="Lò Thị Nhung")], encoding="cp1258"))
    assert p.rows[0].values["full_name"] == "Lò Thị Nhung"


async def test_xlsx_typed_cells_title_rows_and_sheet_choice(db: Database, units: dict) -> None:
    content = xlsx_bytes(
        {
            "Ghi chú": [["Danh sách gửi Sở Nội vụ"], ["Người lập", "Ngày lập"]],
            "DS cán bộ": [
                ["DANH SÁCH CÁN BỘ, CÔNG CHỨC"],
                [],
                ["STT", *HEADER, "Tiếng dân tộc", "Chuyên ngành phù hợp vị trí", "Mã ngạch"],
                [
                    1,
                    1234,
                    "Lò Thị Nhung",
                    datetime(1990, 9, 5),
                    912345678,
                    "Công chức",
                    3158,
                    "Chủ tịch UBND xã",
                    "Thái; Mông / thái",
                    "x",
                    1.003,
                ],
                [],
                [
                    2,
                    "DB002",
                    "Nguyễn Văn An",
                    32874,
                    "0912.345.678",
                    "CB",
                    "03158",
                    None,
                    None,
                    "không",
                    "Chuyên viên chính",
                ],
            ],
        }
    )
    p, result = await run(db, content, "ds.xlsx")
    assert p.ok, ROSTER.format_plan_report(p)
    assert p.sheet == "DS cán bộ"
    assert p.ignored_headers == ["STT"]
    assert [r.row for r in p.rows] == [4, 6]  # spreadsheet rows, blank row skipped
    assert result.created == 2
    stored = await officials(db)
    nhung = stored["1234"]
    assert nhung.birth_date == date(1990, 9, 5)
    assert nhung.phone == "+84912345678"
    assert nhung.unit_id == units["sin_thau"].id  # 3158: Excel dropped the leading zero
    assert nhung.languages == ["Thái", "Mông"]
    assert nhung.professional_field_matches_post is True
    assert nhung.rank_code == "01.003"
    an = stored["DB002"]
    assert an.birth_date == date(1990, 1, 1)  # an unformatted Excel date serial
    assert an.professional_field_matches_post is False
    assert an.rank_code is None and an.rank_tier == "chuyen_vien_chinh"
    assert an.category == "can_bo"


async def test_wrong_sheet_is_a_clear_error(db: Database, units: dict) -> None:
    content = xlsx_bytes(
        {
            "Tổng hợp": [["Đơn vị", "Số lượng"], ["Sở Nội vụ", 12]],
            "Khóa học": [["Mã khóa", "Tên khóa"], ["K-1", "QLNN"]],
        }
    )
    p, result = await run(db, content, "tong-hop.xlsx")
    assert p.file_error is not None and p.file_error.msgid == tabular.MSG_WRONG_SHEET
    message = ROSTER.format_plan_report(p)
    assert "“Tổng hợp”, “Khóa học”" in message
    assert "“Mã cán bộ”" in message and "“Mã đơn vị”" in message
    assert not result.applied
    assert await officials(db) == {} and await audit_count(db) == 0


async def test_csv_missing_columns(db: Database, units: dict) -> None:
    p = await plan(db, csv_bytes([["DB001", "An"]], header=["Mã cán bộ", "Họ và tên"]))
    assert p.file_error is not None and p.file_error.msgid == tabular.MSG_MISSING_COLUMNS
    assert "“Đối tượng”, “Mã đơn vị”" in ROSTER.format_plan_report(p)


@pytest.mark.parametrize(
    ("name", "content", "msgid"),
    [
        ("ds.pdf", b"%PDF-1.4", tabular.MSG_UNSUPPORTED),
        ("ds.csv", b"", tabular.MSG_EMPTY),
        ("ds.xlsx", b"  \n", tabular.MSG_EMPTY),
        ("ds.xlsx", b"PK\x03\x04 this is not really a zip", tabular.MSG_CORRUPT),
        ("ds.xlsx", b"not a workbook at all", tabular.MSG_CORRUPT),
        ("ds.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, tabular.MSG_CORRUPT),
        ("ds.csv", ";".join(HEADER).encode() + b"\n;;;\n", tabular.MSG_NO_DATA),
    ],
)
async def test_file_errors(
    db: Database, units: dict, name: str, content: bytes, msgid: str
) -> None:
    p, result = await run(db, content, name, skip=True)
    assert p.file_error is not None and p.file_error.msgid == msgid
    assert name in ROSTER.format_plan_report(p)
    assert not result.applied and name in ROSTER.format_result(result)
    assert await audit_count(db) == 0
    load_workbook(io.BytesIO(ROSTER.write_error_file(p)))  # still a valid workbook to send back


async def test_xlsx_renamed_csv_is_read_as_xlsx(db: Database, units: dict) -> None:
    content = xlsx_bytes({"Sheet1": [HEADER, row("DB001")]})
    p = await plan(db, content, "ds.csv")
    assert p.ok and p.sheet == "Sheet1"


# --- validation --------------------------------------------------------------------------


async def test_row_errors_carry_row_column_and_value(db: Database, units: dict) -> None:
    content = csv_bytes(
        [
            row("DB001", birth="31/02/1980"),  # row 2: impossible date
            row("DB002", birth="05/09/2030"),  # row 3: future birth date
            row("DB003", phone="12345"),  # row 4: bad phone
            row("DB004", unit="X-KHONG-CO"),  # row 5: unknown unit
            row("DB005", category="hợp đồng"),  # row 6: unknown category
            row("DB006", name=""),  # row 7: missing name
            row("DB007", unit="H-TG"),  # row 8: dissolved unit
            row("DB008", birth="1890-01-01"),  # row 9: before 1900
            row("DB009"),  # row 10: fine
        ]
    )
    p = await plan(db, content)
    found = {(e.row, e.column, e.value, e.msgid) for e in p.errors}
    assert found == {
        (2, "Ngày sinh", "31/02/1980", cells.MSG_BAD_DATE),
        (3, "Ngày sinh", "05/09/2030", roster_import.MSG_FUTURE_BIRTH),
        (4, "Số điện thoại", "12345", cells.MSG_BAD_PHONE),
        (5, "Mã đơn vị", "X-KHONG-CO", roster_import.MSG_UNKNOWN_UNIT),
        (6, "Đối tượng", "hợp đồng", cells.MSG_BAD_CHOICE),
        (7, "Họ và tên", "", cells.MSG_REQUIRED),
        (8, "Mã đơn vị", "H-TG", roster_import.MSG_DISSOLVED_UNIT),
        (9, "Ngày sinh", "1890-01-01", cells.MSG_OLD_DATE),
    }
    assert [r.employee_code for r in p.rows] == ["DB009"]
    assert sorted(p.bad_rows) == [2, 3, 4, 5, 6, 7, 8, 9]


async def test_vietnamese_error_wording(db: Database, units: dict, vi_catalogue: None) -> None:
    content = csv_bytes(
        [row(f"DB{i:03}") for i in range(1, 6)]
        + [
            row("DB006", birth="31/02/1980"),
            row("DB007", category="hợp đồng"),
        ]
    )
    p = await plan(db, content)
    report = ROSTER.format_plan_report(p)
    assert "Dòng 7, cột “Ngày sinh”: “31/02/1980” không phải là ngày hợp lệ (dd/mm/yyyy)." in report
    assert (
        "Dòng 8, cột “Đối tượng”: “hợp đồng” không phải là giá trị hợp lệ; anh/chị vui lòng"
        " dùng một trong các giá trị: cán bộ, công chức, viên chức." in report
    )
    assert "Số dòng dữ liệu: 7; hợp lệ: 5; có lỗi: 2." in report
    # The locale of the reader applies, not the one active while the file was read.
    with i18n.use_locale("en"):
        assert "Row 7, column “Ngày sinh”: “31/02/1980” is not a valid date" in (
            ROSTER.format_plan_report(p)
        )


async def test_report_lists_at_most_limit_errors(
    db: Database, units: dict, vi_catalogue: None
) -> None:
    content = csv_bytes([row(f"DB{i:03}", birth="32/01/1990") for i in range(30)])
    p = await plan(db, content)
    report = ROSTER.format_plan_report(p, limit=20)
    assert report.count("không phải là ngày hợp lệ") == 20
    assert report.rstrip().endswith("… và 10 lỗi khác.")
    assert "Dòng 21," in report and "Dòng 22," not in report


async def test_duplicate_codes_flag_every_copy(db: Database, units: dict) -> None:
    content = csv_bytes([row("DB001"), row("DB002"), row("db001", name="Lò Văn Khác")])
    p = await plan(db, content)
    duplicates = [e for e in p.errors if e.msgid == roster_import.MSG_DUPLICATE_CODE]
    assert [(e.row, e.column, e.params["rows"]) for e in duplicates] == [
        (2, "Mã cán bộ", "2, 4"),
        (4, "Mã cán bộ", "2, 4"),
    ]
    assert [r.employee_code for r in p.rows] == ["DB002"]


async def test_vocabulary_words_and_booleans(db: Database, units: dict) -> None:
    header = [
        *HEADER,
        "Giới tính",
        "Trình độ chuyên môn",
        "Lý luận chính trị",
        "Cấp lãnh đạo",
        "Tên ngạch",
        "Chuyên ngành phù hợp vị trí",
        "Cấp",
        "Đang công tác",
        "Ngôn ngữ nhận tin",
        "Email",
    ]
    content = csv_bytes(
        [
            [
                *row("DB001"),
                "Nữ",
                "Thạc sĩ",
                "Cao cấp lý luận chính trị",
                "Phó trưởng phòng",
                "CVC",
                "có",
                "Tỉnh",
                "x",
                "Tiếng Việt",
                "nhung.lt@dienbien.gov.vn",
            ],
            [
                *row("DB002"),
                "nam",
                "ThS",
                "trung cấp LLCT",
                "không",
                "chuyên viên",
                "KHÔNG",
                "",
                "",
                "en",
                "",
            ],
            [
                *row("DB003"),
                "khác",
                "lớp 12",
                "chưa học",
                "trưởng ban",
                "x",
                "có lẽ",
                "thôn",
                "nghỉ",
                "fr",
                "nhung@",
            ],
        ],
        header=header,
    )
    p = await plan(db, content)
    values = {r.employee_code: r.values for r in p.rows}
    assert values["DB001"] | {} == values["DB001"]
    one = values["DB001"]
    assert (
        one["gender"],
        one["education_level"],
        one["political_theory_level"],
        one["leadership_tier"],
        one["rank_tier"],
        one["professional_field_matches_post"],
        one["level"],
        one["active"],
        one["preferred_locale"],
        one["email"],
    ) == (
        "female",
        "thac_si",
        "cao_cap",
        "pho_truong_phong",
        "chuyen_vien_chinh",
        True,
        "province",
        True,
        "vi",
        "nhung.lt@dienbien.gov.vn",
    )
    two = values["DB002"]
    assert two["leadership_tier"] is None and two["professional_field_matches_post"] is False
    assert two["level"] == "commune" and "active" not in two and two["email"] is None
    assert two["political_theory_level"] == "trung_cap" and two["preferred_locale"] == "en"
    bad = {e.column for e in p.errors if e.row == 4}
    assert bad == {
        "Giới tính",
        "Trình độ chuyên môn",
        "Lý luận chính trị",
        "Cấp lãnh đạo",
        "Tên ngạch",
        "Chuyên ngành phù hợp vị trí",
        "Cấp",
        "Đang công tác",
        "Ngôn ngữ nhận tin",
        "Email",
    }


def test_accepted_words_parse() -> None:
    for field_name, words in ACCEPTED_WORDS.items():
        for word in words:
            assert parse_code(field_name, word) is not None, (field_name, word)


# --- scope -------------------------------------------------------------------------------


async def test_scope_limits_units(db: Database, units: dict) -> None:
    content = csv_bytes([row("DB001", unit="SNV-TCCB"), row("DB002", unit="03158")])
    p, result = await run(db, content, scope_unit=units["noi_vu"])
    assert [(e.row, e.column, e.value, e.msgid) for e in p.errors] == [
        (3, "Mã đơn vị", "03158", roster_import.MSG_OUT_OF_SCOPE),
    ]
    assert p.errors[0].params["scope"] == "Sở Nội vụ"
    assert not result.applied and await officials(db) == {}


async def test_scope_protects_officials_of_other_units(db: Database, units: dict) -> None:
    await run(db, csv_bytes([row("DB001", unit="03158")]))
    # Sở Nội vụ's admin cannot pull the commune's official into their own unit.
    p, _result = await run(
        db, csv_bytes([row("DB001", unit="SNV-TCCB")]), scope_unit=units["noi_vu"]
    )
    assert [e.msgid for e in p.errors] == [roster_import.MSG_OFFICIAL_OUT_OF_SCOPE]
    assert (await officials(db))["DB001"].unit_id == units["sin_thau"].id


# --- writing -----------------------------------------------------------------------------


async def test_nothing_written_when_any_row_is_bad(db: Database, units: dict) -> None:
    content = csv_bytes([row("DB001"), row("DB002", birth="31/02/1980"), row("DB003")])
    _p, result = await run(db, content)
    assert not result.applied
    assert (result.created, result.updated, result.skipped) == (0, 0, 1)
    assert await officials(db) == {} and await audit_count(db) == 0
    assert "1" in ROSTER.format_result(result) and "ds.csv" in ROSTER.format_result(result)


async def test_skip_bad_rows_writes_the_good_rows(db: Database, units: dict) -> None:
    content = csv_bytes([row("DB001"), row("DB002", birth="31/02/1980"), row("DB003")])
    _p, result = await run(db, content, skip=True)
    assert result.applied
    assert (result.created, result.updated, result.unchanged, result.skipped) == (2, 0, 0, 1)
    assert sorted(await officials(db)) == ["DB001", "DB003"]
    async with db.transaction() as session:
        entry = (await session.scalars(select(AuditEntry))).one()
    assert (entry.action, entry.actor, entry.affected) == ("roster.import", "test", 2)
    assert entry.detail["skipped"] == 1 and entry.detail["file"] == "ds.csv"


async def test_reimport_changes_nothing(db: Database, units: dict) -> None:
    content = csv_bytes([row("DB001"), row("DB002", name="Nguyễn Văn An")])
    await run(db, content)
    before = {c: o.updated_at for c, o in (await officials(db)).items()}
    async with db.transaction() as session:
        p = await ROSTER.plan(session, "ds.csv", content, today=TODAY)
        assert (p.to_create, p.to_update, p.unchanged) == (0, 0, 2)
        result = await ROSTER.apply(session, p, actor="test", now=datetime(2027, 1, 1, tzinfo=UTC))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert result.changes == [] and result.affected == 0
    assert {c: o.updated_at for c, o in (await officials(db)).items()} == before


async def test_changed_row_is_one_update_with_fields(db: Database, units: dict) -> None:
    await run(db, csv_bytes([row("DB001"), row("DB002", name="Nguyễn Văn An")]))
    later = datetime(2027, 1, 1, tzinfo=UTC)
    content = csv_bytes(
        [
            row("DB001", post="Phó Chủ tịch UBND xã", unit="SNV-TCCB"),
            row("DB002", name="Nguyễn Văn An"),
        ]
    )
    async with db.transaction() as session:
        p = await ROSTER.plan(session, "ds.csv", content, today=TODAY)
        result = await ROSTER.apply(session, p, actor="test", now=later)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert result.changed_codes == ["DB001"]
    change = result.changes[0]
    assert set(change.fields) == {"post_title", "unit_id", "level"}
    assert change.fields["post_title"] == ("Công chức Văn phòng – Thống kê", "Phó Chủ tịch UBND xã")
    assert change.fields["level"] == ("commune", "province")
    stored = await officials(db)
    assert stored["DB001"].post_title == "Phó Chủ tịch UBND xã"
    assert stored["DB001"].updated_at == later
    assert stored["DB002"].updated_at == NOW


async def test_columns_absent_from_the_file_are_left_alone(db: Database, units: dict) -> None:
    header = [*HEADER, "Email", "Đang công tác"]
    await run(db, csv_bytes([[*row("DB001"), "a@b.vn", "không"]], header=header))
    _p, result = await run(db, csv_bytes([row("DB001")]))
    assert result.unchanged == 1
    stored = (await officials(db))["DB001"]
    assert stored.email == "a@b.vn" and stored.active is False


# --- files for people --------------------------------------------------------------------


async def test_error_file_lists_bad_rows(db: Database, units: dict) -> None:
    content = csv_bytes([row("DB001"), row('=HYPERLINK("x")', birth="31/02/1980")])
    p = await plan(db, content)
    workbook = load_workbook(io.BytesIO(ROSTER.write_error_file(p)))
    sheet = workbook.active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (_(import_plan.MSG_ERRORS_ROW), *HEADER, _(import_plan.MSG_ERRORS_COLUMN))
    assert rows[1][0] == 3 and rows[1][1] == '=HYPERLINK("x")'
    assert sheet.cell(row=2, column=2).data_type == "s"  # echoed as text, never a formula
    assert "31/02/1980" in str(rows[1][-1])
    assert len(rows) == 2


async def test_template_round_trips(db: Database, units: dict) -> None:
    template = roster_template_xlsx()
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert len(headers) == 25 == len(ROSTER_COLUMNS)
    # An empty template is "no data", not a crash.
    p = await plan(db, template, "mau.xlsx")
    assert p.file_error is not None and p.file_error.msgid == tabular.MSG_NO_DATA
    sheet.append(
        [
            "DB100",
            "Lò Thị Nhung",
            "nữ",
            datetime(1990, 9, 5),
            "0912345678",
            "nhung.lt@dienbien.gov.vn",
            "công chức",
            "03158",
            "",
            "01.003",
            "chuyên viên",
            "V.07.01.03",
            datetime(2015, 7, 1),
            "Công chức Văn phòng – Thống kê",
            "trưởng phòng",
            "15/03/2021",
            "đại học",
            "có",
            "trung cấp",
            "Thái",
            "Thái, Mông",
            "01/10/2012",
            "vi",
            "011190001234",
            "có",
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    p, result = await run(db, buffer.getvalue(), "mau.xlsx")
    assert p.ok, ROSTER.format_plan_report(p)
    assert set(p.headers) == {c.field for c in ROSTER_COLUMNS}
    assert p.headers == {c.field: c.header for c in ROSTER_COLUMNS}
    assert result.created == 1
    o = (await officials(db))["DB100"]
    assert (
        o.gender,
        o.birth_date,
        o.phone,
        o.category,
        o.level,
        o.rank_code,
        o.rank_tier,
        o.professional_title_code,
        o.rank_assigned_on,
        o.leadership_tier,
        o.leadership_appointed_on,
        o.education_level,
        o.professional_field_matches_post,
        o.political_theory_level,
        o.ethnicity,
        o.languages,
        o.started_service_on,
        o.preferred_locale,
        o.id_number_masked,
        o.active,
    ) == (
        "female",
        date(1990, 9, 5),
        "+84912345678",
        "cong_chuc",
        "commune",
        "01.003",
        "chuyen_vien",
        "V.07.01.03",
        date(2015, 7, 1),
        "truong_phong",
        date(2021, 3, 15),
        "dai_hoc",
        True,
        "trung_cap",
        "Thái",
        ["Thái", "Mông"],
        date(2012, 10, 1),
        "vi",
        "0111******34",  # masked: the number itself is not stored
        True,
    )
    guide = [r[0] for r in workbook["Hướng dẫn"].iter_rows(min_row=2, values_only=True)]
    assert guide == headers


def test_column_spec_is_consistent() -> None:
    assert tuple(c.field for c in ROSTER_COLUMNS) == (*ROSTER_FIELDS, "active")
    tabular._alias_index(ROSTER_COLUMNS)  # raises if an alias maps to two fields
    assert set(COLUMN_HELP) == {c.field for c in ROSTER_COLUMNS}
    doc = (ROOT / "docs" / "roster-format.md").read_text("utf-8")
    for column in ROSTER_COLUMNS:
        assert f"| {column.header} |" in doc, column.header
        for alias in column.aliases:
            assert alias in doc, alias


# --- translations ------------------------------------------------------------------------


def _msgids() -> set[str]:
    found: set[str] = set()
    for module in (tabular, cells, import_plan, roster_import):
        tree = ast.parse(Path(module.__file__ or "").read_text("utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("N_", "_")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(str(node.args[0].value))
    return found


def test_every_msgid_has_a_vietnamese_translation() -> None:
    with VI_PO.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    vi = {m.id: m.string for m in catalog if isinstance(m.id, str) and isinstance(m.string, str)}
    msgids = _msgids()
    assert msgids and msgids <= set(vi), sorted(msgids - set(vi))
    placeholder = re.compile(r"\{(\w+)\}")
    for msgid in msgids:
        msgstr = vi[msgid]
        assert set(placeholder.findall(msgid)) == set(placeholder.findall(msgstr)), msgid
        assert msgstr and msgstr != msgid
        assert "bạn" not in msgstr.lower().split()
        if "please" in msgid.lower():
            assert "anh/chị" in msgstr.lower(), msgstr
        # Full diacritics: the folded text differs from the text itself.
        if len(msgstr) > 10:
            assert fold_key(msgstr) != " ".join(re.findall(r"\w+", msgstr.lower())), msgstr


# --- scale -------------------------------------------------------------------------------


async def test_24150_rows_plan_and_apply_in_batches(db: Database, units: dict) -> None:
    unit_codes = ["03158", "SNV-TCCB", "SNV"]
    rows = [
        row(
            f"DB{i:06}",
            name=f"Nguyễn Văn {i}",
            birth=f"{1 + i % 28}/{1 + i % 12}/19{60 + i % 40}",
            phone=f"09{i:08}",
            category=("công chức", "viên chức", "cán bộ")[i % 3],
            unit=unit_codes[i % 3],
        )
        for i in range(24_150)
    ]
    content = csv_bytes(rows)
    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        p, result = await run(db, content)
        assert result.created == 24_150
        first_statements, statements = statements, 0
        _p, again = await run(db, content)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert again.unchanged == 24_150 and again.affected == 0
    # Batched: a query per row would be tens of thousands of statements.
    assert first_statements < 120 and statements < 120
    assert "24.150" in ROSTER.format_plan_report(p)
    # How long it takes is benchmarks/bench_import.py's subject.
