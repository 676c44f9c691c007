"""The outbound Telegram transport over real sockets: what each failure means for the outbox
(sent, may retry, or unknown and never repeated)."""

from __future__ import annotations

import socket

from bot.channels.telegram_transport import TelegramTransport
from bot.transport import Outcome
from handlers.types import Choice, Reply
from tests.fake_bot_api import FakeBotApi

TOKEN = "123456:TRANSPORT-TEST"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_nothing_listening_means_not_sent_so_retry() -> None:
    transport = TelegramTransport(
        TOKEN, base_url=f"http://127.0.0.1:{closed_port()}/bot", connect_timeout=1.0
    )
    result = await transport.send("42", Reply("Xin chào"))
    await transport.close()
    assert result.outcome is Outcome.RETRY
    assert TOKEN not in (result.error or "")


async def test_an_answer_that_never_comes_is_unknown_not_retried() -> None:
    async with FakeBotApi() as fake:
        fake.delay("sendMessage", 2.0)
        transport = TelegramTransport(TOKEN, base_url=fake.base_url, read_timeout=0.5)
        result = await transport.send("42", Reply("Xin chào"))
        await transport.close()
        # The fake carried it out: repeating would deliver it twice.
        assert len(fake.sent_to("42")) == 1
    assert result.outcome is Outcome.UNKNOWN


async def test_statuses_map_to_outcomes() -> None:
    async with FakeBotApi() as fake:
        transport = TelegramTransport(TOKEN, base_url=fake.base_url)
        fake.fail_next("sendMessage", 502, "Bad Gateway")
        assert (await transport.send("1", Reply("a"))).outcome is Outcome.RETRY
        fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        assert (await transport.send("1", Reply("a"))).outcome is Outcome.BLOCKED
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        limited = await transport.send("1", Reply("a"))
        assert limited.outcome is Outcome.RETRY and limited.retry_after == 3
        sent = await transport.send(
            "1",
            Reply(
                "Lớp “Bồi dưỡng” <b>2026</b> & hơn thế", choices=(Choice("📝 Đăng ký", "reg:7"),)
            ),
        )
        await transport.close()
    assert sent.outcome is Outcome.SENT and sent.message_id
    message = fake.last_sent("1")
    assert message.text == "Lớp “Bồi dưỡng” <b>2026</b> & hơn thế"  # sent as written
    assert message.callback_data("Đăng ký") == "reg:7"
