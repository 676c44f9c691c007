"""Running Zalo alone, or Zalo (Bot Platform and/or Official Account) and Telegram in one
process on one event loop.

Both run on one event loop: Telegram through bot/channels/telegram_run.py's start and stop,
the same path `telegram.run` takes.
"""

from __future__ import annotations

import asyncio

from bot import ops_http
from bot.channels import telegram_run, zalo
from bot.channels.zalo_oa import channel as zalo_oa_channel
from bot.config import Settings
from bot.dispatch import Dispatcher


async def serve(
    settings: Settings,
    dispatcher: Dispatcher,
    *,
    with_telegram: bool,
    with_oa: bool = False,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve Zalo (the Bot Platform when its token is set, the OA when asked) and Telegram
    when asked, until SIGINT/SIGTERM or `stop`."""
    if stop is None:
        stop = asyncio.Event()
        zalo.stop_on_signals(stop)
    metrics = telegram_run.dispatcher_metrics(dispatcher)
    # One ops server per process, however many channels it serves.
    async with ops_http.serving(settings.ops, dispatcher.db, metrics):
        started = await telegram_run.start(settings, dispatcher, stop) if with_telegram else None
        oa = (
            asyncio.create_task(
                zalo_oa_channel.serve(
                    settings, dispatcher, stop, serve_downloads=not settings.zalo_token
                )
            )
            if with_oa
            else None
        )
        try:
            if settings.zalo_token:
                await zalo.serve(settings, dispatcher, stop)
            else:
                await stop.wait()
        finally:
            if oa is not None:
                stop.set()
                await oa
            if started is not None:
                await telegram_run.stop_app(*started)
