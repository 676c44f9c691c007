"""Where the Zalo OA channel (#14.1) and ZNS with the delivery planner (#14.2/#14.3) meet, over
the fake OA and the fake ZNS as real HTTP servers, on SQLite and PostgreSQL: one record of
the interaction window, ZNS sent with the OA's rotating access token, ZNS delivery receipts
arriving at the OA's webhook, and the channel order (OA in its window, then ZNS for hard
deadlines, else wait) end to end."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.zalo_oa.api import OaApi
from bot.channels.zalo_oa.channel import ZaloOaBot, ZaloOaTransport, start_webhook
from bot.channels.zalo_oa.tokens import OaTokens, seed
from bot.channels.zns.transport import ZnsTransport
from bot.config import Settings, ZaloOaSettings
from bot.db import Database
from bot.sender import Sender, SenderConfig
from bot.transport import Outcome
from handlers.types import Reply
from models.base import Base
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices
from models.notices import zns
from models.notices.bundling import bundle_pending
from models.notices.oa_window import OA, ChatInteraction, OaCaps, record_outbound
from models.notices.outbox import NewNotice, Notice, enqueue_many
from models.notices.routing import OA_WAITING, RoutingPolicy
from models.notices.send_window import SendWindow
from models.notices.zns_store import DELIVERED, ZnsDelivery, ZnsRoute
from tests.fake_zalo_oa import APP_ID, OA_SECRET_KEY, SECRET_KEY, FakeZaloOa, mac
from tests.fake_zns import FakeZns
from tests.notice_world import seed_people
from tests.transcript import Clock, Person, make_dispatcher

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 local: inside the send window
DEADLINE = datetime(2026, 12, 31, 16, 59, tzinfo=UTC)
USER = "4819207365512784931"
PHONE = "+84912345678"
KINDS = frozenset({*notices.REQUIRED_KINDS, notices.REGISTRATION_DEADLINE, notices.BROADCAST})


def zns_settings(fake: FakeZns) -> zns.ZnsSettings:
    return zns.ZnsSettings(
        enabled=True, catalogue=zns.load_catalogue(known_kinds=KINDS), api_base_url=fake.base_url
    )


def oa_settings(oa: FakeZaloOa) -> ZaloOaSettings:
    return ZaloOaSettings(
        app_id=APP_ID,
        secret_key=SECRET_KEY,
        webhook_secret_key=OA_SECRET_KEY,
        oauth_base_url=oa.base_url,
        api_base_url=oa.base_url,
        webhook_listen="127.0.0.1",
    )


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOa]:
    server = await FakeZaloOa().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def fake_zns(oa: FakeZaloOa) -> AsyncIterator[FakeZns]:
    """Accepts only the fake OA's current access token; signs receipts as the OA does."""
    templates = {
        t.template_id: {p.name: p.max_len for p in t.params}
        for t in zns.load_catalogue(known_kinds=KINDS).templates
    }
    server = await FakeZns(
        templates, token=oa.current_access_token, app_id=APP_ID, secret=OA_SECRET_KEY
    ).start()
    try:
        yield server
    finally:
        await server.stop()


@dataclass
class Rig:
    """The OA process (webhook) and the sender process's two transports, as
    bot/notice_service.build_transports joins them: ZNS uses the OA's token manager."""

    db: Database
    clock: Clock
    oa: FakeZaloOa
    zns: FakeZns
    bot: ZaloOaBot
    tokens: OaTokens
    oa_transport: ZaloOaTransport
    zns_transport: ZnsTransport

    def sender(self) -> Sender:
        settings = zns_settings(self.zns)
        return Sender(
            self.db,
            {OA: self.oa_transport, "zns": self.zns_transport},
            limits={OA: 50.0, "zns": 50.0},
            window=SendWindow(tz=TZ, quiet=(time(21), time(7))),
            config=SenderConfig(idle_poll=0.05),
            clock=self.clock,
            unlinked=ZnsRoute(settings, TZ),
            policy=RoutingPolicy(zns=settings, oa=OaCaps(), tz=TZ),
        )

    async def later(self, hours: float) -> None:
        self.clock.advance(hours=hours)
        self.oa.advance(hours * 3600)


@asynccontextmanager
async def rig(db: Database, oa: FakeZaloOa, fake_zns: FakeZns) -> AsyncIterator[Rig]:
    clock = Clock(now=NOW)
    settings = oa_settings(oa)
    access, refresh = oa.issue_pair()
    await seed(
        db, settings, access_token=access, refresh_token=refresh, expires_in=3600, now=clock()
    )
    tokens = OaTokens(db, settings, clock)
    api = OaApi(tokens, oa.base_url)
    bot = ZaloOaBot(api, make_dispatcher(db, clock), settings, tz=TZ)
    runner, port = await start_webhook(bot, settings, port=0)
    oa.webhook_url = f"http://127.0.0.1:{port}{settings.webhook_path}"
    oa_transport = ZaloOaTransport(api, db, settings, tz=TZ, clock=clock)
    zns_transport = ZnsTransport(oa_transport.api.tokens, base_url=fake_zns.base_url)
    try:
        yield Rig(db, clock, oa, fake_zns, bot, tokens, oa_transport, zns_transport)
    finally:
        await fake_zns.settle()
        await bot.drain()
        await runner.cleanup()
        await zns_transport.close()
        await oa_transport.close()


def deadline(official: int, subject: str, text: str = "Kính gửi anh, …") -> NewNotice:
    return NewNotice(official, notices.REQUIREMENT_DUE, subject, NOW, text, relevant_until=DEADLINE)


async def link_on_oa(db: Database, official: int, user_id: str = USER) -> None:
    async with db.transaction() as session:
        await session.execute(
            insert(ChatAccount).values(
                channel=OA,
                external_user_id=user_id,
                chat_id=user_id,
                official_id=official,
                linked_at=NOW,
                failed_link_attempts=0,
                created_at=NOW,
                last_seen_at=NOW,
            )
        )


async def two_unlinked(session: AsyncSession) -> tuple[int, int]:
    """Two officials who never linked a chat, with their phones (ZNS's only way)."""
    (first,) = await seed_people(session, 1, channel=None, phone=PHONE)
    (second,) = await seed_people(session, 1, start=2, channel=None, phone="+84912345679")
    return first, second


async def rows(db: Database) -> dict[str, tuple[str, str | None, str | None]]:
    async with db.transaction() as session:
        return {
            n.subject: (n.state, n.channel, n.last_error)
            for n in await session.scalars(select(Notice))
        }


# --- one record of the interaction window (#14 join, point 1) ---------------------------


def test_the_window_has_one_table() -> None:
    assert "chat_interactions" in Base.metadata.tables
    assert "zalo_oa_interactions" not in Base.metadata.tables


async def test_every_oa_event_opens_the_window_the_planner_and_the_transport_read(
    db: Database, oa: FakeZaloOa, fake_zns: FakeZns
) -> None:
    async with rig(db, oa, fake_zns) as r:
        tg_user = Person(make_dispatcher(db, r.clock), "555", channel="telegram")
        await oa.user_text(USER, "/start")
        await r.bot.drain()
        await tg_user.say("/start")
        async with db.transaction() as session:
            seen = {
                (i.channel, i.chat_id): i for i in await session.scalars(select(ChatInteraction))
            }
        assert list(seen) == [(OA, USER)]  # Telegram has no window: nothing written
        assert seen[(OA, USER)].last_inbound_at == NOW
        # Writing again later resets the allowance the outbox used meanwhile.
        async with db.begin() as conn:
            await record_outbound(conn, channel=OA, chat_ids=[USER] * 3)
        await r.later(1)
        await oa.user_text(USER, "hồ sơ")
        await r.bot.drain()
        async with db.transaction() as session:
            again = await session.get(ChatInteraction, (OA, USER), populate_existing=True)
        assert again is not None and again.window_sent == 0
        assert again.last_inbound_at == NOW + timedelta(hours=1)
        # The transport reads the same row: inside the window it sends.
        result = await r.oa_transport.send(USER, Reply("Nhắc lịch học."))
        assert result.outcome is Outcome.SENT


async def test_an_unfollow_opens_no_window(db: Database, oa: FakeZaloOa, fake_zns: FakeZns) -> None:
    async with rig(db, oa, fake_zns) as r:
        await oa.post_event("follow", sender=USER)
        await r.bot.drain()
        await r.later(49)
        await oa.post_event("unfollow", sender=USER)
        await r.bot.drain()
        before = len(oa.sent)
        result = await r.oa_transport.send(USER, Reply("Nhắc lịch học."))
        assert result.outcome is Outcome.FAILED and "window" in (result.error or "")
        assert len(oa.sent) == before and oa.refused == []


# --- ZNS with the OA's token; receipts on the OA webhook; the channel order -------------


async def test_zns_is_sent_with_the_oas_rotating_access_token(
    db: Database, oa: FakeZaloOa, fake_zns: FakeZns
) -> None:
    async with rig(db, oa, fake_zns) as r:
        async with db.transaction() as session:
            first, second = await two_unlinked(session)
            await enqueue_many(session, [deadline(first, "rule:DB-03:2026-12-31")])
        await r.sender().drain()
        token_one = oa.current_access
        assert fake_zns.tokens_seen == [token_one] and not fake_zns.refused
        # An hour on, the OA's token has expired: the next ZNS refreshes it first (one
        # refresh, the new pair stored) and is sent with the new token.
        await r.later(1)
        assert oa.current_access_token() is None  # the old token is refused from now on
        async with db.transaction() as session:
            await enqueue_many(session, [deadline(second, "rule:DB-04:2026-12-31")])
        await r.sender().drain()
        assert oa.refresh_calls == 1
        assert oa.current_access != token_one
        assert fake_zns.tokens_seen == [token_one, oa.current_access]
        assert not fake_zns.refused
    states = await rows(db)
    assert states["rule:DB-03:2026-12-31"][:2] == (notices.SENT, "zns")
    assert states["rule:DB-04:2026-12-31"][:2] == (notices.SENT, "zns")


async def test_the_sender_process_gives_zns_the_oas_token_manager() -> None:
    from bot.channels.zalo_oa.channel import ZaloOaTransport as OaTransport
    from bot.notice_service import build_transports

    settings = Settings.from_env(
        {
            "DATABASE_URL": "sqlite+aiosqlite:///:memory:",
            "ZALO_OA_APP_ID": APP_ID,
            "ZALO_OA_SECRET_KEY": SECRET_KEY,
            "ZNS_ENABLED": "1",
            "LINK_CODE_SECRET": "s" * 32,
        }
    )
    transports, _ = build_transports(settings)
    try:
        oa_transport, zns_transport = transports[OA], transports["zns"]
        assert isinstance(oa_transport, OaTransport) and isinstance(zns_transport, ZnsTransport)
        assert zns_transport.tokens is oa_transport.api.tokens
    finally:
        for transport in transports.values():
            await transport.close()  # type: ignore[attr-defined]


async def test_a_signed_receipt_on_the_oa_webhook_marks_the_zns_delivered(
    db: Database, oa: FakeZaloOa, fake_zns: FakeZns
) -> None:
    async with rig(db, oa, fake_zns) as r:
        async with db.transaction() as session:
            first, second = await two_unlinked(session)
            await enqueue_many(session, [deadline(first, "rule:DB-03:2026-12-31")])
        # The fake ZNS posts Zalo's receipt to the OA's webhook after the send.
        fake_zns.callback_url = oa.webhook_url
        fake_zns.clock = lambda: (r.clock() + timedelta(seconds=5)).timestamp()
        await r.sender().drain()
        await fake_zns.settle()
        await r.bot.drain()
        assert fake_zns.callbacks == [200]
        # The second one's receipt comes forged (wrong mac), then genuine.
        fake_zns.callback_url = None
        async with db.transaction() as session:
            await enqueue_many(session, [deadline(second, "rule:DB-04:2026-12-31")])
        await r.sender().drain()
        sent = fake_zns.sent[-1]
        timestamp = str(int((r.clock() + timedelta(seconds=7)).timestamp() * 1000))
        body = json.dumps(
            {
                "app_id": APP_ID,
                "event_name": "user_received_message",
                "sender": {"id": "oa-1"},
                "recipient": {"id": "user-" + sent["phone"]},
                "message": {
                    "msg_id": "zns000002",
                    "tracking_id": sent["tracking_id"],
                    "delivery_time": timestamp,
                },
                "timestamp": timestamp,
            }
        )
        forged = await oa.post_raw(body, "mac=" + mac(APP_ID, body, timestamp, "not-the-key"))
        await r.bot.drain()
        assert forged != 200
        async with db.transaction() as session:
            by_notice = {
                d.phone: (d.status, d.delivered_at)
                for d in await session.scalars(select(ZnsDelivery))
            }
        assert by_notice["84912345678"] == (DELIVERED, NOW + timedelta(seconds=5))
        assert by_notice["84912345679"][0] != DELIVERED
        genuine = await oa.post_raw(body, "mac=" + mac(APP_ID, body, timestamp, OA_SECRET_KEY))
        await r.bot.drain()
        assert genuine == 200
        async with db.transaction() as session:
            statuses = {d.phone: d.status for d in await session.scalars(select(ZnsDelivery))}
        assert statuses == {"84912345678": DELIVERED, "84912345679": DELIVERED}


async def test_the_channel_order_end_to_end_with_the_oa(
    db: Database, oa: FakeZaloOa, fake_zns: FakeZns
) -> None:
    async with rig(db, oa, fake_zns) as r:
        async with db.transaction() as session:
            (official,) = await seed_people(session, 1, channel=None, phone=PHONE)
        await link_on_oa(db, official)
        await oa.user_text(USER, "xin chào")  # inside the window from now
        await r.bot.drain()
        before = len(oa.sent_to(USER))
        async with db.transaction() as session:
            await enqueue_many(
                session, [deadline(official, "rule:DB-03:2026-12-31", "Nhắc anh: hạn DB-03")]
            )
        await r.sender().drain()
        assert [m.text for m in oa.sent_to(USER)[before:]] == ["Nhắc anh: hạn DB-03"]
        assert fake_zns.sent == []
        # Two days later the window has closed: a hard deadline goes by ZNS to their phone,
        # a soft notice (a course starting) waits for the person to write again.
        await r.later(49)
        async with db.transaction() as session:
            await enqueue_many(
                session,
                [
                    NewNotice(
                        official,
                        notices.REQUIREMENT_DUE,
                        "rule:DB-04:2026-12-31",
                        r.clock(),
                        "Nhắc anh: hạn DB-04",
                        relevant_until=DEADLINE,
                    ),
                    NewNotice(
                        official, notices.COURSE_START, "course:7:lead3", r.clock(), "Khóa học…"
                    ),
                ],
            )
        await r.sender().drain()
        assert len(oa.sent_to(USER)) == before + 1
        assert [s["phone"] for s in fake_zns.sent] == ["84912345678"]
    states = await rows(db)
    assert states["rule:DB-03:2026-12-31"][:2] == (notices.SENT, OA)
    assert states["rule:DB-04:2026-12-31"][:2] == (notices.SENT, "zns")
    soft_state, _, soft_error = states["course:7:lead3"]
    assert (soft_state, soft_error) == (notices.PENDING, OA_WAITING)


async def test_three_notices_due_the_same_day_reach_an_oa_follower_as_one_message(
    db: Database, oa: FakeZaloOa, fake_zns: FakeZns
) -> None:
    async with rig(db, oa, fake_zns) as r:
        async with db.transaction() as session:
            (official,) = await seed_people(session, 1, channel=None, phone=PHONE)
        await link_on_oa(db, official)
        await oa.user_text(USER, "xin chào")
        await r.bot.drain()
        before = len(oa.sent_to(USER))
        async with db.transaction() as session:
            await enqueue_many(
                session,
                [
                    NewNotice(official, notices.COURSE_START, "course:7:lead1", NOW, "Khóa học 7"),
                    NewNotice(
                        official,
                        notices.REQUIREMENT_OVERDUE,
                        "rule:A:2026-11-30",
                        NOW + timedelta(hours=1),
                        "Quá hạn A",
                    ),
                    deadline(official, "rule:B:2026-12-31", "Hạn B"),
                ],
            )
            stats = await bundle_pending(session, now=NOW, tz=TZ)
        assert (stats.carriers, stats.bundled) == (1, 2)
        await r.sender().drain()
        (message,) = oa.sent_to(USER)[before:]
        assert message.text.startswith("📋 Hôm nay có 3 thông báo")
        assert message.text.index("Quá hạn A") < message.text.index("Khóa học 7")
        assert "Hạn B" in message.text
        assert fake_zns.sent == []  # a bundle never goes by ZNS, and the OA could carry it
        async with db.transaction() as session:
            used = await session.get(ChatInteraction, (OA, USER), populate_existing=True)
        assert used is not None and used.window_sent == 1  # one message of the allowance
