"""Every answer shape the Bot API (or the gateway in front of it) can give, over real HTTP,
and what the outbox makes of it. The rule: decide by what reached us. A 5xx status line
means the request was not processed, whatever body follows (JSON, an HTML page, nothing, a
truncated or cut-off body): try again. A 200 whose answer was lost, or no answer at all
after the request left, is UNKNOWN: Telegram has no idempotency key, so it is never resent.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.channels.telegram_transport import TelegramTransport
from bot.db import Database
from bot.transport import Outcome
from handlers.types import Reply
from models.notices.outbox import Notice
from tests.fake_bot_api import FakeBotApi
from tests.notice_world import queue_notices, seed_people
from tests.sender_checks import (
    delivered,
    fake_in_own_thread,
    max_in_window,
    per_chat_violations,
    sends,
)
from tests.test_sender_faults import RunningClock, make_sender

TOKEN = "123456:FAULTS-TEST"
DAY = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 in Việt Nam, a Thursday
GATEWAY_STATUSES = (500, 502, 503)  # not processed: retried
BODIES = ("json", "html", "empty", "truncated", "cut")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def send_once(fake: FakeBotApi, *, read_timeout: float = 5.0) -> tuple[Outcome, str]:
    transport = TelegramTransport(TOKEN, base_url=fake.base_url, read_timeout=read_timeout)
    try:
        result = await transport.send("42", Reply("Nhắc lịch bồi dưỡng ngày 01/12/2026"))
    finally:
        await transport.close()
    assert TOKEN not in (result.error or "")
    return result.outcome, result.error or ""


@pytest.mark.parametrize("body", BODIES)
@pytest.mark.parametrize("status", GATEWAY_STATUSES)
async def test_a_gateway_error_is_retried_whatever_its_body(status: int, body: str) -> None:
    async with FakeBotApi() as fake:
        fake.fail_next("sendMessage", status, "Bad Gateway", body=body)
        outcome, error = await send_once(fake)
        assert fake.sent_to("42") == []  # the fake did not carry it out
        assert len(fake.calls("sendMessage")) == 1
    assert outcome is Outcome.RETRY, error
    assert f"({status})" in error


@pytest.mark.parametrize("body", BODIES)
async def test_a_gateway_timeout_is_unknown_and_never_resent(body: str) -> None:
    """504: the gateway may have passed the request on, so it is not repeated."""
    async with FakeBotApi() as fake:
        fake.fail_next("sendMessage", 504, "Gateway Timeout", body=body)
        outcome, error = await send_once(fake)
        assert len(fake.calls("sendMessage")) == 1
    assert outcome is Outcome.UNKNOWN, error
    assert "(504)" in error


@pytest.mark.parametrize(
    ("status", "description", "expected"),
    [
        (400, "Bad Request: message text is empty", Outcome.FAILED),
        (400, "Bad Request: chat not found", Outcome.BLOCKED),
        (403, "Forbidden: bot was blocked by the user", Outcome.BLOCKED),
    ],
)
async def test_client_errors_with_json(status: int, description: str, expected: Outcome) -> None:
    async with FakeBotApi() as fake:
        fake.fail_next("sendMessage", status, description)
        outcome, error = await send_once(fake)
    assert outcome is expected, error


async def test_too_many_requests_is_retried_after_its_wait() -> None:
    async with FakeBotApi() as fake:
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
        transport = TelegramTransport(TOKEN, base_url=fake.base_url)
        result = await transport.send("42", Reply("Xin chào"))
        await transport.close()
    assert result.outcome is Outcome.RETRY and result.retry_after == 7


async def test_ok_is_sent() -> None:
    async with FakeBotApi() as fake:
        outcome, _error = await send_once(fake)
        assert len(fake.sent_to("42")) == 1
    assert outcome is Outcome.SENT


async def test_an_ok_answer_cut_mid_way_is_unknown_and_never_resent() -> None:
    async with FakeBotApi() as fake:
        fake.cut_answer("sendMessage")
        outcome, error = await send_once(fake)
        assert len(fake.sent_to("42")) == 1  # it did arrive
    assert outcome is Outcome.UNKNOWN, error


async def test_no_answer_within_the_read_timeout_is_unknown() -> None:
    async with FakeBotApi() as fake:
        fake.delay("sendMessage", 2.0)
        outcome, error = await send_once(fake, read_timeout=0.5)
        assert len(fake.sent_to("42")) == 1
    assert outcome is Outcome.UNKNOWN, error


async def test_connection_refused_is_retried() -> None:
    transport = TelegramTransport(
        TOKEN, base_url=f"http://127.0.0.1:{closed_port()}/bot", connect_timeout=1.0
    )
    result = await transport.send("42", Reply("Xin chào"))
    await transport.close()
    assert result.outcome is Outcome.RETRY


@pytest.mark.slow
async def test_a_batch_with_five_percent_502_pages_arrives_exactly_once(db: Database) -> None:
    people, per_official = 60, 2
    async with db.transaction() as session:
        ids = await seed_people(session, people)
        await queue_notices(session, ids, due=DAY - timedelta(minutes=1), per_official=2)
    with fake_in_own_thread() as fake:
        fake.set_error_rate("sendMessage", 0.05, 502, seed=17, body="html")
        sender, transport = make_sender(db, fake, RunningClock(DAY), rate=25, max_attempts=8)
        await sender.drain()
        await transport.close()
    gateway_errors = [s for _t, _chat, s in sends(fake) if s == 502]
    copies = delivered(fake)
    print(
        f"\n{people * per_official} notices, {len(sends(fake))} sendMessage calls, "
        f"{len(gateway_errors)} answered 502 (HTML), {len(copies)} delivered"
    )
    assert gateway_errors, "the seed must inject some 502s"
    assert len(copies) == people * per_official
    assert set(copies.values()) == {1}  # each exactly once
    # The retries stayed within Telegram's limits: ~30/s overall (the sender aims at 25/s;
    # that its gate is exact is tests/test_rate_gate.py's subject, on a fake clock, since
    # arrival jitter here can put a 26th request in a window), one a second per chat.
    assert max_in_window([t for t, _chat, _s in sends(fake)]) <= 30
    assert per_chat_violations(fake) == 0
    async with db.transaction() as session:
        rows = await session.execute(select(Notice.state, func.count()).group_by(Notice.state))
        assert dict(rows.all()) == {"sent": people * per_official}
