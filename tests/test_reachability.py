"""Reachability follows what the chat tells us: Telegram's my_chat_member (the user blocked
or unblocked the bot) over the real python-telegram-bot stack, and any inbound message or
button press on any channel, which proves the chat reaches the user again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from telegram.ext import Application

from bot.channels.telegram import ALLOWED_UPDATES, build_application
from bot.db import Database
from handlers.types import Incoming
from models.chat.accounts import ChatAccount
from models.notices.outbox import Notice
from tests.fake_bot_api import FakeBotApi
from tests.notice_world import queue_notices, seed_people
from tests.test_sender_faults import RunningClock, make_sender
from tests.test_telegram_e2e import settings_for
from tests.transcript import make_dispatcher

USER = 100001  # seed_people's first official writes from this Telegram id


@pytest.fixture
async def people(db: Database) -> list[int]:
    async with db.transaction() as session:
        return await seed_people(session, 2)


@pytest.fixture
async def polling_app(
    fake: FakeBotApi, db: Database, people: list[int]
) -> AsyncIterator[Application]:
    app = build_application(settings_for(fake, db), make_dispatcher(db))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def unreachable_at(db: Database, channel: str, chat_id: str) -> datetime | None:
    async with db.transaction() as session:
        return await session.scalar(
            select(ChatAccount.unreachable_at).where(
                ChatAccount.channel == channel, ChatAccount.chat_id == chat_id
            )
        )


async def set_unreachable(db: Database, channel: str, chat_id: str, at: datetime) -> None:
    async with db.transaction() as session:
        account = await session.scalar(
            select(ChatAccount).where(
                ChatAccount.channel == channel, ChatAccount.chat_id == chat_id
            )
        )
        assert account is not None
        account.unreachable_at = at


async def wait_until(check: Callable[[], Awaitable[bool]], budget: float = 5.0) -> None:
    """Polls a database check while the bot works in the background."""
    deadline = time.monotonic() + budget
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {check.__name__}")
        await asyncio.sleep(0.05)


async def test_polling_asks_telegram_for_my_chat_member(
    fake: FakeBotApi, polling_app: Application
) -> None:
    # run() polls (or registers the webhook) with ALLOWED_UPDATES, as this fixture does.
    polls = await fake.wait_requests("getUpdates")
    asked = polls[0].params["allowed_updates"]
    assert {"message", "callback_query", "my_chat_member"} <= set(asked)


async def test_blocking_and_unblocking_the_bot_switch_reachability_at_once(
    fake: FakeBotApi, db: Database, polling_app: Application
) -> None:
    fake.push_my_chat_member(USER, "kicked")

    async def blocked() -> bool:
        return await unreachable_at(db, "telegram", str(USER)) is not None

    await wait_until(blocked)
    fake.push_my_chat_member(USER, "member")

    async def reachable() -> bool:
        return await unreachable_at(db, "telegram", str(USER)) is None

    await wait_until(reachable)
    # Neither event is a message: nothing is said to the user.
    assert fake.sent_to(USER) == []
    # The other official was never touched.
    assert await unreachable_at(db, "telegram", str(USER + 1)) is None


async def test_a_user_who_blocked_unblocked_and_wrote_gets_the_next_reminder(
    fake: FakeBotApi, db: Database, people: list[int], polling_app: Application
) -> None:
    day = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 in Việt Nam
    # Blocked: the sender learnt it from a 403 and marked the chat unreachable.
    await set_unreachable(db, "telegram", str(USER), day - timedelta(days=3))
    # Unblocked (Telegram's "Restart" also sends /start; here the user just writes).
    fake.push_text(USER, "/hoso")
    await fake.wait_sent(USER, 1)  # answered after the update's transaction committed
    async with db.transaction() as session:
        await queue_notices(session, people[:1], due=day - timedelta(minutes=1), kind="reminder")
    sender, transport = make_sender(db, fake, RunningClock(day), drain_wait=0)
    await sender.drain()
    await transport.close()
    async with db.transaction() as session:
        notice = await session.scalar(select(Notice).where(Notice.kind == "reminder"))
    assert notice is not None and notice.state == "sent"
    assert [m.text for m in fake.sent_to(USER)][-1] == f"notice {people[0]}/0"


@pytest.mark.parametrize("channel", ["telegram", "zalo", "console"])
async def test_any_inbound_message_or_button_clears_unreachable(db: Database, channel: str) -> None:
    async with db.transaction() as session:
        await seed_people(session, 2, channel=channel)
    dispatcher = make_dispatcher(db)
    moment = datetime(2026, 11, 20, tzinfo=UTC)
    for n, incoming in enumerate(
        [
            Incoming(channel=channel, chat_id="100001", sender_id="100001", text="xin chào"),
            Incoming(channel=channel, chat_id="100002", sender_id="100002", choice="stale:1"),
        ],
        start=1,
    ):
        await set_unreachable(db, channel, f"10000{n}", moment)
        await dispatcher.handle(incoming)
        assert await unreachable_at(db, channel, f"10000{n}") is None


async def test_a_reachable_chat_costs_no_extra_write(db: Database) -> None:
    async with db.transaction() as session:
        await seed_people(session, 1)
    dispatcher = make_dispatcher(db)
    hello = Incoming(channel="telegram", chat_id="100001", sender_id="100001", text="xin chào")
    await dispatcher.handle(hello)  # the first update refreshes last_seen_at
    updates: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE CHAT_ACCOUNTS"):
            updates.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        await dispatcher.handle(hello)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    assert updates == []
