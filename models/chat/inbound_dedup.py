"""Inbound updates already seen, so a platform's re-delivery is answered only once.

Zalo updates carry no update_id and may arrive twice (a webhook retry, or the same event on
two processes), so the key is the platform's own message identity. The table is shared by
every process; rows older than a day are pruned, since re-deliveries come within minutes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import String, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

KEEP_FOR = timedelta(days=1)
KEY_LENGTH = 100


class InboundUpdate(Base):
    __tablename__ = "inbound_updates"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    update_key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


def _fit(key: str) -> str:
    # Keys are short today (event name + 20 hex digits); a hash keeps a longer one unique.
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


async def first_sighting(session: AsyncSession, channel: str, key: str, now: datetime) -> bool:
    """Record the update; False when any process has recorded it before."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(InboundUpdate)
        .values(channel=channel, update_key=_fit(key), seen_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "update_key"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def prune(session: AsyncSession, now: datetime, keep: timedelta = KEEP_FOR) -> int:
    result = await session.execute(delete(InboundUpdate).where(InboundUpdate.seen_at < now - keep))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
