"""How long personal data is kept: uploaded files' contents cleared once used or cancelled
and after `upload_days` at the latest; the texts (and buttons, which name people) of
notices that reached a final state pruned after `notice_text_days`; audit entries deleted
after `audit_years`; a self-reported certificate's file reference dropped
`certificate_file_days` after HR decided it (its bytes went at the decision). In the
caller's transaction; the scheduler runs it hourly."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, null, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.audit import AuditEntry
from models.imports.uploads import PendingUpload
from models.notices.outbox import TERMINAL, Notice
from models.privacy.settings import PrivacySettings
from models.requirements import self_reported

ACTION = "retention.run"


@dataclass(frozen=True)
class RetentionStats:
    uploads_cleared: int
    notice_texts_pruned: int
    audit_deleted: int
    certificate_files_dropped: int = 0


def _years_before(now: datetime, years: int) -> datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def _count(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount or 0


async def apply_retention(
    session: AsyncSession, *, now: datetime, settings: PrivacySettings, actor: str = "scheduler"
) -> RetentionStats:
    uploads = await session.execute(
        update(PendingUpload)
        .where(
            or_(
                PendingUpload.consumed_at.is_not(None),
                PendingUpload.created_at < now - timedelta(days=settings.upload_days),
            ),
            func.length(PendingUpload.content) > 0,
        )
        .values(content=b"")
    )
    notices = await session.execute(
        update(Notice)
        .where(
            Notice.state.in_(sorted(TERMINAL)),
            func.coalesce(Notice.finished_at, Notice.created_at)
            < now - timedelta(days=settings.notice_text_days),
            Notice.text != "",
        )
        .values(text="", choices=null())  # SQL NULL, not JSON null
    )
    audits = await session.execute(
        delete(AuditEntry).where(AuditEntry.at < _years_before(now, settings.audit_years))
    )
    certificates = await self_reported.drop_old_files(
        session, now=now, days=settings.certificate_file_days
    )
    stats = RetentionStats(_count(uploads), _count(notices), _count(audits), certificates)
    audit.record(
        session,
        actor=actor,
        action=ACTION,
        affected=stats.uploads_cleared
        + stats.notice_texts_pruned
        + stats.audit_deleted
        + stats.certificate_files_dropped,
        detail={**asdict(stats), **asdict(settings), "contact": None},
        at=now,
    )
    return stats
