"""Telegram through the real python-telegram-bot Application, used purely as transport.

PTB receives updates (polling or webhook), we turn each into an `Incoming`, the dispatcher
does the work in one transaction, and we render the replies back. No ConversationHandler,
no PTB persistence: all state is in the database, so several processes can serve one bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import BotCommand, ChatMember, Message, PhotoSize, Update
from telegram import Document as TgDocument
from telegram.constants import ChatAction, ChatType, FileSizeLimit
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    TypeHandler,
)

from bot.channels.aiohttp_request import AiohttpRequest
from bot.channels.telegram_lanes import (
    Batch,
    ChatLanes,
    PerChatRetry,
    PerChatUpdateProcessor,
    send_replies,
)
from bot.config import Settings
from bot.dispatch import Dispatcher
from handlers import ROUTER
from handlers.types import Contact, Document, Incoming, Reply
from locales import _, use_locale
from locales.i18n import SUPPORTED_LOCALES

log = logging.getLogger(__name__)

CHANNEL = "telegram"
# getFile on the public Bot API refuses anything larger (20 MB, decimal).
MAX_DOWNLOAD_BYTES = FileSizeLimit.FILESIZE_DOWNLOAD
# What the bot asks Telegram for. It must include my_chat_member: it tells us at once when
# someone blocks ("kicked") or unblocks ("member") the bot, so notices stop and resume
# without waiting for a 403. All types (as bot/channels/zalo_run.py asks too); the ones the
# bot has no use for are dropped in to_incoming.
ALLOWED_UPDATES: list[str] = list(Update.ALL_TYPES)

__all__ = ["build_application", "run", "send_replies", "to_incoming"]


async def to_incoming(
    update: Update, expects_file: Callable[[Incoming], Awaitable[bool]] | None = None
) -> Incoming | None:
    """The neutral update; a document is downloaded only when `expects_file` says the
    sender may send one (a linked admin with an import open), else it arrives withheld."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "chat_id": str(chat.id),
        "sender_id": str(user.id),
        "language_hint": user.language_code,
        "sender_name": user.full_name,
    }
    if update.callback_query is not None:
        return Incoming(choice=update.callback_query.data or "", **base)
    if update.my_chat_member is not None:
        status = update.my_chat_member.new_chat_member.status
        if status == ChatMember.BANNED:  # "kicked": the user blocked the bot
            return Incoming(reachable=False, **base)
        if status == ChatMember.MEMBER:  # unblocked (or started) it
            return Incoming(reachable=True, **base)
        return None
    message = update.message
    if message is None:
        return None  # edited messages, channel posts, polls…: nothing to answer
    if message.contact is not None:
        contact = message.contact
        return Incoming(
            contact=Contact(
                phone=contact.phone_number,
                # Telegram fills user_id only for a real account; our own contact button
                # sends the sender's id, a forwarded card carries someone else's (or none).
                is_own=contact.user_id is not None and contact.user_id == user.id,
                first_name=contact.first_name,
            ),
            **base,
        )
    if message.document is not None or message.photo:
        # A photo comes in several sizes, smallest first: the largest is the readable one.
        sent = message.document if message.document is not None else message.photo[-1]
        name = message.document.file_name if message.document is not None else None
        mime = message.document.mime_type if message.document is not None else "image/jpeg"
        probe = Incoming(**base)
        if expects_file is not None and not await expects_file(probe):
            if message.document is None:
                return Incoming(unsupported="photo", **base)  # as before #16.8: not asked for
            withheld = Document(
                file_name=name or "upload",
                content=b"",
                mime_type=mime,
                withheld=True,
                file_id=sent.file_id,
            )
            return Incoming(document=withheld, text=message.caption, **base)
        document = await _document(sent, name or ("photo.jpg" if message.photo else "upload"), mime)
        return Incoming(document=document, text=message.caption, **base)
    if message.text is not None:
        return Incoming(text=message.text, **base)
    return Incoming(unsupported=_kind_of(message), **base)


async def _document(doc: TgDocument | PhotoSize, name: str, mime: str | None) -> Document:
    """The file's bytes, or a `too_large` document when getFile would refuse it: the update
    already says its size and name, so the handler can tell the sender the real reason."""
    ref = doc.file_id
    if doc.file_size is not None and doc.file_size > MAX_DOWNLOAD_BYTES:
        return Document(file_name=name, content=b"", mime_type=mime, too_large=True, file_id=ref)
    try:
        file = await doc.get_file()
    except BadRequest as exc:
        # An update without file_size, or a limit that moved: Telegram says "file is too big".
        if "too big" not in exc.message.lower():
            raise
        return Document(file_name=name, content=b"", mime_type=mime, too_large=True, file_id=ref)
    content = bytes(await file.download_as_bytearray())
    return Document(file_name=name, content=content, mime_type=mime, file_id=ref)


def _kind_of(message: Message) -> str:
    for kind in ("sticker", "photo", "voice", "video", "audio", "animation", "location"):
        if getattr(message, kind, None):
            return kind
    return "other"


def build_application(settings: Settings, dispatcher: Dispatcher) -> Application:
    if not settings.telegram_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    slots = settings.telegram_concurrent_updates
    lanes = ChatLanes()
    locale = dispatcher.default_locale
    processor = PerChatUpdateProcessor(
        lanes,
        slots,
        answer_button=answer_button,
        refuse=lambda update: _refuse(lanes, update, locale),
    )
    requests = (AiohttpRequest(connections=slots + 4), AiohttpRequest(connections=1))
    app = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        # Replies to people who just wrote are not bulk notifications (Telegram's ~30/s
        # applies to those, and the notice sender enforces it); here the limiter only has to
        # honour a 429's retry_after, for the chat it was about (bot/channels/telegram_lanes.py).
        .rate_limiter(PerChatRetry(senders=slots))
        # A few updates at a time cover real round-trip times (8 x ~100 ms covers the
        # 40 updates/s design peak); many more only opens connections and burns CPU.
        .concurrent_updates(processor)
        # aiohttp rather than PTB's default httpx: a quarter of the CPU per request
        # (bot/channels/aiohttp_request.py). Long polling has its own connection; the 4
        # beyond the senders' are for button answers and downloads, which never queue.
        .request(requests[0])
        .get_updates_request(requests[1])
        .post_init(_post_init)
        .build()
    )
    lanes.bot = app.bot
    app.bot_data["dispatcher"] = dispatcher
    app.bot_data["lanes"] = lanes
    # A start abandoned before initialize() succeeded must still close these sessions.
    app.bot_data["requests"] = requests
    app.add_handler(TypeHandler(Update, _on_update))
    app.add_error_handler(_on_error)
    return app


async def _on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs in one of the shared slots: the dispatch only. The replies go to the chat's
    lane, whose task sends them, so a 429 for this chat never holds a slot."""
    dispatcher: Dispatcher = context.application.bot_data["dispatcher"]
    lanes: ChatLanes = context.application.bot_data["lanes"]
    chat = update.effective_chat
    if chat is None:
        return
    if chat.type != ChatType.PRIVATE:
        # Personal data never goes to a group: answer commands with a pointer, ignore chatter.
        if update.message and update.message.text and update.message.text.startswith("/"):
            with use_locale(dispatcher.default_locale):
                text = _("Please talk to me in a private chat: your information is personal.")
            lanes.send(chat.id, Batch((Reply(text),)))
        return
    incoming = await to_incoming(update, dispatcher.expects_file)
    if incoming is None:
        return

    async def waiting(reply: Reply) -> None:
        # Sent at once (not queued behind the lane): the person sees it while the file is
        # checked, then the "sending a file" status until the result arrives.
        await send_replies(context.bot, chat.id, [reply])
        await context.bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)

    replies = await dispatcher.handle(incoming, waiting, update_id=update.update_id)
    query = update.callback_query
    edit = query.message if query is not None and isinstance(query.message, Message) else None
    lanes.send(chat.id, Batch(tuple(replies), edit))


async def answer_button(update: Update) -> None:
    """Stops the button's spinner at once, before the update waits for its chat's turn:
    answerCallbackQuery has no flood limit and Telegram forgets an unanswered query."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer()
    except TelegramError as exc:  # an old query can no longer be answered; carry on
        log.info("answerCallbackQuery failed: %s", exc.message)


def _refuse(lanes: ChatLanes, update: Update, locale: str) -> None:
    """The one notice to a chat whose updates are being dropped for now."""
    chat = update.effective_chat
    assert chat is not None
    log.warning("chat over its queue limit: updates dropped so far %d", lanes.dropped)
    with use_locale(locale):
        text = _(
            "You are sending messages faster than I can answer. Please wait for my "
            "replies; I have skipped your latest messages."
        )
    lanes.send(chat.id, Batch((Reply(text),)), first=True)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    if isinstance(error, Forbidden):
        log.info("chat blocked the bot: %s", error.message)
        return
    log.error("error while handling an update", exc_info=error)


def command_menu(locale: str) -> list[BotCommand]:
    with use_locale(locale):
        return [BotCommand(cmd, _(desc)) for _order, cmd, desc in ROUTER.described]


async def _post_init(app: Application) -> None:
    dispatcher: Dispatcher = app.bot_data["dispatcher"]
    # Telegram shows the list matching the user's app language, else the default one. The
    # lists are independent: sent at once, the start waits one round trip, not three.
    # Every call is awaited to its end before a failure is raised (the start retries it),
    # so no request of an abandoned attempt is still running.
    outcomes = await asyncio.gather(
        app.bot.set_my_commands(command_menu(dispatcher.default_locale)),
        *(
            app.bot.set_my_commands(command_menu(locale), language_code=locale)
            for locale in SUPPORTED_LOCALES
        ),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    if dispatcher.bot_username is None:
        dispatcher.bot_username = app.bot.username


def run(settings: Settings, dispatcher: Dispatcher) -> None:
    """Block serving Telegram: webhook when TELEGRAM_WEBHOOK_URL is set, else long polling
    (bot/channels/telegram_run.py: a start that waits for Telegram, our webhook check)."""
    from bot.channels import telegram_run

    telegram_run.run(settings, dispatcher)
