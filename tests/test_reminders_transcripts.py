"""/nhacnho as transcripts: upcoming notices with their real send time, switching optional
kinds, lead times, the channel choice, and forged buttons that change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.db import Database
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices
from models.notices.outbox import NewNotice, Notice, enqueue_many
from models.notices.preferences import preferences_of
from tests.notice_world import LINKED_AT, seed_people
from tests.transcript import Clock, Person, make_dispatcher

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 in Việt Nam


async def setup(db: Database) -> tuple[Person, int]:
    async with db.transaction() as session:
        [oid] = await seed_people(session, 1)
        await enqueue_many(
            session,
            [
                NewNotice(
                    oid,
                    notices.COURSE_START,
                    "course:7:lead3",
                    NOW + timedelta(hours=13),
                    "Nhắc anh: còn 3 ngày nữa khóa K-1 khai giảng.",
                    "vi",
                ),
                NewNotice(
                    oid,
                    notices.REQUIREMENT_DUE,
                    "rule:X:2026-12-31",
                    NOW + timedelta(days=1),
                    "Nhắc anh: còn 35 ngày nữa là hạn.",
                    "vi",
                ),
            ],
        )
    person = Person(make_dispatcher(db, Clock(NOW)), "100001")
    return person, oid


async def test_lists_upcoming_notices_at_the_time_they_really_go(db: Database) -> None:
    person, _oid = await setup(db)
    text = await person.say("/nhacnho")
    # 13 h after 10:00 is 23:00, inside quiet hours: shown at 07:00 the next morning.
    assert "07:00 27/11/2026 — Nhắc anh: còn 3 ngày nữa khóa K-1 khai giảng." in text
    assert "10:00 27/11/2026 — Nhắc anh: còn 35 ngày nữa là hạn." in text
    assert "luôn bật" in text and "không thể tắt" in text
    assert "101/2017" not in text and "89/2021" not in text  # no repealed decree as the reason
    assert "rem:off:course_start" in person.values


async def test_switching_a_kind_off_withdraws_its_pending_notices(db: Database) -> None:
    person, oid = await setup(db)
    await person.say("/nhacnho")
    text = await person.press("rem:off:course_start")
    assert "Đã tắt." in text and "K-1" not in text
    assert "rem:on:course_start" in person.values
    async with db.transaction() as session:
        prefs = await preferences_of(session, oid)
        states = dict((await session.execute(select(Notice.kind, Notice.state))).all())
    assert not prefs.wants(notices.COURSE_START) and prefs.wants(notices.REQUIREMENT_DUE)
    assert states == {notices.COURSE_START: notices.DROPPED, notices.REQUIREMENT_DUE: "pending"}
    await person.press("rem:on:course_start")
    async with db.transaction() as session:
        assert (await preferences_of(session, oid)).wants(notices.COURSE_START)


async def test_lead_times_toggle_but_never_to_none(db: Database) -> None:
    person, oid = await setup(db)
    text = await person.press("rem:lead")
    assert "3 ngày, 1 ngày" in text
    await person.press("rem:lead:7")
    await person.press("rem:lead:3")  # the pending 3-day notice is withdrawn
    await person.press("rem:lead:1")
    async with db.transaction() as session:
        assert (await preferences_of(session, oid)).course_lead_days == (7,)
        state = await session.scalar(select(Notice.state).where(Notice.kind == "course_start"))
    assert state == notices.DROPPED
    text = await person.press("rem:lead:7")
    assert "ít nhất một mốc" in text
    async with db.transaction() as session:
        assert (await preferences_of(session, oid)).course_lead_days == (7,)


async def test_channel_choice_only_among_linked_channels(db: Database) -> None:
    person, oid = await setup(db)
    text = await person.say("/nhacnho")
    assert "rem:ch:zalo" not in person.values  # linked on one channel only: no choice shown
    async with db.transaction() as session:
        await session.execute(
            insert(ChatAccount).values(
                channel="zalo",
                external_user_id="z1",
                chat_id="z1",
                official_id=oid,
                linked_at=LINKED_AT,
                failed_link_attempts=0,
                created_at=LINKED_AT,
                last_seen_at=LINKED_AT - timedelta(days=1),
            )
        )
    text = await person.say("/nhacnho")
    assert "rem:ch:zalo" in person.values and "ứng dụng tôi dùng gần nhất" in text
    text = await person.press("rem:ch:zalo")
    assert "Từ nay nhắc nhở sẽ gửi qua Zalo." in text
    async with db.transaction() as session:
        assert (await preferences_of(session, oid)).channel == "zalo"


async def test_forged_values_change_nothing(db: Database) -> None:
    person, oid = await setup(db)
    for value in ("rem:off:requirement_due", "rem:lead:5", "rem:ch:console", "rem:x:y", "rem"):
        text = await person.press(value)
        assert "Nothing was changed" in text or "không còn hiệu lực" in text, value
    async with db.transaction() as session:
        prefs = await preferences_of(session, oid)
        states = {s for (s,) in (await session.execute(select(Notice.state))).all()}
    assert prefs.wants(notices.REQUIREMENT_DUE) and prefs.course_lead_days == (3, 1)
    assert prefs.channel is None and states == {"pending"}


async def test_unlinked_sender_is_asked_to_link(db: Database) -> None:
    person = Person(make_dispatcher(db, Clock(NOW)), "999999")
    text = await person.say("/nhacnho")
    assert "Nhắc" not in text and "liên kết" in text.lower()
