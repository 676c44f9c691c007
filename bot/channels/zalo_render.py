"""Replies rendered for Zalo: plain text only, at most 2,000 characters per message.

No buttons: choices become a numbered list (numbered across the whole batch, as the
dispatcher stores them, so "2" picks the second). No phone button: people link by code.
No file upload: an attachment becomes its summary text and, where the deployment publishes
files, a link (or a photo sent by URL) — never silently dropped. Replies carry no markup
(Telegram sends them without parse_mode too), so nothing needs stripping; Zalo's reported
2026 formatting options are not used, since plain text is the only documented form.

Callers set the locale (`use_locale`) before rendering: the few words added here are
translated like any other message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.channels.text import numbered_choices, split_text
from bot.channels.zalo_api import TEXT_LIMIT
from bot.channels.zalo_files import FileStore, Published
from handlers.types import Attachment, Reply
from locales import _, format_datetime

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One Zalo message: a text, or a photo by URL with `text` as its caption."""

    text: str
    photo_url: str | None = None


# One-time links already issued for personal attachments, by id() of the attachment.
Links = Mapping[int, tuple[str, datetime]]


def render(
    replies: Sequence[Reply],
    tz: ZoneInfo,
    files: FileStore | None = None,
    links: Links | None = None,
) -> list[Outgoing]:
    """All replies of one update as few messages as possible: Zalo publishes no rate
    limits, so one message per reply (as on Telegram) would only add calls."""
    blocks: list[str] = []
    photos: list[Outgoing] = []
    offered = False
    for reply, choice_lines in zip(replies, numbered_choices(replies), strict=True):
        lines = [reply.text, *choice_lines]
        offered = offered or bool(choice_lines)
        if reply.request_contact:
            lines.append(
                _(
                    "(Zalo cannot share your phone number with me: please type the link code "
                    "HR gave you.)"
                )
            )
        for attachment in reply.attachments:
            photo = _photo(attachment, files)
            if photo is not None:
                photos.append(photo)
            else:
                lines.extend(_file_lines(attachment, tz, files, links or {}))
        blocks.append("\n".join(line for line in lines if line))
    if offered:
        blocks.append(_("Reply with the number of your choice, for example 1."))
    text = "\n\n".join(b for b in blocks if b)
    messages = [Outgoing(piece) for piece in split_text(text, TEXT_LIMIT)] if text else []
    return messages + photos


def _publish(attachment: Attachment, files: FileStore | None) -> Published | None:
    if files is None or attachment.personal:
        # A link is its own key and travels with every forward of the chat: officials'
        # data never goes that way (issue #11 point 7).
        return None
    try:
        return files.publish(attachment)
    except OSError as exc:  # a full or read-only disk must not cost the person the reply
        log.error("could not publish %s for Zalo: %s", attachment.file_name, exc)
        return None


def _photo(attachment: Attachment, files: FileStore | None) -> Outgoing | None:
    published = _publish(attachment, files) if attachment.is_image else None
    if published is None:
        return None
    return Outgoing((attachment.summary or "")[:TEXT_LIMIT], photo_url=published.url)


def _file_lines(
    attachment: Attachment, tz: ZoneInfo, files: FileStore | None, links: Links
) -> list[str]:
    lines = [attachment.summary] if attachment.summary else []
    published = _publish(attachment, files)
    one_time = links.get(id(attachment)) if attachment.personal else None
    if one_time is not None:
        url, until = one_time
        lines.append(
            "🔒 "
            + _(
                "{name}: {url} (this link opens only once, for you, until {time}; please do "
                "not forward it)"
            ).format(name=attachment.file_name, url=url, time=format_datetime(until, tz))
        )
    elif published is not None:
        lines.append(
            "📎 "
            + _("{name}: {url} (link valid until {time})").format(
                name=attachment.file_name,
                url=published.url,
                time=format_datetime(published.expires_at, tz),
            )
        )
    elif attachment.personal:
        lines.append(
            "🔒 "
            + _(
                "{name} contains personal data, so I do not send it as a link on Zalo. "
                "Please get it on Telegram, or ask the system administrator to run "
                "“python -m bot export …” and hand you the file."
            ).format(name=attachment.file_name)
        )
    elif not attachment.summary:
        lines.append(
            "📎 "
            + _(
                "{name}: Zalo cannot receive files. Please open it on Telegram or ask your "
                "HR office for a copy."
            ).format(name=attachment.file_name)
        )
    return lines
