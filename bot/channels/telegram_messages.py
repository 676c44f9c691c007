"""A `Reply` as Telegram messages: the one renderer and the one send path, used by the chat
replies (bot/channels/telegram.py) and the outbox (bot/channels/telegram_transport.py),
so a notice looks exactly like the same reply would.

A reply becomes its text in pieces of at most 4096 characters (the keyboard rides on the
last), then one message per attachment: sendPhoto for images, sendDocument otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import MessageLimit
from telegram.error import BadRequest

from bot.channels.text import split_text
from handlers.types import Attachment, Reply

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
# Plain text: the catalogue's texts carry no markup, and a course called "<b>2026</b>" or
# "A & B" must show as typed, not be parsed (or refused) as HTML.
PARSE_MODE: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    pieces: tuple[str, ...]
    markup: Markup | None  # under the last piece
    attachments: tuple[Attachment, ...]
    parse_mode: str | None = PARSE_MODE


@dataclass(frozen=True, slots=True)
class Sent:
    """One message of a reply that Telegram accepted."""

    message_id: int
    text: bool  # a piece of the text (editable later), not an attachment
    edited: bool = False  # the pressed message was edited instead of a new one sent


def render(reply: Reply) -> Rendered:
    pieces = tuple(split_text(reply.text, MessageLimit.MAX_TEXT_LENGTH))
    return Rendered(pieces, markup(reply), reply.attachments)


def markup(reply: Reply) -> Markup | None:
    if reply.choices:
        buttons = [InlineKeyboardButton(c.label, callback_data=c.value) for c in reply.choices]
        width = max(1, reply.columns)
        return InlineKeyboardMarkup([buttons[i : i + width] for i in range(0, len(buttons), width)])
    if reply.request_contact:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(reply.request_contact, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


async def send_reply(
    bot: Bot, chat_id: int | str, reply: Reply, *, edit: Message | None = None
) -> AsyncIterator[Sent]:
    """Send `reply`, yielding each message as Telegram accepts it, so a caller that meets an
    error knows how much already arrived. Telegram's errors propagate.

    `edit`: the message whose button was pressed; a one-piece reply with `replace` edits it
    instead (falling back to a new message when Telegram refuses the edit)."""
    rendered = render(reply)
    count = len(rendered.pieces)
    for n, piece in enumerate(rendered.pieces):
        keyboard = rendered.markup if n == count - 1 else None
        # Only an inline keyboard can ride on an edit (editMessageText).
        inline = keyboard if isinstance(keyboard, InlineKeyboardMarkup) else None
        if edit is not None and reply.replace and count == 1 and inline is keyboard:
            try:
                await edit.edit_text(piece, parse_mode=rendered.parse_mode, reply_markup=inline)
                yield Sent(edit.message_id, text=True, edited=True)
                continue
            except BadRequest as exc:  # e.g. "message is not modified", too old to edit
                log.info("edit failed, sending instead: %s", exc.message)
        message = await bot.send_message(
            chat_id, piece, parse_mode=rendered.parse_mode, reply_markup=keyboard
        )
        yield Sent(message.message_id, text=True)
    for attachment in rendered.attachments:
        data = InputFile(attachment.content, filename=attachment.file_name)
        if attachment.is_image:
            message = await bot.send_photo(chat_id, data, caption=attachment.summary)
        else:
            message = await bot.send_document(chat_id, data, caption=attachment.summary)
        yield Sent(message.message_id, text=False)
