"""Which chat account reaches an official: an official may be linked on several channels.

Notices go to the channel the official chose, else to the one they used last. "Used last"
is `chat_accounts.last_seen_at`, which is written at most every 10 minutes
(`accounts.SEEN_RESOLUTION`), so two channels used within minutes of each other may tie or
swap; that is close enough for choosing where a reminder goes.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.chat.accounts import ChatAccount


async def linked_accounts(
    session: AsyncSession, official_id: int, channels: Collection[str] | None = None
) -> list[ChatAccount]:
    """Linked accounts not marked unreachable, the most recently used first."""
    query = select(ChatAccount).where(
        ChatAccount.official_id == official_id, ChatAccount.unreachable_at.is_(None)
    )
    if channels is not None:
        query = query.where(ChatAccount.channel.in_(list(channels)))
    query = query.order_by(
        ChatAccount.last_seen_at.desc(),
        ChatAccount.linked_at.desc(),
        ChatAccount.id.desc(),
    )
    return list((await session.scalars(query)).all())


async def preferred_channel(
    session: AsyncSession,
    official_id: int,
    *,
    chosen: str | None = None,
    channels: Collection[str] | None = None,
) -> ChatAccount | None:
    """The account to send a notice to: on the `chosen` channel when the official has a
    linked account there, else the linked account they used last. `channels` limits the
    answer to channels the caller can send on (the console, for one, cannot be reached).
    Accounts marked unreachable (the person blocked the bot) are skipped; None means the
    official cannot be reached at all."""
    accounts = await linked_accounts(session, official_id, channels)
    if chosen is not None:
        for account in accounts:
            if account.channel == chosen:
                return account
    return accounts[0] if accounts else None
