"""Checking a file in another process, so the bot's event loop keeps answering everyone
else while an admin's 20 MB file is read and validated.

A worker thread is not enough: reading and validating is pure Python and holds the GIL,
so every other update waits behind it (other users' p95 rose by 690 ms). One worker
process, started lazily on the first file (forkserver where there is one, else spawn:
never a fork of a process with threads and open database connections), does the part of
the check that needs no database. What it sends back is unpickled a slice at a time,
yielding to the event loop between slices, so no single step blocks the loop for long.

Memory: the file (at most 20 MB) is copied once into the worker; the worker keeps its
peak after a big file, one process whatever the number of admins (files queue behind
each other). A worker that dies (killed, out of memory) gives `WorkerCrashed`; the next
file starts a new worker.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import pickle
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from models.imports.table import TableError
from models.vocabulary import N_

T = TypeVar("T")

MSG_CHECK_FAILED = N_(
    "Sorry, I could not finish checking the file “{file}”. Please send it again in a few"
    " minutes; if this happens again, please split it into smaller files."
)

# Rows per slice sent back: a slice unpickles in a few milliseconds.
SLICE_ROWS = 250

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_gc_pauses = 0


class WorkerCrashed(Exception):
    """The worker process died before it answered."""


def crashed_error(file_name: str) -> TableError:
    return TableError(MSG_CHECK_FAILED, {"file": file_name})


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            methods = multiprocessing.get_all_start_methods()
            method = "forkserver" if "forkserver" in methods else "spawn"
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context(method)
            )
        return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


async def run(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in the worker process (both picklable); `WorkerCrashed` if it dies."""
    pool = _executor()
    try:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
    except BrokenProcessPool:
        _discard(pool)
        raise WorkerCrashed from None


def worker_pid() -> int:
    """The worker's process id (tests: the check really runs elsewhere)."""
    import os

    return os.getpid()


def shutdown() -> None:
    """Stop the worker (at exit; the next file would start a new one)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def sliced(items: list[Any]) -> list[bytes]:
    """`items` pickled a slice at a time (in the worker), for `unsliced`."""
    return [
        pickle.dumps(items[i : i + SLICE_ROWS], pickle.HIGHEST_PROTOCOL)
        for i in range(0, len(items), SLICE_ROWS)
    ]


async def unsliced(parts: list[bytes]) -> list[Any]:
    """The items back, yielding to the event loop after each slice."""
    items: list[Any] = []
    for part in parts:
        items.extend(pickle.loads(part))
        await asyncio.sleep(0)
    return items


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while a checked file's rows arrive and are compared: tens of
    thousands of new objects set off full collections of the whole heap (150-250 ms each,
    several per file, all of it blocking the event loop); afterwards the collector runs
    again as usual (nested pauses, two admins at once, end with the last)."""
    global _gc_pauses
    was_enabled = gc.isenabled()
    _gc_pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _gc_pauses -= 1
        if was_enabled and _gc_pauses == 0:
            gc.enable()
