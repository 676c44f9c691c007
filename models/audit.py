"""Audit log: who did what, when, to how many. Written in the caller's transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60), index=True)
    subject: Mapped[str | None] = mapped_column(String(200))
    affected: Mapped[int] = mapped_column(default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# Kept out of the audit log in clear: an auditor needs to see that they changed, not what
# they are (ethnicity is sensitive personal data under Decree 13/2023/NĐ-CP; languages
# often reveal it).
SENSITIVE_FIELDS = frozenset(
    {
        "phone",
        "birth_date",
        "ethnicity",
        "languages",
        "id_number",
        "id_number_hash",
        "id_number_masked",
        "citizen_id",
        "email",
    }
)


def masked(field: str, value: Any) -> Any:
    """A JSON-safe value for the audit log, masked if the field is sensitive."""
    if value is None or value == [] or value == "":
        return value
    if field in SENSITIVE_FIELDS:
        text = value if isinstance(value, str) else str(value)
        # The last digits of a phone tell an auditor which number it was without giving it.
        return "•" * max(len(text) - 3, 1) + text[-3:] if field == "phone" else "•••"
    if isinstance(value, date):
        return value.isoformat()
    return value


def chat_actor(channel: str, user_id: str, employee_code: str | None = None) -> str:
    """ "telegram:5550006" or, for a linked chat, "telegram:5550006 (DB000006)"."""
    account = f"{channel}:{user_id}"
    return f"{account} ({employee_code})" if employee_code else account


def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    actor_official_id: int | None = None,
    subject: str | None = None,
    affected: int = 0,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor,
        action=action,
        actor_official_id=actor_official_id,
        subject=subject,
        affected=affected,
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(entry)
    return entry
