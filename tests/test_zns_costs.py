"""#14.2: the ZNS cost in the broadcast preview, over the real python-telegram-bot stack
against the fake Bot API: with ZNS on for announcements, the officials only ZNS reaches
are counted, priced ("ước tính … ₫ cho … tin ZNS") and queued; with ZNS off, no line.
The count follows the channel order: a linked official who chose a chat app in /nhacnho
keeps it, the others get the kinds the province sends by ZNS by ZNS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import insert, select
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.config import Settings
from bot.db import Database
from bot.dispatch import Dispatcher
from models.chat import link_codes
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices
from models.notices import zns
from models.notices.outbox import Notice
from models.notices.preferences import set_channel
from models.org import admins
from models.requirements.store import ensure_default_catalogue
from tests.factories import make_official, small_province
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.transcript import Clock

ADMIN = 5550077
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
KINDS = frozenset({*notices.REQUIRED_KINDS, notices.REGISTRATION_DEADLINE, notices.BROADCAST})
BROADCAST_TEMPLATE = {
    "kind": "broadcast",
    "template_id": "231009",
    "sample": "Kính gửi <name>, Sở Nội vụ có thông báo mới số <ref>. Mời xem trên Zalo OA.",
    "params": [
        {"name": "name", "source": "official.name", "max": 30},
        {"name": "ref", "source": "notice.ref", "max": 30},
    ],
}


def zns_on(price: int) -> zns.ZnsSettings:
    return zns.ZnsSettings(
        enabled=True,
        kinds=frozenset({notices.BROADCAST, *zns.DEFAULT_KINDS}),
        price_vnd=price,
        catalogue=zns.parse_catalogue({"templates": [BROADCAST_TEMPLATE]}, known_kinds=KINDS),
    )


async def seed(db: Database) -> str:
    """An HR admin, two staff linked on Telegram (one chose it in /nhacnho), three with
    only a roster phone, one with neither; returns the admin's one-time link code."""
    async with db.transaction() as session:
        units = await small_province(session)
        await ensure_default_catalogue(session, NOW)
        hr = await make_official(
            session, units["tccb"], employee_code="DB000006", phone="+84912000006"
        )
        await admins.grant(session, hr, units["root"], actor="test", now=NOW)
        staff = [
            await make_official(
                session, units["sin_thau"], employee_code=f"DB30000{i}", phone=f"+8491500000{i}"
            )
            for i in range(5)
        ]
        await make_official(session, units["sin_thau"], employee_code="DB400000", phone=None)
        for official in staff[:2]:
            await session.execute(
                insert(ChatAccount).values(
                    channel="telegram",
                    external_user_id=f"9{official.id}",
                    chat_id=f"9{official.id}",
                    official_id=official.id,
                    linked_at=NOW,
                    failed_link_attempts=0,
                    created_at=NOW,
                    last_seen_at=NOW,
                )
            )
        await set_channel(session, staff[0].id, "telegram", now=NOW)
        return await link_codes.issue(session, hr, now=NOW, created_by="test", pepper=b"")


@asynccontextmanager
async def telegram(fake: FakeBotApi, db: Database, settings: Settings) -> AsyncIterator[None]:
    settings = replace(
        settings,
        database_url=db.url,
        telegram_token="123456:TEST-TOKEN",
        telegram_api_base_url=fake.base_url,
        telegram_file_base_url=fake.base_file_url,
    )
    app: Application = build_application(
        settings, Dispatcher(db=db, settings=settings, clock=Clock(now=NOW))
    )
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def next_message(fake: FakeBotApi, act: Callable[[], object]) -> SentMessage:
    before = len(fake.sent_to(ADMIN))
    act()
    sent = await fake.wait_sent(ADMIN, before + 1)
    await asyncio.sleep(0.05)  # a reply may come in several messages
    return fake.sent_to(ADMIN)[-1] if len(sent) > before else sent[-1]


async def to_preview(fake: FakeBotApi, code: str) -> SentMessage:
    await next_message(fake, lambda: fake.push_text(ADMIN, f"/start {code}"))
    menu = await next_message(fake, lambda: fake.push_text(ADMIN, "/thongbao"))
    everyone = menu.callback_data("Tất cả CBCCVC")
    await next_message(fake, lambda: fake.push_callback(ADMIN, menu.message_id, everyone))
    ask = await next_message(fake, lambda: fake.push_text(ADMIN, "Họp giao ban cuối năm."))
    no_course = ask.callback_data("Không")
    return await next_message(fake, lambda: fake.push_callback(ADMIN, ask.message_id, no_course))


async def test_the_preview_prices_the_zns_messages_and_queues_them(
    fake: FakeBotApi, db: Database
) -> None:
    code = await seed(db)
    async with telegram(fake, db, replace(Settings(), zns=zns_on(price=1_449_000))):
        preview = await to_preview(fake, code)
        text = preview.text or ""
        # The admin, the staff member who chose nothing and the three with only a phone:
        # 5 × 1.449.000 ₫ (a big price shows the thousands dots).
        assert "ước tính 7.245.000 ₫ cho 5 tin ZNS" in text, text
        assert "Gửi qua ZNS đến số điện thoại" in text
        send = preview.callback_data("Gửi cho 6 người")
        await next_message(fake, lambda: fake.push_callback(ADMIN, preview.message_id, send))
    async with db.transaction() as session:
        rows = list(await session.scalars(select(Notice).where(Notice.kind == notices.BROADCAST)))
    # The admin and two staff linked, three by ZNS; the one without a phone is not queued.
    assert len(rows) == 6


async def test_without_zns_the_preview_has_no_cost_line(fake: FakeBotApi, db: Database) -> None:
    code = await seed(db)
    async with telegram(fake, db, Settings()):
        preview = await to_preview(fake, code)
    assert "ZNS" not in (preview.text or "")
    preview.callback_data("Gửi cho 3 người")
