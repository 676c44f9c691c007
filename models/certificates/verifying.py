"""Verifying a certificate by its code, for anyone.

The answer names only what a certificate says (name, unit, course, dates, issuer) and its
status: no birth date, ethnicity or ID number. An unknown code gets the same answer
whatever it resembles. Every attempt is logged with who asked (the chat account, or "cli")
and, for a genuine code only, which certificate; a requester with too many unknown codes in
the window is refused for a while without the code being looked up, so codes cannot be
enumerated from a chat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.certificates import codes
from models.certificates.issuing import by_code
from models.certificates.store import Certificate, VerificationAttempt


class Verdict(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_FOUND = "not_found"
    LIMITED = "limited"  # too many unknown codes from this requester lately


@dataclass(frozen=True)
class AttemptLimit:
    failures: int = 10
    window: timedelta = timedelta(hours=1)


DEFAULT_LIMIT = AttemptLimit()


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    code: str | None = None  # as shown, for a genuine certificate
    full_name: str | None = None
    unit_name: str | None = None
    course_code: str | None = None
    course_title: str | None = None
    organiser: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    issued_on: date | None = None
    expires_on: date | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


async def recent_failures(
    session: AsyncSession, requester: str, *, now: datetime, window: timedelta
) -> int:
    return (
        await session.scalar(
            select(func.count(VerificationAttempt.id)).where(
                VerificationAttempt.requester == requester,
                VerificationAttempt.found.is_(False),
                VerificationAttempt.at > now - window,
            )
        )
    ) or 0


def _view(certificate: Certificate, verdict: Verdict) -> Verification:
    return Verification(
        verdict,
        codes.display(certificate.code),
        certificate.full_name,
        certificate.unit_name,
        certificate.course_code,
        certificate.course_title,
        certificate.organiser,
        certificate.starts_on,
        certificate.ends_on,
        certificate.issued_on,
        certificate.expires_on,
        certificate.revoked_at,
        certificate.revoked_reason,
    )


def verdict_of(certificate: Certificate, today: date) -> Verdict:
    if certificate.revoked_at is not None:
        return Verdict.REVOKED
    if certificate.expires_on is not None and certificate.expires_on < today:
        return Verdict.EXPIRED
    return Verdict.VALID


async def verify(
    session: AsyncSession,
    code: str,
    today: date,
    *,
    now: datetime,
    requester: str = "cli",
    limit: AttemptLimit | None = DEFAULT_LIMIT,
) -> Verification:
    """What the code certifies and whether it still holds on `today`. `limit=None` for the
    command line (its operator can read the database anyway)."""
    if limit is not None:
        failures = await recent_failures(session, requester, now=now, window=limit.window)
        if failures >= limit.failures:
            return Verification(Verdict.LIMITED)
    compact = codes.normalize(code)
    certificate = await by_code(session, compact) if compact else None
    session.add(
        VerificationAttempt(
            requester=requester[:120],
            certificate_id=certificate.id if certificate else None,
            found=certificate is not None,
            at=now,
        )
    )
    if certificate is None:
        return Verification(Verdict.NOT_FOUND)
    return _view(certificate, verdict_of(certificate, today))
