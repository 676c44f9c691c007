"""Issue #17 point 7: big files. A document over the Bot API's 20 MB download limit gets the
"too large" answer (not "I can only read text…"), and checking a large file leaves the event
loop free for everyone else."""

from __future__ import annotations

import asyncio
import csv
import io
import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.channels.telegram import build_application
from bot.db import Database
from models.chat import link_codes
from models.imports import plan as plan_module
from models.imports import table as table_module
from models.imports.officials import ROSTER
from models.org import admins
from models.org.units import OrgUnit
from tests.factories import make_official, small_province
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_e2e import (  # noqa: F401  (fixtures)
    open_import,
    seeded,
    settings_for,
)
from tests.transcript import make_dispatcher

ADMIN = 5550017
OFFICIAL = 5550018
MIB = 1024 * 1024


async def _grant_admin(db: Database) -> str:
    """The admin's one-time link code (admins cannot link by contact)."""
    async with db.transaction() as session:
        root = await session.scalar(select(OrgUnit).where(OrgUnit.code == "T11"))
        tccb = await session.scalar(select(OrgUnit).where(OrgUnit.code == "SNV-TCCB"))
        assert root is not None and tccb is not None
        hr = await make_official(
            session,
            tccb,
            employee_code="DB000017",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912000017",
        )
        await admins.grant(session, hr, root, actor="test", now=datetime.now(UTC))
        return await link_codes.issue(
            session, hr, now=datetime.now(UTC), created_by="test", pepper=b""
        )


async def test_an_oversized_document_gets_the_size_reason_without_a_download(
    fake: FakeBotApi,
    seeded: Database,  # noqa: F811
) -> None:
    code = await _grant_admin(seeded)
    app = build_application(settings_for(fake, seeded), make_dispatcher(seeded))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.push_text(ADMIN, f"/start {code}")
            await fake.wait_for(
                lambda: any("Phạm Thu Hà" in (m.text or "") for m in fake.sent_to(ADMIN))
            )
            await open_import(fake, ADMIN)
            count = len(fake.sent_to(ADMIN))
            # 21 MiB: the update carries file_size, and getFile would refuse it.
            big = b"Ma can bo;Ho va ten\r\n" + b"x" * (21 * MIB)
            fake.push_document(ADMIN, "danh sách cán bộ.csv", big, "text/csv")
            await fake.wait_for(lambda: len(fake.sent_to(ADMIN)) > count)
            answer = fake.sent_to(ADMIN)[count].text or ""
            # An unlinked sender is told the file is not for them, not "text only".
            fake.push_document(OFFICIAL, "ảnh.csv", big, "text/csv")
            await fake.wait_for(lambda: len(fake.sent_to(OFFICIAL)) > 0)
            stranger = fake.sent_to(OFFICIAL)[0].text or ""
        finally:
            await app.updater.stop()
            await app.stop()
    assert "Tệp quá lớn (trên 20 MB)" in answer, answer
    assert "chỉ đọc được tin nhắn chữ" not in answer
    assert "chỉ cán bộ tổ chức" in stranger.lower() or "không dùng được" in stranger, stranger
    assert fake.calls("getFile") == []  # nothing over the limit is even asked for


def _roster(rows: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["Mã cán bộ", "Họ và tên", "Ngày sinh", "Số điện thoại", "Đối tượng", "Mã đơn vị"]
    )
    for i in range(rows):
        writer.writerow(
            [
                f"DB{i:06}",
                f"Nguyễn Văn {i}",
                f"{1 + i % 28}/{1 + i % 12}/19{60 + i % 40}",
                f"09{i:08}",
                ("công chức", "viên chức", "cán bộ")[i % 3],
                ("03158", "SNV-TCCB", "SNV")[i % 3],
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")


async def test_checking_a_large_file_leaves_the_event_loop_free(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.transaction() as session:
        await small_province(session)
    content = _roster(30_000)
    readers: set[int] = set()
    real_read = table_module.read_table

    def spy(*args: object, **kwargs: object) -> table_module.Table:
        readers.add(threading.get_ident())
        return real_read(*args, **kwargs)  # type: ignore[arg-type]

    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    monkeypatch.setattr(plan_module, "read_table", spy)
    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    try:
        async with db.transaction() as session:
            plan = await ROSTER.plan(session, "ds.csv", content, today=date(2026, 11, 26))
    finally:
        done.set()
        await tick
    took = time.perf_counter() - started
    assert plan.ok and len(plan.rows) == 30_000, plan.errors[:3]
    assert readers and threading.get_ident() not in readers  # read in a worker thread
    # Before: one gap as long as the whole check (6-7 s here). What a loaded machine adds to
    # the gaps (GC pauses, the other core's work) is not the question, so the bound is well
    # under the check's length but far above scheduling noise; bench_import_latency.py
    # measures the users' reply times themselves.
    assert max(gaps) < min(1.5, took / 3), (max(gaps), took)
