"""One-time download links for files with personal data (issue #11 point 7).

Zalo cannot receive files, and a plain link is its own key: it travels with every forward
of the chat. So a file built from officials' records is offered as a link that opens once,
within minutes (ZALO_DOWNLOAD_TTL_MINUTES), issued to one chat account. Only the token's
SHA-256 is stored, so a copy of the database opens nothing; the content is dropped the
moment it is downloaded, and expired rows are deleted.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import LargeBinary, String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

# Rows are kept a day past expiry, so a late click is told "expired", not "unknown".
KEEP_AFTER_EXPIRY = timedelta(days=1)


class FileLink(Base):
    __tablename__ = "file_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(64))  # the account it was issued to
    file_name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(120))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Download:
    file_name: str
    mime_type: str
    content: bytes
    channel: str
    user_id: str


Refusal = Literal["unknown", "used", "expired"]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    session: AsyncSession,
    *,
    channel: str,
    user_id: str,
    file_name: str,
    mime_type: str,
    content: bytes,
    now: datetime,
    ttl: timedelta,
) -> str:
    """A new token (192 random bits) for this account; only its hash is kept."""
    await session.execute(delete(FileLink).where(FileLink.expires_at < now - KEEP_AFTER_EXPIRY))
    token = secrets.token_urlsafe(24)
    session.add(
        FileLink(
            token_hash=_hash(token),
            channel=channel,
            user_id=user_id,
            file_name=file_name[:255],
            mime_type=mime_type[:120],
            content=content,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return token


async def redeem(session: AsyncSession, token: str, now: datetime) -> Download | Refusal:
    """The file, once: the row is locked, marked used and its content dropped."""
    link = await session.scalar(
        select(FileLink).where(FileLink.token_hash == _hash(token)).with_for_update()
    )
    if link is None:
        return "unknown"
    if link.used_at is not None or link.content is None:
        return "used"
    if now >= link.expires_at:
        link.content = None
        return "expired"
    download = Download(link.file_name, link.mime_type, link.content, link.channel, link.user_id)
    link.used_at, link.content = now, None
    return download
