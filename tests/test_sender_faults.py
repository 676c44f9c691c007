"""The sender against the fake Bot API: pacing, quiet hours, stale and blocked notices, and
faults (5xx, 429 with retry_after, timeouts after the request left), on both databases."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.channels.telegram_transport import TelegramTransport
from bot.db import Database
from bot.sender import Sender, SenderConfig
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices
from models.notices.outbox import Notice
from models.notices.send_window import SendWindow, load_holidays
from tests.fake_bot_api import FakeBotApi
from tests.notice_world import queue_notices, seed_people
from tests.sender_checks import (
    delivered,
    fake_in_own_thread,
    inside_retry_windows,
    max_in_window,
    per_chat_violations,
    sends,
)

DAY = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 in Việt Nam, a Thursday


class RunningClock:
    """Starts at a chosen moment and runs with real time: retries and leases work."""

    def __init__(self, start: datetime) -> None:
        self.start, self.t0 = start, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def make_sender(
    db: Database,
    fake: FakeBotApi,
    clock: Callable[[], datetime],
    *,
    rate: float = 25,
    read_timeout: float = 5.0,
    **config: object,
) -> tuple[Sender, TelegramTransport]:
    transport = TelegramTransport("1:T", base_url=fake.base_url, read_timeout=read_timeout)
    settings = {"backoff_base": 0.2, "backoff_max": 1.0, "drain_wait": 8.0, **config}
    sender = Sender(
        db,
        {"telegram": transport},
        limits={"telegram": rate},
        window=SendWindow(tz=ZoneInfo("Asia/Ho_Chi_Minh"), holidays=load_holidays()),
        config=SenderConfig(**settings),  # type: ignore[arg-type]
        clock=clock,
    )
    return sender, transport


async def states(db: Database) -> dict[str, int]:
    async with db.transaction() as session:
        rows = await session.execute(select(Notice.state, func.count()).group_by(Notice.state))
        return {state: n for state, n in rows}


@pytest.mark.slow
async def test_sends_due_notices_within_the_ceiling_and_one_per_chat_per_second(
    db: Database,
) -> None:
    """The one real-time pacing run: arrivals at the fake Bot API, on its own thread. The
    pacing rules themselves are checked on a fake clock in tests/test_rate_gate.py."""
    async with db.transaction() as session:
        ids = await seed_people(session, 30)
        await queue_notices(session, ids, due=DAY - timedelta(minutes=5), per_official=3)
        await queue_notices(session, ids[:5], due=DAY + timedelta(hours=1), kind="later")
    with fake_in_own_thread() as fake:
        sender, transport = make_sender(db, fake, RunningClock(DAY), rate=20)
        stats = await sender.drain()
        await transport.close()
    assert stats.outcomes["sent"] == 90
    assert await states(db) == {"sent": 90, "pending": 5}  # the later ones wait their turn
    times = [t for t, _chat, _status in sends(fake)]
    assert max_in_window(times) <= 20
    assert per_chat_violations(fake) == 0
    assert max(delivered(fake).values()) == 1


async def test_quiet_hours_and_holidays_hold_notices_until_seven(db: Database) -> None:
    night = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # 22:30 in Việt Nam
    async with db.transaction() as session:
        ids = await seed_people(session, 3)
        await queue_notices(session, ids[:2], due=night - timedelta(minutes=1))
        await queue_notices(
            session, ids[2:], due=night - timedelta(minutes=1), kind="urgent", urgent=True
        )
    async with FakeBotApi() as fake:
        sender, transport = make_sender(db, fake, lambda: night, drain_wait=0)
        await sender.drain()
        assert [m.chat_id for m in fake.sent] == [str(100003)]  # only the urgent one
        morning = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 07:00 next day
        sender.clock = lambda: morning - timedelta(seconds=1)
        await sender.drain()
        assert len(fake.sent) == 1
        sender.clock = lambda: morning
        await sender.drain()
        assert len(fake.sent) == 3
        tet = datetime(2026, 2, 17, 3, 0, tzinfo=UTC)  # Tết 2026, 10:00
        async with db.transaction() as session:
            await queue_notices(session, ids[:1], due=tet - timedelta(hours=1), kind="tet")
        sender.clock = lambda: tet
        await sender.drain()
        assert len(fake.sent) == 3
        await transport.close()


async def test_stale_notice_is_dropped_with_its_reason_and_fresh_one_sent(db: Database) -> None:
    async with db.transaction() as session:
        ids = await seed_people(session, 2)
        await queue_notices(
            session,
            ids[:1],
            due=DAY - timedelta(days=3),
            kind="stale",
            relevant_until=DAY - timedelta(days=1),
        )
        await queue_notices(
            session,
            ids[1:],
            due=DAY - timedelta(days=3),
            kind="late",
            relevant_until=DAY + timedelta(days=1),
        )
    async with FakeBotApi() as fake:
        sender, transport = make_sender(db, fake, lambda: DAY, drain_wait=0)
        await sender.drain()
        await transport.close()
    assert [m.chat_id for m in fake.sent] == [str(100002)]
    async with db.transaction() as session:
        stale = await session.scalar(select(Notice).where(Notice.kind == "stale"))
    assert stale is not None and stale.state == notices.DROPPED
    assert stale.last_error is not None and stale.last_error.startswith("stale")


async def test_blocked_chat_is_marked_unreachable_and_never_tried_again(db: Database) -> None:
    async with db.transaction() as session:
        ids = await seed_people(session, 2)
        await queue_notices(session, ids, due=DAY - timedelta(minutes=1))
    async with FakeBotApi() as fake:
        fake.blocked_chats.add("100001")
        sender, transport = make_sender(db, fake, RunningClock(DAY), drain_wait=3)
        await sender.drain()
        async with db.transaction() as session:
            await queue_notices(session, ids, due=DAY - timedelta(minutes=1), kind="second")
        await sender.drain()
        await transport.close()
    tried = [chat for _t, chat, _s in sends(fake)]
    assert tried.count("100001") == 1 and tried.count("100002") == 2
    assert await states(db) == {"blocked": 2, "sent": 2}
    async with db.transaction() as session:
        gone = await session.scalar(select(ChatAccount).where(ChatAccount.chat_id == "100001"))
    assert gone is not None and gone.unreachable_at is not None


async def test_faults_end_terminal_with_no_request_inside_retry_after(db: Database) -> None:
    """10 % 5xx, a burst of 429 with retry_after=2, answers held past the read timeout."""
    async with db.transaction() as session:
        ids = await seed_people(session, 60)
        await queue_notices(session, ids, due=DAY - timedelta(minutes=1), per_official=2)
    with fake_in_own_thread() as fake:
        fake.set_error_rate("sendMessage", 0.10, 502, seed=5)
        fake.flood_retry_after = 2
        fake.fail_next(
            "sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2, times=1
        )
        sender, transport = make_sender(
            db, fake, RunningClock(DAY), rate=25, read_timeout=1.0, max_attempts=8
        )

        async def lose_three_answers_later() -> None:
            # After the 429 was answered, so its retry_after reached the sender.
            for _ in range(3000):
                if len(fake.requests) >= 30:
                    break
                await asyncio.sleep(0.01)
            fake.delay("sendMessage", 2.5, times=3)

        losing = asyncio.create_task(lose_three_answers_later())
        stats = await sender.drain()
        await losing
        await transport.close()
    counted = await states(db)
    assert sum(counted.values()) == 120
    assert set(counted) <= notices.TERMINAL  # nothing pending or sending
    # The three held answers, never repeated. On a loaded machine another answer can also
    # miss the read timeout; it is then "unknown" too, which is the point: never resent.
    unknown = counted.get("unknown", 0)
    assert 3 <= unknown <= 3 + sender.config.concurrency
    assert stats.outcomes["retry"] >= 1
    # A 2 s pause against millisecond jitter: a request inside it means the sender ignored
    # retry_after, not that the machine was slow. (Pacing is the slow test's subject.)
    assert inside_retry_windows(fake, 2.0) == 0
    # Every notice recorded as sent arrived exactly once.
    assert counted.get("sent", 0) + counted.get("failed", 0) + unknown == 120
    assert max(delivered(fake).values()) == 1
