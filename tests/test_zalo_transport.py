"""ZaloTransport against the fake Zalo Bot API: every outcome the outbox must tell apart,
the rate ceiling, the 429 back-off, and a token that never shows up in errors or logs."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest

from bot.channels.zalo_api import Backoff, ZaloApi, ZaloError
from bot.channels.zalo_transport import ZaloTransport, classify
from bot.transport import Outcome
from handlers.types import Reply
from tests.fake_zalo_api import FakeZaloApi

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
CHAT = "8a3c0e61d9f2b7a45c10"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloApi]:
    server = await FakeZaloApi().start()
    try:
        yield server
    finally:
        await server.stop()
    assert not server.internal_errors, server.internal_errors


@pytest.fixture
async def transport(fake: FakeZaloApi) -> AsyncIterator[ZaloTransport]:
    api = ZaloApi(fake.token, fake.base_url, timeout=0.5, backoff=Backoff(first=0.05))
    sender = ZaloTransport(api, max_per_second=50, tz=TZ)
    try:
        yield sender
    finally:
        await sender.close()


async def test_sent(fake: FakeZaloApi, transport: ZaloTransport) -> None:
    result = await transport.send(CHAT, Reply("Nhắc anh: hạn đăng ký khóa K-2026-14 là 30/11."))
    assert result.outcome is Outcome.SENT
    assert result.message_id == fake.sent[0].message_id


async def test_html_429_from_a_proxy_is_a_rate_limit(
    fake: FakeZaloApi, transport: ZaloTransport
) -> None:
    fake.rate_limit_next("sendMessage", times=2)
    first = await transport.send(CHAT, Reply("một"))
    assert first.outcome is Outcome.RETRY and first.retry_after and first.retry_after > 0
    assert "429" in (first.error or "") and "<html" not in (first.error or "")
    second = await transport.send(CHAT, Reply("hai"))
    # Exponential: the second strike asks for a longer pause than the first.
    assert second.outcome is Outcome.RETRY and second.retry_after
    assert second.retry_after > first.retry_after
    started = time.monotonic()
    assert (await transport.send(CHAT, Reply("ba"))).outcome is Outcome.SENT
    assert time.monotonic() - started >= 0.05  # it waited out the pause before sending


async def test_json_429_and_5xx_are_retried_later(
    fake: FakeZaloApi, transport: ZaloTransport
) -> None:
    fake.fail_next("sendMessage", error_code=429, description="Quota exceeded")
    assert (await transport.send(CHAT, Reply("x"))).outcome is Outcome.RETRY
    fake.fail_next("sendMessage", status=503, html="<h1>Service Unavailable</h1>")
    assert (await transport.send(CHAT, Reply("x"))).outcome is Outcome.RETRY
    fake.fail_next("sendMessage", error_code=403, description="Internal server error")
    assert (await transport.send(CHAT, Reply("x"))).outcome is Outcome.RETRY
    assert fake.sent == []


async def test_bad_request_fails_for_good(fake: FakeZaloApi, transport: ZaloTransport) -> None:
    result = await transport.send("", Reply("x"))
    assert result.outcome is Outcome.FAILED
    assert "chat_id must not be empty" in (result.error or "")


async def test_read_timeout_after_sending_is_unknown(
    fake: FakeZaloApi, transport: ZaloTransport
) -> None:
    fake.delay("sendMessage", 1.0, times=1)  # longer than the client's 0.5 s
    result = await transport.send(CHAT, Reply("Nhắc lịch học"))
    assert result.outcome is Outcome.UNKNOWN
    assert [m.text for m in fake.sent] == ["Nhắc lịch học"]  # it did arrive: never repeat


async def test_connection_refused_is_safe_to_retry() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = ZaloApi("1:secret-token-abc", f"http://127.0.0.1:{port}")
    sender = ZaloTransport(api, max_per_second=10, tz=TZ)
    try:
        result = await sender.send(CHAT, Reply("x"))
    finally:
        await sender.close()
    assert result.outcome is Outcome.RETRY
    assert "secret-token-abc" not in (result.error or "")


async def test_blocked_wording_is_blocked(fake: FakeZaloApi, transport: ZaloTransport) -> None:
    fake.fail_next("sendMessage", error_code=400, description="User has blocked the bot")
    assert (await transport.send(CHAT, Reply("x"))).outcome is Outcome.BLOCKED


async def test_later_part_failing_is_unknown_not_retry(
    fake: FakeZaloApi, transport: ZaloTransport
) -> None:
    long_text = "\n".join(f"Dòng {n}: " + "nội dung " * 20 for n in range(30))
    fake.fail_next("sendMessage", error_code=400, description="Bad request", skip=1)
    result = await transport.send(CHAT, Reply(long_text))
    assert result.outcome is Outcome.UNKNOWN
    assert "sent 1 of" in (result.error or "")
    assert len(fake.sent) == 1


async def test_rate_ceiling_spaces_bulk_sends(fake: FakeZaloApi) -> None:
    sender = ZaloTransport(ZaloApi(fake.token, fake.base_url), max_per_second=20, tz=TZ)
    started = time.monotonic()
    try:
        for n in range(6):
            assert (await sender.send(CHAT, Reply(f"tin {n}"))).outcome is Outcome.SENT
    finally:
        await sender.close()
    assert time.monotonic() - started >= 5 / 20 * 0.9


async def test_token_never_in_errors_or_logs(
    fake: FakeZaloApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # Whatever an earlier test's configure_logging() quieted: httpx logs its request lines.
    caplog.set_level(logging.DEBUG, logger="httpx")
    api = ZaloApi(fake.token, fake.base_url, timeout=0.3, backoff=Backoff(first=0.01))
    secret = fake.token.split(":")[1]
    # A proxy error page quoting the request path, token included (seen in the wild).
    fake.fail_next("sendMessage", status=502, html=f"<p>upstream /bot{fake.token}/sendMessage</p>")
    fake.fail_next("sendMessage", error_code=400, description=f"bad path /bot{fake.token}/x")
    fake.delay("sendMessage", 0.6, times=1)
    errors: list[str] = []
    try:
        for _ in range(3):
            try:
                await api.send_message(CHAT, "x")
            except ZaloError as exc:
                errors.append(repr(exc) + str(exc) + exc.description)
                logging.getLogger("test").warning("send failed: %s", exc)
    finally:
        await api.close()
    assert len(errors) == 3
    assert all(secret not in e for e in errors), errors
    assert "POST" in caplog.text  # httpx did log its request lines…
    assert secret not in caplog.text  # …with the token redacted


def test_classification_table() -> None:
    def outcome(**kw: object) -> Outcome:
        return classify(ZaloError("sendMessage", "d", **kw)).outcome  # type: ignore[arg-type]

    assert outcome(code=408) is Outcome.UNKNOWN
    assert outcome(code=401) is Outcome.RETRY
    assert outcome(code=404) is Outcome.FAILED
    assert outcome(code=504, http_status=504, may_have_arrived=True) is Outcome.UNKNOWN
    assert outcome() is Outcome.RETRY  # could not connect
