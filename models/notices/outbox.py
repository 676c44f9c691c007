"""The notice outbox: every proactive message (reminders, course news, broadcasts) is a row
here before it is a message anywhere.

One row per (official, kind, subject, due moment), so planning twice, or two planners at
once, insert it once (insert-or-ignore on that key). The text is rendered when the row is
written, in the recipient's language, so the sender (bot/sender.py) never needs the domain.

A row's life, and why each step exists:

    pending ──claim──▶ sending ──start──▶ (request may leave) ──▶ sent | blocked | failed | unknown
       ▲                  │                      │
       └── lease expired ─┘ (never started)      └─ lease expired ─▶ unknown (may have arrived)
    pending ──▶ dropped (stale, switched off, no chat to send to, requirement met meanwhile)
    pending ──▶ bundled (its text rides in the day's one message: models/notices/bundling.py)

`started_at` is written and committed just before the request leaves, so after a crash the
rows whose send may have reached the person are told apart from those that never left.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales import use_locale
from locales.i18n import normalize_locale
from models.base import Base, insert_ignore, utcnow
from models.chat.accounts import ChatAccount
from models.org.officials import Official

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
BLOCKED = "blocked"
FAILED = "failed"
DROPPED = "dropped"
UNKNOWN = "unknown"
BUNDLED = "bundled"  # carried inside another notice's message (models/notices/bundling.py)
TERMINAL = frozenset({SENT, BLOCKED, FAILED, DROPPED, UNKNOWN, BUNDLED})

# The drawing above as data: every state change (models/notices/delivery.py, drop_pending,
# the planners' and broadcasts' withdrawals) is one of these.
TRANSITIONS: dict[str, frozenset[str]] = {
    # claimed; withdrawn or found undeliverable before any send
    PENDING: frozenset({SENDING, DROPPED, BLOCKED, BUNDLED}),
    # released, retried or re-queued unstarted; an outcome; dropped at the last moment
    SENDING: frozenset({PENDING, SENT, BLOCKED, FAILED, UNKNOWN, DROPPED}),
}


class IllegalTransition(ValueError):
    pass


def check_transition(source: str, target: str) -> None:
    """Refuse a state change the machine does not have (terminal states have none)."""
    if target not in TRANSITIONS.get(source, frozenset()):
        raise IllegalTransition(f"a notice cannot go from {source!r} to {target!r}")


# Kinds. Requirement notices are the legally required duty to train: an official cannot
# switch them off (handlers/reminders.py explains why). Everything else is optional.
REQUIREMENT_DUE = "requirement_due"
REQUIREMENT_OVERDUE = "requirement_overdue"
PERSON_CHANGE = "person_change"
COURSE_START = "course_start"
REGISTRATION_DEADLINE = "registration_deadline"
WAITLIST_PROMOTED = "waitlist_promoted"
COURSE_CANCELLED = "course_cancelled"
COURSE_CHANGED = "course_changed"
BROADCAST = "broadcast"
REQUIRED_KINDS = frozenset({REQUIREMENT_DUE, REQUIREMENT_OVERDUE, PERSON_CHANGE})
# What /nhacnho lets the official switch off. Registration results (promotion, cancellation)
# are answers about the official's own registration, not reminders, so they always go out.
OPTIONAL_KINDS = (COURSE_START, REGISTRATION_DEADLINE, COURSE_CHANGED)

# Reasons recorded in last_error when a row is dropped without a send.
STALE = "stale: relevant until {until} but not sent by then"
SWITCHED_OFF = "switched off by the official"
NOT_LINKED = "no linked chat account"
RESOLVED = "requirement met before the notice was sent"
SUPERSEDED = "superseded by a changed preference"

# A notice for one chat (its channel and chat_id fixed when queued), not for wherever the
# official reads now: e.g. the chat that was just unlinked from a record, told why.
TO_CHAT = "to_chat"

T = TypeVar("T")

_SQLITE_ROWS_PER_INSERT = 500  # executemany batch; keeps each statement's memory small
_PG_ROWS_PER_INSERT = 20_000  # one unnest() statement per chunk


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("official_id", "kind", "subject", "due_at"),
        Index("ix_notices_state_send_at", "state", "send_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"))
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(80))  # e.g. "rule:DB-SEED-03:2026-12-31"
    due_at: Mapped[datetime]  # the moment the notice is meant for (part of the key)
    send_at: Mapped[datetime]  # earliest next attempt: due_at, later after a retry
    relevant_until: Mapped[datetime | None]  # after this, sending it would mislead
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    # Buttons under the message as [label, value] pairs, e.g. a broadcast's "Đăng ký".
    choices: Mapped[list[list[str]] | None] = mapped_column(JSON)
    channel: Mapped[str | None] = mapped_column(String(20))
    chat_id: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SenderPause(Base):
    """A platform's "retry after" for one bot token, kept in the database so a sender that
    restarts (or takes over) inside the window still waits it out."""

    __tablename__ = "notice_sender_pauses"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    paused_until: Mapped[datetime]
    updated_at: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class NewNotice:
    """A notice ready to be written: text already rendered in `locale`."""

    official_id: int
    kind: str
    subject: str
    due_at: datetime
    text: str
    locale: str = "vi"
    relevant_until: datetime | None = None
    urgent: bool = False
    choices: tuple[tuple[str, str], ...] = ()


async def recipient_locales(
    session: AsyncSession, official_ids: Iterable[int], default: str = "vi"
) -> dict[int, str]:
    """The language each official reads: the linked account's choice (/ngonngu), else the
    roster's preferred locale, else the default."""
    ids = sorted(set(official_ids))
    found: dict[int, str] = {}
    for chunk in _chunks(ids, 900):
        rows = await session.execute(
            select(Official.id, Official.preferred_locale, ChatAccount.locale)
            .outerjoin(ChatAccount, ChatAccount.official_id == Official.id)
            .where(Official.id.in_(chunk))
            .order_by(Official.id, ChatAccount.last_seen_at)
        )
        for official_id, preferred, account_locale in rows:
            # Ordered by last use: the most recently used account's choice wins.
            found[official_id] = normalize_locale(account_locale or preferred, default)
    return {i: found.get(i, default) for i in ids}


async def enqueue(
    session: AsyncSession,
    *,
    official_id: int,
    kind: str,
    subject: str,
    due_at: datetime,
    render: Callable[[Official], str] | None = None,
    text: str | None = None,
    relevant_until: datetime | None = None,
    urgent: bool = False,
    default_locale: str = "vi",
) -> bool:
    """Add one notice in the caller's transaction; False when it already exists.

    Pass `render(official)` to have the text built in the recipient's language (it runs
    inside `use_locale`, so `_()` and `addressed()` work), or a ready `text`.
    """
    if (render is None) == (text is None):
        raise ValueError("give exactly one of render or text")
    locale = (await recipient_locales(session, [official_id], default_locale))[official_id]
    if render is not None:
        official = await session.get(Official, official_id)
        if official is None:
            raise ValueError(f"no official {official_id}")
        with use_locale(locale):
            text = render(official)
    assert text is not None
    notice = NewNotice(official_id, kind, subject, due_at, text, locale, relevant_until, urgent)
    return await enqueue_many(session, [notice]) == 1


async def enqueue_to_chat(
    session: AsyncSession,
    *,
    official_id: int,
    channel: str,
    chat_id: str,
    subject: str,
    due_at: datetime,
    text: str,
    locale: str,
) -> None:
    """One notice to exactly this chat (insert-or-ignore on the usual key)."""
    values = _row(NewNotice(official_id, TO_CHAT, subject, due_at, text, locale), utcnow())
    values.update(channel=channel, chat_id=chat_id, urgent=True)
    await insert_ignore(
        session, Notice.__table__, values, ["official_id", "kind", "subject", "due_at"]
    )


async def enqueue_many(session: AsyncSession, notices: Iterable[NewNotice]) -> int:
    """Insert-or-ignore many notices on their key; returns how many were new."""
    now = utcnow()
    postgres = session.get_bind().dialect.name == "postgresql"
    size = _PG_ROWS_PER_INSERT if postgres else _SQLITE_ROWS_PER_INSERT
    inserted = 0
    for chunk in _chunks(notices, size):
        if postgres:
            inserted += await _insert_pg(session, chunk, now)
        else:
            inserted += await _insert_sqlite(session, chunk, now)
    return inserted


def _row(n: NewNotice, now: datetime) -> dict[str, Any]:
    if n.due_at.tzinfo is None:
        raise ValueError("notice due_at must be aware")
    return {
        "official_id": n.official_id,
        "kind": n.kind,
        "subject": n.subject,
        "due_at": n.due_at,
        "send_at": n.due_at,
        "relevant_until": n.relevant_until,
        "urgent": n.urgent,
        "locale": n.locale,
        "text": n.text,
        "state": PENDING,
        "attempts": 0,
        "created_at": now,
        "choices": [list(c) for c in n.choices] or None,
    }


async def _insert_sqlite(session: AsyncSession, chunk: Sequence[NewNotice], now: datetime) -> int:
    # On the connection: through the session, a list of rows would be an ORM bulk insert.
    conn = await session.connection()
    statement = insert(Notice).prefix_with("OR IGNORE")
    result = await conn.execute(statement, [_row(n, now) for n in chunk])
    return max(result.rowcount or 0, 0)


# One statement with arrays instead of executemany: at national scale this is the
# difference between minutes and seconds (a round trip per row vs per 20,000 rows).
_PG_INSERT = text(
    """
    INSERT INTO notices (official_id, kind, subject, due_at, send_at, relevant_until, urgent,
                         locale, text, choices, state, attempts, created_at)
    SELECT o, k, s, d, d, r, u, l, t, CAST(c AS json), 'pending', 0, :now
    FROM unnest(CAST(:o AS integer[]), CAST(:k AS varchar[]), CAST(:s AS varchar[]),
                CAST(:d AS timestamptz[]), CAST(:r AS timestamptz[]), CAST(:u AS boolean[]),
                CAST(:l AS varchar[]), CAST(:t AS text[]), CAST(:c AS text[]))
         AS x(o, k, s, d, r, u, l, t, c)
    ON CONFLICT (official_id, kind, subject, due_at) DO NOTHING
    """
)


async def _insert_pg(session: AsyncSession, chunk: Sequence[NewNotice], now: datetime) -> int:
    for n in chunk:
        if n.due_at.tzinfo is None:
            raise ValueError("notice due_at must be aware")
    result = await session.execute(
        _PG_INSERT,
        {
            "now": now,
            "o": [n.official_id for n in chunk],
            "k": [n.kind for n in chunk],
            "s": [n.subject for n in chunk],
            "d": [n.due_at for n in chunk],
            "r": [n.relevant_until for n in chunk],
            "u": [n.urgent for n in chunk],
            "l": [n.locale for n in chunk],
            "t": [n.text for n in chunk],
            "c": [json.dumps([list(c) for c in n.choices]) if n.choices else None for n in chunk],
        },
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


async def upcoming(
    session: AsyncSession, official_id: int, *, now: datetime, limit: int = 10
) -> list[Notice]:
    """The official's notices still to go out, soonest first (for /nhacnho)."""
    rows = await session.scalars(
        select(Notice)
        .where(
            Notice.official_id == official_id,
            Notice.state.in_((PENDING, SENDING)),
            (Notice.relevant_until.is_(None)) | (Notice.relevant_until > now),
        )
        .order_by(Notice.send_at, Notice.id)
        .limit(limit)
    )
    return list(rows)


async def drop_pending(
    session: AsyncSession,
    official_id: int,
    *,
    kinds: Iterable[str],
    reason: str,
    now: datetime,
    subjects: Iterable[str] | None = None,
    keep_due: Iterable[datetime] | None = None,
) -> int:
    """Withdraw notices that have not been claimed yet (a sending row is left to finish)."""
    check_transition(PENDING, DROPPED)
    conditions = [
        Notice.official_id == official_id,
        Notice.state == PENDING,
        Notice.kind.in_(list(kinds)),
    ]
    if subjects is not None:
        conditions.append(Notice.subject.in_(list(subjects)))
    if keep_due is not None:
        conditions.append(Notice.due_at.not_in(list(keep_due)))
    result = await session.execute(
        update(Notice).where(*conditions).values(state=DROPPED, last_error=reason, finished_at=now)
    )
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


def _chunks(items: Iterable[T], size: int) -> Iterable[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
