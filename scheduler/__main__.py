"""`python -m scheduler`: plan notices on a clock, in its own process.

Settings come from the environment (docs/reminders.md): DATABASE_URL, TIMEZONE,
REQUIREMENT_NOTICE_DAYS, NOTICE_SEND_TIME, PLANNING_HOURS, DIGEST_WEEKDAY, ... Migrations are
the bot's job (`python -m bot db upgrade`); this process only reads and writes rows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from models.notices.digest import DigestSettings
from models.notices.planning import PlanningSettings
from scheduler.engine import SchedulerDatabase
from scheduler.service import run_scheduler

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/troly.sqlite3"


async def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = PlanningSettings.from_env()
        digest = DigestSettings.from_env()
        db = SchedulerDatabase(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_scheduler(
            db.transaction,
            settings,
            stop,
            requirement_hours=os.environ.get("PLANNING_HOURS", "6-20"),
            digest=digest,
        )
    finally:
        await db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
