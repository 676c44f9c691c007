"""Admin broadcasts: one row per announcement, its recipients as rows of the notice outbox.

Queueing inserts every recipient's notice in one transaction, keyed by the broadcast, so a
restart resumes from the outbox and nobody gets a second copy (beyond sends in flight at a
crash, which the outbox records as "unknown"). Progress and the final report are counts of
the outbox rows' states.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales import _, format_number, use_locale
from models import audit
from models.base import Base
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices

DRAFT, QUEUED, CANCELLED, DONE = "draft", "queued", "cancelled", "done"
MAX_TEXT = 3500  # leaves room for the header within Telegram's 4,096 and Zalo's split


class Broadcast(Base):
    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    admin_official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    scope_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    scope_name: Mapped[str] = mapped_column(String(200))
    audience_kind: Mapped[str] = mapped_column(String(20))
    audience_value: Mapped[str] = mapped_column(String(60), default="")
    audience_label: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(12), default=DRAFT, index=True)
    recipients: Mapped[int] = mapped_column(default=0)
    not_linked: Mapped[int] = mapped_column(default=0)
    unreachable: Mapped[int] = mapped_column(default=0)
    # Where the admin watches progress; the progress message is edited in place.
    admin_channel: Mapped[str] = mapped_column(String(20))
    admin_chat_id: Mapped[str] = mapped_column(String(64))
    progress_message_id: Mapped[str | None] = mapped_column(String(64))
    progress_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    queued_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def subject(self) -> str:
        return f"bc:{self.id}"


@dataclass(frozen=True)
class Progress:
    total: int
    pending: int  # waiting or being sent
    sent: int
    blocked: int
    failed: int  # failed, dropped or unknown outcome
    not_linked: int

    @property
    def finished(self) -> bool:
        return self.pending == 0


def message_text(broadcast: Broadcast, course_line: str | None) -> str:
    """What a recipient reads, in the current locale: a header naming the sender unit,
    the admin's words as written, and the course if one is attached."""
    parts = [_("📣 Announcement from {unit}:").format(unit=broadcast.scope_name), broadcast.text]
    if course_line:
        parts.append(course_line)
    return "\n\n".join(parts)


async def linked_chats(session: AsyncSession, official_ids: Iterable[int]) -> dict[int, str]:
    """Official id → locale, for those with at least one reachable linked chat."""
    ids = list(official_ids)
    out: dict[int, str] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        rows = await session.execute(
            select(ChatAccount.official_id)
            .where(ChatAccount.official_id.in_(chunk), ChatAccount.unreachable_at.is_(None))
            .group_by(ChatAccount.official_id)
        )
        for (official_id,) in rows:
            assert official_id is not None  # the query only asks for linked officials
            out[official_id] = "vi"
    locales = await notices.recipient_locales(session, out)
    return {i: locales.get(i, "vi") for i in out}


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def add_draft(session: AsyncSession, broadcast: Broadcast) -> None:
    """Store a new broadcast so it has an id before its rows are queued."""
    session.add(broadcast)
    await session.flush()


async def queue(
    session: AsyncSession,
    broadcast: Broadcast,
    official_ids: tuple[int, ...],
    *,
    now: datetime,
    course_line: dict[str, str] | None = None,
    actor: str,
) -> int:
    """Write one outbox row per reachable recipient; returns how many. The caller has set
    `recipients`, `not_linked` and `unreachable` from the preview it showed."""
    recipients = await linked_chats(session, official_ids)
    texts: dict[str, str] = {}
    buttons: dict[str, tuple[tuple[str, str], ...]] = {}
    for locale in set(recipients.values()):
        with use_locale(locale):
            texts[locale] = message_text(
                broadcast, (course_line or {}).get(locale) if course_line else None
            )
            # The button starts the normal registration (card checks, then confirm), so
            # every eligibility and deadline rule still applies to whoever presses it.
            buttons[locale] = (
                ((_("📝 Register"), f"reg:{broadcast.course_id}"),)
                if broadcast.course_id is not None
                else ()
            )
    rows = (
        notices.NewNotice(
            official_id=official_id,
            kind=notices.BROADCAST,
            subject=broadcast.subject,
            due_at=now,
            text=texts[locale],
            locale=locale,
            urgent=broadcast.urgent,
            choices=buttons[locale],
        )
        for official_id, locale in recipients.items()
    )
    queued = await notices.enqueue_many(session, rows)
    broadcast.state = QUEUED
    broadcast.queued_at = now
    audit.record(
        session,
        actor=actor,
        actor_official_id=broadcast.admin_official_id,
        action="broadcast.queue",
        subject=broadcast.subject,
        affected=queued,
        detail={
            "audience": f"{broadcast.audience_kind}:{broadcast.audience_value}",
            "urgent": broadcast.urgent,
            "course_id": broadcast.course_id,
        },
        at=now,
    )
    return queued


async def progress(session: AsyncSession, broadcast: Broadcast) -> Progress:
    counts = dict(
        (state, n)
        for state, n in await session.execute(
            select(notices.Notice.state, func.count())
            .where(
                notices.Notice.kind == notices.BROADCAST,
                notices.Notice.subject == broadcast.subject,
            )
            .group_by(notices.Notice.state)
        )
    )
    total = sum(counts.values())
    pending = counts.get(notices.PENDING, 0) + counts.get(notices.SENDING, 0)
    return Progress(
        total=total,
        pending=pending,
        sent=counts.get(notices.SENT, 0),
        blocked=counts.get(notices.BLOCKED, 0),
        failed=sum(counts.get(s, 0) for s in (notices.FAILED, notices.DROPPED, notices.UNKNOWN)),
        not_linked=broadcast.not_linked + broadcast.unreachable,
    )


async def cancel(session: AsyncSession, broadcast: Broadcast, *, now: datetime, actor: str) -> int:
    """Withdraw what has not been claimed yet; rows being sent finish normally."""
    result = await session.execute(
        update(notices.Notice)
        .where(
            notices.Notice.kind == notices.BROADCAST,
            notices.Notice.subject == broadcast.subject,
            notices.Notice.state == notices.PENDING,
        )
        .values(state=notices.DROPPED, last_error="cancelled by the admin", finished_at=now)
    )
    dropped = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    broadcast.state = CANCELLED
    broadcast.finished_at = now
    audit.record(
        session,
        actor=actor,
        actor_official_id=broadcast.admin_official_id,
        action="broadcast.cancel",
        subject=broadcast.subject,
        affected=dropped,
        at=now,
    )
    return dropped


async def active(session: AsyncSession) -> list[Broadcast]:
    rows = await session.scalars(select(Broadcast).where(Broadcast.state == QUEUED))
    return list(rows)


def progress_text(broadcast: Broadcast, p: Progress) -> str:
    done = p.total - p.pending
    if p.finished or broadcast.state != QUEUED:
        head = (
            _("⏹ Announcement #{id} stopped.")
            if broadcast.state == CANCELLED
            else _("✅ Announcement #{id} finished.")
        ).format(id=broadcast.id)
        return "\n".join(
            [
                head,
                _("Delivered: {n}").format(n=_num(p.sent)),
                _("Blocked the bot: {n}").format(n=_num(p.blocked)),
                _("Failed or not sent: {n}").format(n=_num(p.failed)),
                _("Not linked to the bot: {n}").format(n=_num(p.not_linked)),
            ]
        )
    return _("📣 Announcement #{id}: sent {done}/{total} · {errors} errors").format(
        id=broadcast.id, done=_num(done), total=_num(p.total), errors=_num(p.blocked + p.failed)
    )


def _num(n: int) -> str:
    return format_number(n)
