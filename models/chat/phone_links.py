"""A record's phone changed: the chats linked by the old phone lose the record.

A chat linked by a shared contact proved only that it owned the phone then on file. Once the
roster (or anyone) changes that phone, the proof is gone: the chat is unlinked and told on
its own channel, so a real owner whose number was changed behind their back hears of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _, use_locale
from locales.i18n import normalize_locale
from models import audit
from models.chat.accounts import ChatAccount
from models.notices import outbox
from models.vocabulary import N_

MSG_DISPLACED = N_(
    "The phone number in your HR record was changed, so this chat is no longer linked to"
    " your record and will not show your training information or send you reminders. If"
    " you did not ask for this change, please contact your HR office at once. To link"
    " again, use the link code HR gives you."
)


async def unlink_phone_links(
    session: AsyncSession,
    official_ids: Iterable[int],
    *,
    now: datetime,
    actor: str,
    default_locale: str = "vi",
) -> list[ChatAccount]:
    """Unlink every chat linked by phone to these officials and queue a message to each;
    returns the chats unlinked. Chats linked with a code keep their link."""
    ids = sorted(set(official_ids))
    displaced: list[ChatAccount] = []
    for start in range(0, len(ids), 900):
        rows = await session.scalars(
            select(ChatAccount).where(
                ChatAccount.official_id.in_(ids[start : start + 900]),
                ChatAccount.link_method == "phone",
            )
        )
        displaced.extend(rows)
    for account in displaced:
        official_id = account.official_id
        assert official_id is not None
        account.official_id = None
        account.unlinked_at = now
        audit.record(
            session,
            actor=actor,
            action="account.unlink_phone_changed",
            subject=audit.chat_actor(account.channel, account.external_user_id),
            affected=1,
            detail={"official_id": official_id, "account_id": account.id},
            at=now,
        )
        locale = normalize_locale(account.locale, default_locale)
        with use_locale(locale):
            text = _(MSG_DISPLACED)
        await outbox.enqueue_to_chat(
            session,
            official_id=official_id,
            channel=account.channel,
            chat_id=account.chat_id,
            subject=f"displaced:{account.id}",
            due_at=now,
            text=text,
            locale=locale,
        )
    return displaced
