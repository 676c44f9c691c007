"""Running the notice machinery: `python -m bot send` (the sender alone), and for small
installs the scheduler and the sender inside the chat process (SCHEDULER_IN_PROCESS=1).

In-process they run on their own thread and event loop, with their own engine: PTB's
`run_polling`/`run_webhook` owns the main loop, and a slow planning run must never delay
answering people.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from dataclasses import replace

from bot import broadcast_progress
from bot.config import Settings
from bot.db import Database
from bot.sender import Sender, SenderConfig
from bot.transport import Transport
from models.notices.routing import RoutingPolicy
from models.notices.zns_store import ZnsRoute
from scheduler.service import run_scheduler

log = logging.getLogger(__name__)


def build_transports(settings: Settings) -> tuple[dict[str, Transport], dict[str, float]]:
    """The channels that can send (a token is set), and each one's ceiling per second."""
    transports: dict[str, Transport] = {}
    limits: dict[str, float] = {}
    if settings.telegram_token:
        from bot.channels.telegram_transport import TelegramTransport

        transports["telegram"] = TelegramTransport(
            settings.telegram_token,
            base_url=settings.telegram_api_base_url,
            connections=settings.sender_concurrency + 2,
        )
        limits["telegram"] = settings.telegram_max_per_second
    if settings.zalo_token:
        from bot.channels.zalo_transport import ZaloTransport

        transports["zalo"] = ZaloTransport.from_settings(settings)
        limits["zalo"] = settings.zalo_max_per_second
    if settings.zns.enabled and settings.zns_access_token:
        from bot.channels.zns.tokens import StaticToken
        from bot.channels.zns.transport import ZnsTransport

        # The OA's rotating token source replaces StaticToken once the OA channel is wired.
        transports["zns"] = ZnsTransport(
            StaticToken(settings.zns_access_token), base_url=settings.zns.api_base_url
        )
        limits["zns"] = settings.zns.max_per_second
    return transports, limits


def routing_policy(settings: Settings, *, zns_sending: bool = True) -> RoutingPolicy:
    """The channel order's settings; ZNS only counts as a channel when it can be sent."""
    zns = settings.zns if zns_sending else replace(settings.zns, enabled=False)
    return RoutingPolicy(zns=zns, oa=settings.oa_caps, tz=settings.timezone)


async def run_sender(settings: Settings, stop: asyncio.Event) -> None:
    transports, limits = build_transports(settings)
    if not transports:
        log.warning("no channel token is set: nothing can send notices")
        await stop.wait()
        return
    db = Database(settings.database_url)
    sender = Sender(
        db,
        transports,
        limits=limits,
        window=settings.send_window,
        config=SenderConfig(concurrency=settings.sender_concurrency),
        unlinked=ZnsRoute(settings.zns, settings.timezone) if "zns" in transports else None,
        policy=routing_policy(settings, zns_sending="zns" in transports),
    )
    try:
        # The sender and the broadcasts' progress messages share the transports.
        await asyncio.gather(sender.run(stop), broadcast_progress.run(db, transports, stop))
    finally:
        for transport in transports.values():
            close = getattr(transport, "close", None)
            if close is not None:
                await close()
        await db.dispose()


async def run_background(settings: Settings, stop: asyncio.Event) -> None:
    db = Database(settings.database_url)
    try:
        await asyncio.gather(
            run_scheduler(
                db.transaction,
                settings.planning,
                stop,
                requirement_hours=settings.planning_hours,
                digest=settings.digest,
                privacy=settings.privacy,
            ),
            run_sender(settings, stop),
        )
    finally:
        await db.dispose()


def start_in_thread(settings: Settings) -> threading.Thread:
    """Scheduler and sender on a daemon thread: they die with the chat process, and the
    outbox's state machine makes that safe (see bot/sender.py)."""

    def _main() -> None:
        asyncio.run(run_background(settings, asyncio.Event()))

    thread = threading.Thread(target=_main, name="notices", daemon=True)
    thread.start()
    return thread


def send_forever(settings: Settings) -> int:
    async def _main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        await run_sender(settings, stop)

    asyncio.run(_main())
    return 0
