"""One bulk sender per bot token at a time (platform limits are per token, and pacing state
lives in one process).

PostgreSQL: a session-level advisory lock on a dedicated connection. SQLite (one host by
design): an flock on a file next to the database. Both are released by the operating system
or the server the moment the holder dies, so a killed sender's successor starts at once,
and a second sender simply waits. Keys derive from a hash of the token, never the token.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database


class SenderLock(Protocol):
    async def try_acquire(self) -> bool: ...
    async def alive(self) -> bool: ...
    async def release(self) -> None: ...


def lock_number(identity: str) -> int:
    """A signed 64-bit advisory-lock key from the token identity."""
    digest = hashlib.sha256(f"notice-sender:{identity}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLock:
    def __init__(self, db: Database, identity: str) -> None:
        self.db = db
        self.key = lock_number(identity)
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        if self._conn is None:
            # Autocommit: an idle transaction held for hours would pin the xmin horizon and
            # slow every SKIP LOCKED queue in the database (platform facts D5).
            conn = await self.db.engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        got = await self._conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
        return bool(got)

    async def alive(self) -> bool:
        if self._conn is None:
            return False
        try:
            await self._conn.scalar(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            with contextlib.suppress(Exception):
                await conn.close()


class FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    async def alive(self) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def sender_lock(db: Database, identity: str) -> Any:
    if db.dialect == "postgresql":
        return PostgresLock(db, identity)
    database = db.url.split(":///", 1)[1]
    safe = "".join(ch if ch.isalnum() else "-" for ch in identity)
    return FileLock(Path(f"{database}.sender-{safe}.lock"))
