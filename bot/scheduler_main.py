"""The scheduler process (`python -m bot scheduler`, `troly scheduler`): settings
from the environment, one Database, a schema check, then the clock until SIGINT/SIGTERM.

This lives in bot/ because bot/ is the composition root: scheduler/ may not import bot or
read the environment (tests/test_architecture.py), so it receives the settings and a
ready transaction factory from here.
"""

from __future__ import annotations

import asyncio
import signal

from bot.config import Settings
from bot.db import Database, require_current_schema
from bot.logs import configure_logging
from scheduler.service import run_scheduler


async def run(settings: Settings, stop: asyncio.Event | None = None) -> int:
    stop = stop or asyncio.Event()
    db = Database(settings.database_url)
    try:
        await require_current_schema(db)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_scheduler(
            db.transaction,
            settings.planning,
            stop,
            requirement_hours=settings.planning_hours,
            digest=settings.digest,
            privacy=settings.privacy,
        )
    finally:
        await db.dispose()
    return 0


def main() -> int:
    from bot.__main__ import use_province

    configure_logging()
    settings = Settings.from_env()
    use_province(settings, demo=False)
    return asyncio.run(run(settings))
