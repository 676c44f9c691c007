"""The chat's file check: the worker step (reading and validating the rows in the worker
process) runs before the update's transaction, so no database lock is held while it works
(on SQLite the transaction holds the one writer lock: everyone else would wait, issue #15);
the transaction then uses it only if it was made for the same upload, scope and data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from models.imports import importer as importer_module
from models.imports import isolated
from models.imports.officials import ROSTER
from models.org import admins
from models.org.officials import Official
from models.org.units import add_unit
from models.requirements.store import ensure_default_catalogue
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
ROSTER_CSV = (
    "Mã cán bộ,Họ và tên,Giới tính,Ngày sinh,Số điện thoại,Đối tượng,Mã đơn vị\n"
    "DB700001,Vũ Thị Lan,Nữ,05/07/1990,0987 654 321,Công chức,03158\n"
    "DB700002,Đỗ Văn Bình,nam,12/03/1985,0987654322,cong chuc,SNV-TCCB\n"
).encode()


@pytest.fixture
async def world(db: Database) -> None:
    async with db.transaction() as session:
        units = await small_province(session)
        await ensure_default_catalogue(session, NOW)
        hr = await make_official(
            session,
            units["tccb"],
            employee_code="DB000006",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912000006",
        )
        await admins.grant(session, hr, units["root"], actor="test", now=NOW)


def transaction_open(db: Database) -> bool:
    """Whether any transaction of this process holds a connection (SQLite: the writer lock)."""
    if db.dialect == "sqlite":
        assert db._local_writer is not None
        return db._local_writer.locked()
    return bool(db.engine.pool.checkedout())  # type: ignore[attr-defined]


@pytest.fixture
def worker_steps(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each worker step of a check: whether a transaction was open when it started."""
    seen: list[bool] = []
    real = isolated.run

    async def watched(fn: Any, *args: Any) -> Any:
        if fn is importer_module._check_in_worker:
            seen.append(transaction_open(db))
        return await real(fn, *args)

    monkeypatch.setattr(isolated, "run", watched)
    return seen


async def test_the_worker_step_runs_before_the_transaction(
    db: Database, world: None, worker_steps: list[bool]
) -> None:
    ha = Person(make_dispatcher(db, Clock(NOW)), "9006")
    await ha.link_with_code(db, "0912000006")
    await ha.send_file("danh-sach.csv", ROSTER_CSV)
    report = await ha.press(next(v for v in ha.values if v.endswith(":officials")))
    assert "thêm mới 2" in report, report
    assert worker_steps == [False]  # once, and with no transaction open
    assert "thêm mới 2" in await ha.press(next(v for v in ha.values if v.endswith(":all")))
    assert worker_steps == [False, False]
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Official)) == 3


async def test_someone_elses_upload_is_not_checked_ahead(
    db: Database, world: None, worker_steps: list[bool]
) -> None:
    ha = Person(make_dispatcher(db, Clock(NOW)), "9006")
    await ha.link_with_code(db, "0912000006")
    await ha.send_file("danh-sach.csv", ROSTER_CSV)
    kind = next(v for v in ha.values if v.endswith(":officials"))
    stranger = Person(make_dispatcher(db, Clock(NOW)), "9999")
    await stranger.say("/start")
    await stranger.tap(kind)
    assert worker_steps == []  # nothing read for a chat the upload is not theirs


async def test_a_check_made_ahead_for_other_units_is_done_again(
    db: Database, world: None, worker_steps: list[bool]
) -> None:
    today = NOW.date()
    async with db.transaction() as session:
        preloaded = await ROSTER.preload(session)
    ahead = await ROSTER.precheck(
        ROSTER.new_plan("ds.csv", today, None, b""), ROSTER_CSV, preloaded
    )
    assert worker_steps == [False]
    async with db.transaction() as session:
        # A unit added between the check ahead and the transaction: its rows may now match.
        await add_unit(session, code="X-NEW", name="Xã Mới", level="commune")
        plan = await ROSTER.plan(
            session, "ds.csv", ROSTER_CSV, today=today, isolated=True, prechecked=ahead
        )
    assert worker_steps == [False, True]  # not used: checked again in the transaction
    assert plan.ok and plan.to_create == 2
    async with db.transaction() as session:
        same = await ROSTER.plan(
            session, "other.csv", ROSTER_CSV, today=today, isolated=True, prechecked=ahead
        )
    assert worker_steps == [False, True, True]  # made for another file name: not used
    assert same.ok and same.file_name == "other.csv"


async def test_a_failed_check_ahead_leaves_the_check_to_the_transaction(
    db: Database, world: None, worker_steps: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.dispatch

    async def failing(*args: Any, **kwargs: Any) -> None:
        raise OSError("the worker could not be reached")

    monkeypatch.setattr(bot.dispatch, "precheck_upload", failing)
    ha = Person(make_dispatcher(db, Clock(NOW)), "9006")
    await ha.link_with_code(db, "0912000006")
    await ha.send_file("danh-sach.csv", ROSTER_CSV)
    report = await ha.press(next(v for v in ha.values if v.endswith(":officials")))
    assert "thêm mới 2" in report, report
    assert worker_steps == [True]  # done as before, inside the transaction
