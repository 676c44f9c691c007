"""Proactive sending (notices, broadcasts) through any channel, with outcomes the outbox
can record. Interactive replies do not use this: they go back the way the update came.

A transport classifies every attempt, because the outbox must know whether to retry:
a send that may have reached the person (a timeout after the request left) must not be
repeated blindly — Telegram has no idempotency key.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from handlers.types import Reply


class Outcome(enum.Enum):
    SENT = "sent"  # delivered
    BLOCKED = "blocked"  # the person blocked the bot / account gone: never try again
    RETRY = "retry"  # known not delivered (429, 5xx, connect error): safe to try again
    FAILED = "failed"  # permanent error for this message (400 bad request…)
    UNKNOWN = "unknown"  # may or may not have been delivered (read timeout): do not repeat


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_after: float | None = None  # seconds the platform asked everyone to wait (429)
    error: str | None = None  # short, token-free description for the outbox row
    message_id: str | None = None


class Transport(Protocol):
    """One chat platform's outbound side. The attributes are read-only to the sender (a
    class attribute satisfies them)."""

    @property
    def channel(self) -> str: ...

    @property
    def numbered_choices(self) -> bool:
        """True when choices arrive as a numbered list, not buttons (Zalo): the sender then
        remembers a delivered notice's choices so "1" picks one (models.chat.dialogs)."""
        ...

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        """Send one reply (text, choices, attachments) to one chat and classify the result.
        Never raises for platform errors; only programming errors escape."""
        ...
