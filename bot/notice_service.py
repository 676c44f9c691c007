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
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot import broadcast_progress, ops_http
from bot.config import Settings
from bot.db import Database
from bot.metrics import Metrics
from bot.ops_http import Check
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
    if settings.zalo_oa.configured:
        from bot.channels.zalo_oa.channel import ZaloOaTransport

        transports["zalo_oa"] = ZaloOaTransport.from_settings(settings)
        limits["zalo_oa"] = settings.zalo_max_per_second
    oa = transports.get("zalo_oa")
    if settings.zns.enabled and (settings.zns_access_token or oa is not None):
        from bot.channels.zns.tokens import AccessTokenSource, StaticToken
        from bot.channels.zns.transport import ZnsTransport

        # ZNS is sent with the OA's access token: the OA transport's rotating token manager
        # (one refresher per process); a fixed ZNS_ACCESS_TOKEN only without an OA.
        tokens: AccessTokenSource
        if oa is not None:
            from bot.channels.zalo_oa.channel import ZaloOaTransport

            assert isinstance(oa, ZaloOaTransport)
            tokens = oa.api.tokens
        else:
            assert settings.zns_access_token is not None
            tokens = StaticToken(settings.zns_access_token)
        transports["zns"] = ZnsTransport(tokens, base_url=settings.zns.api_base_url)
        limits["zns"] = settings.zns.max_per_second
    return transports, limits


def routing_policy(settings: Settings, *, zns_sending: bool = True) -> RoutingPolicy:
    """The channel order's settings; ZNS only counts as a channel when it can be sent."""
    zns = settings.zns if zns_sending else replace(settings.zns, enabled=False)
    return RoutingPolicy(zns=zns, oa=settings.oa_caps, tz=settings.timezone)


async def run_sender(
    settings: Settings,
    stop: asyncio.Event,
    metrics: Metrics | None = None,
    started: Callable[[Sender], None] | None = None,
) -> None:
    transports, limits = build_transports(settings)
    if not transports:
        log.warning("no channel token is set: nothing can send notices")
        await stop.wait()
        return
    db = Database.from_settings(settings)
    sender = Sender(
        db,
        transports,
        limits=limits,
        window=settings.send_window,
        config=SenderConfig(concurrency=settings.sender_concurrency),
        metrics=metrics,
        unlinked=ZnsRoute(settings.zns, settings.timezone) if "zns" in transports else None,
        policy=routing_policy(settings, zns_sending="zns" in transports),
    )
    if started is not None:
        started(sender)
    try:
        # The sender and the broadcasts' progress messages share the transports.
        await asyncio.gather(sender.run(stop), broadcast_progress.run(db, transports, stop))
    finally:
        for transport in transports.values():
            close = getattr(transport, "close", None)
            if close is not None:
                await close()
        await db.dispose()


def lock_check(senders: list[Sender]) -> Check:
    """sender_lock: "held" while this process holds a token's lock. A standby sender
    ("free") is healthy: it takes over when the holder goes."""

    async def check() -> tuple[Any, bool]:
        held = sorted(ch for sender in senders for ch in sender.held)
        return ("held" if held else "free"), True

    return check


async def serve_sender(settings: Settings, stop: asyncio.Event) -> None:
    """The sender process: the sender, and its /healthz and /metrics when configured."""
    metrics = Metrics()
    senders: list[Sender] = []
    db = Database.from_settings(settings)
    try:
        checks = {"sender_lock": lock_check(senders)}
        async with ops_http.serving(settings.ops, db, metrics, checks):
            await run_sender(settings, stop, metrics, senders.append)
    finally:
        await db.dispose()


async def run_background(
    settings: Settings, stop: asyncio.Event, metrics: Metrics | None = None
) -> None:
    db = Database.from_settings(settings)
    observe = None if metrics is None else metrics.planning_observer()
    try:
        await asyncio.gather(
            run_scheduler(
                db.transaction,
                settings.planning,
                stop,
                requirement_hours=settings.planning_hours,
                digest=settings.digest,
                privacy=settings.privacy,
                observe=observe,
            ),
            run_sender(settings, stop, metrics),
        )
    finally:
        await db.dispose()


def start_in_thread(settings: Settings, metrics: Metrics | None = None) -> threading.Thread:
    """Scheduler and sender on a daemon thread: they die with the chat process, and the
    outbox's state machine makes that safe (see bot/sender.py). `metrics` is the chat
    process's (prometheus-client is thread-safe), so its /metrics shows the sends too."""

    def _main() -> None:
        asyncio.run(run_background(settings, asyncio.Event(), metrics))

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
        await serve_sender(settings, stop)

    asyncio.run(_main())
    return 0
