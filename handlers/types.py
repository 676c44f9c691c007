"""Channel-neutral chat types: what every channel turns its updates into and renders back.

They live in `handlers` (not `bot`) because handlers build them and may not import `bot`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from models.imports.table import TableError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Contact:
    """A phone number shared with the platform's contact button."""

    phone: str
    is_own: bool  # the platform vouches that this is the sender's own number
    first_name: str | None = None


@dataclass(frozen=True)
class Document:
    """An uploaded file; `content` is fetched by the channel before dispatch."""

    file_name: str
    content: bytes
    mime_type: str | None = None
    # The platform would not let us fetch it (over its download limit): `content` is empty,
    # but the sender still deserves to hear why the file cannot be used.
    too_large: bool = False
    # Read by the dispatcher in a worker thread before the update's transaction: the sheets
    # (models.imports.grid.encode), or why the file cannot be used. Neither, when unread.
    sheets: bytes | None = None
    error: TableError | None = None
    # Not downloaded: the sender is not an admin with an import open (issue #11 point 4).
    withheld: bool = False
    # The platform's own reference to the file (Telegram's file_id), where it has one.
    file_id: str | None = None


@dataclass(frozen=True)
class Incoming:
    channel: str
    chat_id: str
    sender_id: str
    text: str | None = None
    choice: str | None = None  # a button's value (Telegram callback_data)
    contact: Contact | None = None
    document: Document | None = None
    language_hint: str | None = None
    sender_name: str | None = None
    unsupported: str | None = None  # a sticker, voice, image… the bot cannot read
    # The user blocked (False) or unblocked (True) the bot: a status change, not a message;
    # nothing is routed or answered.
    reachable: bool | None = None


@dataclass(frozen=True)
class Choice:
    label: str
    value: str  # ≤ 64 bytes: Telegram's callback_data limit


_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name: str) -> str:
    """A file name every phone and platform accepts: Vietnamese letters without marks, no
    "/" or other separators, no leading dot; a course code like "K/2026 14" stays legible."""
    stem, dot, ext = name.rpartition(".") if "." in name else (name, "", "")

    def ascii_part(part: str) -> str:
        part = unicodedata.normalize("NFD", part.replace("đ", "d").replace("Đ", "D"))
        part = "".join(ch for ch in part if unicodedata.category(ch) != "Mn")
        return _UNSAFE_IN_NAME.sub("-", part).strip("-.")

    stem, ext = ascii_part(stem)[:100] or "tep", ascii_part(ext)[:10]
    return f"{stem}{dot}{ext}" if ext else stem


@dataclass(frozen=True)
class Attachment:
    file_name: str
    content: bytes
    mime_type: str
    is_image: bool = False
    summary: str | None = None  # what a channel that cannot send files shows instead
    # Built from officials' records (exports, error workbooks, lists): never published at an
    # unauthenticated link (issue #11 point 7). Only files known to hold none say False.
    personal: bool = True

    def __post_init__(self) -> None:
        # Every attachment passes here, so no handler can send an unsafe name.
        object.__setattr__(self, "file_name", safe_file_name(self.file_name))


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[Choice, ...] = ()
    columns: int = 1
    request_contact: str | None = None  # label of a "share my phone" button
    attachments: tuple[Attachment, ...] = field(default=())
    replace: bool = False  # edit the message whose button was pressed, where the channel can
    remove_keyboard: bool = False  # take away a "share my phone" keyboard once it is used
