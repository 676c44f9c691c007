"""Files an admin sent in the chat, kept until they confirm or cancel the import.

Stored in the database (not in dialog state, not on one server's disk) so any bot process
can finish the conversation; kept for a day at most.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, LargeBinary, String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

KEEP_FOR = timedelta(days=1)
MAX_BYTES = 20 * 1024 * 1024


class PendingUpload(Base):
    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)  # emptied once `parsed` is kept
    # The table read from the file (models.imports.grid), so confirming does not read the
    # file again; None for a file that could not be read (`content` then stays for a retry).
    parsed: Mapped[bytes | None] = mapped_column(LargeBinary)
    kind: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]


async def keep(
    session: AsyncSession,
    *,
    official_id: int,
    file_name: str,
    content: bytes,
    now: datetime,
    parsed: bytes | None = None,
) -> PendingUpload:
    await session.execute(delete(PendingUpload).where(PendingUpload.created_at < now - KEEP_FOR))
    upload = PendingUpload(
        official_id=official_id,
        file_name=file_name[:255],
        content=content,
        parsed=parsed,
        created_at=now,
    )
    session.add(upload)
    await session.flush()
    return upload


async def owned(
    session: AsyncSession, upload_id: int, official_id: int, now: datetime
) -> PendingUpload | None:
    """The upload if it belongs to this official, is unused and fresh; else None."""
    upload = await session.get(PendingUpload, upload_id)
    if (
        upload is None
        or upload.official_id != official_id
        or upload.consumed_at is not None
        or upload.created_at < now - KEEP_FOR
    ):
        return None
    return upload


def consume(upload: PendingUpload, now: datetime) -> None:
    """Used or cancelled: its data is not kept a moment longer than needed."""
    upload.consumed_at = now
    upload.content, upload.parsed = b"", None
