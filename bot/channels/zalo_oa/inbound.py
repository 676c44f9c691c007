"""OA webhook events to neutral `Incoming`s (docs/zalo-oa.md, "Webhook events").

user_send_text: text, or a tapped button's payload (buttons.read); other user_send_*: content
the bot cannot read; user_submit_info: the phone the person chose to share, handled like
Telegram's own-contact button; follow: a greeting, as /start; unfollow: unreachable;
oa_send_* (the OA's own messages, also sent to the webhook) and anything else: ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.channels.zalo_oa import buttons
from handlers.types import Contact, Incoming

CHANNEL = "zalo_oa"
UNSUPPORTED = {
    "user_send_image": "photo",
    "user_send_sticker": "sticker",
    "user_send_gif": "sticker",
    "user_send_audio": "voice",
    "user_send_video": "video",
    "user_send_file": "other",
    "user_send_link": "other",
    "user_send_location": "other",
    "user_send_business_card": "other",
}


@dataclass(frozen=True)
class Inbound:
    incoming: Incoming
    dedup_key: str
    user_id: str


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse(event: dict[str, Any], key: bytes) -> Inbound | None:
    name = str(event.get("event_name") or "")
    if name.startswith("oa_send_"):
        return None  # our own message, echoed to the webhook
    if name in ("follow", "unfollow"):
        user_id = str(_object(event.get("follower")).get("id") or "")
    else:
        user_id = str(_object(event.get("sender")).get("id") or "")
    if not user_id:
        return None
    base: dict[str, Any] = {"channel": CHANNEL, "chat_id": user_id, "sender_id": user_id}
    message = _object(event.get("message"))
    # Message events carry Zalo's msg_id; the others only a timestamp, which a re-delivery
    # repeats as it is.
    identity = str(message.get("msg_id") or event.get("timestamp") or "")
    dedup_key = f"{name}:{user_id}:{identity}"
    if name == "user_send_text" and isinstance(message.get("text"), str):
        text: str = message["text"]
        choice = buttons.read(key, user_id, text)
        incoming = (
            Incoming(choice=choice, **base) if choice is not None else Incoming(text=text, **base)
        )
    elif name == "user_submit_info":
        info = _object(event.get("info"))
        phone = str(info.get("phone") or "")
        if not phone:
            return None
        # Zalo fills in the account's own number and the person consents to share it: the
        # same standing as Telegram's "share my phone" button (docs/zalo-oa.md, [U]).
        contact = Contact(phone=phone, is_own=True, first_name=str(info.get("name") or "") or None)
        incoming = Incoming(contact=contact, sender_name=contact.first_name, **base)
    elif name == "follow":
        incoming = Incoming(text="/start", **base)
    elif name == "unfollow":
        incoming = Incoming(reachable=False, **base)
    elif name in UNSUPPORTED:
        incoming = Incoming(unsupported=UNSUPPORTED[name], **base)
    else:
        return None
    return Inbound(incoming, dedup_key, user_id)
