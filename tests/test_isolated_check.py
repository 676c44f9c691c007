"""The chat's file check runs in a worker process (issue #13 point 9): the bot's event loop
keeps answering while a big file is read and validated, the result is the same as the
command line's, and a worker that dies gives the admin a polite message."""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict
from datetime import date
from typing import Any

import pytest

from bot.db import Database
from locales import i18n
from models.imports import isolated
from models.imports.cells import RowError
from models.imports.grid import encode
from models.imports.officials import ROSTER, RosterImporter, RosterPlan
from models.imports.table import EncodedSheets, Table, read_sheets
from models.org.units import add_unit

TODAY = date(2026, 12, 1)
HEADER = ["Mã cán bộ", "Họ và tên", "Ngày sinh", "Số điện thoại", "Đối tượng", "Mã đơn vị"]


class PidRoster(RosterImporter):
    """The roster, noting which process validated the rows."""

    def prepare(
        self,
        plan: RosterPlan,
        table: Table,
        preloaded: Any,
        errors: defaultdict[int, list[RowError]],
    ) -> list[Any]:
        plan.checked_by = os.getpid()  # type: ignore[attr-defined]
        return super().prepare(plan, table, preloaded, errors)


class DyingRoster(RosterImporter):
    """The roster, its worker killed mid-check (as by the out-of-memory killer)."""

    def prepare(
        self,
        plan: RosterPlan,
        table: Table,
        preloaded: Any,
        errors: defaultdict[int, list[RowError]],
    ) -> list[Any]:
        os._exit(9)


def roster_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows([HEADER, *rows])
    return buffer.getvalue().encode("utf-8-sig")


ROWS = [
    ["CB001", "Lò Thị Nhung", "05/09/1990", "0912 345 678", "công chức", "03158"],
    ["CB002", "Quàng Văn Sơn", "31/02/1991", "0912 345 679", "công chức", "03158"],
    ["CB003", "Lò Văn Tú", "01/01/1992", "12345", "viên chức", "XYZ"],
    ["CB001", "Lò Thị Nhung", "05/09/1990", "0912 345 680", "công chức", "03158"],
]


@pytest.fixture
async def commune(db: Database) -> None:
    async with db.transaction() as session:
        root = await add_unit(
            session, code="T11", name="Tỉnh Điện Biên", level="province", kind="province"
        )
        await add_unit(session, code="03158", name="Xã Sín Thầu", level="commune", parent=root)


async def test_the_check_runs_in_another_process_with_the_same_result(
    db: Database, commune: None
) -> None:
    content = roster_csv(ROWS)
    async with db.transaction() as session:
        here = await ROSTER.plan(session, "ds.csv", content, today=TODAY, pepper=b"k")
        there = await PidRoster().plan(
            session, "ds.csv", content, today=TODAY, pepper=b"k", isolated=True
        )
        # The chat keeps the sheets as read, decoded in the worker too.
        sheets = EncodedSheets(encode(read_sheets("ds.csv", content)))
        kept = await ROSTER.plan(session, "ds.csv", sheets, today=TODAY, isolated=True)
    assert there.checked_by != os.getpid()  # type: ignore[attr-defined]
    assert there.pepper == b"k"
    for plan in (there, kept):
        assert [e.message() for e in plan.errors] == [e.message() for e in here.errors]
        assert plan.bad_rows == here.bad_rows and plan.rows == here.rows
        assert (plan.sheet, plan.headers, plan.total_rows) == (
            here.sheet,
            here.headers,
            here.total_rows,
        )
    assert len(here.errors) >= 4 and here.to_create == 0


async def test_a_file_error_comes_back_from_the_worker(db: Database, commune: None) -> None:
    async with db.transaction() as session:
        plan = await ROSTER.plan(session, "ds.pdf", b"%PDF-1.4", today=TODAY, isolated=True)
    assert plan.file_error is not None and "không" in plan.file_error.message().lower()


async def test_a_worker_that_dies_gives_a_polite_error_and_the_next_file_works(
    db: Database, commune: None
) -> None:
    content = roster_csv(ROWS[:1])
    async with db.transaction() as session:
        plan = await DyingRoster().plan(session, "ds.csv", content, today=TODAY, isolated=True)
        assert plan.file_error is not None and plan.file_error.msgid == isolated.MSG_CHECK_FAILED
        with i18n.use_locale("vi"):
            text = plan.file_error.message()
        assert "“ds.csv”" in text and "anh/chị" in text.lower(), text
        again = await ROSTER.plan(session, "ds.csv", content, today=TODAY, isolated=True)
    assert again.ok and len(again.rows) == 1
