"""The scheduler's jobs: plain coroutines over a transaction factory, so tests call them
directly with any clock, and APScheduler only decides when they run.

Each job owns its transaction (architecture: one transaction per job, owned by the caller);
the domain functions in models/notices/planning.py never commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.courses.nominations import plan_answer_reminders
from models.notices.bundling import bundle_pending
from models.notices.digest import DigestSettings, DigestStats, plan_unit_digests
from models.notices.planning import (
    PlanningSettings,
    PlanStats,
    plan_course_notices,
    plan_requirement_notices,
)
from models.privacy.retention import RetentionStats, apply_retention
from models.privacy.settings import PrivacySettings

log = logging.getLogger("scheduler")

Transaction = Callable[[], AbstractAsyncContextManager[AsyncSession]]


async def plan_requirements(
    transaction: Transaction, *, now: datetime, settings: PlanningSettings
) -> PlanStats:
    async with transaction() as session:
        stats = await plan_requirement_notices(session, now=now, settings=settings)
        # After planning, in the same transaction: one message a day per official (#14.3).
        await bundle_pending(session, now=now, tz=settings.tz)
    log.info(
        "requirement notices: %d officials evaluated, %d planned, %d withdrawn",
        stats.officials,
        stats.planned,
        stats.withdrawn,
    )
    return stats


async def plan_courses(
    transaction: Transaction, *, now: datetime, settings: PlanningSettings
) -> PlanStats:
    async with transaction() as session:
        stats = await plan_course_notices(session, now=now, settings=settings)
        # Nominations not yet answered, near the deadline: one reminder each (#16.2).
        reminded = await plan_answer_reminders(
            session, today=now.astimezone(settings.tz).date(), now=now
        )
        await bundle_pending(session, now=now, tz=settings.tz)
    if reminded:
        log.info("nomination reminders planned: %d", reminded)
    if stats.planned:
        log.info("course notices planned: %s", dict(stats.by_kind))
    return stats


async def plan_digests(
    transaction: Transaction, *, now: datetime, settings: DigestSettings
) -> DigestStats:
    """This week's unit-head digests (a no-op before the week's moment and once planned)."""
    async with transaction() as session:
        stats = await plan_unit_digests(session, now=now, settings=settings)
    if stats.planned:
        log.info("unit-head digests: %d planned for %d units", stats.planned, stats.units)
    return stats


async def retain(
    transaction: Transaction, *, now: datetime, settings: PrivacySettings
) -> RetentionStats:
    """Clear and delete what the retention settings no longer allow us to keep."""
    async with transaction() as session:
        stats = await apply_retention(session, now=now, settings=settings)
    log.info(
        "retention: %d upload contents cleared, %d notice texts pruned, %d audit entries deleted",
        stats.uploads_cleared,
        stats.notice_texts_pruned,
        stats.audit_deleted,
    )
    return stats
