"""Running Zalo alone, or Zalo and Telegram in one process on one event loop.

PTB's `run_polling`/`run_webhook` own the event loop and block, so serving both channels
uses PTB's lower-level start/stop calls instead, with the same settings `telegram.run` uses.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlparse

from telegram import Update
from telegram.ext import Application

from bot.channels import telegram, zalo
from bot.config import Settings
from bot.dispatch import Dispatcher


async def start_telegram(settings: Settings, dispatcher: Dispatcher) -> Application:
    app = telegram.build_application(settings, dispatcher)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    if settings.telegram_webhook_url:
        await app.updater.start_webhook(
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            url_path=urlparse(settings.telegram_webhook_url).path.lstrip("/"),
            webhook_url=settings.telegram_webhook_url,
            secret_token=settings.telegram_webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
    return app


async def stop_telegram(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


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
    app = await start_telegram(settings, dispatcher) if with_telegram else None
    try:
        await zalo.serve(settings, dispatcher, stop)
    finally:
        if app is not None:
            await stop_telegram(app)
