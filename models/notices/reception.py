"""What happened to one recipient of a broadcast, defined once.

The preview (before anything is queued), the progress message and the final report all
count recipients with `classify`, so a blocked official is "blocked the bot" everywhere and
never "not linked", and the report's figures add up to the audience.
"""

from __future__ import annotations

from enum import StrEnum

from models.notices import outbox as notices

CANCELLED_BY_ADMIN = "cancelled by the admin"  # the last_error of rows a stop withdrew


class Reception(StrEnum):
    SENT = "sent"
    PENDING = "pending"  # waiting or being sent
    STOPPED = "stopped"  # withdrawn by "stop sending" before it was sent
    FAILED = "failed"  # failed for good, or the answer was lost (may not have arrived)
    BLOCKED = "blocked"  # every linked chat account blocked the bot
    NOT_LINKED = "not_linked"  # no chat account linked to the official


# Who "send again" reaches: the message may simply not have arrived. Blocked and unlinked
# officials are left out: another send cannot reach them.
RESENDABLE = frozenset({Reception.FAILED, Reception.STOPPED})


def classify(
    *,
    linked: bool,
    reachable: bool,
    state: str | None = None,
    last_error: str | None = None,
) -> Reception:
    """One recipient: `linked`/`reachable` describe their chat accounts, `state` and
    `last_error` their outbox row (None before it is queued, or when none was written)."""
    if state is None:
        if not linked:
            return Reception.NOT_LINKED
        return Reception.PENDING if reachable else Reception.BLOCKED
    if state in (notices.PENDING, notices.SENDING):
        return Reception.PENDING
    if state == notices.SENT:
        return Reception.SENT
    if state == notices.BLOCKED:
        return Reception.BLOCKED
    if state == notices.DROPPED and last_error == CANCELLED_BY_ADMIN:
        return Reception.STOPPED
    if state == notices.DROPPED and last_error == notices.NOT_LINKED:
        return Reception.NOT_LINKED  # unlinked between queueing and sending
    return Reception.FAILED  # failed, unknown outcome, or dropped for another reason
