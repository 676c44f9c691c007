"""The outbox's state machine at work: the SQL a sender runs on `notices` rows (claim, mark
started, finish, retry, release, take over what a dead sender left) and on the tables that
record what sending taught it (a platform's pause, chats that blocked the bot).

Every state change goes through `_transition`, which checks it against
`outbox.TRANSITIONS` and adds the expected state to the WHERE clause, so a row another
process has moved on meanwhile is left alone. The functions run inside the caller's
transaction on a Core connection: they are called once per few notices, and an
executemany of one UPDATE on a connection is far cheaper than the ORM's unit of work.

The crash guarantees (bot/sender.py relies on them): a row is 'sending' and committed
before anything happens to it; `started_at` is committed before its request leaves; so a
successor re-queues rows never started (certainly not sent) and marks rows started without
an outcome 'unknown' (they may have arrived, and are never sent again).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from models.chat.accounts import ChatAccount
from models.notices.channel_order import BLOCKED as BLOCKED_REASON
from models.notices.channel_order import OA_CLOSED
from models.notices.oa_window import OA, record_outbound
from models.notices.outbox import (
    BLOCKED,
    DROPPED,
    NOT_LINKED,
    PENDING,
    SENDING,
    STALE,
    TO_CHAT,
    UNKNOWN,
    Notice,
    SenderPause,
    check_transition,
)
from models.notices.routing import OA_WAITING, RoutingPolicy, decisions
from models.notices.zns import CHANNEL as ZNS
from models.notices.zns_store import Unlinked

# Takes notices of officials no linked chat reaches (ZNS, models/notices/zns_store.py);
# returns the ids it took, which are then not dropped as "no linked chat".
UnlinkedRoute = Callable[[AsyncConnection, Sequence[Unlinked], datetime], Awaitable[set[int]]]

ALL_BLOCKED = "all linked accounts blocked the bot"
SENDER_STOPPED = "the sender stopped while this message was being sent"
# A notice only the OA could carry, outside its window or over its caps, is looked at again
# this much later (a new message from the person reopens the window meanwhile).
OA_WAIT = timedelta(hours=6)
DEFAULT_POLICY = RoutingPolicy()


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this sender now holds ('sending'), with what it needs to send it."""

    id: int
    chat_id: str
    text: str
    relevant_until: datetime | None
    attempts: int
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Finished:
    """A row's final state and the reason (None for a plain 'sent')."""

    id: int
    state: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    """A row known not to have arrived, to be tried again at `at`."""

    id: int
    at: datetime
    attempts: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Takeover:
    requeued: int  # claimed by the previous holder, never started: certainly not sent
    unknown: int  # started by it without a recorded outcome: may have arrived


async def _transition(
    conn: AsyncConnection,
    source: str,
    target: str,
    values: dict[str, Any],
    params: Sequence[dict[str, Any]],
    *where: ColumnElement[bool],
) -> None:
    """UPDATE rows `id = :nid` from `source` to `target`, one parameter set per row."""
    check_transition(source, target)
    if not params:
        return
    statement = (
        update(Notice)
        .where(Notice.id == bindparam("nid"), Notice.state == source, *where)
        .values(state=target, **values)
    )
    await conn.execute(statement, list(params))


async def take_over(conn: AsyncConnection, *, channel: str, me: str, now: datetime) -> Takeover:
    """Resolve the rows other senders of `channel` left 'sending'."""
    check_transition(SENDING, PENDING)
    check_transition(SENDING, UNKNOWN)
    theirs = (Notice.state == SENDING, Notice.channel == channel, Notice.claimed_by != me)
    never_started = await conn.execute(
        update(Notice)
        .where(*theirs, Notice.started_at.is_(None))
        .values(state=PENDING, claimed_by=None, lease_until=None)
    )
    in_flight = await conn.execute(
        update(Notice)
        .where(*theirs, Notice.started_at.is_not(None))
        .values(state=UNKNOWN, finished_at=now, last_error=SENDER_STOPPED)
    )
    return Takeover(max(never_started.rowcount or 0, 0), max(in_flight.rowcount or 0, 0))


async def last_start(conn: AsyncConnection, *, channel: str, since: datetime) -> datetime | None:
    """The latest moment a request of `channel` left after `since` (any sender)."""
    return await conn.scalar(
        select(func.max(Notice.started_at)).where(
            Notice.channel == channel, Notice.started_at > since
        )
    )


async def paused_until(conn: AsyncConnection, key: str) -> datetime | None:
    return await conn.scalar(select(SenderPause.paused_until).where(SenderPause.key == key))


async def save_pause(conn: AsyncConnection, key: str, until: datetime, now: datetime) -> None:
    """Extend the platform's pause for `key` to `until` (never shorten it)."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    await conn.execute(
        insert(SenderPause)
        .values(key=key, paused_until=until, updated_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    await conn.execute(
        update(SenderPause)
        .where(SenderPause.key == key, SenderPause.paused_until < until)
        .values(paused_until=until, updated_at=now)
    )


async def claim(
    conn: AsyncConnection,
    *,
    channel: str,
    me: str,
    now: datetime,
    limit: int,
    urgent_only: bool,
    lease: timedelta,
    unlinked: UnlinkedRoute | None = None,
    policy: RoutingPolicy = DEFAULT_POLICY,
) -> list[Claimed] | None:
    """Up to `limit` due rows for `channel`, marked 'sending' by `me`; None when nothing was
    due at all. On the way, rows that must not go out are finished (stale, no chat, every
    account blocked) and rows whose recipient now reads another channel are handed to it.
    Which channel is `policy`'s channel order (models/notices/channel_order.py): a row it
    sends by ZNS goes to `unlinked`; a row only a closed OA could carry waits.

    PostgreSQL: `FOR UPDATE SKIP LOCKED`, so senders of other channels pass each other.
    SQLite: the caller's transaction began IMMEDIATE, so it holds the only writer lock.
    """
    query = (
        select(
            Notice.id,
            Notice.official_id,
            Notice.relevant_until,
            Notice.text,
            Notice.attempts,
            Notice.choices,
            Notice.kind,
            Notice.chat_id,
            Notice.subject,
            Notice.due_at,
        )
        .where(
            Notice.state == PENDING,
            Notice.send_at <= now,
            or_(Notice.channel.is_(None), Notice.channel == channel),
        )
        .order_by(Notice.send_at, Notice.id)
        .limit(limit)
    )
    if urgent_only:
        query = query.where(Notice.urgent.is_(True))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Notice)
    candidates = (await conn.execute(query)).all()
    if not candidates:
        return None
    routed = [
        (c.id, c.official_id, c.kind)
        for c in candidates
        if not (c.chat_id and (c.kind == TO_CHAT or channel == ZNS))
    ]
    where = await decisions(conn, routed, now=now, policy=policy) if routed else {}
    claimed: list[Claimed] = []
    finished: list[Finished] = []
    moved: list[dict[str, Any]] = []
    waiting: list[dict[str, Any]] = []
    not_linked: list[Unlinked] = []
    by_zns: list[Unlinked] = []
    for c in candidates:
        decision = where.get(c.id)
        target = decision.route if decision is not None else None
        if c.relevant_until is not None and c.relevant_until <= now:
            finished.append(
                Finished(c.id, DROPPED, STALE.format(until=c.relevant_until.isoformat()))
            )
        elif decision is None:
            # Queued for this chat on this channel (the claim's WHERE): not re-addressed.
            claimed.append(Claimed(c.id, c.chat_id, c.text, c.relevant_until, c.attempts))
        elif target is None:
            if decision.reason == BLOCKED_REASON:
                finished.append(Finished(c.id, BLOCKED, ALL_BLOCKED))
            elif decision.reason == OA_CLOSED:
                waiting.append({"nid": c.id, "at": now + OA_WAIT})
            else:
                not_linked.append(
                    Unlinked(c.id, c.official_id, c.kind, c.subject, c.due_at, c.relevant_until)
                )
        elif target.channel == ZNS:
            by_zns.append(
                Unlinked(c.id, c.official_id, c.kind, c.subject, c.due_at, c.relevant_until)
            )
        elif target.channel != channel:
            moved.append({"nid": c.id, "ch": target.channel})
        else:
            choices = tuple((label, value) for label, value in c.choices or ())
            claimed.append(
                Claimed(c.id, target.chat_id, c.text, c.relevant_until, c.attempts, choices)
            )
    # The order put these on ZNS (hard deadlines); what ZNS cannot take after all is
    # treated like a notice with no linked chat.
    taken = await unlinked(conn, by_zns, now) if unlinked and by_zns else set()
    not_linked += [u for u in by_zns if u.id not in taken]
    if waiting:
        await conn.execute(
            update(Notice)
            .where(Notice.id == bindparam("nid"), Notice.state == PENDING)
            .values(send_at=bindparam("at"), last_error=OA_WAITING),
            waiting,
        )
    finished += [Finished(u.id, DROPPED, NOT_LINKED) for u in not_linked]
    if moved:
        await conn.execute(
            update(Notice)
            .where(Notice.id == bindparam("nid"), Notice.state == PENDING)
            .values(channel=bindparam("ch")),
            moved,
        )
    await finish(conn, PENDING, finished, now=now)
    await _transition(
        conn,
        PENDING,
        SENDING,
        {
            "claimed_by": me,
            "channel": channel,
            "chat_id": bindparam("chat"),
            "lease_until": now + lease,
            "started_at": None,
        },
        [{"nid": r.id, "chat": r.chat_id} for r in claimed],
    )
    if channel == OA and claimed:
        await record_outbound(conn, channel=OA, chat_ids=[r.chat_id for r in claimed])
    return claimed


async def next_due(conn: AsyncConnection, *, channel: str) -> datetime | None:
    """When the earliest pending row for `channel` may go out."""
    return await conn.scalar(
        select(Notice.send_at)
        .where(
            Notice.state == PENDING,
            or_(Notice.channel.is_(None), Notice.channel == channel),
        )
        .order_by(Notice.send_at)
        .limit(1)
    )


async def mark_started(
    conn: AsyncConnection, starts: Iterable[tuple[int, int]], *, now: datetime
) -> None:
    """Record that requests for these (row id, attempts so far) rows are about to leave.
    Must be committed before they do: it is what tells 'may have arrived' apart."""
    params = [{"nid": nid, "n": attempts + 1} for nid, attempts in starts]
    if params:
        await conn.execute(
            update(Notice)
            .where(Notice.id == bindparam("nid"), Notice.state == SENDING)
            .values(started_at=now, attempts=bindparam("n")),
            params,
        )


async def finish(
    conn: AsyncConnection, source: str, rows: Iterable[Finished], *, now: datetime
) -> None:
    """Give rows their final state, one UPDATE per state."""
    by_state: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_state.setdefault(row.state, []).append({"nid": row.id, "e": row.error})
    for state, params in by_state.items():
        await _transition(
            conn,
            source,
            state,
            {"last_error": bindparam("e"), "finished_at": now, "lease_until": None},
            params,
        )


async def retry(conn: AsyncConnection, rows: Iterable[Retry]) -> None:
    """Put rows that certainly did not arrive back in the queue, due at their `at`."""
    await _transition(
        conn,
        SENDING,
        PENDING,
        {
            "send_at": bindparam("at"),
            "attempts": bindparam("n"),
            "last_error": bindparam("e"),
            "claimed_by": None,
            "lease_until": None,
            "started_at": None,
        },
        [{"nid": r.id, "at": r.at, "n": r.attempts, "e": r.error} for r in rows],
    )


async def release(conn: AsyncConnection, ids: Iterable[int], *, me: str, at: datetime) -> None:
    """Hand back rows `me` claimed but never started, due again at `at`."""
    await _transition(
        conn,
        SENDING,
        PENDING,
        {"claimed_by": None, "lease_until": None, "send_at": at},
        [{"nid": nid} for nid in ids],
        Notice.claimed_by == me,
    )


async def mark_unreachable(
    conn: AsyncConnection, *, channel: str, chat_ids: Iterable[str], now: datetime
) -> None:
    """Chats that answered "blocked": preferences.recipients skips them from now on."""
    chats = sorted(set(chat_ids))
    if chats:
        await conn.execute(
            update(ChatAccount)
            .where(
                ChatAccount.channel == channel,
                ChatAccount.chat_id.in_(chats),
                ChatAccount.unreachable_at.is_(None),
            )
            .values(unreachable_at=now)
        )
