"""Running Zalo alone, or Zalo and Telegram in one process on one event loop.

Both run on one event loop: Telegram through bot/channels/telegram_run.py's start and stop,
the same path `telegram.run` takes.
"""

from __future__ import annotations

import asyncio

from bot import ops_http
from bot.channels import telegram_run, zalo
from bot.config import Settings
from bot.dispatch import Dispatcher


async def serve(
    settings: Settings,
    dispatcher: Dispatcher,
    *,
    with_telegram: bool,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve Zalo (and Telegram when asked) until SIGINT/SIGTERM or `stop`."""
    if stop is None:
        stop = asyncio.Event()
        zalo.stop_on_signals(stop)
    metrics = telegram_run.dispatcher_metrics(dispatcher)
    # One ops server per process, however many channels it serves.
    async with ops_http.serving(settings.ops, dispatcher.db, metrics):
        started = await telegram_run.start(settings, dispatcher, stop) if with_telegram else None
        try:
            await zalo.serve(settings, dispatcher, stop)
        finally:
            if started is not None:
                await telegram_run.stop_app(*started)
