"""Our `Choice` values as OA button payloads, signed and bound to the person they were sent
to. A tapped `oa.query.hide` button comes back as an ordinary `user_send_text` whose text is
the payload (docs/zalo-oa.md, "Buttons"), so anyone can type one: the signature tells a
tapped button from a typed or copied one. A payload that looks like ours but does not verify
becomes a choice that no declaration accepts, so handlers/payloads.unpack refuses it and the
person gets the same polite "stale button" answer as a forged Telegram callback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

PREFIX = "#b."
TAG_LENGTH = 16  # 96 bits of HMAC: forging one is out of reach, and the payload stays short
FORGED = "\x00forged"  # no payload declaration has an empty tag, so unpack refuses this


def button_key(secret: str) -> bytes:
    """A key of its own, derived from the app's secret: the secret itself never signs."""
    return hmac.new(secret.encode(), b"troly zalo-oa buttons", hashlib.sha256).digest()


def _tag(key: bytes, user_id: str, value: str) -> str:
    digest = hmac.new(key, f"{user_id}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:TAG_LENGTH]


def sign(key: bytes, user_id: str, value: str) -> str:
    return f"{PREFIX}{_tag(key, user_id, value)}.{value}"


def read(key: bytes, user_id: str, text: str) -> str | None:
    """The choice value of a tapped button; FORGED for a bad one; None for typed text."""
    if not text.startswith(PREFIX):
        return None
    tag, dot, value = text[len(PREFIX) :].partition(".")
    if not dot or not hmac.compare_digest(tag.encode(), _tag(key, user_id, value).encode()):
        return FORGED
    return value
