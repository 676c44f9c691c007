"""Revoking a certificate: by an admin whose scope reaches the course's owner unit (a course
without an owner unit only by a province admin), or from the command line; audited either
way, a refusal too, and the official told through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _, format_date
from models import audit
from models.certificates import codes
from models.certificates.issuing import by_code
from models.certificates.reminders import CERTIFICATE_EXPIRING
from models.certificates.store import Certificate
from models.courses.catalogue import Course
from models.courses.catalogue import by_code as by_course_code
from models.notices import outbox
from models.notices.texts import addressed
from models.org.admins import Scope, scope_of
from models.org.officials import Official
from models.org.units import OrgUnit

CERTIFICATE_REVOKED = "certificate_revoked"  # a notice kind (models/notices/outbox.py)
REVOKED_ACTION = "certificate.revoked"
DENIED_ACTION = "certificate.revoke_denied"
REASON_MAX = 500


class RevokeOutcome(StrEnum):
    REVOKED = "revoked"
    ALREADY = "already"  # revoked before: nothing changed
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"  # the admin's scope does not reach the course's unit
    NO_REASON = "no_reason"


@dataclass(frozen=True)
class RevokeResult:
    outcome: RevokeOutcome
    certificate: Certificate | None = None


async def may_revoke(session: AsyncSession, scope: Scope, certificate: Certificate) -> bool:
    return await reaches_course(session, scope, await session.get(Course, certificate.course_id))


async def reaches_course(session: AsyncSession, scope: Scope, course: Course | None) -> bool:
    owner_id = course.owner_unit_id if course is not None else None
    owner = await session.get(OrgUnit, owner_id) if owner_id is not None else None
    if owner is None:
        return scope.is_province
    return scope.reaches(owner.path)


async def find_for_admin(
    session: AsyncSession, admin: Official, code: str, *, actor: str, now: datetime
) -> Certificate | None:
    """The certificate of a typed code when this admin may revoke it; None both when there
    is none and when it is beyond their scope (an admin learns nothing about others'); an
    attempt beyond the scope is audited."""
    compact = codes.normalize(code)
    certificate = await by_code(session, compact) if compact else None
    if certificate is None:
        return None
    if not await may_revoke(session, await scope_of(session, admin), certificate):
        _record_denied(session, admin, certificate, actor=actor, now=now)
        return None
    return certificate


async def revocable_of_course(
    session: AsyncSession, admin: Official, course_code: str
) -> tuple[Course, list[Certificate]] | None:
    """A course's certificates still in force, by name, when the admin's scope reaches the
    course's owner unit; None when there is no such course or it is beyond their scope."""
    course = await by_course_code(session, course_code.strip())
    if course is None or not await reaches_course(session, await scope_of(session, admin), course):
        return None
    found = await session.scalars(
        select(Certificate)
        .where(Certificate.course_id == course.id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.full_name, Certificate.id)
    )
    return course, list(found)


async def for_admin_by_id(
    session: AsyncSession, admin: Official, certificate_id: int
) -> Certificate | None:
    """A certificate picked from a course's list: re-checked against the scope now (the
    button's id is untrusted)."""
    certificate = await session.get(Certificate, certificate_id)
    if certificate is None:
        return None
    if not await may_revoke(session, await scope_of(session, admin), certificate):
        return None
    return certificate


def _record_denied(
    session: AsyncSession, admin: Official, certificate: Certificate, *, actor: str, now: datetime
) -> None:
    audit.record(
        session,
        actor=actor,
        actor_official_id=admin.id,
        action=DENIED_ACTION,
        subject=str(certificate.id),
        detail={"certificate_id": certificate.id},
        at=now,
    )


def revoked_text(certificate: Certificate, reason: str, when: datetime, gender: str | None) -> str:
    return addressed(
        _(
            "{Title}'s certificate {code} for course {course} was revoked on {date}. "
            "Reason: {reason}. If {title} thinks this is a mistake, please contact the HR "
            "office."
        ),
        gender,
        code=codes.display(certificate.code),
        course=f"{certificate.course_code} · {certificate.course_title}",
        date=format_date(when.date()),
        reason=reason,
    )


async def revoke(
    session: AsyncSession,
    *,
    admin: Official | None,
    code: str,
    reason: str,
    now: datetime,
    actor: str,
    local_now: datetime | None = None,
) -> RevokeResult:
    """Revoke the certificate of `code`. `admin` is the chat's linked official (None: the
    command line, whose operator holds the database); `actor` names who acted in the audit
    log; `local_now` is `now` in the province's time zone, for the date told."""
    reason = " ".join(reason.split())[:REASON_MAX]
    compact = codes.normalize(code)
    certificate = await by_code(session, compact) if compact else None
    if certificate is None:
        return RevokeResult(RevokeOutcome.NOT_FOUND)
    if admin is not None and not await may_revoke(
        session, await scope_of(session, admin), certificate
    ):
        _record_denied(session, admin, certificate, actor=actor, now=now)
        # The chat answers it like an unknown code: a foreign admin learns nothing.
        return RevokeResult(RevokeOutcome.NOT_ALLOWED)
    if certificate.revoked_at is not None:
        return RevokeResult(RevokeOutcome.ALREADY, certificate)
    if not reason:
        return RevokeResult(RevokeOutcome.NO_REASON, certificate)
    certificate.revoked_at = now
    certificate.revoked_reason = reason
    certificate.revoked_by = actor[:200]
    audit.record(
        session,
        actor=actor,
        actor_official_id=admin.id if admin else None,
        action=REVOKED_ACTION,
        subject=str(certificate.id),
        affected=1,
        detail={
            "certificate_id": certificate.id,
            "official_id": certificate.official_id,
            "reason": reason,
        },
        at=now,
    )
    # A reminder to renew a certificate that no longer holds would mislead.
    await outbox.drop_pending(
        session,
        certificate.official_id,
        kinds=[CERTIFICATE_EXPIRING],
        reason="certificate revoked",
        now=now,
        subjects=[f"certificate:{certificate.id}:expiry"],
    )
    told = local_now or now
    await outbox.enqueue(
        session,
        official_id=certificate.official_id,
        kind=CERTIFICATE_REVOKED,
        subject=f"certificate:{certificate.id}",
        due_at=now,
        render=lambda official: revoked_text(certificate, reason, told, official.gender),
    )
    await session.flush()
    return RevokeResult(RevokeOutcome.REVOKED, certificate)
