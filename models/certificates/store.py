"""The certificate tables.

A certificate keeps what it certified as it was on the day it was issued (name, unit,
course, dates, periods, result, organiser): a document does not change when the roster or
the course is edited later. Verification attempts are kept apart from the audit log: the
attempt limit counts them per requester, and they hold no code that was not genuine.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Certificate(Base):
    __tablename__ = "certificates"
    # The reminder job's question, every minute: not planned yet, expiring soon. With the
    # planned ones first in the key, its cost stays flat as certificates accumulate.
    __table_args__ = (Index("ix_certificates_reminder_due", "reminder_planned_at", "expires_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("course_registrations.id"), unique=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)  # compact: "ABCDEFGHJK"
    full_name: Mapped[str] = mapped_column(String(200))
    unit_name: Mapped[str] = mapped_column(String(300))
    course_code: Mapped[str] = mapped_column(String(40))
    course_title: Mapped[str] = mapped_column(String(300))
    organiser: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    periods: Mapped[int | None]
    result: Mapped[str] = mapped_column(String(12))  # the registration's status: completed, …
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_by: Mapped[str | None] = mapped_column(String(200))
    # When the expiry reminder was written to the outbox: the course-notice job runs every
    # minute, and this keeps it from re-reading the certificates it already planned.
    reminder_planned_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VerificationAttempt(Base):
    __tablename__ = "certificate_verifications"
    __table_args__ = (Index("ix_certificate_verifications_requester_at", "requester", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "telegram:5550006" or "cli": who asked, never what they typed when it matched nothing.
    requester: Mapped[str] = mapped_column(String(120))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    found: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(default=utcnow)
