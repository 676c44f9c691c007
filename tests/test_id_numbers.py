"""The personal identification number (#13.3): checked against birth year and sex, unique,
used to follow an official whose employee code changed, never shown whole."""

from __future__ import annotations

import io
import logging
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from bot.db import Database
from bot.logs import Redactor
from models.imports.officials import ROSTER, RosterPlan, RosterResult
from models.org import id_numbers
from models.org.officials import Official
from models.org.units import OrgUnit, add_unit
from models.privacy.my_data import as_text, my_data
from tests.test_roster_import import csv_bytes

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
HEADER = ["Mã cán bộ", "Họ và tên", "Giới tính", "Ngày sinh", "Đối tượng", "Mã đơn vị", "CCCD"]
NHUNG = "011190001234"  # Điện Biên, 20th century female, 1990
QUANG = "011088004321"  # Điện Biên, 20th century male, 1988


def person(code: str, number: Any, *, name: str = "Lò Thị Nhung", sex: str = "nữ") -> list[Any]:
    birth = "05/09/1990" if sex == "nữ" else "12/03/1988"
    return [code, name, sex, birth, "công chức", "03158", number]


@pytest.fixture
async def commune(db: Database) -> OrgUnit:
    async with db.transaction() as session:
        root = await add_unit(session, code="T11", name="Tỉnh Điện Biên", level="province")
        return await add_unit(
            session, code="03158", name="Xã Sín Thầu", level="commune", parent=root
        )


async def run(
    db: Database, rows: list[list[Any]], header: list[str] = HEADER
) -> tuple[RosterPlan, RosterResult]:
    content = csv_bytes(rows, header=header)
    async with db.transaction() as session:
        plan = await ROSTER.plan(session, "ds.csv", content, today=TODAY)
        result = await ROSTER.apply(session, plan, actor="test", now=NOW)
    return plan, result


async def stored(db: Database) -> dict[str, str | None]:
    """Each official's number as far as it can be told from the database: the keyed hash
    of a known number is the number; the plain number is in no column."""
    async with db.transaction() as session:
        rows = (await session.scalars(select(Official))).all()
    known = {id_numbers.keyed_hash(n, b""): n for n in (NHUNG, QUANG)}
    for o in rows:
        assert o.id_number_hash is None or o.id_number_masked == id_numbers.masked(
            known[o.id_number_hash]
        )
    return {o.employee_code: known.get(o.id_number_hash or "") for o in rows}


def test_digits_give_century_sex_and_year() -> None:
    assert id_numbers.birth_year(NHUNG) == 1990 and id_numbers.sex(NHUNG) == "female"
    assert id_numbers.birth_year("001205000001") == 2005
    assert id_numbers.sex("001205000001") == "male"
    assert id_numbers.birth_year("001301000001") == 2001
    assert id_numbers.normalize("011 190 001 234") == NHUNG
    assert id_numbers.normalize(1190001234) == "001190001234"  # Excel dropped the zeros
    assert id_numbers.masked(NHUNG) == "0111******34"
    for bad in ("01119000123", "0111900012345", "01119000123A", "099190001234"):
        with pytest.raises(id_numbers.IdNumberError):
            id_numbers.normalize(bad)


@pytest.mark.parametrize(
    "header",
    ["Số định danh cá nhân", "So dinh danh ca nhan", "Số ĐDCN", "CCCD", "Số CCCD", "so cccd"],
)
async def test_header_aliases_store_the_number(db: Database, commune: OrgUnit, header: str) -> None:
    plan, result = await run(db, [person("DB001", NHUNG)], [*HEADER[:-1], header])
    assert plan.ok, plan.errors
    assert result.created == 1
    assert await stored(db) == {"DB001": NHUNG}


async def test_year_sex_and_shape_are_row_errors_never_showing_the_number(
    db: Database, commune: OrgUnit
) -> None:
    rows = [
        person("DB001", "011188001234"),  # says 1988, birth date 1990
        person("DB002", "011090005678"),  # says male, row says nữ
        person("DB003", "12345"),
        person("DB004", "100190001234"),  # province code 100
        person("DB005", NHUNG),
    ]
    plan, result = await run(db, rows)
    assert not result.applied
    bad = {e.row: e for e in plan.errors}
    assert set(bad) == {2, 3, 4, 5}
    assert bad[2].msgid == id_numbers.MSG_ID_YEAR_MISMATCH
    assert bad[3].msgid == id_numbers.MSG_ID_SEX_MISMATCH
    assert bad[4].msgid == id_numbers.MSG_BAD_ID_NUMBER
    assert bad[5].msgid == id_numbers.MSG_BAD_ID_PROVINCE
    report = ROSTER.format_plan_report(plan)
    for number in ("011188001234", "011090005678", "100190001234"):
        assert number not in report
    assert "0111******34" in report


async def test_numbers_are_unique_in_the_file_and_on_file(db: Database, commune: OrgUnit) -> None:
    plan, _result = await run(db, [person("DB001", NHUNG), person("DB002", NHUNG)])
    assert [e.row for e in plan.errors] == [2, 3]
    await run(db, [person("DB001", NHUNG), person("DB002", QUANG, name="Quàng Văn A", sex="nam")])
    # DB002 may not take DB001's number.
    plan, result = await run(db, [person("DB002", NHUNG, name="Quàng Văn A")])
    assert not result.applied
    assert plan.errors[0].msgid.startswith("the personal identification number")
    assert await stored(db) == {"DB001": NHUNG, "DB002": QUANG}


async def test_a_changed_employee_code_is_followed_by_the_number(
    db: Database, commune: OrgUnit
) -> None:
    await run(db, [person("DB001", NHUNG)])
    before = await stored(db)
    plan, result = await run(db, [person("NV-2026-001", NHUNG)])
    assert plan.ok and plan.recoded == [("DB001", "NV-2026-001")]
    assert "DB001 → NV-2026-001" in ROSTER.format_plan_report(plan)
    assert result.created == 0 and result.updated == 1
    assert result.recoded == [("DB001", "NV-2026-001")]
    assert "DB001 → NV-2026-001" in ROSTER.format_result(result)
    assert before == {"DB001": NHUNG}
    assert await stored(db) == {"NV-2026-001": NHUNG}
    # Re-importing the same file changes nothing.
    plan, result = await run(db, [person("NV-2026-001", NHUNG)])
    assert result.unchanged == 1 and not plan.recoded


async def test_my_data_and_logs_show_the_number_masked(
    db: Database, commune: OrgUnit, caplog: pytest.LogCaptureFixture
) -> None:
    await run(db, [person("DB001", NHUNG)])
    async with db.transaction() as session:
        official = await session.scalar(select(Official))
        assert official is not None
        data = await my_data(session, official)
    assert data["record"]["id_number"] == "0111******34"
    assert NHUNG not in str(data) and NHUNG not in as_text(data)
    assert "0111******34" in as_text(data)
    redactor = Redactor()
    record = logging.LogRecord("x", logging.ERROR, "f", 1, "params (%s, %s)", (NHUNG, 5), None)
    redactor.filter(record)
    assert NHUNG not in record.getMessage() and redactor.redact("+84912345678") == "+84912345678"


async def test_the_number_is_stored_only_as_a_keyed_hash_and_masked(
    db: Database, commune: OrgUnit
) -> None:
    pepper = b"p" * 32
    content = csv_bytes([person("DB001", NHUNG)], header=HEADER)
    async with db.transaction() as session:
        plan = await ROSTER.plan(session, "ds.csv", content, today=TODAY, pepper=pepper)
        await ROSTER.apply(session, plan, actor="test", now=NOW)
        rows = (await session.execute(text("SELECT * FROM officials"))).all()
        entries = (await session.execute(text("SELECT * FROM audit_log"))).all()
    dump = repr(rows) + repr(entries)
    assert NHUNG not in dump and "0111******34" in dump
    assert id_numbers.keyed_hash(NHUNG, pepper) in dump
    assert id_numbers.keyed_hash(NHUNG, b"") not in dump  # the pepper keys it
    # Matching goes through the same hash: the code change is found with the same pepper.
    content = csv_bytes([person("NV-1", NHUNG)], header=HEADER)
    async with db.transaction() as session:
        plan = await ROSTER.plan(session, "ds.csv", content, today=TODAY, pepper=pepper)
    assert plan.recoded == [("DB001", "NV-1")]


async def test_the_error_workbook_masks_the_number(db: Database, commune: OrgUnit) -> None:
    plan, _result = await run(db, [person("DB001", "011188001234"), person("", QUANG)])
    assert not plan.ok
    book = load_workbook(io.BytesIO(ROSTER.write_error_file(plan)))
    cells = [str(c) for row in book.worksheets[0].iter_rows(values_only=True) for c in row]
    assert not any("011188001234" in c or QUANG in c for c in cells), cells
    assert "0111******34" in cells and "0110******21" in cells
