"""One message a day per official (issue #14.3): the notices due to one official on one local
day are bundled into one message, the most urgent first.

The planners (models/notices/planning.py, digest.py, broadcasts.py) keep writing one row
per notice — their output is unchanged — and this pass runs after them (the scheduler's
planning jobs). In each (official, day) group of pending rows the most urgent becomes the
carrier: its text is rebuilt from every member's own text, sorted by urgency, and the
others are 'bundled' (terminal: they ride in the carrier's message). A row that turns up
after the day's message has gone waits for the next day, unless it is urgent or would be
stale by then. Rows with buttons, rows for one chat and ZNS rows are never bundled: a
button belongs to one notice, and a ZNS template carries one notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Integer, String, Text, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales import format_number, ngettext, use_locale
from models.base import Base
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices
from models.notices.outbox import BUNDLED, PENDING, SENDING, SENT, TO_CHAT, Notice

HORIZON = timedelta(days=2)  # rows due this far ahead are bundled now
# Most urgent first: a missed legal deadline, a deadline, a registration closing, the rest.
KIND_RANK = {
    notices.REQUIREMENT_OVERDUE: 0,
    notices.REQUIREMENT_DUE: 1,
    notices.REGISTRATION_DEADLINE: 2,
    notices.PERSON_CHANGE: 3,
    notices.WAITLIST_PROMOTED: 4,
    notices.COURSE_CANCELLED: 4,
    notices.COURSE_CHANGED: 5,
    notices.COURSE_START: 6,
}
OTHER_RANK = 9
NOT_BUNDLED = (TO_CHAT,)
CHAT_CHANNELS = (None,)  # only rows not yet pinned to a channel (never ZNS rows)


class NoticeBundleItem(Base):
    """A notice carried in a bundle, with its own text (the carrier's is rewritten)."""

    __tablename__ = "notice_bundle_items"

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True
    )
    carrier_id: Mapped[int] = mapped_column(Integer, index=True)
    rank: Mapped[str] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    official_id: int
    kind: str
    send_at: datetime
    due_at: datetime
    relevant_until: datetime | None
    urgent: bool
    locale: str
    text: str


def urgency(kind: str, deadline: datetime, notice_id: int) -> str:
    """A sortable key: kind first, then the nearest deadline, then the oldest row."""
    return f"{KIND_RANK.get(kind, OTHER_RANK)}:{deadline.timestamp():014.0f}:{notice_id:012d}"


def _rank(row: _Row) -> str:
    return urgency(row.kind, row.relevant_until or row.due_at, row.id)


def bundle_text(texts: Sequence[str], locale: str) -> str:
    with use_locale(locale):
        header = ngettext(
            "📋 {n} notice for you today, the most urgent first:",
            "📋 {n} notices for you today, the most urgent first:",
            len(texts),
        ).format(n=format_number(len(texts)))
    return "\n\n".join([header, *texts])


@dataclass(frozen=True)
class BundleStats:
    bundled: int = 0  # rows now carried by another
    carriers: int = 0
    postponed: int = 0  # rows moved to the next day: that day's message had gone


async def bundle_pending(session: AsyncSession, *, now: datetime, tz: ZoneInfo) -> BundleStats:
    """Bundle the pending rows due up to HORIZON ahead; idempotent (run after planning)."""
    rows = [
        _Row(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8])
        for r in await session.execute(
            select(
                Notice.id,
                Notice.official_id,
                Notice.kind,
                Notice.send_at,
                Notice.due_at,
                Notice.relevant_until,
                Notice.urgent,
                Notice.locale,
                Notice.text,
                Notice.choices,
            )
            .where(
                Notice.state == PENDING,
                Notice.channel.is_(None),
                Notice.kind.not_in(NOT_BUNDLED),
                Notice.send_at <= now + HORIZON,
                # A ZNS template carries one notice: only officials a chat reaches are
                # bundled (routing keeps a bundle off ZNS: models/notices/routing.py).
                Notice.official_id.in_(
                    select(ChatAccount.official_id).where(ChatAccount.unreachable_at.is_(None))
                ),
            )
            .order_by(Notice.official_id, Notice.send_at, Notice.id)
        )
        # JSON null is stored as 'null', not SQL NULL: told apart here, not in SQL.
        if not r[-1]
    ]
    if not rows:
        return BundleStats()
    postponed = await _postpone_after_todays_message(session, rows, now=now, tz=tz)
    gone = {r.id for r in postponed}
    groups: dict[tuple[int, object], list[_Row]] = {}
    for row in rows:
        if row.id not in gone:
            day = max(row.send_at, now).astimezone(tz).date()
            groups.setdefault((row.official_id, day), []).append(row)
    for row in postponed:
        day = _next_day(now, tz).date()
        groups.setdefault((row.official_id, day), []).append(row)
    items = await _items_of(session, [r.id for group in groups.values() for r in group])
    bundled = carriers = 0
    for group in groups.values():
        if len(group) < 2:
            continue
        existing = [r for r in group if items.get(r.id, (None,))[0] == r.id]
        carrier = existing[0] if existing else min(group, key=_rank)
        members = [r for r in group if r.id != carrier.id]
        for row in group:
            if row.id not in items:
                items[row.id] = (carrier.id, _rank(row), row.text)
                session.add(
                    NoticeBundleItem(
                        notice_id=row.id, carrier_id=carrier.id, rank=_rank(row), text=row.text
                    )
                )
        ordered = sorted(
            (v for v in items.values() if v[0] == carrier.id), key=lambda item: item[1]
        )
        deadlines = [r.relevant_until for r in group]
        await session.execute(
            update(Notice)
            .where(Notice.id == carrier.id, Notice.state == PENDING)
            .values(
                text=bundle_text([text for _c, _r, text in ordered], carrier.locale),
                send_at=min(r.send_at for r in group),
                urgent=any(r.urgent for r in group),
                relevant_until=None if None in deadlines else max(d for d in deadlines if d),
            )
        )
        notices.check_transition(PENDING, BUNDLED)
        await session.execute(
            update(Notice)
            .where(Notice.id.in_([m.id for m in members]), Notice.state == PENDING)
            .values(
                state=BUNDLED,
                last_error=f"bundled into notice {carrier.id}",
                finished_at=now,
            )
        )
        bundled += len(members)
        carriers += 1
    await session.flush()
    return BundleStats(bundled, carriers, len(postponed))


async def carriers_among(conn: AsyncConnection, ids: Sequence[int]) -> set[int]:
    """Which of these rows carry a bundle (their text holds other notices' texts)."""
    found: set[int] = set()
    for start in range(0, len(ids), 900):
        chunk = list(ids[start : start + 900])
        found.update(
            await conn.scalars(
                select(NoticeBundleItem.carrier_id)
                .where(NoticeBundleItem.carrier_id.in_(chunk))
                .distinct()
            )
        )
    return found


async def _items_of(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[int, str, str]]:
    found: dict[int, tuple[int, str, str]] = {}
    for start in range(0, len(ids), 900):
        chunk = list(ids[start : start + 900])
        carriers = select(NoticeBundleItem.carrier_id).where(NoticeBundleItem.notice_id.in_(chunk))
        for nid, carrier, rank, text in await session.execute(
            select(
                NoticeBundleItem.notice_id,
                NoticeBundleItem.carrier_id,
                NoticeBundleItem.rank,
                NoticeBundleItem.text,
            ).where(NoticeBundleItem.carrier_id.in_(carriers))
        ):
            found[nid] = (carrier, rank, text)
    return found


def _next_day(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(local, time(0), tz)


async def _postpone_after_todays_message(
    session: AsyncSession, rows: Sequence[_Row], *, now: datetime, tz: ZoneInfo
) -> list[_Row]:
    """Rows due today for officials who already got today's message: to tomorrow."""
    today = datetime.combine(now.astimezone(tz).date(), time(0), tz)
    tomorrow = _next_day(now, tz)
    due_today = [r for r in rows if r.send_at < tomorrow and not r.urgent]
    if not due_today:
        return []
    officials = sorted({r.official_id for r in due_today})
    reached = set(
        await session.scalars(
            select(Notice.official_id)
            .where(
                Notice.official_id.in_(officials),
                Notice.kind.not_in(NOT_BUNDLED),
                Notice.state.in_((SENT, SENDING)),
                func.coalesce(Notice.started_at, Notice.finished_at) >= today,
            )
            .distinct()
        )
    )
    moved = [
        r
        for r in due_today
        if r.official_id in reached and (r.relevant_until is None or r.relevant_until > tomorrow)
    ]
    if moved:
        conn = await session.connection()  # executemany by id, not an ORM bulk update
        await conn.execute(
            update(Notice)
            .where(Notice.id == bindparam("nid"), Notice.state == PENDING)
            .values(send_at=bindparam("at")),
            [{"nid": r.id, "at": tomorrow} for r in moved],
        )
    return [
        _Row(
            r.id,
            r.official_id,
            r.kind,
            tomorrow,
            r.due_at,
            r.relevant_until,
            r.urgent,
            r.locale,
            r.text,
        )
        for r in moved
    ]
