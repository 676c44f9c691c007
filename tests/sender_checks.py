"""What every sender test checks in the fake Bot API's request log."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator

from tests.fake_bot_api import FakeBotApi


def sends(fake: FakeBotApi) -> list[tuple[float, str | None, int]]:
    return [(r.time, r.chat_id, r.status) for r in fake.requests if r.method == "sendMessage"]


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most requests in any half-open window [t, t + window)."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def per_chat_violations(fake: FakeBotApi, interval: float = 1.0) -> int:
    by_chat: dict[str | None, list[float]] = defaultdict(list)
    for t, chat, _status in sends(fake):
        by_chat[chat].append(t)
    return sum(1 for ts in by_chat.values() for a, b in itertools.pairwise(ts) if b - a < interval)


def inside_retry_windows(fake: FakeBotApi, retry_after: float) -> int:
    """Requests that arrived while a 429's retry_after was still running (the test gives
    every 429 the same retry_after)."""
    windows = [(r.time, r.time + retry_after) for r in fake.requests if r.status == 429]
    return sum(1 for r in fake.requests for start, end in windows if start < r.time < end)


def delivered(fake: FakeBotApi) -> Counter[tuple[str, str]]:
    """How often each (chat, text) arrived."""
    return Counter((m.chat_id, m.text or "") for m in fake.sent)


@contextlib.contextmanager
def fake_in_own_thread() -> Iterator[FakeBotApi]:
    """A FakeBotApi on its own thread and event loop. Arrival times are what the pacing
    checks measure; sharing the sender's loop, the fake would read requests late whenever
    the sender is busy, and stamp several that left apart as arriving together."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = asyncio.run_coroutine_threadsafe(FakeBotApi().start(), loop).result(timeout=10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
