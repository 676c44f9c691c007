"""Everything one update needs about its chat, read in one locked round trip.

Each update needs the sender's account, the chat's dialog state and the linked official
(with the unit). Reading them in one statement matters: on SQLite every statement is a
thread hop through aiosqlite, and this is the hottest path of the bot.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.chat import accounts, dialogs
from models.chat.accounts import ChatAccount
from models.chat.dialogs import DialogState
from models.org.officials import Official

# Built once: constructing and keying a statement costs more than running it on SQLite.
_OPEN_CHAT = (
    select(ChatAccount, DialogState, Official)
    .join(
        DialogState,
        and_(
            DialogState.channel == ChatAccount.channel, DialogState.chat_id == ChatAccount.chat_id
        ),
    )
    .outerjoin(Official, and_(Official.id == ChatAccount.official_id, Official.active.is_(True)))
    .where(
        ChatAccount.channel == bindparam("channel"),
        ChatAccount.external_user_id == bindparam("user_id"),
        ChatAccount.chat_id == bindparam("chat_id"),
    )
    .with_for_update(of=[ChatAccount, DialogState])
)


async def open_chat(
    session: AsyncSession, *, channel: str, user_id: str, chat_id: str, now: datetime
) -> tuple[ChatAccount, DialogState, Official | None]:
    params = {"channel": channel, "user_id": user_id, "chat_id": chat_id}
    row = (await session.execute(_OPEN_CHAT, params)).first()
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
