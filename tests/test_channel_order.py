"""#14.3 the channel order per person: the pure function in every combination, the OA's
window and caps (counted, and a notice over the cap falls to the next channel or waits),
and the order applied where the sender claims rows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot.config import ConfigError, Settings
from bot.db import Database
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices
from models.notices import zns
from models.notices.bundling import bundle_pending
from models.notices.channel_order import (
    BLOCKED,
    NO_CHAT_NO_PHONE,
    OA_CLOSED,
    ZNS_OFF,
    Route,
    Situation,
    channel_order,
    unreached_reason,
)
from models.notices.delivery import claim
from models.notices.oa_window import (
    OA,
    ChatInteraction,
    OaCaps,
    OaState,
    oa_can_carry,
    oa_window_open,
    record_inbound,
    window_open,
)
from models.notices.outbox import NewNotice, Notice, enqueue_many
from models.notices.preferences import set_channel
from models.notices.routing import OA_WAITING, RoutingPolicy
from models.notices.zns_store import ZnsRoute
from tests.notice_world import seed_people

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TG = Route("telegram", "111")
ZALO = Route("zalo", "222")
OA_CHAT = Route(OA, "333")
PHONE = "84912345678"
ZNS_ROUTE = Route(zns.CHANNEL, PHONE)


def channels(s: Situation) -> list[str]:
    return [r.channel for r in channel_order(s)]


def test_the_choice_in_nhacnho_comes_first() -> None:
    s = Situation(accounts=(TG, ZALO), chosen="zalo", by_zns=True, zns_phone=PHONE)
    assert channels(s) == ["zalo", "zns", "telegram"]


def test_the_oa_inside_its_window_comes_before_zns_and_the_other_chats() -> None:
    s = Situation(accounts=(TG, OA_CHAT), oa_open=True, by_zns=True, zns_phone=PHONE)
    assert channel_order(s) == (OA_CHAT, ZNS_ROUTE, TG)


def test_a_closed_oa_is_skipped_even_when_chosen() -> None:
    s = Situation(accounts=(OA_CHAT, TG), chosen=OA, oa_open=False)
    assert channels(s) == ["telegram"]
    s = Situation(accounts=(OA_CHAT, TG), chosen=OA, oa_open=True)
    assert channels(s) == [OA, "telegram"]


def test_zns_only_for_hard_deadlines_and_only_with_a_phone() -> None:
    assert channels(Situation(accounts=(TG,), by_zns=False, zns_phone=PHONE)) == ["telegram"]
    assert channels(Situation(accounts=(TG,), by_zns=True, zns_phone=None)) == ["telegram"]
    assert channels(Situation(by_zns=True, zns_phone=PHONE)) == ["zns"]


def test_other_chats_in_the_order_they_were_used_and_one_per_channel() -> None:
    older_tg = Route("telegram", "999")
    s = Situation(accounts=(ZALO, TG, older_tg))
    assert channel_order(s) == (ZALO, TG)


def test_a_choice_of_a_channel_not_linked_falls_back_to_the_last_used() -> None:
    assert channels(Situation(accounts=(TG,), chosen="zalo")) == ["telegram"]


@pytest.mark.parametrize(
    ("situation", "reason"),
    [
        (Situation(), NO_CHAT_NO_PHONE),
        (Situation(zns_phone=PHONE, by_zns=False), ZNS_OFF),
        (Situation(blocked=True), BLOCKED),
        (Situation(accounts=(OA_CHAT,), oa_open=False), OA_CLOSED),
    ],
)
def test_why_no_channel_can_carry_it(situation: Situation, reason: str) -> None:
    assert channel_order(situation) == ()
    assert unreached_reason(situation) == reason


def test_the_window_and_the_caps() -> None:
    caps = OaCaps(window=timedelta(hours=48), window_messages=8)
    fresh = OaState(last_inbound_at=NOW - timedelta(hours=47), window_sent=7)
    assert window_open(fresh, NOW, caps)
    assert not window_open(OaState(NOW - timedelta(hours=47), 8), NOW, caps)  # 8 used
    assert not window_open(OaState(NOW - timedelta(hours=48), 0), NOW, caps)  # expired
    assert not window_open(OaState(), NOW, caps)  # never wrote
    closed = OaState(NOW - timedelta(days=5), 0)
    assert not oa_can_carry(closed, kind=notices.REQUIREMENT_DUE, now=NOW, caps=caps)
    # An announcement may use one of the follower's broadcasts instead.
    assert oa_can_carry(closed, kind=notices.BROADCAST, now=NOW, caps=caps)
    today_used = OaState(NOW - timedelta(days=5), 0, broadcasts_today=1, broadcasts_this_month=1)
    assert not oa_can_carry(today_used, kind=notices.BROADCAST, now=NOW, caps=caps)
    month_used = OaState(NOW - timedelta(days=5), 0, broadcasts_today=0, broadcasts_this_month=4)
    assert not oa_can_carry(month_used, kind=notices.BROADCAST, now=NOW, caps=caps)


def test_the_caps_are_settings() -> None:
    caps = Settings.from_env(
        {
            "ZALO_OA_INTERACTION_WINDOW_HOURS": "168",
            "OA_WINDOW_MESSAGES": "8",
            "OA_BROADCASTS_PER_MONTH": "40",
        }
    ).oa_caps
    assert caps == OaCaps(timedelta(days=7), 8, 1, 40)
    assert Settings.from_env({}).oa_caps == OaCaps()
    with pytest.raises(ConfigError, match="OA_WINDOW_MESSAGES"):
        Settings.from_env({"OA_WINDOW_MESSAGES": "many"})


def _policy(*, zns_on: bool = True) -> RoutingPolicy:
    kinds = frozenset({*notices.REQUIRED_KINDS, notices.REGISTRATION_DEADLINE})
    return RoutingPolicy(
        zns=zns.ZnsSettings(enabled=zns_on, catalogue=zns.load_catalogue(known_kinds=kinds)),
        oa=OaCaps(window_messages=2),
        tz=TZ,
    )


async def _link_oa(db: Database, official_id: int, chat: str) -> None:
    async with db.transaction() as session:
        await session.execute(
            insert(ChatAccount).values(
                channel=OA,
                external_user_id=chat,
                chat_id=chat,
                official_id=official_id,
                linked_at=NOW,
                failed_link_attempts=0,
                created_at=NOW,
                # Used longer ago than Telegram: only the window puts the OA first.
                last_seen_at=NOW - timedelta(days=30),
            )
        )


async def _claim(db: Database, channel: str, policy: RoutingPolicy) -> list[tuple[int, str]]:
    async with db.engine.begin() as conn:
        got = await claim(
            conn,
            channel=channel,
            me="t",
            now=NOW,
            limit=50,
            urgent_only=False,
            lease=timedelta(minutes=5),
            unlinked=ZnsRoute(policy.zns, TZ),
            policy=policy,
        )
    return [(c.id, c.chat_id) for c in got or []]


async def _rows(db: Database) -> dict[int, tuple[str, str | None, str | None]]:
    async with db.transaction() as session:
        return {
            n.id: (n.state, n.channel, n.chat_id) for n in await session.scalars(select(Notice))
        }


async def test_claim_follows_the_order_and_counts_the_oa_window(db: Database) -> None:
    async with db.transaction() as session:
        tg_only, with_oa, chose_tg = await seed_people(session, 3, phone="+84912345678")
        await set_channel(session, chose_tg, "telegram", now=NOW)
    await _link_oa(db, with_oa, "oa-2")
    await _link_oa(db, chose_tg, "oa-3")
    async with db.transaction() as session:
        for chat in ("oa-2", "oa-3"):
            await record_inbound(session, channel=OA, chat_id=chat, now=NOW - timedelta(hours=1))
        ids = await enqueue_many(
            session,
            [
                NewNotice(tg_only, notices.REQUIREMENT_DUE, "rule:A:1", NOW, "a"),
                NewNotice(with_oa, notices.COURSE_START, "course:1:lead3", NOW, "b"),
                NewNotice(with_oa, notices.COURSE_START, "course:2:lead3", NOW, "c"),
                NewNotice(with_oa, notices.COURSE_START, "course:3:lead3", NOW, "d"),
                NewNotice(chose_tg, notices.COURSE_START, "course:1:lead3", NOW, "e"),
            ],
        )
    assert ids
    policy = _policy()
    # Telegram's sender sees them first: the hard deadline of the Telegram-only person is
    # ZNS's (no /nhacnho choice); the OA person's rows go to the OA while its allowance of
    # two lasts, the third falls to their Telegram; the one who chose Telegram keeps it.
    claimed = await _claim(db, "telegram", policy)
    assert sorted(chat for _, chat in claimed) == ["100002", "100003"]
    states = sorted((state, ch) for state, ch, _ in (await _rows(db)).values())
    assert states == sorted(
        [
            (notices.PENDING, "zns"),
            (notices.PENDING, OA),
            (notices.PENDING, OA),
            (notices.SENDING, "telegram"),
            (notices.SENDING, "telegram"),
        ]
    ), states
    # The OA's sender sends the two and counts them: the window's allowance is used up.
    sent_by_oa = await _claim(db, OA, policy)
    assert [chat for _, chat in sent_by_oa] == ["oa-2", "oa-2"]
    async with db.engine.begin() as conn:
        assert not await oa_window_open(conn, "oa-2", NOW, policy.oa, TZ)
        assert await oa_window_open(conn, "oa-3", NOW, policy.oa, TZ)
    async with db.transaction() as session:
        used = await session.get(ChatInteraction, (OA, "oa-2"))
        assert used is not None and used.window_sent == 2
    assert ids


async def test_over_the_oa_cap_with_no_other_channel_a_notice_waits(db: Database) -> None:
    async with db.transaction() as session:
        (only_oa,) = await seed_people(session, 1, channel=None)
    await _link_oa(db, only_oa, "oa-9")
    async with db.transaction() as session:
        await record_inbound(session, channel=OA, chat_id="oa-9", now=NOW - timedelta(days=3))
        await enqueue_many(
            session, [NewNotice(only_oa, notices.REQUIREMENT_DUE, "rule:A:1", NOW, "a")]
        )
    assert await _claim(db, OA, _policy()) == []
    async with db.transaction() as session:
        (row,) = (await session.scalars(select(Notice))).all()
    assert (row.state, row.last_error) == (notices.PENDING, OA_WAITING)
    assert row.send_at > NOW
    # The person writes again: the window reopens and the notice goes out on the OA.
    async with db.transaction() as session:
        await record_inbound(session, channel=OA, chat_id="oa-9", now=NOW)
        again = await session.get(Notice, row.id)
        assert again is not None
        again.send_at = NOW
    assert [chat for _, chat in await _claim(db, OA, _policy())] == ["oa-9"]


async def test_a_bundle_never_goes_by_zns_and_phone_only_officials_are_not_bundled(
    db: Database,
) -> None:
    async with db.transaction() as session:
        (linked,) = await seed_people(session, 1, phone="+84912345678")
        (phone_only,) = await seed_people(session, 1, start=5, channel=None, phone="+84912345679")
        await enqueue_many(
            session,
            [
                NewNotice(o, kind, subject, NOW, "t")
                for o in (linked, phone_only)
                for kind, subject in (
                    (notices.REQUIREMENT_DUE, "rule:A:1"),
                    (notices.REGISTRATION_DEADLINE, "course:9:reg"),
                )
            ],
        )
        stats = await bundle_pending(session, now=NOW, tz=TZ)
    assert stats.carriers == 1  # the linked official's two; ZNS carries one notice each
    await _claim(db, "telegram", _policy())
    states = sorted((state, ch or "") for state, ch, _ in (await _rows(db)).values())
    # The linked official's bundle goes to their chat; the phone-only one's two notices
    # go by ZNS one by one.
    assert states == sorted(
        [
            (notices.SENDING, "telegram"),
            (notices.BUNDLED, ""),
            (notices.PENDING, "zns"),
            (notices.PENDING, "zns"),
        ]
    ), states
