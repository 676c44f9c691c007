"""The outbound Telegram transport over real sockets: what each failure means for the outbox
(sent, may retry, or unknown and never repeated), attachments, and that a notice goes out
exactly as the same chat reply would."""

from __future__ import annotations

import socket
from typing import Any

from telegram import Bot

from bot.channels.telegram import send_replies
from bot.channels.telegram_transport import TelegramTransport
from bot.transport import Outcome
from handlers.types import Attachment, Choice, Reply
from tests.fake_bot_api import FakeBotApi, Recorded

TOKEN = "123456:TRANSPORT-TEST"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


ROSTER = Attachment("báo cáo.xlsx", b"PK\x03\x04workbook", XLSX, summary="Báo cáo tháng 11")
CHART = Attachment("biểu đồ.png", b"\x89PNG\r\n\x1a\nchart", "image/png", is_image=True)


async def test_a_notice_with_attachments_sends_the_files() -> None:
    notice = Reply(
        "Báo cáo bồi dưỡng tháng 11", choices=(Choice("Xem", "rep:11"),), attachments=(ROSTER,)
    )
    async with FakeBotApi() as fake:
        transport = TelegramTransport(TOKEN, base_url=fake.base_url)
        result = await transport.send("42", notice)
        with_chart = await transport.send("43", Reply("Biểu đồ", attachments=(CHART,)))
        await transport.close()
    assert result.outcome is Outcome.SENT and with_chart.outcome is Outcome.SENT
    text, document = fake.sent_to("42")
    assert (text.method, document.method) == ("sendMessage", "sendDocument")
    assert text.callback_data("Xem") == "rep:11"
    assert document.document == ("bao-cao.xlsx", b"PK\x03\x04workbook")  # safe_file_name
    assert document.caption == "Báo cáo tháng 11"
    # The id the outbox keeps is the text's: a progress message is edited as text.
    assert result.message_id == str(text.message_id)
    assert [m.method for m in fake.sent_to("43")] == ["sendMessage", "sendPhoto"]
    assert fake.last_sent("43").photo == ("bieu-do.png", b"\x89PNG\r\n\x1a\nchart")


async def test_a_failed_attachment_after_the_text_is_unknown_not_retried() -> None:
    async with FakeBotApi() as fake:
        transport = TelegramTransport(TOKEN, base_url=fake.base_url)
        fake.fail_next("sendDocument", 502, "Bad Gateway")
        result = await transport.send("42", Reply("Báo cáo", attachments=(ROSTER,)))
        await transport.close()
    # The text arrived: sending the notice again would repeat it.
    assert result.outcome is Outcome.UNKNOWN
    assert (result.error or "").startswith("after part 1:")
    assert [m.method for m in fake.sent_to("42")] == ["sendMessage"]


async def test_replies_and_notices_render_identically() -> None:
    long_text = "\n".join(f"Dòng {n}: “Bồi dưỡng” <b>{n}</b> & hơn thế" for n in range(200))
    replies = [
        Reply(long_text, choices=(Choice("📝 Đăng ký", "reg:7"), Choice("Bỏ qua", "skip:7"))),
        Reply("Hai cột", choices=tuple(Choice(str(n), f"n:{n}") for n in range(5)), columns=2),
        Reply("Tệp đính kèm", attachments=(ROSTER, CHART)),
    ]
    async with FakeBotApi() as fake:
        transport = TelegramTransport(TOKEN, base_url=fake.base_url)
        for reply in replies:
            assert (await transport.send("1", reply)).outcome is Outcome.SENT
        await transport.close()
        # The chat replies' path, through PTB's default HTTP client.
        async with Bot(TOKEN, base_url=fake.base_url) as bot:
            await send_replies(bot, 2, replies)
    as_notices = [_as_request(r) for r in fake.requests if r.chat_id == "1"]
    as_replies = [_as_request(r) for r in fake.requests if r.chat_id == "2"]
    # The long text in three pieces, the keyboard under the last; then one message each.
    assert [method for method, _params, _files in as_notices] == [
        *["sendMessage"] * 5,
        "sendDocument",
        "sendPhoto",
    ]
    assert "reply_markup" not in as_notices[0][1] and "reply_markup" in as_notices[2][1]
    assert as_notices == as_replies


def _as_request(recorded: Recorded) -> tuple[str, dict[str, Any], dict[str, Any]]:
    params = {k: v for k, v in recorded.params.items() if k != "chat_id"}
    return recorded.method, params, recorded.files
