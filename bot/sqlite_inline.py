"""An aiosqlite-shaped connection that runs statements on the event loop's own thread and
sends only what can wait to a worker thread: BEGIN IMMEDIATE when another process holds
the writer lock (it may wait up to busy_timeout), COMMIT of a transaction that wrote (a WAL
checkpoint may fsync) and bulk writes (executemany). A /hoso update — uncontended, reading
only — then runs without a thread hop (it was ~13 through aiosqlite).

BEGIN IMMEDIATE is first tried inline with busy_timeout 0: it either takes the free writer
lock at once or fails with SQLITE_BUSY without waiting, and only then goes to the thread to
wait. A COMMIT after nothing but SELECTs writes no WAL frame, so it cannot checkpoint: it
only releases the lock, inline.

Why the rest may run inline: every transaction starts with BEGIN IMMEDIATE (bot/db.py), so
a statement runs while this connection already holds the writer lock and its WAL snapshot;
it cannot wait on a lock, and the hot path's SQL takes tens of microseconds in sqlite3 —
less than one hop through aiosqlite's thread costs.

Plugged in with create_async_engine(async_creator=...); SQLAlchemy's aiosqlite adapter
drives it through the same calls it makes on aiosqlite (cursor as an async context,
execute, fetchall, close, commit, rollback, create_function).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

# Statements that may wait on another process's lock or on the disk.
_IN_THREAD = ("BEGIN", "COMMIT", "VACUUM", "PRAGMA WAL_CHECKPOINT")
# Statements that cannot write a page; anything else marks the transaction as writing.
_READ_ONLY = ("SELECT",)


class InlineCursor:
    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection._conn.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        head = sql.lstrip()[:22].upper()
        connection = self._connection
        if head.startswith("BEGIN"):
            connection._wrote = False
            if not connection._begin_at_once(self._cursor, sql, parameters):
                await connection._in_thread(self._cursor.execute, sql, parameters)
        elif head.startswith(_IN_THREAD):
            await connection._in_thread(self._cursor.execute, sql, parameters)
        else:
            if not head.startswith(_READ_ONLY):
                connection._wrote = True
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, rows: Iterable[Any]) -> InlineCursor:
        self._connection._wrote = True
        await self._connection._in_thread(self._cursor.executemany, sql, rows)
        return self

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *_sizes: Any) -> None:
        return None

    async def nextset(self) -> None:
        return None


class InlineConnection:
    def __init__(self, conn: sqlite3.Connection, busy_timeout_ms: int = 30_000) -> None:
        self._conn = conn
        self._busy_timeout_ms = busy_timeout_ms
        # Whether the open transaction ran anything but SELECTs (its COMMIT may checkpoint).
        self._wrote = True
        # SQLAlchemy's aiosqlite adapter reads this to tell an open connection (aiosqlite's
        # own attribute of the same name); None once closed.
        self._connection: sqlite3.Connection | None = conn
        # One thread per connection: sqlite3 connections are used by one thread at a time.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _begin_at_once(self, cursor: sqlite3.Cursor, sql: str, parameters: Any) -> bool:
        """BEGIN without waiting: True when it took the lock inline, False when another
        connection holds it (then nothing changed and the caller waits in the thread)."""
        self._conn.execute("PRAGMA busy_timeout=0")
        try:
            cursor.execute(sql, parameters)
            return True
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            return False
        finally:
            self._conn.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def commit(self) -> None:
        if not self._conn.in_transaction:
            return
        if self._wrote:
            await self._in_thread(self._conn.commit)
        else:
            self._conn.commit()  # only SELECTs: no WAL frame, nothing to checkpoint
        self._wrote = True

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.rollback()  # nothing to wait for: it only drops our own changes

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        self._connection = None
        try:
            self._conn.close()
        finally:
            self._thread.shutdown(wait=False)

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


def creator(path: str, pragmas: Iterable[str], timeout: float) -> Callable[[], Any]:
    """An async_creator for create_async_engine: a connection in autocommit mode (BEGIN is
    ours to say), with the given PRAGMAs run once."""

    async def connect() -> InlineConnection:
        def open_connection() -> sqlite3.Connection:
            conn = sqlite3.connect(
                path,
                timeout=timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            for pragma in pragmas:
                conn.execute(pragma)
            return conn

        return InlineConnection(await asyncio.to_thread(open_connection), int(timeout * 1000))

    return connect
