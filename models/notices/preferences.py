"""What each official chose in /nhacnho: optional kinds switched off, course lead times, the
channel for notices; and, from that, where a notice goes.

No row means the defaults. Changing a choice withdraws the pending notices it makes wrong
in the same transaction, so nothing switched off is still sent from the outbox.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, insert_ignore
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices

DEFAULT_COURSE_LEAD_DAYS: tuple[int, ...] = (3, 1)
LEAD_DAY_OPTIONS: tuple[int, ...] = (14, 7, 3, 1)
# The weekly unit-head digest (models/notices/digest.py): optional, and only unit heads get it.
UNIT_DIGEST = "digest"
# Everything /nhacnho may switch off.
SWITCHABLE_KINDS: tuple[str, ...] = (*notices.OPTIONAL_KINDS, UNIT_DIGEST)


class NoticePreference(Base):
    __tablename__ = "notice_preferences"

    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), primary_key=True)
    disabled_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    course_lead_days: Mapped[list[int] | None] = mapped_column(JSON)
    channel: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime]


@dataclass(frozen=True)
class Preferences:
    disabled_kinds: frozenset[str] = frozenset()
    course_lead_days: tuple[int, ...] = DEFAULT_COURSE_LEAD_DAYS
    channel: str | None = None

    def wants(self, kind: str) -> bool:
        return kind in notices.REQUIRED_KINDS or kind not in self.disabled_kinds


def _from_row(row: NoticePreference | None) -> Preferences:
    if row is None:
        return Preferences()
    lead = tuple(sorted(set(row.course_lead_days), reverse=True)) if row.course_lead_days else None
    return Preferences(
        frozenset(row.disabled_kinds or ()), lead or DEFAULT_COURSE_LEAD_DAYS, row.channel
    )


async def preferences_of(session: AsyncSession, official_id: int) -> Preferences:
    return _from_row(await session.get(NoticePreference, official_id))


async def preferences_for(
    session: AsyncSession, official_ids: Iterable[int]
) -> dict[int, Preferences]:
    """Only officials with a stored choice are returned; the rest use `Preferences()`."""
    ids = list(set(official_ids))
    found: dict[int, Preferences] = {}
    for start in range(0, len(ids), 900):
        rows = await session.scalars(
            select(NoticePreference).where(
                NoticePreference.official_id.in_(ids[start : start + 900])
            )
        )
        found.update({row.official_id: _from_row(row) for row in rows})
    return found


async def _row_for_update(
    session: AsyncSession, official_id: int, now: datetime
) -> NoticePreference:
    await insert_ignore(
        session,
        NoticePreference.__table__,
        {"official_id": official_id, "disabled_kinds": [], "updated_at": now},
        ["official_id"],
    )
    row = await session.get(NoticePreference, official_id, with_for_update=True)
    assert row is not None
    return row


async def set_kind(
    session: AsyncSession, official_id: int, kind: str, *, enabled: bool, now: datetime
) -> Preferences:
    if kind not in SWITCHABLE_KINDS:
        raise ValueError(f"{kind!r} cannot be switched off")
    row = await _row_for_update(session, official_id, now)
    disabled = set(row.disabled_kinds or ())
    if enabled:
        disabled.discard(kind)
    else:
        disabled.add(kind)
    row.disabled_kinds = sorted(disabled)
    row.updated_at = now
    if not enabled:
        await notices.drop_pending(
            session, official_id, kinds=[kind], reason=notices.SWITCHED_OFF, now=now
        )
    return _from_row(row)


async def set_lead_days(
    session: AsyncSession, official_id: int, days: Iterable[int], *, now: datetime
) -> Preferences:
    chosen = sorted(set(days), reverse=True)
    if not chosen or any(d not in LEAD_DAY_OPTIONS for d in chosen):
        raise ValueError(f"lead days must be a non-empty subset of {LEAD_DAY_OPTIONS}")
    row = await _row_for_update(session, official_id, now)
    row.course_lead_days = chosen
    row.updated_at = now
    # Notices planned for a lead time no longer chosen are withdrawn; the planner adds the
    # new ones on its next run. Their subject carries the lead ("course:12:lead3").
    dropped = [f":lead{d}" for d in LEAD_DAY_OPTIONS if d not in chosen]
    if dropped:
        pending = await session.scalars(
            select(notices.Notice.subject).where(
                notices.Notice.official_id == official_id,
                notices.Notice.kind == notices.COURSE_START,
                notices.Notice.state == notices.PENDING,
            )
        )
        stale = [s for s in pending if s.endswith(tuple(dropped))]
        if stale:
            await notices.drop_pending(
                session,
                official_id,
                kinds=[notices.COURSE_START],
                subjects=stale,
                reason=notices.SUPERSEDED,
                now=now,
            )
    return _from_row(row)


async def set_channel(
    session: AsyncSession, official_id: int, channel: str | None, *, now: datetime
) -> Preferences:
    row = await _row_for_update(session, official_id, now)
    row.channel = channel
    row.updated_at = now
    return _from_row(row)


# --- where a notice goes --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    channel: str
    chat_id: str


async def linked_channels(session: AsyncSession, official_id: int) -> list[str]:
    """Channels on which the official has a linked account that still reaches them."""
    rows = await session.scalars(
        select(ChatAccount.channel)
        .where(ChatAccount.official_id == official_id, ChatAccount.unreachable_at.is_(None))
        .order_by(ChatAccount.last_seen_at.desc())
    )
    return list(dict.fromkeys(rows))


async def chosen_and_linked(
    db: AsyncSession | AsyncConnection, official_ids: Iterable[int]
) -> tuple[dict[int, str], dict[int, list[tuple[str, str, bool]]]]:
    """Each official's /nhacnho channel (when chosen) and linked accounts, the one used
    last first, as (channel, chat_id, unreachable); the reads the sender's routing and the
    digest's recipients share."""
    ids = sorted(set(official_ids))
    chosen: dict[int, str] = {}
    linked: dict[int, list[tuple[str, str, bool]]] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        prefs = await db.execute(
            select(NoticePreference.official_id, NoticePreference.channel).where(
                NoticePreference.official_id.in_(chunk), NoticePreference.channel.is_not(None)
            )
        )
        # The query leaves out NULL channels; the filter only tells the type checker so.
        chosen.update({oid: channel for oid, channel in prefs if channel is not None})
        accounts = await db.execute(
            select(
                ChatAccount.official_id,
                ChatAccount.channel,
                ChatAccount.chat_id,
                ChatAccount.unreachable_at.is_not(None),
            )
            .where(ChatAccount.official_id.in_(chunk))
            .order_by(ChatAccount.last_seen_at.desc())
        )
        for oid, channel, chat_id, unreachable in accounts:
            assert oid is not None  # matched by the IN above
            linked.setdefault(oid, []).append((channel, chat_id, unreachable))
    return chosen, linked


async def recipients(
    session: AsyncSession, official_ids: Iterable[int]
) -> tuple[dict[int, Recipient], set[int]]:
    """(where each official's notices go, officials whose only accounts blocked the bot).

    The official's chosen channel when it still has a reachable linked account there, else
    the linked account they used last. Officials in neither result have no linked account.
    """
    chosen, rows_by_official = await chosen_and_linked(session, official_ids)
    found: dict[int, Recipient] = {}
    blocked: set[int] = set()
    for oid, accounts_of in rows_by_official.items():
        reachable = [(c, chat) for c, chat, gone in accounts_of if not gone]
        if not reachable:
            blocked.add(oid)
            continue
        preferred = [(c, chat) for c, chat in reachable if c == chosen.get(oid)]
        channel, chat_id = (preferred or reachable)[0]
        found[oid] = Recipient(channel, chat_id)
    return found, blocked
