"""Point 15 of issue #11: retention as settings, applied by a scheduler job whose runs are
logged and audited with their counts. On SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from models.audit import AuditEntry
from models.imports.uploads import PendingUpload
from models.notices import outbox
from models.notices.outbox import Notice
from models.notices.planning import PlanningSettings
from models.privacy.retention import ACTION
from models.privacy.settings import PrivacySettings
from scheduler.jobs import retain
from scheduler.service import build_scheduler
from tests.factories import make_official, small_province

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
SETTINGS = PrivacySettings(upload_days=1, notice_text_days=90, audit_years=5)


async def _world(db: Database) -> None:
    async with db.transaction() as session:
        units = await small_province(session)
        official = await make_official(session, units["tccb"])

        def upload(name: str, age: timedelta, consumed: bool) -> dict[str, object]:
            return {
                "official_id": official.id,
                "file_name": name,
                "content": b"PK\x03\x04 roster with phones",
                "created_at": NOW - age,
                "consumed_at": NOW - age + timedelta(minutes=5) if consumed else None,
            }

        await session.execute(
            insert(PendingUpload),
            [
                upload("used.xlsx", timedelta(minutes=30), consumed=True),
                upload("waiting.xlsx", timedelta(hours=2), consumed=False),
                upload("forgotten.xlsx", timedelta(days=2), consumed=False),
            ],
        )

        def notice(subject: str, state: str, finished_days_ago: int | None) -> dict[str, object]:
            created = NOW - timedelta(days=(finished_days_ago or 0) + 200)
            return {
                "official_id": official.id,
                "kind": outbox.BROADCAST,
                "subject": subject,
                "due_at": created,
                "send_at": created,
                "locale": "vi",
                "text": "Kính gửi anh Nguyễn Văn An …",
                "choices": [["🔔 Nhắc An", "nudge:1"]],
                "state": state,
                "attempts": 1,
                "created_at": created,
                "finished_at": (
                    NOW - timedelta(days=finished_days_ago)
                    if finished_days_ago is not None
                    else None
                ),
            }

        await session.execute(
            insert(Notice),
            [
                notice("old-sent", outbox.SENT, 100),
                notice("old-blocked", outbox.BLOCKED, 91),
                notice("recent-sent", outbox.SENT, 10),
                notice("still-pending", outbox.PENDING, None),
            ],
        )
        for years, days in ((6, 0), (5, 2), (4, 0)):
            session.add(
                AuditEntry(
                    actor="test",
                    action="old.thing",
                    at=NOW - timedelta(days=365 * years + days),
                    detail={},
                    affected=0,
                )
            )


async def test_retention_job_clears_prunes_deletes_logs_and_audits(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await _world(db)
    with caplog.at_level(logging.INFO, logger="scheduler"):
        stats = await retain(db.transaction, now=NOW, settings=SETTINGS)
    assert (stats.uploads_cleared, stats.notice_texts_pruned, stats.audit_deleted) == (2, 2, 2)
    assert (
        "retention: 2 upload contents cleared, 2 notice texts pruned, 2 audit entries deleted"
        in caplog.text
    )
    async with db.transaction() as session:
        contents = dict(
            (await session.execute(select(PendingUpload.file_name, PendingUpload.content))).all()
        )
        assert contents == {
            "used.xlsx": b"",
            "waiting.xlsx": b"PK\x03\x04 roster with phones",
            "forgotten.xlsx": b"",
        }
        notices = {n.subject: n for n in await session.scalars(select(Notice))}
        for subject in ("old-sent", "old-blocked"):
            assert notices[subject].text == "" and notices[subject].choices is None
        for subject in ("recent-sent", "still-pending"):
            assert notices[subject].text.startswith("Kính gửi")
        left = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.action for e in left] == ["old.thing", ACTION]  # the 4-year-old one and the run
    run = left[-1]
    assert run.actor == "scheduler" and run.affected == 6
    assert run.detail["uploads_cleared"] == 2 and run.detail["audit_deleted"] == 2
    assert run.detail["notice_text_days"] == 90 and run.detail["audit_years"] == 5
    # A second run finds nothing more to do, and says so.
    again = await retain(db.transaction, now=NOW + timedelta(hours=1), settings=SETTINGS)
    assert (again.uploads_cleared, again.notice_texts_pruned, again.audit_deleted) == (0, 0, 0)


def test_the_scheduler_runs_retention_hourly() -> None:
    def never() -> AbstractAsyncContextManager[AsyncSession]:
        raise AssertionError("building the scheduler opens no transaction")

    scheduler = build_scheduler(never, PlanningSettings(tz=ZoneInfo("UTC")), privacy=SETTINGS)
    job = scheduler.get_job("retention")
    assert job is not None
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("*", "35")
