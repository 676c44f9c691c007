"""Self-reported certificates (issue #16 point 8): an official sends a photo or PDF of a
certificate earned elsewhere, HR of their unit verifies or rejects it, and a verified one
becomes a training record.

A submission starts as a DRAFT the moment the file arrives (the fields follow in a few chat
steps), becomes PENDING when the official sends it, then VERIFIED or REJECTED by an admin
whose scope reaches the official's unit.

The file: the platform's file id is the reference kept with the submission. The bytes are
kept too, but only until the decision: the reviewing admin may read on another channel than
the sender (a Telegram file id means nothing to Zalo, and Zalo's image URLs expire), and the
bytes had to be read anyway to check what the file really is. At the decision they are
cleared; the reference is dropped `PrivacySettings.certificate_file_days` after it
(models/privacy/retention.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import (
    CursorResult,
    ForeignKey,
    LargeBinary,
    String,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales import _, format_date
from models import audit
from models.base import Base, insert_ignore
from models.notices import outbox
from models.notices.texts import addressed
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.training_records import TrainingRecord, import_key
from models.vocabulary import N_

DRAFT = "draft"
PENDING = "pending"
VERIFIED = "verified"
REJECTED = "rejected"

SOURCE = "self_reported"  # training_records.source of a verified submission
NOTICE_KIND = "self_report_decided"
# A draft the official walked away from is deleted, bytes and all, after this.
DRAFT_TTL = timedelta(days=1)

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
# What the file's first bytes say it is: the name and the declared type are the sender's.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"%PDF-", PDF),
)
DEFAULT_MAX_BYTES = 10_000_000

# Reasons HR picks from; the text shown is translated, the code is stored.
REASONS: dict[str, str] = {
    "unreadable": N_("the file cannot be read clearly"),
    "not_certificate": N_("it is not a certificate of completion"),
    "mismatch": N_("the details do not match the certificate"),
    "not_recognised": N_("the issuing institution is not recognised"),
}
OTHER_REASON = "other"


class SelfReport(Base):
    __tablename__ = "self_reported_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    kind: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(300))
    completed_on: Mapped[date | None]
    periods: Mapped[int | None]
    # The platform's reference to the file (Telegram file_id), and on which platform.
    channel: Mapped[str] = mapped_column(String(20))
    file_ref: Mapped[str | None] = mapped_column(String(200))
    mime_type: Mapped[str | None] = mapped_column(String(40))
    file_size: Mapped[int] = mapped_column(default=0)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # until decided (see above)
    created_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None] = mapped_column(index=True)
    decided_by_official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    training_record_id: Mapped[int | None] = mapped_column(ForeignKey("training_records.id"))


@dataclass(frozen=True)
class SelfReportSettings:
    max_bytes: int = DEFAULT_MAX_BYTES  # SELF_REPORT_MAX_MB


FileRefusal = Literal["too_large", "wrong_type", "empty"]


def file_type(content: bytes) -> str | None:
    """JPEG, PNG or PDF by the file's own first bytes; None for anything else."""
    for signature, mime in _SIGNATURES:
        if content.startswith(signature):
            return mime
    return None


def check_file(content: bytes, *, too_large: bool, max_bytes: int) -> str | FileRefusal:
    """The real type of an acceptable file, or why it is refused."""
    if too_large or len(content) > max_bytes:
        return "too_large"
    if not content:
        return "empty"
    return file_type(content) or "wrong_type"


async def start_draft(
    session: AsyncSession,
    *,
    official: Official,
    channel: str,
    file_ref: str | None,
    content: bytes,
    mime_type: str,
    now: datetime,
) -> SelfReport:
    """The file arrived (already checked with `check_file`): a draft that the next chat
    steps fill. The official's earlier unfinished drafts go: one file per submission."""
    await session.execute(
        delete(SelfReport).where(SelfReport.official_id == official.id, SelfReport.status == DRAFT)
    )
    report = SelfReport(
        official_id=official.id,
        status=DRAFT,
        channel=channel,
        file_ref=(file_ref or "")[:200] or None,
        mime_type=mime_type,
        file_size=len(content),
        content=content,
        created_at=now,
    )
    session.add(report)
    await session.flush()
    return report


async def draft_of(session: AsyncSession, official: Official, report_id: int) -> SelfReport | None:
    """The official's own draft with this id, or None (someone else's, sent, or gone)."""
    report = await session.get(SelfReport, report_id)
    if report is None or report.official_id != official.id or report.status != DRAFT:
        return None
    return report


async def discard_draft(session: AsyncSession, official: Official, report_id: int) -> bool:
    """The official cancelled before sending: the draft and its file go at once."""
    report = await draft_of(session, official, report_id)
    if report is None:
        return False
    await session.delete(report)
    return True


def submit(report: SelfReport, *, kind: str, title: str, completed_on: date,
           periods: int | None, now: datetime) -> None:  # fmt: skip
    """The draft, with its fields, goes to HR's queue."""
    if report.status != DRAFT:
        raise ValueError("only a draft can be submitted")
    report.kind, report.title = kind, title[:300]
    report.completed_on, report.periods = completed_on, periods
    report.status, report.submitted_at = PENDING, now


# --- the HR queue --------------------------------------------------------------------------


def _in_scope(scope: Scope) -> Any:
    """The submissions whose official's unit lies under one of the scope's units."""
    return or_(*(OrgUnit.path.startswith(u.path, autoescape=True) for u in scope.units))


def _pending_in(scope: Scope, reviewer_id: int) -> Any:
    """Pending submissions the scope reaches, the reviewer's own left out: an admin never
    verifies their own certificate (another admin whose scope reaches them does)."""
    return (
        select(SelfReport)
        .join(Official, Official.id == SelfReport.official_id)
        .join(OrgUnit, OrgUnit.id == Official.unit_id)
        .where(
            SelfReport.status == PENDING,
            SelfReport.official_id != reviewer_id,
            _in_scope(scope),
        )
    )


async def pending_count(session: AsyncSession, scope: Scope, *, reviewer_id: int) -> int:
    if not scope.is_admin:
        return 0
    query = _pending_in(scope, reviewer_id).with_only_columns(func.count(SelfReport.id))
    return int(await session.scalar(query) or 0)


async def next_pending(
    session: AsyncSession, scope: Scope, *, reviewer_id: int, after_id: int = 0
) -> SelfReport | None:
    """The oldest pending submission the scope reaches (after `after_id`, to skip one)."""
    if not scope.is_admin:
        return None
    query = (
        _pending_in(scope, reviewer_id)
        .where(SelfReport.id > after_id)
        .order_by(SelfReport.id)
        .limit(1)
    )
    found = await session.scalar(query)
    if found is None and after_id:
        # wrap around to the oldest
        return await next_pending(session, scope, reviewer_id=reviewer_id)
    return found


@dataclass(frozen=True)
class Review:
    """One submission as HR reviews it."""

    report: SelfReport
    official: Official
    unit: OrgUnit


Refusal = Literal["unknown", "foreign", "own", "decided"]


async def for_review(
    session: AsyncSession, scope: Scope, report_id: int, *, reviewer_id: int
) -> Review | Refusal:
    """The submission if this admin (`reviewer_id`, holding `scope`) may decide it now;
    else why not. Nobody decides their own submission."""
    report = await session.get(SelfReport, report_id)
    if report is None or report.status == DRAFT:
        return "unknown"
    if report.official_id == reviewer_id:
        return "own"
    official = await session.get(Official, report.official_id)
    unit = await session.get(OrgUnit, official.unit_id) if official is not None else None
    if official is None or unit is None or not scope.reaches(unit.path):
        return "foreign"
    if report.status != PENDING:
        return "decided"
    return Review(report, official, unit)


@dataclass(frozen=True)
class Decision:
    report: SelfReport
    status: str  # VERIFIED or REJECTED
    training_record_id: int | None


async def verify(
    session: AsyncSession,
    report_id: int,
    *,
    admin: Official,
    scope: Scope,
    actor: str,
    now: datetime,
) -> Decision | Refusal:
    """A training record from the submission's fields (the same record again if it exists
    already: a re-import or an earlier decision), and the official told via the outbox."""
    review = await _lock_for_decision(session, scope, report_id, admin)
    if isinstance(review, str):
        audit_refusal(session, report_id, review, admin=admin, actor=actor, now=now)
        return review
    report, official = review.report, review.official
    assert report.kind is not None and report.completed_on is not None
    key = import_key(official.id, report.kind, report.completed_on, None, report.title)
    await insert_ignore(
        session,
        TrainingRecord.__table__,
        {
            "official_id": official.id,
            "kind": report.kind,
            "program_code": None,
            "title": report.title,
            "periods": report.periods,
            "completed_on": report.completed_on,
            "certificate_no": None,
            "provider": None,
            "source": SOURCE,
            "import_key": key,
            "created_at": now,
            "updated_at": now,
        },
        ["import_key"],
    )
    record_id = await session.scalar(
        select(TrainingRecord.id).where(TrainingRecord.import_key == key)
    )
    _decide(report, VERIFIED, admin, now, reason=None)
    report.training_record_id = record_id
    audit.record(
        session,
        actor=actor,
        actor_official_id=admin.id,
        action="self_report.verified",
        subject=official.employee_code,
        affected=1,
        detail={"submission": report.id, "training_record": record_id},
        at=now,
    )
    await _tell(session, report, official, now)
    return Decision(report, VERIFIED, record_id)


async def reject(
    session: AsyncSession,
    report_id: int,
    *,
    admin: Official,
    scope: Scope,
    reason: str,
    actor: str,
    now: datetime,
) -> Decision | Refusal:
    """`reason` is one of REASONS' codes or HR's own words; the official is told it."""
    review = await _lock_for_decision(session, scope, report_id, admin)
    if isinstance(review, str):
        audit_refusal(session, report_id, review, admin=admin, actor=actor, now=now)
        return review
    report, official = review.report, review.official
    _decide(report, REJECTED, admin, now, reason=reason.strip()[:500] or OTHER_REASON)
    audit.record(
        session,
        actor=actor,
        actor_official_id=admin.id,
        action="self_report.rejected",
        subject=official.employee_code,
        affected=1,
        detail={"submission": report.id, "reason": report.reason},
        at=now,
    )
    await _tell(session, report, official, now)
    return Decision(report, REJECTED, None)


def reason_text(reason: str | None) -> str:
    """The reason in the current language (a code's label, else HR's words as typed)."""
    if reason is None:
        return ""
    if reason in REASONS:
        return _(REASONS[reason])
    return reason


async def _lock_for_decision(
    session: AsyncSession, scope: Scope, report_id: int, admin: Official
) -> Review | Refusal:
    # Two admins pressing at once: the row lock makes the second see "decided".
    await session.scalar(select(SelfReport.id).where(SelfReport.id == report_id).with_for_update())
    found = await for_review(session, scope, report_id, reviewer_id=admin.id)
    if not isinstance(found, str):
        await session.refresh(found.report)
        if found.report.status != PENDING:
            return "decided"
    return found


def _decide(
    report: SelfReport, status: str, admin: Official, now: datetime, *, reason: str | None
) -> None:
    report.status, report.decided_at = status, now
    report.decided_by_official_id, report.reason = admin.id, reason
    report.content = None  # the bytes were kept for the decision only


def audit_refusal(
    session: AsyncSession,
    report_id: int,
    refusal: Refusal,
    *,
    admin: Official,
    actor: str,
    now: datetime,
) -> None:
    audit.record(
        session,
        actor=actor,
        actor_official_id=admin.id,
        action="self_report.refused",
        subject=str(report_id),
        detail={"why": refusal},
        at=now,
    )


MSG_VERIFIED = N_(
    "✅ The HR office has verified the certificate {title} sent: “{name}” ({date}). It is "
    "now in {title}'s training records."
)
MSG_REJECTED = N_(
    "❌ The HR office could not accept the certificate {title} sent: “{name}” ({date}). "
    "Reason: {reason}. {Title} may send it again with /yeucau → “📤 Send an external "
    "certificate”, or contact the HR office."
)


async def _tell(
    session: AsyncSession, report: SelfReport, official: Official, now: datetime
) -> None:
    """Through the outbox, so quiet hours and the official's channel apply like any notice."""
    done = report.completed_on
    assert done is not None

    def render(who: Official) -> str:
        values = {"name": report.title or "", "date": format_date(done)}
        if report.status == VERIFIED:
            return addressed(_(MSG_VERIFIED), who.gender, **values)
        return addressed(_(MSG_REJECTED), who.gender, reason=reason_text(report.reason), **values)

    await outbox.enqueue(
        session,
        official_id=official.id,
        kind=NOTICE_KIND,
        subject=f"self_report:{report.id}",
        due_at=now,
        render=render,
    )


# --- what an official has sent, and retention ----------------------------------------------


async def submissions_of(session: AsyncSession, official_id: int) -> list[SelfReport]:
    rows = await session.scalars(
        select(SelfReport)
        .where(SelfReport.official_id == official_id, SelfReport.status != DRAFT)
        .order_by(SelfReport.id)
    )
    return list(rows)


async def drop_old_files(session: AsyncSession, *, now: datetime, days: int) -> int:
    """Clear the file reference `days` after the decision; delete abandoned drafts."""
    dropped = await session.execute(
        update(SelfReport)
        .where(
            SelfReport.decided_at.is_not(None),
            SelfReport.decided_at < now - timedelta(days=days),
            SelfReport.file_ref.is_not(None) | SelfReport.content.is_not(None),
        )
        .values(file_ref=None, content=None)
    )
    drafts = await session.execute(
        delete(SelfReport).where(
            SelfReport.status == DRAFT, SelfReport.created_at < now - DRAFT_TTL
        )
    )
    return _count(dropped) + _count(drafts)


def _count(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount or 0
