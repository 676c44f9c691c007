"""Replies as OA consultation messages (the `message` object of message/cs).

Text of at most 2,000 characters per message (docs/zalo-oa.md, "Limits"), cut at line
breaks. A reply's `Choice`s become `oa.query.hide` buttons on its last piece, at most
MAX_BUTTONS per message, further ones on follow-up messages; their payloads are signed for
the person (buttons.py). A "share my phone" request becomes the OA's request_user_info
template. Files: the OA's upload takes PDF/DOC/DOCX only [U], and ours are spreadsheets and
calendars, so an attachment is a one-time link (bot/channels/zalo_downloads.py) or the
text the Zalo Bot channel shows instead — the personal-data rule of issue #11 unchanged.

Callers set the locale (`use_locale`) first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.text import split_text
from bot.channels.zalo_oa import buttons
from bot.channels.zalo_render import Links, _file_lines
from handlers.types import Choice, Reply
from locales import _

TEXT_LIMIT = 2000
MAX_BUTTONS = 5
BUTTON_TITLE_LIMIT = 100  # [U]: the docs give no figure; our labels are far shorter


def _buttons(key: bytes, user_id: str, choices: Sequence[Choice]) -> dict[str, Any]:
    return {
        "type": "template",
        "payload": {
            "buttons": [
                {
                    "title": choice.label[:BUTTON_TITLE_LIMIT],
                    "type": "oa.query.hide",
                    "payload": buttons.sign(key, user_id, choice.value),
                }
                for choice in choices
            ]
        },
    }


def request_user_info(title: str, subtitle: str) -> dict[str, Any]:
    return {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "request_user_info",
                "elements": [{"title": title[:100], "subtitle": subtitle[:500]}],
            },
        }
    }


def render(
    replies: Sequence[Reply],
    *,
    key: bytes,
    user_id: str,
    tz: ZoneInfo,
    links: Links | None = None,
) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for reply in replies:
        lines = [reply.text]
        for attachment in reply.attachments:
            lines.extend(_file_lines(attachment, tz, None, links or {}))
        text = "\n".join(line for line in lines if line)
        pieces = split_text(text, TEXT_LIMIT) if text else []
        choices = list(reply.choices)
        for index, piece in enumerate(pieces):
            message: dict[str, Any] = {"text": piece}
            if index == len(pieces) - 1 and choices:
                message["attachment"] = _buttons(key, user_id, choices[:MAX_BUTTONS])
                choices = choices[MAX_BUTTONS:]
            messages.append(message)
        while choices:
            messages.append(
                {
                    "text": _("More choices:"),
                    "attachment": _buttons(key, user_id, choices[:MAX_BUTTONS]),
                }
            )
            choices = choices[MAX_BUTTONS:]
        if reply.request_contact:
            messages.append(
                request_user_info(
                    reply.request_contact,
                    _("Tap to share your Zalo phone number, so I can find your HR record."),
                )
            )
    return messages
