"""Everything one update needs about its chat, read in one locked round trip.

Each update needs the sender's account, the chat's dialog state and the linked official
(with the unit). Reading them in one statement matters: on SQLite every statement is a
thread hop through aiosqlite, and this is the hottest path of the bot.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import accounts, dialogs
from models.accounts import ChatAccount
from models.dialogs import DialogState
from models.officials import Official


async def open_chat(
    session: AsyncSession, *, channel: str, user_id: str, chat_id: str, now: datetime
) -> tuple[ChatAccount, DialogState, Official | None]:
    row = (
        await session.execute(
            select(ChatAccount, DialogState, Official)
            .join(
                DialogState,
                and_(
                    DialogState.channel == ChatAccount.channel,
                    DialogState.chat_id == ChatAccount.chat_id,
                ),
            )
            .outerjoin(
                Official, and_(Official.id == ChatAccount.official_id, Official.active.is_(True))
            )
            .where(
                ChatAccount.channel == channel,
                ChatAccount.external_user_id == user_id,
                ChatAccount.chat_id == chat_id,
            )
            .with_for_update(of=[ChatAccount, DialogState])  # type: ignore[list-item]
        )
    ).first()
    if row is not None:
        account, dialog, official = row
        if now - account.last_seen_at > accounts.SEEN_RESOLUTION:
            account.last_seen_at = now
        dialogs.expire_if_stale(dialog, now)
        return account, dialog, official
    # First contact (or a changed chat id): create what is missing, race-safely.
    account = await accounts.get_or_create(
        session, channel=channel, user_id=user_id, chat_id=chat_id, now=now
    )
    dialog = await dialogs.load_for_update(session, channel=channel, chat_id=chat_id, now=now)
    return account, dialog, await accounts.linked_official(session, account)
