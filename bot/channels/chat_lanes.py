"""Per-chat ordering for webhook channels: events of one chat are handled one after another,
in arrival order; different chats run concurrently up to a limit. The webhook answers at
once (`submit` never waits) and processing happens in background tasks, which `drain`
awaits at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class ChatLanes:
    def __init__(self, max_concurrent: int, *, failure: str) -> None:
        self._slots = asyncio.Semaphore(max_concurrent)
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}  # queued events per chat: its lock lives as long
        self._tasks: set[asyncio.Future[None]] = set()
        self._failure = failure  # the log line when one event's handling raises

    def submit(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        """Queue `work` behind the chat's earlier events (tasks take the lock in order)."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        self._track(asyncio.create_task(self._run(key, lock, work)))

    def spawn(self, work: Awaitable[None]) -> None:
        """Background work of no chat (a delivery receipt), awaited by `drain` too."""
        self._track(asyncio.ensure_future(work))

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _track(self, task: asyncio.Future[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: str, lock: asyncio.Lock, work: Callable[[], Awaitable[None]]) -> None:
        try:
            async with lock, self._slots:
                await work()
        except Exception:
            log.exception(self._failure)
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key], self._locks[key]
