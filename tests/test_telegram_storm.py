"""Under Telegram's flood limits one chat must not starve the others (issue #17 point 6,
issue #11 point 4): the real PTB Application against the fake Bot API over HTTP.

Timing is only ever compared with a 429's retry_after of several seconds, with a margin of
seconds either way, so a loaded machine cannot flip the outcome.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.channels.telegram_lanes import MAX_PENDING_PER_CHAT, ChatLanes
from bot.config import Settings
from bot.db import Database
from tests.fake_bot_api import FakeBotApi, Recorded, SentMessage
from tests.transcript import make_dispatcher

A, B = 5560001, 5560002
RETRY_AFTER = 4  # seconds Telegram asks chat A to wait
NOTICE = "Tôi chưa kịp trả lời hết"
HELP = "Trợ lý có thể giúp"


@pytest.fixture
async def app(fake: FakeBotApi, db: Database) -> AsyncIterator[Application]:
    # One shared slot: any update that held it while waiting would stall everyone.
    settings = replace(
        Settings(),
        database_url=db.url,
        telegram_token="123456:TEST-TOKEN",
        telegram_api_base_url=fake.base_url,
        telegram_file_base_url=fake.base_file_url,
        telegram_concurrent_updates=1,
    )
    application = build_application(settings, make_dispatcher(db))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


def is_language(message: SentMessage) -> bool:
    return any("Tiếng Việt" in button.get("text", "") for button in message.buttons)


def accepted(fake: FakeBotApi, chat: int) -> list[Recorded]:
    return [r for r in fake.requests if r.chat_id == str(chat) and r.status == 200]


async def test_a_429_for_one_chat_delays_only_that_chat(fake: FakeBotApi, app: Application) -> None:
    # A's first reply meets a 429; its retry waits RETRY_AFTER seconds.
    fake.fail_next(
        "sendMessage",
        429,
        f"Too Many Requests: retry after {RETRY_AFTER}",
        retry_after=RETRY_AFTER,
        chat_id=A,
    )
    fake.push_text(A, "/trogiup")
    await fake.wait_for(lambda: bool(fake.errors_given(429)))
    refused_at = fake.errors_given(429)[0].time
    fake.push_text(A, "/ngonngu")  # queued behind A's first reply
    pushed_b = fake.push_text(B, "/trogiup")
    assert pushed_b

    sent_b = await fake.wait_sent(B, 1, timeout=RETRY_AFTER - 1)
    # B was answered while A's retry was still pending, well inside its wait.
    assert sent_b[0].time - refused_at < RETRY_AFTER - 1.5
    assert fake.sent_to(A) == []

    await fake.wait_for(lambda: any(is_language(m) for m in fake.sent_to(A)), RETRY_AFTER + 5)
    sent_a = fake.sent_to(A)
    assert sent_a[0].time - refused_at >= RETRY_AFTER - 0.1  # the wait was honoured
    # A's replies in the order A wrote: the help first, the language choice last.
    assert "/hoso" in (sent_a[0].text or "")
    assert [is_language(m) for m in sent_a] == [False] * (len(sent_a) - 1) + [True]


async def test_a_button_is_answered_at_once_and_before_its_reply(
    fake: FakeBotApi, app: Application
) -> None:
    fake.push_text(A, "/ngonngu")
    language = (await fake.wait_sent(A, 1))[0]
    fake.fail_next(
        "sendMessage",
        429,
        f"Too Many Requests: retry after {RETRY_AFTER}",
        retry_after=RETRY_AFTER,
        chat_id=A,
    )
    fake.push_text(A, "/trogiup")  # its reply now waits out the 429
    await fake.wait_for(lambda: bool(fake.errors_given(429)))
    refused_at = fake.errors_given(429)[0].time
    query_id = fake.push_callback(A, language.message_id, language.buttons[0]["callback_data"])[
        "callback_query"
    ]["id"]

    await fake.wait_requests("answerCallbackQuery", 1, timeout=RETRY_AFTER - 1)
    answer = fake.calls("answerCallbackQuery")[0]
    assert answer.status == 200 and str(answer.params["callback_query_id"]) == str(query_id)
    # Answered while the chat's reply still waited: the press did not queue behind it.
    assert answer.time - refused_at < RETRY_AFTER - 1.5
    assert len(accepted(fake, A)) == 1  # only the /ngonngu reply so far

    await fake.wait_for(lambda: len(accepted(fake, A)) >= 3, timeout=RETRY_AFTER + 5)
    replies = [r for r in fake.requests if r.chat_id == str(A) and r.status == 200]
    assert all(r.time > answer.time for r in replies[1:])
    # The help (its 429 slept out) still comes before the answer to the press.
    assert replies[1].method == "sendMessage" and "/hoso" in str(replies[1].params.get("text"))


async def test_a_flooding_chat_is_capped_and_told_once(fake: FakeBotApi, app: Application) -> None:
    fake.fail_next(
        "sendMessage",
        429,
        f"Too Many Requests: retry after {RETRY_AFTER}",
        retry_after=RETRY_AFTER,
        chat_id=A,
    )
    fake.push_text(A, "/trogiup")
    await fake.wait_for(lambda: bool(fake.errors_given(429)))
    extra = 5
    for _ in range(MAX_PENDING_PER_CHAT - 1 + extra):
        fake.push_text(A, "/trogiup")
    fake.push_text(B, "/trogiup")
    await fake.wait_sent(B, 1, timeout=RETRY_AFTER - 1)  # B is not stuck behind A's flood

    lanes: ChatLanes = app.bot_data["lanes"]
    await fake.wait_for(lambda: lanes.dropped == extra, timeout=RETRY_AFTER - 1)
    # Once A's lane has sent everything it is forgotten.
    await fake.wait_for(lambda: len(lanes) == 0, timeout=RETRY_AFTER + 10)
    sent_a = fake.sent_to(A)
    notices = [m for m in sent_a if NOTICE in (m.text or "")]
    assert len(notices) == 1, [m.text for m in sent_a]
    assert "anh/chị" in (notices[0].text or "")
    helps = [m for m in sent_a if HELP in (m.text or "")]
    assert len(helps) == MAX_PENDING_PER_CHAT  # every admitted update answered
    # A later message is served normally, and a new flood would be told again.
    fake.push_text(A, "/trogiup")
    await fake.wait_for(lambda: sum(HELP in (m.text or "") for m in fake.sent_to(A)) > len(helps))
