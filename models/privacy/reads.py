"""Who read whose personal data: one audit entry per export, report or digest that shows
other officials' names, naming the reader (official and chat account) and what was read
(kind, scope, number of people)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.audit import AuditEntry

READ = "personal_data.read"
OUTBOX = "outbox"  # a digest is read in whichever linked chat the sender picks


def record_read(
    session: AsyncSession,
    *,
    reader_official_id: int,
    reader_code: str,
    account: str,
    kind: str,
    scope: Sequence[str],
    people: int,
    at: datetime,
    subject: str | None = None,
) -> AuditEntry:
    """`account` is "<channel>:<platform user id>" (or OUTBOX); `scope` the unit codes."""
    return audit.record(
        session,
        actor=account,
        actor_official_id=reader_official_id,
        action=READ,
        subject=(subject or kind)[:200],
        affected=people,
        detail={
            "kind": kind,
            "scope": list(scope),
            "people": people,
            "reader": reader_code,
            "account": account,
        },
        at=at,
    )
