"""bot/db.py: one engine factory for the chat process, the sender and the scheduler."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.config import ConfigError, database_url
from bot.db import Database


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        yield database
    finally:
        await database.dispose()


def another_writer_is_shut_out(path: Path) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        other.close()


async def test_transaction_and_begin_both_take_the_writer_lock_up_front(
    sqlite_db: Database,
) -> None:
    path = Path(sqlite_db.url.split(":///", 1)[1])
    openers: list[Callable[[], AbstractAsyncContextManager[Any]]] = [
        sqlite_db.transaction,
        sqlite_db.begin,
    ]
    found = []
    for opener in openers:
        async with opener() as conn:
            pragmas = [
                (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            ]
            # After only reads, the in-process queue is held and other processes are
            # already shut out (BEGIN IMMEDIATE).
            assert sqlite_db._local_writer is not None and sqlite_db._local_writer.locked()
            found.append((pragmas, another_writer_is_shut_out(path)))
        assert not sqlite_db._local_writer.locked()
    assert found == [(["wal", 1, 30000, 1], True)] * 2


async def test_begin_commits_or_rolls_back(sqlite_db: Database) -> None:
    async with sqlite_db.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
        await conn.execute(text("INSERT INTO t VALUES (1)"))
    with pytest.raises(RuntimeError):
        async with sqlite_db.begin() as conn:
            await conn.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError
    async with sqlite_db.begin() as conn:
        assert (await conn.execute(text("SELECT n FROM t"))).scalars().all() == [1]


def test_one_url_normalisation() -> None:
    assert database_url("postgres://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert database_url("postgresql+psycopg://h/db") == "postgresql+asyncpg://h/db"
    assert database_url("sqlite:///data/x.sqlite3") == "sqlite+aiosqlite:///data/x.sqlite3"
    assert database_url(None) == "sqlite+aiosqlite:///data/troly.sqlite3"
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        database_url("mysql://h/db")


async def test_a_held_writer_lock_is_waited_for_and_a_read_only_commit_is_inline(
    sqlite_db: Database,
) -> None:
    """bot/sqlite_inline.py tries BEGIN IMMEDIATE at once and waits in its thread only when
    another process holds the lock; a transaction of SELECTs commits without the thread."""
    import asyncio

    path = Path(sqlite_db.url.split(":///", 1)[1])
    async with sqlite_db.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    other = sqlite3.connect(path, timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, other.execute, "COMMIT")
    try:
        async with sqlite_db.begin() as conn:
            # Waited for the other writer (not SQLITE_BUSY) and sees what it committed.
            assert (await conn.execute(text("SELECT n FROM t"))).scalars().all() == [1]
            busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar()
            await conn.execute(text("INSERT INTO t VALUES (2)"))
    finally:
        other.close()
    assert busy == 30000  # the inline attempt's busy_timeout 0 was put back
    async with sqlite_db.begin() as conn:
        assert (await conn.execute(text("SELECT n FROM t"))).scalars().all() == [1, 2]
    async with sqlite_db.begin() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        await conn.execute(text("SELECT n FROM t"))
        assert raw is not None and raw._wrote is False
    assert not another_writer_is_shut_out(path)  # the read-only commit released the lock
