"""Journey 1 as transcripts through the dispatcher, on SQLite and PostgreSQL; those that
take a `channel` run on Telegram and on Zalo (deep links and shared contacts are
Telegram's alone)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.db import Database
from models.audit import AuditEntry
from models.chat import link_codes
from models.chat.accounts import ChatAccount
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher


@pytest.fixture
async def world(db: Database) -> dict[str, object]:
    async with db.transaction() as session:
        units = await small_province(session)
        an = await make_official(session, units["tccb"])
        nhung = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000002",
            full_name="Lò Thị Nhung",
            gender="female",
            phone="+84912000002",
            post_title="Công chức Văn phòng – Thống kê",
            ethnicity="Thái",
            languages=["Thái"],
        )
    return {"an": an, "nhung": nhung, "units": units}


async def issue_code(
    db: Database, official_id: int, clock: Clock, ttl: timedelta = link_codes.DEFAULT_TTL
) -> str:
    from models.org.officials import Official

    async with db.transaction() as session:
        official = await session.get(Official, official_id)
        assert official is not None
        return await link_codes.issue(
            session, official, now=clock(), created_by="test", pepper=b"", ttl=ttl
        )


async def test_unlinked_start_explains_and_offers_both_ways(
    db: Database, world: dict, channel: str
) -> None:
    person = Person(make_dispatcher(db), "1001", channel=channel)
    text = await person.say("/start")
    assert "Trợ lý Bồi dưỡng" in text
    assert any(r.request_contact for r in person.last)
    assert "link:code" in person.values
    assert "Nguyễn Văn An" not in text


async def test_link_with_deep_link_code(db: Database, world: dict) -> None:
    clock = Clock()
    code = await issue_code(db, world["an"].id, clock)
    person = Person(make_dispatcher(db, clock), "1001")
    text = await person.say(f"/start {code}")
    assert "Xin chào anh Nguyễn Văn An — Chuyên viên, Phòng Tổ chức cán bộ, Sở Nội vụ." in text
    # The code is single use: another chat cannot reuse it.
    thief = Person(make_dispatcher(db, clock), "6666")
    assert "đã được sử dụng" in await thief.say(f"/start {code}")
    assert "Nguyễn Văn An" not in thief.text


async def test_code_typed_lowercase_with_spaces(db: Database, world: dict, channel: str) -> None:
    clock = Clock()
    code = await issue_code(db, world["nhung"].id, clock)
    person = Person(make_dispatcher(db, clock), "1002", channel=channel)
    await person.say("/start")
    await person.press("link:code")
    text = await person.say(f"  {code[:4].lower()} - {code[4:].lower()} ")
    assert "Xin chào chị Lò Thị Nhung" in text


async def test_expired_code(db: Database, world: dict, channel: str) -> None:
    clock = Clock()
    code = await issue_code(db, world["an"].id, clock, ttl=timedelta(days=1))
    clock.advance(days=2)
    person = Person(make_dispatcher(db, clock), "1003", channel=channel)
    text = await person.say(code)
    assert "đã hết hạn" in text
    assert "bộ phận tổ chức cán bộ" in text.lower() or "tổ chức" in text


async def test_wrong_codes_are_throttled(db: Database, world: dict, channel: str) -> None:
    clock = Clock()
    code = await issue_code(db, world["an"].id, clock)
    person = Person(make_dispatcher(db, clock), "1004", channel=channel)
    for _ in range(4):
        assert "không đúng" in await person.say("ZZZZ-ZZZZ")
    assert "quá nhiều" in (await person.say("ZZZZ-ZZZY")).lower()
    # Even the right code is refused while blocked…
    assert "quá nhiều" in (await person.say(code)).lower()
    # …and accepted after the block ends.
    clock.advance(minutes=16)
    assert "Nguyễn Văn An" in await person.say(code)


async def test_own_contact_links_in_any_phone_format(db: Database, world: dict) -> None:
    person = Person(make_dispatcher(db), "1005")
    text = await person.share_contact("84 912 000 001")
    assert "Xin chào anh Nguyễn Văn An" in text


async def test_someone_elses_contact_is_refused(db: Database, world: dict) -> None:
    person = Person(make_dispatcher(db), "1006")
    text = await person.share_contact("0912000001", own=False)
    assert "chỉ nhận số điện thoại của chính anh/chị" in text
    assert "Nguyễn Văn An" not in text
    assert "DB000001" not in await person.say("/hoso")


async def test_unknown_phone(db: Database, world: dict) -> None:
    person = Person(make_dispatcher(db), "1007")
    assert "không tìm thấy" in (await person.share_contact("+84 999 888 777")).lower()


async def test_unlinked_user_sees_no_personal_data(db: Database, world: dict, channel: str) -> None:
    person = Person(make_dispatcher(db), "1008", channel=channel)
    text = await person.say("/hoso")
    assert "DB000001" not in text and "Nguyễn" not in text
    assert "liên kết" in text


async def test_unlink_needs_confirmation_and_then_hides_data(db: Database, world: dict) -> None:
    person = Person(make_dispatcher(db), "1009")
    await person.share_contact("0912000001")
    await person.say("/huylienket")
    assert "unlink:yes" in person.values
    text = await person.say("1")  # the first offered choice, typed as a number
    assert "Đã hủy liên kết" in text
    assert "Nguyễn Văn An" not in await person.say("/hoso")
    # The old confirmation button no longer does anything.
    assert "không còn hiệu lực" in await person.press("unlink:yes")
    async with db.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action))).all()
    assert {"account.link", "account.unlink"} <= set(actions)


async def test_second_device_replaces_first(db: Database, world: dict) -> None:
    first = Person(make_dispatcher(db), "2001")
    second = Person(make_dispatcher(db), "2002")
    await first.share_contact("0912000001")
    await second.share_contact("0912000001")
    assert "DB000001" in await second.say("/hoso")
    assert "DB000001" not in await first.say("/hoso")
    async with db.transaction() as session:
        linked = await session.scalar(
            select(func.count())
            .select_from(ChatAccount)
            .where(ChatAccount.official_id.is_not(None))
        )
    assert linked == 1
