"""Proves the test doubles against the real libraries: PTB talks HTTP to FakeBotApi, asyncpg
talks to the throwaway PostgreSQL server. If these fail, every test built on them is suspect."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_bot_api import BOT_ID, BOT_USERNAME, FakeBotApi
from tests.pg_server import PostgresUnavailable, start_postgres

USER = 424242


def _build_app(fake: FakeBotApi, **timeouts: float) -> Application:
    builder = (
        ApplicationBuilder()
        .token("123:ABC")
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
    )
    if "read_timeout" in timeouts:
        builder = builder.read_timeout(timeouts["read_timeout"])
    return builder.build()


async def _echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    text = update.effective_message.text or ""
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Có", callback_data="yes"),
                InlineKeyboardButton("Không", callback_data="no"),
            ]
        ]
    )
    await update.effective_message.reply_text(f"echo: {text}", reply_markup=keyboard)


async def _on_start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("xin chào")


async def _on_button(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("đã nhận")
    await query.edit_message_text(f"chọn: {query.data}")


async def _on_contact(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.contact is not None
    await message.reply_text(f"phone {message.contact.phone_number} uid {message.contact.user_id}")


async def _on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    assert message is not None and message.document is not None
    file = await context.bot.get_file(message.document.file_id)
    data = await file.download_as_bytearray()
    await message.reply_document(
        InputFile(bytes(data).upper(), filename=f"lại-{message.document.file_name}"),
        caption=f"{len(data)} bytes",
    )


async def _on_sticker(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("sticker")


@pytest.fixture
async def app(fake: FakeBotApi) -> AsyncIterator[Application]:
    application = _build_app(fake)
    application.add_handler(CommandHandler("start", _on_start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    application.add_handler(MessageHandler(filters.CONTACT, _on_contact))
    application.add_handler(MessageHandler(filters.Document.ALL, _on_document))
    application.add_handler(MessageHandler(filters.Sticker.ALL, _on_sticker))
    application.add_handler(CallbackQueryHandler(_on_button))
    await application.initialize()
    try:
        await application.start()
        try:
            assert application.updater is not None
            await application.updater.start_polling(poll_interval=0, timeout=1)
            try:
                yield application
            finally:
                await application.updater.stop()
        finally:
            await application.stop()
    finally:
        await application.shutdown()


async def test_echo_and_inline_keyboard_round_trip(
    app: Application,
    fake: FakeBotApi,
) -> None:
    assert app.bot.id == BOT_ID and app.bot.username == BOT_USERNAME

    fake.push_text(USER, "Xin chào bot")
    [reply] = await fake.wait_sent(USER, 1)
    assert reply.text == "echo: Xin chào bot"
    assert reply.method == "sendMessage"
    assert reply.callback_data("Có") == "yes"
    recorded = fake.calls("sendMessage")[0]
    assert recorded.chat_id == str(USER)
    assert recorded.params["reply_markup"]["inline_keyboard"][0][1]["text"] == "Không"

    update = fake.push_callback(USER, reply.message_id, "no")
    await fake.wait_for(lambda: fake.message(reply.message_id).text == "chọn: no")
    edited = fake.message(reply.message_id)
    # Telegram drops the keyboard when an edit does not resend it.
    assert edited.reply_markup is None
    [(old_text, old_markup)] = edited.history
    assert old_text == "echo: Xin chào bot" and old_markup is not None
    assert [a["callback_query_id"] for a in fake.answered_callbacks] == [
        update["callback_query"]["id"]
    ]
    assert fake.answered_callbacks[0]["text"] == "đã nhận"
    assert fake.edits[-1].method == "editMessageText"


async def test_command_entity_contact_and_sticker(
    app: Application,
    fake: FakeBotApi,
) -> None:
    update = fake.push_text(USER, "/start now")
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    fake.push_contact(USER, "+84901234567", USER)
    fake.push_sticker(USER)
    sent = await fake.wait_sent(USER, 3)
    assert [m.text for m in sent] == ["xin chào", f"phone +84901234567 uid {USER}", "sticker"]
    # Every handled update was confirmed through a later getUpdates offset.
    await fake.wait_for(lambda: not fake.pending_updates)


async def test_document_download_and_upload(
    app: Application,
    fake: FakeBotApi,
) -> None:
    content = "Họ tên,Đơn vị\nAn,Sở Nội vụ\n".encode()
    fake.push_document(USER, "danh sách.csv", content, "text/csv")
    [reply] = await fake.wait_sent(USER, 1)
    assert reply.document == ("lại-danh sách.csv", content.upper())
    assert reply.caption == f"{len(content)} bytes"
    downloads = fake.calls("file")
    assert len(downloads) == 1 and downloads[0].status == 200
    # The bot's own upload is downloadable again, like on Telegram.
    assert reply.file_id is not None
    again = await (await app.bot.get_file(reply.file_id)).download_as_bytearray()
    assert bytes(again) == content.upper()


async def test_commands_per_scope_and_language(fake: FakeBotApi) -> None:
    app = _build_app(fake)
    await app.initialize()
    try:
        bot = app.bot
        await bot.set_my_commands([BotCommand("start", "Bắt đầu")], language_code="vi")
        await bot.set_my_commands(
            [BotCommand("start", "Start"), BotCommand("help", "Help")],
            scope=BotCommandScopeAllPrivateChats(),
            language_code="en",
        )
        vi = await bot.get_my_commands(language_code="vi")
        assert [(c.command, c.description) for c in vi] == [("start", "Bắt đầu")]
        en = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="en")
        assert [c.command for c in en] == ["start", "help"]
        assert await bot.get_my_commands() == ()
        assert fake.get_commands({"type": "all_private_chats"}, "en")[1]["command"] == "help"
        await bot.delete_my_commands(language_code="vi")
        assert await bot.get_my_commands(language_code="vi") == ()
        await bot.send_chat_action(USER, "typing")
        photo = await bot.send_photo(USER, InputFile(b"\x89PNG fake", filename="a.png"))
        assert photo.photo and fake.message(photo.message_id).photo == ("a.png", b"\x89PNG fake")
        with pytest.raises(BadRequest, match="not modified"):
            sent = await bot.send_message(USER, "một")
            await bot.edit_message_text("một", chat_id=USER, message_id=sent.message_id)
        assert await bot.delete_message(USER, sent.message_id)
        assert fake.message(sent.message_id).deleted
    finally:
        await app.shutdown()


# PTB itself warns in RetryAfter.__init__ unless PTB_TIMEDELTA is set; not this test's concern.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fault_injection_maps_to_ptb_errors(fake: FakeBotApi) -> None:
    app = _build_app(fake)
    await app.initialize()
    try:
        bot = app.bot
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
        with pytest.raises(RetryAfter) as retry:
            await bot.send_message(USER, "a")
        # Read the message, not .retry_after: its type changes from int to timedelta
        # (PTB_TIMEDELTA) and touching it warns about that in v22.
        assert "Retry in 7 seconds" in str(retry.value)

        fake.blocked_chats.add(str(USER))
        with pytest.raises(Forbidden, match="blocked by the user"):
            await bot.send_message(USER, "b")
        fake.blocked_chats.clear()

        fake.fail_next("*", 400, "Bad Request: chat not found", chat_id=999)
        await bot.send_message(USER, "other chats are unaffected")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(999, "c")

        fake.set_error_rate("sendMessage", 1.0, status=502)
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(USER, "d")
        fake.set_error_rate("sendMessage", 0)

        fake.max_per_second = 2
        results = await asyncio.gather(
            *(bot.send_message(USER, f"flood {i}") for i in range(4)), return_exceptions=True
        )
        assert sum(isinstance(r, RetryAfter) for r in results) == 2
        assert fake.flood_429_count == 2
        fake.max_per_second = None

        assert [m.text for m in fake.sent_to(USER)] == ["other chats are unaffected"] + [
            f"flood {i}" for i in range(4) if not isinstance(results[i], Exception)
        ]
        assert {r.status for r in fake.errors_given()} == {400, 403, 429, 502}
    finally:
        await app.shutdown()


async def test_delay_provokes_client_timeout(fake: FakeBotApi) -> None:
    app = _build_app(fake, read_timeout=0.3)
    await app.initialize()
    try:
        fake.delay("sendMessage", 1.0, times=1)
        with pytest.raises(TimedOut):
            await app.bot.send_message(USER, "slow")
        # The message was delivered even though the client gave up: retries duplicate it.
        assert [m.text for m in fake.sent_to(USER)] == ["slow"]
        await app.bot.send_message(USER, "fast")
        assert len(fake.sent_to(USER)) == 2
    finally:
        await app.shutdown()


async def test_unknown_method_and_wait_timeout(fake: FakeBotApi) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake.base_url}123:ABC/noSuchMethod", data={"a": "1"})
        lower = await client.post(f"{fake.base_url}123:ABC/getme")
    assert response.status_code == 404
    assert response.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert lower.json()["result"]["username"] == BOT_USERNAME
    with pytest.raises(AssertionError, match="sent so far"):
        # Bounded from outside too: a wait_sent that ignored its timeout fails here.
        await asyncio.wait_for(fake.wait_sent(USER, 1, timeout=0.2), timeout=10)


async def test_long_poll_wakes_on_push_and_is_capped(fake: FakeBotApi) -> None:
    async with httpx.AsyncClient(base_url=f"{fake.base_url}123:ABC/") as client:
        # max_poll_wait=1.0 caps the 30 s the client asked for; without the cap the
        # request would outlive this 10 s bound. (Latency is not this test's subject.)
        empty = await asyncio.wait_for(client.post("getUpdates", json={"timeout": 30}), 10)
        assert empty.json() == {"ok": True, "result": []}

        # A push wakes a waiting poll: with the cap raised, a poll that slept through the
        # push would hold for the 20 s the client asked for, twice the bound.
        fake.max_poll_wait = 60.0
        poll = asyncio.create_task(client.post("getUpdates", data={"timeout": "20"}))
        await asyncio.sleep(0.1)
        pushed = fake.push_text(USER, "hi")
        result = (await asyncio.wait_for(poll, 10)).json()["result"]
        assert [u["update_id"] for u in result] == [pushed["update_id"]]
        # Not confirmed until a higher offset is asked for.
        again = (await client.post("getUpdates", data={"offset": str(pushed["update_id"])})).json()
        assert len(again["result"]) == 1
        await client.post("getUpdates", data={"offset": str(pushed["update_id"] + 1)})
        assert fake.pending_updates == []


async def test_webhook_delivery(fake: FakeBotApi) -> None:
    app = (
        ApplicationBuilder()
        .token("123:ABC")
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _on_start))
    await app.initialize()
    try:
        await app.start()
        assert app.updater is not None
        port = _free_port()
        await app.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="hook",
            webhook_url=f"http://127.0.0.1:{port}/hook",
            secret_token="s3cret",
        )
        try:
            info = await app.bot.get_webhook_info()
            assert info.url == f"http://127.0.0.1:{port}/hook"
            update = fake.push_text(USER, "qua webhook")
            response = await fake.post_webhook(None, update)
            assert response.status_code == 200
            await fake.wait_sent(USER, 1)
            assert fake.pending_updates == []
            wrong = await fake.post_webhook(f"http://127.0.0.1:{port}/hook", {}, "wrong")
            assert wrong.status_code == 403
        finally:
            await app.updater.stop()
            await app.stop()
    finally:
        await app.shutdown()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_pg_server_starts_and_serves(tmp_path: Path) -> None:
    try:
        server = await asyncio.to_thread(start_postgres, tmp_path)
    except PostgresUnavailable as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        await asyncio.to_thread(server.create_database, "t_smoke")
        assert (
            server.url("t_smoke")
            == f"postgresql+asyncpg://postgres@127.0.0.1:{server.port}/t_smoke"
        )
        conn = await asyncpg.connect(server.url("t_smoke").replace("+asyncpg", ""))
        try:
            assert await conn.fetchval("SELECT 1") == 1
            assert await conn.fetchval("SELECT current_database()") == "t_smoke"
            # The locale must handle Vietnamese case folding, as production does.
            assert await conn.fetchval("SELECT lower('ĐỒNG THÁP')") == "đồng tháp"
        finally:
            await conn.close()
    finally:
        await asyncio.to_thread(server.stop)
