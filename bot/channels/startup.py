"""Starting against a platform that cannot be reached yet.

In Vietnam Telegram is often blocked or slow, so "unreachable at start" is the normal case,
not a fault: the bot retries with a capped exponential back-off and says so in one line per
attempt — no traceback, no exit — until the platform answers. A rejected token is the
operator's to fix, so that stops the start with one clear line instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.config import StartupRetry

log = logging.getLogger(__name__)

T = TypeVar("T")


class Stopped(Exception):
    """The process was asked to stop while it was still waiting for the platform."""


async def until_reachable(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    retry: StartupRetry,
    transient: tuple[type[BaseException], ...],
    stop: asyncio.Event | None = None,
) -> T:
    """`attempt()` until it succeeds; errors of a `transient` type are logged in one line
    (their class and their own message, which our request classes keep free of URLs and
    tokens) and retried after the next delay."""
    for number, delay in enumerate(retry.delays(), start=1):
        try:
            return await attempt()
        except transient as exc:
            log.warning(
                "%s unreachable (attempt %d: %s: %s); retrying in %.3g s",
                what,
                number,
                type(exc).__name__,
                exc,
                delay,
            )
        if stop is None:
            await asyncio.sleep(delay)
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            raise Stopped(what)
    raise AssertionError("unreachable: delays() never ends")
