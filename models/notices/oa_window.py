"""The Zalo OA's interaction window and caps (issue #14.3; docs/zalo-oa.md "OA caps").

The OA may answer a follower free of charge only for a while after the follower's last
message, and only a few times: Zalo's OA help centre says 8 replies within 48 hours,
reset by each new message from the person. Outside that, an OA message is a paid or
capped "broadcast" (a follower receives a few a month). So whether the OA can carry a
notice depends on when the person last wrote and on what we sent since; both live in
`chat_interactions` (one row per OA chat, the only record of the window), written by
`record_inbound` (the OA webhook, for every new event from a person but an unfollow) and
by `record_outbound` (the sender, when it claims rows for the OA). The planner reads the
counts and broadcasts (`oa_states`); the OA transport, which only sends what the planner
already counted, reads the last inbound time (`last_inbound`, `inside_window`) so that it
never spends quota on a sure refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.notices.outbox import BROADCAST, SENDING, SENT, UNKNOWN, Notice

# The Zalo Official Account channel's name in chat_accounts and notices (Z1's channel).
OA = "zalo_oa"
# Rows that used (or may have used) a message of the OA's allowance.
_USED = (SENDING, SENT, UNKNOWN)


class ChatInteraction(Base):
    __tablename__ = "chat_interactions"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_inbound_at: Mapped[datetime]
    # Messages sent to this chat since `last_inbound_at` (the window's allowance used).
    window_sent: Mapped[int] = mapped_column(Integer, default=0)


@dataclass(frozen=True)
class OaCaps:
    """ZALO_OA_INTERACTION_WINDOW_HOURS, OA_WINDOW_MESSAGES, OA_BROADCASTS_PER_DAY,
    OA_BROADCASTS_PER_MONTH
    (bot/config.py); the defaults and their sources are in docs/zalo-oa.md, "OA window and
    caps"."""

    window: timedelta = timedelta(hours=48)
    window_messages: int = 8
    broadcasts_per_day: int = 1
    broadcasts_per_month: int = 4


@dataclass(frozen=True, slots=True)
class OaState:
    last_inbound_at: datetime | None = None
    window_sent: int = 0
    broadcasts_today: int = 0
    broadcasts_this_month: int = 0


def window_open(state: OaState, now: datetime, caps: OaCaps) -> bool:
    """Inside the free-reply window, with replies of its allowance left."""
    return (
        state.last_inbound_at is not None
        and now - state.last_inbound_at < caps.window
        and state.window_sent < caps.window_messages
    )


def oa_can_carry(state: OaState, *, kind: str, now: datetime, caps: OaCaps) -> bool:
    """Whether the OA may send this notice now: a reply inside the window, or (for an
    announcement) one of the follower's capped broadcasts."""
    if window_open(state, now, caps):
        return True
    return (
        kind == BROADCAST
        and state.broadcasts_today < caps.broadcasts_per_day
        and state.broadcasts_this_month < caps.broadcasts_per_month
    )


async def record_inbound(
    conn: AsyncConnection | AsyncSession, *, channel: str, chat_id: str, now: datetime
) -> None:
    """The person wrote (or tapped) in this chat: a new window and a fresh allowance."""
    bind = conn if isinstance(conn, AsyncConnection) else conn.get_bind()
    insert = pg_insert if bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(ChatInteraction).values(
        channel=channel, chat_id=chat_id, last_inbound_at=now, window_sent=0
    )
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=["channel", "chat_id"],
            set_={"last_inbound_at": now, "window_sent": 0},
        )
    )


async def record_outbound(conn: AsyncConnection, *, channel: str, chat_ids: Iterable[str]) -> None:
    """Messages about to go to these chats use the window's allowance (counted at claim, so
    a send that then fails still counts: the cap is never overrun)."""
    counts: dict[str, int] = {}
    for chat in chat_ids:
        counts[chat] = counts.get(chat, 0) + 1
    if counts:
        await conn.execute(
            update(ChatInteraction)
            .where(ChatInteraction.channel == channel, ChatInteraction.chat_id == bindparam("c"))
            .values(window_sent=ChatInteraction.window_sent + bindparam("n")),
            [{"c": chat, "n": n} for chat, n in counts.items()],
        )


async def last_inbound(
    conn: AsyncConnection | AsyncSession, chat_id: str, *, channel: str = OA
) -> datetime | None:
    """When the person last wrote in this chat (None: never)."""
    return await conn.scalar(
        select(ChatInteraction.last_inbound_at).where(
            ChatInteraction.channel == channel, ChatInteraction.chat_id == chat_id
        )
    )


def inside_window(last: datetime | None, now: datetime, window: timedelta) -> bool:
    """Within the free-reply time after the last message (the allowance aside: the
    transport's messages were counted when the outbox claimed them)."""
    return last is not None and now - last < window


async def oa_window_open(
    conn: AsyncConnection, chat_id: str, now: datetime, caps: OaCaps, tz: ZoneInfo
) -> bool:
    """The lookup other code asks: may the OA reply to this chat for free right now?"""
    states = await oa_states(conn, [chat_id], now=now, caps=caps, tz=tz)
    return window_open(states.get(chat_id, OaState()), now, caps)


async def oa_states(
    conn: AsyncConnection, chat_ids: Iterable[str], *, now: datetime, caps: OaCaps, tz: ZoneInfo
) -> dict[str, OaState]:
    """Window and broadcast counts of these OA chats (absent chats never wrote)."""
    chats = sorted(set(chat_ids))
    if not chats:
        return {}
    local = now.astimezone(tz)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    month_start = day_start.replace(day=1)
    windows: dict[str, tuple[datetime, int]] = {}
    today: dict[str, int] = {}
    month: dict[str, int] = {}
    for start in range(0, len(chats), 900):
        chunk = chats[start : start + 900]
        rows = await conn.execute(
            select(
                ChatInteraction.chat_id,
                ChatInteraction.last_inbound_at,
                ChatInteraction.window_sent,
            ).where(ChatInteraction.channel == OA, ChatInteraction.chat_id.in_(chunk))
        )
        windows.update({chat: (at, sent) for chat, at, sent in rows})
        sent_rows = await conn.execute(
            select(
                Notice.chat_id,
                func.count(),
                func.count().filter(Notice.due_at >= day_start),
            )
            .where(
                Notice.channel == OA,
                Notice.kind == BROADCAST,
                Notice.state.in_(_USED),
                Notice.chat_id.in_(chunk),
                Notice.due_at >= month_start,
            )
            .group_by(Notice.chat_id)
        )
        for chat, in_month, in_day in sent_rows:
            if chat is not None:
                month[chat], today[chat] = in_month, in_day
    return {
        chat: OaState(
            windows[chat][0] if chat in windows else None,
            windows[chat][1] if chat in windows else 0,
            today.get(chat, 0),
            month.get(chat, 0),
        )
        for chat in chats
    }
