"""The scheduler process (`python -m bot scheduler`, `troly scheduler`): settings
from the environment, one Database, a schema check, then the clock until SIGINT/SIGTERM.

This lives in bot/ because bot/ is the composition root: scheduler/ may not import bot or
read the environment (tests/test_architecture.py), so it receives the settings and a
ready transaction factory from here.
"""

from __future__ import annotations

import asyncio
import signal

from bot import ops_http
from bot.config import Settings
from bot.db import Database, require_current_schema
from bot.logs import configure_logging, redact_secrets
from bot.metrics import Metrics
from scheduler.service import run_scheduler


async def run(settings: Settings, stop: asyncio.Event | None = None) -> int:
    stop = stop or asyncio.Event()
    db = Database.from_settings(settings)
    metrics = Metrics()
    try:
        await require_current_schema(db)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        checks = {"last_planning_run": ops_http.planning_check(db)}
        async with ops_http.serving(settings.ops, db, metrics, checks):
            await run_scheduler(
                db.transaction,
                settings.planning,
                stop,
                requirement_hours=settings.planning_hours,
                digest=settings.digest,
                privacy=settings.privacy,
                observe=metrics.planning_observer(),
            )
    finally:
        await db.dispose()
    return 0


def main() -> int:
    from bot.__main__ import use_province

    settings = Settings.from_env()
    configure_logging(settings.ops)
    redact_secrets(settings.secrets())
    use_province(settings, demo=False)
    return asyncio.run(run(settings))
