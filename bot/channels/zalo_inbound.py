"""Zalo updates (dicts from getUpdates or a webhook body) to neutral `Incoming`s.

Zalo has no buttons, contacts or documents, so an update is either text or something the
bot cannot read (image, sticker, voice, or `message.unsupported.received`, which Zalo sends
instead of the content for protected senders).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers.types import Incoming

CHANNEL = "zalo"
TEXT_EVENT = "message.text.received"
UNSUPPORTED_KINDS = {
    "message.image.received": "photo",
    "message.sticker.received": "sticker",
    "message.voice.received": "voice",  # reported since 2026, not in the 2025 docs
    "message.unsupported.received": "other",
}


@dataclass(frozen=True)
class Inbound:
    incoming: Incoming
    dedup_key: str | None  # None when Zalo gave no message_id: nothing to compare with
    private: bool
    # An image's URL on Zalo's CDN (said to expire): fetched only for a certificate (#16.8).
    photo_url: str | None = None


def unwrap(body: Any) -> dict[str, Any] | None:
    """The documented webhook body is wrapped like an API answer ({"ok", "result"}); others
    report the bare update on the live webhook. Accept both."""
    if not isinstance(body, dict):
        return None
    if body.get("ok") is True and isinstance(body.get("result"), dict):
        body = body["result"]
    return body if body.get("event_name") else None


def _object(value: Any) -> dict[str, Any]:
    """A JSON object of the update, or an empty one when it is missing or not an object."""
    return value if isinstance(value, dict) else {}


def parse(update: dict[str, Any], bot_id: str | None) -> Inbound | None:
    """None for what needs no answer: no sender, or the bot's own message echoed back."""
    event = str(update.get("event_name") or "")
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    sender = _object(message.get("from"))
    chat = _object(message.get("chat"))
    sender_id = str(sender.get("id") or "")
    if not sender_id:
        return None
    # Zalo is reported to re-deliver the bot's own messages [unverified]; never answer them.
    if sender.get("is_bot") is True or (bot_id is not None and sender_id == bot_id):
        return None
    chat_id = str(chat.get("id") or sender_id)
    # The docs say display_name; one copy of them shows first_name.
    name = sender.get("display_name") or sender.get("first_name") or sender.get("name")
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "chat_id": chat_id,
        "sender_id": sender_id,
        "sender_name": str(name) if name else None,
    }
    text = message.get("text")
    if event == TEXT_EVENT and isinstance(text, str):
        incoming = Incoming(text=text, **base)
    else:
        incoming = Incoming(unsupported=UNSUPPORTED_KINDS.get(event, "other"), **base)
    message_id = message.get("message_id")
    # The docs name the field `photo`; the official SDK reads `photo_url` (docs/zalo-bot-api.md).
    photo = message.get("photo_url") or message.get("photo")
    return Inbound(
        incoming=incoming,
        dedup_key=f"{event}:{message_id}" if message_id else None,
        private=str(chat.get("chat_type") or "PRIVATE").upper() == "PRIVATE",
        photo_url=photo if event == "message.image.received" and isinstance(photo, str) else None,
    )
