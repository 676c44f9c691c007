"""Admin broadcasts: one row per announcement, its recipients as rows of the notice outbox.

Queueing inserts every recipient's notice in one transaction, keyed by the broadcast, so a
restart resumes from the outbox and nobody gets a second copy (beyond sends in flight at a
crash, which the outbox records as "unknown"). Progress and the final report are counts of
the outbox rows' states.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales import _, format_number, ngettext, use_locale
from models import audit
from models.base import Base
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices
from models.notices.reception import CANCELLED_BY_ADMIN, Reception, classify

DRAFT, QUEUED, CANCELLED, DONE = "draft", "queued", "cancelled", "done"
RESEND = "resend"  # audience_kind of a broadcast sent again to those another one missed
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
    """A broadcast's recipients by what happened to them (models/notices/reception)."""

    total: int  # messages queued
    pending: int  # waiting or being sent
    sent: int
    stopped: int  # withdrawn by "stop sending" before they were sent
    failed: int  # failed for good, or the answer was lost
    blocked: int  # blocked the bot: before the broadcast or answered so during it
    not_linked: int

    @property
    def finished(self) -> bool:
        return self.pending == 0

    @property
    def resendable(self) -> int:
        """How many "send again" would reach (Reception.RESENDABLE)."""
        return self.failed + self.stopped


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
    by_zns: Iterable[int] = (),
) -> int:
    """Write one outbox row per reachable recipient; returns how many. The caller has set
    `recipients`, `not_linked` and `unreachable` from the preview it showed. `by_zns`: the
    officials the channel order reaches by ZNS (models/notices/zns_estimate.py), queued
    even without a linked chat; the sender hands their rows to ZNS."""
    recipients = await linked_chats(session, official_ids)
    phone_only = sorted(set(by_zns) - set(recipients))
    if phone_only:
        recipients.update(await notices.recipient_locales(session, phone_only))
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
    rows = await session.execute(
        select(notices.Notice.state, notices.Notice.last_error, func.count())
        .where(
            notices.Notice.kind == notices.BROADCAST, notices.Notice.subject == broadcast.subject
        )
        .group_by(notices.Notice.state, notices.Notice.last_error)
    )
    counts: Counter[Reception] = Counter()
    total = 0
    for state, last_error, n in rows:
        counts[classify(linked=True, reachable=True, state=state, last_error=last_error)] += n
        total += n
    # Those without a row were counted when the broadcast was queued, by the same rule.
    counts[classify(linked=False, reachable=False)] += broadcast.not_linked
    counts[classify(linked=True, reachable=False)] += broadcast.unreachable
    return Progress(
        total=total,
        pending=counts[Reception.PENDING],
        sent=counts[Reception.SENT],
        stopped=counts[Reception.STOPPED],
        failed=counts[Reception.FAILED],
        blocked=counts[Reception.BLOCKED],
        not_linked=counts[Reception.NOT_LINKED],
    )


@dataclass(frozen=True)
class Missed:
    """A recipient the message did not reach, for the list and for "send again"."""

    official_id: int
    reception: Reception


async def missed(session: AsyncSession, broadcast: Broadcast) -> list[Missed]:
    """Recipients with an outbox row that did not receive the message, by official id.
    (Those never queued — not linked, or blocked before — are only counted.)"""
    rows = await session.execute(
        select(notices.Notice.official_id, notices.Notice.state, notices.Notice.last_error)
        .where(
            notices.Notice.kind == notices.BROADCAST, notices.Notice.subject == broadcast.subject
        )
        .order_by(notices.Notice.official_id)
    )
    out = []
    for official_id, state, last_error in rows:
        reception = classify(linked=True, reachable=True, state=state, last_error=last_error)
        if reception not in (Reception.SENT, Reception.PENDING):
            out.append(Missed(official_id, reception))
    return out


async def resent_as(session: AsyncSession, broadcast: Broadcast) -> Broadcast | None:
    """The broadcast that already sent this one again, if any: one resend per report."""
    return await session.scalar(
        select(Broadcast).where(
            Broadcast.audience_kind == RESEND, Broadcast.audience_value == str(broadcast.id)
        )
    )


def is_closed(broadcast: Broadcast) -> bool:
    """Finished or stopped, with its final figures reported."""
    return broadcast.state in (DONE, CANCELLED) and broadcast.finished_at is not None


async def cancel(session: AsyncSession, broadcast: Broadcast, *, now: datetime, actor: str) -> int:
    """Withdraw what has not been claimed yet; rows being sent finish normally."""
    result = await session.execute(
        update(notices.Notice)
        .where(
            notices.Notice.kind == notices.BROADCAST,
            notices.Notice.subject == broadcast.subject,
            notices.Notice.state == notices.PENDING,
        )
        .values(state=notices.DROPPED, last_error=CANCELLED_BY_ADMIN, finished_at=now)
    )
    dropped = max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    # finished_at stays empty until the progress message shows the final figures
    # (bot/broadcast_progress.py): rows being sent right now still have to finish.
    broadcast.state = CANCELLED
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
    """Broadcasts whose progress message is still open: being sent, or stopped and not
    yet reported with their final figures."""
    rows = await session.scalars(
        select(Broadcast).where(
            or_(
                Broadcast.state == QUEUED,
                and_(Broadcast.state == CANCELLED, Broadcast.finished_at.is_(None)),
            )
        )
    )
    return list(rows)


def progress_text(broadcast: Broadcast, p: Progress) -> str:
    if not p.finished:
        head = (
            _("⏹ Announcement #{id}: stopping; messages already on their way finish first.")
            if broadcast.state == CANCELLED
            else _("📣 Announcement #{id}: sending.")
        ).format(id=broadcast.id)
        return "\n".join(
            [
                head,
                _(
                    "Delivered {sent} of {total} · failed: {failed} · blocked the bot: {blocked}"
                ).format(
                    sent=_num(p.sent),
                    total=_num(p.total),
                    failed=_num(p.failed),
                    blocked=_num(p.blocked),
                ),
            ]
        )
    stopped = broadcast.state == CANCELLED
    lines = [
        (
            _("⏹ Announcement #{id} stopped.") if stopped else _("✅ Announcement #{id} finished.")
        ).format(id=broadcast.id),
        _("Delivered: {n}").format(n=_num(p.sent)),
    ]
    if stopped or p.stopped:
        lines.append(_("Stopped before sending: {n}").format(n=_num(p.stopped)))
    lines += [
        _("Failed or not sent: {n}").format(n=_num(p.failed)),
        _("Blocked the bot: {n}").format(n=_num(p.blocked)),
        _("Not linked to the bot: {n}").format(n=_num(p.not_linked)),
    ]
    if p.resendable:
        lines.append(
            ngettext(
                "{n} person did not receive it. You can send it to them again, or get their "
                "list as a spreadsheet.",
                "{n} people did not receive it. You can send it to them again, or get their "
                "list as a spreadsheet.",
                p.resendable,
            ).format(n=_num(p.resendable))
        )
    return "\n".join(lines)


def _num(n: int) -> str:
    return format_number(n)
