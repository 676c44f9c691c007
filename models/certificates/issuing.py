"""Issuing certificates: one per registration whose course was attended or completed, and
only once its evaluation is answered (Thông tư 10/2017/TT-BNV makes evaluating training a
duty; models/courses/evaluation_store.py keeps the answers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.base import insert_ignore, utcnow
from models.certificates import codes
from models.certificates.expiry import expiry_for
from models.certificates.store import Certificate
from models.courses.catalogue import Course
from models.courses.evaluation_store import has_answered
from models.courses.registrations import DONE, Registration
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.model import Catalogue
from models.requirements.store import current_catalogue
from models.requirements.training_records import TrainingRecord


class IssueOutcome(StrEnum):
    ISSUED = "issued"
    ALREADY = "already"  # issued before: the same certificate, the same code
    NOT_COMPLETED = "not_completed"  # registered, waitlisted, cancelled, absent
    EVALUATION_MISSING = "evaluation_missing"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class IssueResult:
    outcome: IssueOutcome
    certificate: Certificate | None = None
    registration: Registration | None = None
    course: Course | None = None


async def certificate_of_registration(
    session: AsyncSession, registration_id: int
) -> Certificate | None:
    return await session.scalar(
        select(Certificate).where(Certificate.registration_id == registration_id)
    )


async def by_code(session: AsyncSession, code: str) -> Certificate | None:
    """The certificate of a compact code (see codes.normalize)."""
    return await session.scalar(select(Certificate).where(Certificate.code == code))


async def _completed_on(session: AsyncSession, reg: Registration, course: Course) -> date:
    """The day the training record says it was completed (the closed roster's), else the
    course's last day."""
    if reg.training_record_id is not None:
        record = await session.get(TrainingRecord, reg.training_record_id)
        if record is not None:
            return record.completed_on
    return course.ends_on


async def _periods(session: AsyncSession, reg: Registration, course: Course) -> int | None:
    if reg.training_record_id is not None:
        record = await session.get(TrainingRecord, reg.training_record_id)
        if record is not None and record.periods is not None:
            return record.periods
    return course.periods


async def _fresh_code(session: AsyncSession) -> str:
    while True:
        code = codes.new_code()
        if await by_code(session, code) is None:
            return code


async def issue_certificate(
    session: AsyncSession,
    *,
    registration_id: int,
    today: date,
    catalogue: Catalogue | None = None,
) -> IssueResult:
    """The registration's certificate: issued now if the course is done and evaluated,
    the existing one if issued before (never a second code), else why not. Safe to call
    twice at once: the registration's certificate is inserted if missing."""
    reg = await session.get(Registration, registration_id)
    if reg is None:
        return IssueResult(IssueOutcome.NOT_FOUND)
    course = await session.get(Course, reg.course_id)
    assert course is not None
    existing = await certificate_of_registration(session, reg.id)
    if existing is not None:
        return IssueResult(IssueOutcome.ALREADY, existing, reg, course)
    if reg.status not in DONE:
        return IssueResult(IssueOutcome.NOT_COMPLETED, None, reg, course)
    if not await has_answered(session, reg.id):
        return IssueResult(IssueOutcome.EVALUATION_MISSING, None, reg, course)
    official = await session.get(Official, reg.official_id)
    assert official is not None
    unit = await session.get(OrgUnit, official.unit_id)
    catalogue = catalogue or await current_catalogue(session)
    completed_on = await _completed_on(session, reg, course)
    values = {
        "registration_id": reg.id,
        "official_id": official.id,
        "course_id": course.id,
        "code": await _fresh_code(session),
        "full_name": official.full_name,
        "unit_name": unit.name if unit is not None else "",
        "course_code": course.code,
        "course_title": course.title,
        "organiser": course.organiser,
        "starts_on": course.starts_on,
        "ends_on": course.ends_on,
        "periods": await _periods(session, reg, course),
        "result": reg.status,
        "issued_on": today,
        "expires_on": expiry_for(catalogue, course.kind, completed_on),
        "created_at": utcnow(),
    }
    await insert_ignore(session, Certificate.__table__, values, ["registration_id"])
    made = await session.scalar(
        select(Certificate)
        .where(Certificate.registration_id == reg.id)
        .execution_options(populate_existing=True)
    )
    assert made is not None
    outcome = IssueOutcome.ISSUED if made.code == values["code"] else IssueOutcome.ALREADY
    return IssueResult(outcome, made, reg, course)


@dataclass(frozen=True)
class Entry:
    """One done course in the official's certificate list."""

    registration_id: int
    course: Course
    outcome: IssueOutcome  # ISSUED/ALREADY: `certificate` is set; else EVALUATION_MISSING
    certificate: Certificate | None


async def certificates_for(session: AsyncSession, official_id: int, *, today: date) -> list[Entry]:
    """The official's done courses, newest first, each with its certificate (issued now
    where it is due) or the reason it is not there yet."""
    regs = await session.scalars(
        select(Registration)
        .join(Course, Course.id == Registration.course_id)
        .where(Registration.official_id == official_id, Registration.status.in_(DONE))
        .order_by(Course.ends_on.desc(), Registration.id.desc())
    )
    catalogue: Catalogue | None = None
    found: list[Entry] = []
    for reg in list(regs):
        existing = await certificate_of_registration(session, reg.id)
        if existing is None and catalogue is None:
            catalogue = await current_catalogue(session, max_age=60)
        result = await issue_certificate(
            session, registration_id=reg.id, today=today, catalogue=catalogue
        )
        assert result.course is not None
        found.append(Entry(reg.id, result.course, result.outcome, result.certificate))
    return found


async def certificate_by_id(session: AsyncSession, certificate_id: int) -> Certificate | None:
    return await session.get(Certificate, certificate_id)
