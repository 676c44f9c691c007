"""Broadcasts as transcripts: audience inside the admin's scope, preview with counts,
one outbox row per reachable recipient, stop, and what non-admins get."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.db import Database
from models.chat.accounts import ChatAccount
from models.notices import broadcasts
from models.notices.outbox import BROADCAST, DROPPED, PENDING, Notice
from models.org import admins
from models.requirements.store import ensure_default_catalogue
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher


@pytest.fixture
async def world(db: Database) -> dict[str, object]:
    now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    async with db.transaction() as session:
        units = await small_province(session)
        await ensure_default_catalogue(session, now)
        hr = await make_official(
            session,
            units["tccb"],
            employee_code="DB000006",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912000006",
        )
        commune_hr = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000010",
            full_name="Giàng A Tủa",
            phone="+84912000010",
            level="commune",
        )
        for i in range(5):
            await make_official(
                session,
                units["sin_thau"],
                employee_code=f"DB10000{i}",
                full_name=f"Lò Văn {i}",
                phone=f"+8491300000{i}",
                level="commune",
            )
        await make_official(
            session,
            units["tccb"],
            employee_code="DB200000",
            full_name="Lê Thị Mai",
            gender="female",
            phone="+84914000000",
        )
        await admins.grant(session, hr, units["root"], actor="test", now=now)
        await admins.grant(session, commune_hr, units["sin_thau"], actor="test", now=now)
    return {"units": units}


async def person(db: Database, user: str, phone: str) -> Person:
    p = Person(make_dispatcher(db, Clock()), user)
    await p.link_with_code(db, phone)
    return p


async def broadcast_rows(db: Database) -> list[Notice]:
    async with db.transaction() as session:
        return list(await session.scalars(select(Notice).where(Notice.kind == BROADCAST)))


async def test_commune_admin_broadcasts_to_their_commune_only(db: Database, world: dict) -> None:
    tua = await person(db, "8010", "0912000010")
    for i in range(3):  # three of the five commune staff use the bot
        await person(db, f"81{i}", f"091300000{i}")
    await person(db, "8200", "0914000000")  # linked, but at the province: out of scope
    await tua.say("/thongbao")
    assert "bc:aud:all" in tua.values
    await tua.press("bc:aud:all")
    assert "nhập nội dung" in tua.text.lower()
    await tua.say("Kính gửi các anh chị: <b>họp</b> lúc 8h sáng thứ Hai. Cảm ơn!")
    await tua.press("bc:course:none")
    preview = tua.text
    assert "Thông báo của Xã Sín Thầu" in preview
    assert "<b>họp</b>" in preview  # the admin's words, exactly as written
    assert "Số người nhận: 6" in preview  # the admin and the five commune staff
    assert "gửi được qua chat: 4" in preview  # the admin and three staff are linked
    await tua.press("bc:send")
    assert "xếp lịch gửi cho 4 người" in tua.text
    rows = await broadcast_rows(db)
    assert len(rows) == 4 and {r.state for r in rows} == {PENDING}
    assert all("Thông báo của Xã Sín Thầu" in r.text for r in rows)
    # Pressing "send" again does not queue anything twice.
    await tua.press("bc:send")
    assert len(await broadcast_rows(db)) == 4


async def test_audience_by_unit_outside_scope_is_refused(db: Database, world: dict) -> None:
    tua = await person(db, "8010", "0912000010")
    await tua.say("/thongbao")
    await tua.press("bc:aud:unit")
    assert "Không có đơn vị nào" in await tua.say("SNV-TCCB")  # a province division
    forged_unit = world["units"]["tccb"].id
    await tua.press(f"bc:val:{forged_unit}")
    assert "không còn hiệu lực" in tua.text
    assert await broadcast_rows(db) == []


async def test_stop_drops_what_is_not_sent_and_only_the_sender_can_stop(
    db: Database, world: dict
) -> None:
    ha = await person(db, "8006", "0912000006")
    await person(db, "8200", "0914000000")
    for i in range(5):
        await person(db, f"81{i}", f"091300000{i}")
    await ha.say("/thongbao")
    await ha.press("bc:aud:all")
    await ha.say("Thông báo khẩn về lịch học.")
    await ha.press("bc:course:none")
    await ha.press("bc:urgent")
    assert "Khẩn" in ha.text
    await ha.press("bc:send")
    stop = next(v for v in ha.values if v.startswith("bc:stop:"))
    tua = await person(db, "8010", "0912000010")
    await tua.press(stop)
    assert "không còn hiệu lực" in tua.text
    assert "Đã dừng" in await ha.press(stop)
    rows = await broadcast_rows(db)
    assert rows and all(r.urgent for r in rows), [(r.state, r.urgent) for r in rows]
    assert all(r.state == DROPPED for r in rows), [(r.state, r.last_error) for r in rows]
    async with db.transaction() as session:
        state = await session.scalar(select(broadcasts.Broadcast.state))
    assert state == broadcasts.CANCELLED


async def test_non_admin_cannot_broadcast(db: Database, world: dict) -> None:
    mai = await person(db, "8200", "0914000000")
    assert "chỉ dành cho cán bộ tổ chức" in await mai.say("/thongbao")
    for forged in ("bc:aud:all", "bc:send", "bc:stop:1", "bc:val:1"):
        await mai.press(forged)
    assert await broadcast_rows(db) == []
    async with db.transaction() as session:
        linked = await session.scalar(select(func.count()).select_from(ChatAccount))
    assert linked == 1
