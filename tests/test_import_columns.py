"""A roster column is converted a distinct value at a time (issue #13 point 9): rosters
repeat units, ranks, levels, sexes and dates, so each distinct cell is parsed once and
every row still gets its own errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from bot.db import Database
from models.imports import cells
from models.imports import officials as roster_import
from models.imports.officials import ROSTER
from models.org.units import add_unit

TODAY = date(2026, 12, 1)
HEADER = ["Mã cán bộ", "Họ và tên", "Ngày sinh", "Số điện thoại", "Đối tượng", "Mã đơn vị"]


def roster_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows([HEADER, *rows])
    return buffer.getvalue().encode("utf-8-sig")


@pytest.fixture
async def commune(db: Database) -> None:
    async with db.transaction() as session:
        root = await add_unit(
            session, code="T11", name="Tỉnh Điện Biên", level="province", kind="province"
        )
        await add_unit(session, code="03158", name="Xã Sín Thầu", level="commune", parent=root)


def test_parse_column_parses_each_distinct_cell_once() -> None:
    calls: list[Any] = []

    def parse(raw: Any) -> Any:
        calls.append(raw)
        if raw == "xấu":
            raise cells.CellError(cells.MSG_BAD_DATE)
        return raw

    raws = ["a", "b", "a", None, "-", "xấu", "xấu", True, 1, 1.0, "a"]
    parsed = cells.parse_column(raws, parse)
    # A blank mark is None; True, 1 and 1.0 are three cells although they compare equal.
    assert calls == ["a", "b", None, None, "xấu", True, 1, 1.0]
    assert parsed.cells[:5] == ["a", "b", "a", None, None]
    assert isinstance(parsed.cells[5], cells.CellError) and parsed.cells[5] is parsed.cells[6]
    assert [type(v) for v in parsed.cells[7:10]] == [bool, int, float]
    assert parsed.has_errors


async def test_roster_dates_are_converted_once_per_distinct_value(
    db: Database, commune: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dates: list[Any] = []
    real = roster_import.date_value

    def counted(raw: Any) -> date | None:
        dates.append(raw)
        return real(raw)

    monkeypatch.setattr(roster_import, "date_value", counted)
    births = ("05/09/1990", "12/03/1985")
    rows = [
        [f"CB{i:03}", f"Lò Thị {i}", births[i % 2], f"0912 345 {i:03}", "công chức", "03158"]
        for i in range(40)
    ]
    async with db.transaction() as session:
        plan = await ROSTER.plan(session, "ds.csv", roster_csv(rows), today=TODAY)
    assert plan.ok, [e.message() for e in plan.errors]
    assert sorted(dates) == sorted(births)  # 2 conversions for 40 rows
    assert {row.values["birth_date"] for row in plan.rows} == {date(1990, 9, 5), date(1985, 3, 12)}


async def test_a_repeated_bad_value_is_reported_on_every_row(db: Database, commune: None) -> None:
    rows = [
        [f"CB{i:03}", f"Lò Thị {i}", "31/02/1990", f"0912 345 {i:03}", "công chức", "03158"]
        for i in range(3)
    ]
    rows.append(["CB100", "Lò Văn A", "01/01/1990", "0912 345 100", "công chức", "03158"])
    async with db.transaction() as session:
        plan = await ROSTER.plan(session, "ds.csv", roster_csv(rows), today=TODAY)
    assert [(e.row, e.column, e.value) for e in plan.errors] == [
        (2, "Ngày sinh", "31/02/1990"),
        (3, "Ngày sinh", "31/02/1990"),
        (4, "Ngày sinh", "31/02/1990"),
    ]
    assert len(plan.rows) == 1 and sorted(plan.bad_rows) == [2, 3, 4]
