"""Chat accounts: one row per (channel, user) that ever wrote to the bot, linked or not.

Linking proves who someone is; an account is linked to at most one official, and an
official has at most one linked account per channel (a new phone replaces the old one).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, ForeignKey, String, UniqueConstraint, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import audit
from models.base import Base, insert_ignore
from models.org.admins import has_admin_role
from models.org.officials import Official, by_phone


class ChatAccount(Base):
    __tablename__ = "chat_accounts"
    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"), index=True)
    linked_at: Mapped[datetime | None]
    unlinked_at: Mapped[datetime | None]
    link_method: Mapped[str | None] = mapped_column(String(20))
    locale: Mapped[str | None] = mapped_column(String(10))
    failed_link_attempts: Mapped[int] = mapped_column(default=0)
    link_blocked_until: Mapped[datetime | None]
    unreachable_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # The privacy notice version this chat was last shown (models/privacy/notice.py).
    privacy_notice_version: Mapped[str | None] = mapped_column(String(20))


SEEN_RESOLUTION = timedelta(minutes=10)


async def get_or_create(
    session: AsyncSession, *, channel: str, user_id: str, chat_id: str, now: datetime
) -> ChatAccount:
    query = (
        select(ChatAccount)
        .where(ChatAccount.channel == channel, ChatAccount.external_user_id == user_id)
        .with_for_update()
    )
    account = await session.scalar(query)
    if account is None:
        # First contact: two processes may race here, so insert-or-ignore, then read.
        await insert_ignore(
            session,
            ChatAccount.__table__,
            {
                "channel": channel,
                "external_user_id": user_id,
                "chat_id": chat_id,
                "failed_link_attempts": 0,
                "created_at": now,
                "last_seen_at": now,
            },
            ["channel", "external_user_id"],
        )
        account = await session.scalar(query)
        assert account is not None
    # last_seen_at is for operators ("who is active"), not for logic: avoid a write per update.
    if now - account.last_seen_at > SEEN_RESOLUTION:
        account.last_seen_at = now
    if account.chat_id != chat_id:
        account.chat_id = chat_id
    return account


def heard_from(account: ChatAccount) -> None:
    """The chat just wrote or pressed a button, so it reaches the user again (they unblocked
    the bot). Writes only when the flag is set: this runs on every update."""
    if account.unreachable_at is not None:
        account.unreachable_at = None


async def set_reachable(
    session: AsyncSession, *, channel: str, user_id: str, reachable: bool, now: datetime
) -> None:
    """The platform said the user blocked or unblocked the bot. Only an account that exists
    changes: a status change from someone who never wrote creates nothing."""
    query = update(ChatAccount).where(
        ChatAccount.channel == channel, ChatAccount.external_user_id == user_id
    )
    if reachable:
        query = query.where(ChatAccount.unreachable_at.is_not(None)).values(unreachable_at=None)
    else:
        # The first moment counts: a repeated "blocked" keeps when it started.
        query = query.where(ChatAccount.unreachable_at.is_(None)).values(unreachable_at=now)
    await session.execute(query)


async def linked_official(session: AsyncSession, account: ChatAccount) -> Official | None:
    if account.official_id is None:
        return None
    official = await session.get(Official, account.official_id)
    return official if official is not None and official.active else None


async def link(
    session: AsyncSession, account: ChatAccount, official: Official, *, method: str, now: datetime
) -> None:
    # One linked account per official and channel: a new device replaces the old one.
    # An UPDATE's result is a CursorResult, which has the rowcount; AsyncSession.execute is
    # typed as returning any Result.
    replaced = cast(
        CursorResult[Any],
        await session.execute(
            update(ChatAccount)
            .where(
                ChatAccount.channel == account.channel,
                ChatAccount.official_id == official.id,
                ChatAccount.id != account.id,
            )
            .values(official_id=None, unlinked_at=now)
        ),
    )
    account.official_id = official.id
    account.linked_at = now
    account.unlinked_at = None
    account.link_method = method
    account.failed_link_attempts = 0
    account.link_blocked_until = None
    account.unreachable_at = None
    if official.preferred_locale and not account.locale:
        account.locale = official.preferred_locale
    audit.record(
        session,
        actor=f"{account.channel}:{account.external_user_id}",
        actor_official_id=official.id,
        action="account.link",
        subject=official.employee_code,
        affected=1,
        detail={"method": method, "replaced_accounts": replaced.rowcount or 0},
        at=now,
    )


async def unlink(session: AsyncSession, account: ChatAccount, *, now: datetime) -> None:
    official_id = account.official_id
    account.official_id = None
    account.unlinked_at = now
    audit.record(
        session,
        actor=f"{account.channel}:{account.external_user_id}",
        actor_official_id=official_id,
        action="account.unlink",
        affected=1,
        at=now,
    )


async def accounts_of(session: AsyncSession, official_id: int) -> list[ChatAccount]:
    rows = await session.scalars(select(ChatAccount).where(ChatAccount.official_id == official_id))
    return list(rows)


class PhoneLink(enum.Enum):
    LINKED = "linked"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    CODE_ONLY = "code_only"  # the record holds admin roles


async def link_by_phone(
    session: AsyncSession, account: ChatAccount, phone_e164: str | None, *, now: datetime
) -> tuple[PhoneLink, Official | None]:
    """Link by a contact the platform vouches is the sender's own. Whoever can change a
    record's phone (a unit admin's roster import) could take over that record this way,
    so officials with admin roles link by one-time code only."""
    matches = await by_phone(session, phone_e164) if phone_e164 else []
    if not matches:
        return PhoneLink.NOT_FOUND, None
    if len(matches) > 1:
        return PhoneLink.AMBIGUOUS, None
    official = matches[0]
    if await has_admin_role(session, official.id):
        audit.record(
            session,
            actor=f"{account.channel}:{account.external_user_id}",
            action="account.link_refused",
            subject=official.employee_code,
            detail={"method": "phone", "reason": "admin_code_only"},
            at=now,
        )
        return PhoneLink.CODE_ONLY, None
    await link(session, account, official, method="phone", now=now)
    return PhoneLink.LINKED, official
