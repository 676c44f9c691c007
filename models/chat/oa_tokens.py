"""The Zalo Official Account's OAuth token pair, one row per OA, shared by every process.

Zalo's refresh token is single-use: whoever spends it must store the new pair before anyone
else reads the row, or the OA is locked out until someone re-authorises it by hand. So the
pair is read for refreshing under a row lock (`locked`: PostgreSQL SELECT … FOR UPDATE; on
SQLite the transaction's BEGIN IMMEDIATE already excludes every other writer), the refresh is
made while the lock is held, and the new pair replaces the old one in that same transaction,
with `generation` + 1 so a process holding an older copy can tell it is stale.

Tokens are secrets: this table is as sensitive as the .env file (docs/zalo-oa.md, "Tokens").
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class OaToken(Base):
    __tablename__ = "zalo_oa_tokens"

    oa_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    generation: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime]
    # The last refresh that failed, kept so an operator sees why the channel is paused.
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))


async def current(session: AsyncSession, oa_id: str) -> OaToken | None:
    return await session.get(OaToken, oa_id, populate_existing=True)


async def locked(session: AsyncSession, oa_id: str) -> OaToken | None:
    """The row, locked until the transaction ends: only one process refreshes at a time."""
    return await session.scalar(
        select(OaToken)
        .where(OaToken.oa_id == oa_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def store(
    session: AsyncSession,
    oa_id: str,
    *,
    access_token: str,
    refresh_token: str,
    expires_at: datetime,
    now: datetime,
) -> OaToken:
    """A new pair (a refresh, or the operator's seed): the generation moves on."""
    row = await locked(session, oa_id)
    if row is None:
        row = OaToken(oa_id=oa_id, generation=0)
        session.add(row)
    row.access_token = access_token
    row.refresh_token = refresh_token
    row.expires_at = expires_at
    row.generation = (row.generation or 0) + 1
    row.updated_at = now
    row.failed_at = None
    row.last_error = None
    return row


def record_failure(row: OaToken, error: str, now: datetime) -> None:
    """The pair stays as it was: a failed refresh must never lose a token that still works."""
    row.failed_at = now
    row.last_error = error[:300]
