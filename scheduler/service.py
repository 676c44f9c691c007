"""APScheduler 3 as a clock only: four jobs defined in code, an in-memory job store, nothing
of the business in it. Deadlines live in our tables, so a restarted or second scheduler
loses nothing and duplicates nothing (notices are insert-or-ignore on their key).

Job options: `misfire_grace_time=None` because the default of one second silently skips a
late run (platform facts A3, P11); `coalesce` so a backlog runs once; `max_instances=1`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from models.notices.digest import DigestSettings
from models.notices.job_runs import record_run
from models.notices.planning import PlanningSettings
from models.privacy.settings import PrivacySettings
from scheduler.jobs import Transaction, plan_courses, plan_digests, plan_requirements, retain

log = logging.getLogger("scheduler")


Observe = Callable[[str, float], None]  # (job, seconds): the planning duration histogram


def system_clock() -> datetime:
    return datetime.now(UTC)


def recorded(
    job: str,
    run: Callable[[], Awaitable[object]],
    transaction: Transaction,
    clock: Callable[[], datetime],
    observe: Observe | None,
) -> Callable[[], Awaitable[None]]:
    """The job, then its run recorded (models/notices/job_runs.py) and timed, in its own
    transaction so a failed job is recorded as failed rather than rolled back."""

    async def _run() -> None:
        started, mono, ok = clock(), time.perf_counter(), False
        try:
            await run()
            ok = True
        finally:
            seconds = time.perf_counter() - mono
            if observe is not None:
                observe(job, seconds)
            try:
                async with transaction() as session:
                    finished = started + timedelta(seconds=seconds)
                    await record_run(session, job, started=started, finished=finished, ok=ok)
            except Exception:
                log.exception("could not record the %s run", job)

    return _run


def build_scheduler(
    transaction: Transaction,
    settings: PlanningSettings,
    *,
    requirement_hours: str = "6-20",
    course_minutes: int = 1,
    clock: Callable[[], datetime] = system_clock,
    digest: DigestSettings | None = None,
    privacy: PrivacySettings | None = None,
    observe: Observe | None = None,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(
        timezone=settings.tz,
        job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )

    async def requirements() -> None:
        await plan_requirements(transaction, now=clock(), settings=settings)

    async def courses() -> None:
        await plan_courses(transaction, now=clock(), settings=settings)

    digest = digest or DigestSettings(tz=settings.tz, default_locale=settings.default_locale)

    async def digests() -> None:
        await plan_digests(transaction, now=clock(), settings=digest)

    privacy = privacy or PrivacySettings()

    async def retention() -> None:
        await retain(transaction, now=clock(), settings=privacy)

    tz: ZoneInfo = settings.tz

    def job(name: str, run: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        return recorded(name, run, transaction, clock, observe)

    scheduler.add_job(
        job("plan-requirements", requirements),
        CronTrigger(hour=requirement_hours, minute=5, timezone=tz),
        id="plan-requirements",
        next_run_time=datetime.now(tz),
    )
    scheduler.add_job(
        job("plan-courses", courses),
        IntervalTrigger(minutes=course_minutes, timezone=tz),
        id="plan-courses",
        next_run_time=datetime.now(tz),
    )
    # Hourly, so a used or cancelled upload's content is gone within the hour (without
    # touching the import conversation), and at start-up.
    scheduler.add_job(
        job("retention", retention),
        CronTrigger(minute=35, timezone=tz),
        id="retention",
        next_run_time=datetime.now(tz),
    )
    if digest.weekday is not None:
        # Weekly at the digest's moment, and once at start-up so a scheduler that was down
        # then still sends this week's (the job does nothing before the moment, and nothing
        # twice).
        scheduler.add_job(
            job("plan-digests", digests),
            CronTrigger(
                day_of_week=digest.cron_day,
                hour=digest.send_time.hour,
                minute=digest.send_time.minute,
                timezone=tz,
            ),
            id="plan-digests",
            next_run_time=datetime.now(tz),
        )
    return scheduler


async def run_scheduler(
    transaction: Transaction,
    settings: PlanningSettings,
    stop: asyncio.Event,
    *,
    requirement_hours: str,
    digest: DigestSettings,
    privacy: PrivacySettings | None = None,
    observe: Observe | None = None,
) -> None:
    """Run the jobs until `stop` is set (bot/scheduler_main.py and the bot's in-process
    notices use this). `transaction` is bot/db.Database.transaction: the scheduler gets a
    ready database and settings, and reads no environment itself."""
    scheduler = build_scheduler(
        transaction,
        settings,
        requirement_hours=requirement_hours,
        digest=digest,
        privacy=privacy,
        observe=observe,
    )
    scheduler.start()
    log.info("scheduler started (%s)", settings.tz.key)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
