"""Keeps each running broadcast's progress message up to date and sends the final report.

Runs beside the notice sender. It reads counts from the outbox (the database is the only
shared memory), so it works across restarts and whichever process sends. Where the channel
can edit messages (Telegram) one progress message is edited in place; elsewhere (Zalo) a
new message goes out at each quarter and at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from sqlalchemy import select

from bot.db import Database
from bot.transport import Outcome, Transport
from handlers.payloads import BROADCAST_MISSED, BROADCAST_RESEND, BROADCAST_STOP
from handlers.types import Choice, Reply
from locales import _, format_number, ngettext, use_locale
from models.base import utcnow
from models.chat.accounts import ChatAccount
from models.notices import broadcasts

log = logging.getLogger(__name__)


async def refresh_once(db: Database, transports: Mapping[str, Transport]) -> int:
    """One pass over the running broadcasts; returns how many messages it sent or edited."""
    async with db.transaction() as session:
        work = []
        for broadcast in await broadcasts.active(session):
            progress = await broadcasts.progress(session, broadcast)
            locale = await session.scalar(
                select(ChatAccount.locale).where(
                    ChatAccount.channel == broadcast.admin_channel,
                    ChatAccount.chat_id == broadcast.admin_chat_id,
                )
            )
            with use_locale(locale):
                text = broadcasts.progress_text(broadcast, progress)
                choices = _choices(broadcast, progress)
            if text == broadcast.progress_text:
                continue
            transport = transports.get(broadcast.admin_channel)
            can_edit = getattr(transport, "edit", None) is not None
            # Channels that cannot edit (Zalo) get the final report only, not a stream of
            # near-identical progress messages.
            if not progress.finished and not can_edit:
                continue
            work.append(
                (
                    broadcast.id,
                    broadcast.admin_channel,
                    broadcast.admin_chat_id,
                    broadcast.progress_message_id,
                    text,
                    progress.finished,
                    choices,
                )
            )
    changed = 0
    for broadcast_id, channel, chat_id, message_id, text, finished, choices in work:
        transport = transports.get(channel)
        if transport is None:
            continue
        reply = Reply(text, choices=choices)
        edit = getattr(transport, "edit", None)
        if message_id and edit is not None:
            result = await edit(chat_id, message_id, reply)
        else:
            result = await transport.send(chat_id, reply)
        if result.outcome is not Outcome.SENT:
            log.info("broadcast %s progress not delivered: %s", broadcast_id, result.error)
            continue
        changed += 1
        async with db.transaction() as session:
            row = await session.get(broadcasts.Broadcast, broadcast_id)
            if row is None:
                continue
            row.progress_text = text
            row.progress_message_id = result.message_id or message_id
            if finished and row.state == broadcasts.QUEUED:
                row.state = broadcasts.DONE
            if finished and row.finished_at is None:
                # A stopped broadcast is closed here too, once its final figures are shown.
                row.finished_at = utcnow()
    return changed


def _choices(broadcast: broadcasts.Broadcast, progress: broadcasts.Progress) -> tuple[Choice, ...]:
    """Stop while sending; at the end, send again to those it missed and their list.
    A stopped broadcast still finishing its messages in flight offers nothing."""
    if not progress.finished:
        if broadcast.state != broadcasts.QUEUED:
            return ()
        return (Choice(_("⏹ Stop sending"), BROADCAST_STOP.pack(id=broadcast.id)),)
    if not progress.resendable:
        return ()
    return (
        Choice(
            ngettext(
                "Send again to {n} person who did not receive it",
                "Send again to {n} people who did not receive it",
                progress.resendable,
            ).format(n=format_number(progress.resendable)),
            BROADCAST_RESEND.pack(id=broadcast.id),
        ),
        Choice(
            _("📄 List of those who did not receive it"), BROADCAST_MISSED.pack(id=broadcast.id)
        ),
    )


async def run(
    db: Database, transports: Mapping[str, Transport], stop: asyncio.Event, interval: float = 3.0
) -> None:
    while not stop.is_set():
        try:
            await refresh_once(db, transports)
        except Exception:  # a progress message must never stop the sending itself
            log.exception("broadcast progress refresh failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
