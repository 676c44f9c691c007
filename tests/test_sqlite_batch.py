"""The sender's one-hop outcome transaction on SQLite (bot/sqlite_batch.py) writes exactly
what the same outbox functions write through SQLAlchemy's connection."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database
from bot.sqlite_batch import StatementBatch, run_batch
from models.chat.accounts import ChatAccount
from models.notices import delivery
from models.notices import outbox as notices
from models.notices.delivery import Finished, Retry
from models.notices.outbox import Notice, SenderPause
from tests.notice_world import queue_notices, seed_people

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def _prepared(path: Path, template: Path) -> tuple[Database, list[int], list[str]]:
    with sqlite3.connect(template) as source, sqlite3.connect(path) as target:
        source.backup(target)
    db = Database(f"sqlite+aiosqlite:///{path}")
    async with db.transaction() as session:
        ids = await seed_people(session, 8)
        await queue_notices(session, ids, due=NOW - timedelta(minutes=1))
    async with db.begin() as conn:
        claimed = await delivery.claim(
            conn,
            channel="telegram",
            me="me",
            now=NOW,
            limit=10,
            urgent_only=False,
            lease=timedelta(minutes=5),
        )
        assert claimed is not None
        rows = [c.id for c in claimed]
        await delivery.mark_started(conn, [(nid, 0) for nid in rows[:6]], now=NOW)
    return db, rows, [c.chat_id for c in claimed]


async def _outcomes(conn: AsyncConnection, rows: list[int], chats: list[str]) -> None:
    """An outcome transaction with every kind of write the sender's has."""
    later = NOW + timedelta(seconds=3)
    await delivery.finish(
        conn,
        notices.SENDING,
        [
            Finished(rows[0], notices.SENT),
            Finished(rows[1], notices.SENT),
            Finished(rows[2], notices.BLOCKED, "Forbidden: bot was blocked by the user"),
            Finished(rows[3], notices.UNKNOWN, "AnswerLost: Timed out: ServerTimeoutError"),
        ],
        now=later,
    )
    await delivery.retry(conn, [Retry(rows[4], later + timedelta(seconds=7), 2, "Bad Gateway")])
    await delivery.mark_unreachable(conn, channel="telegram", chat_ids={chats[2]}, now=later)
    await delivery.save_pause(conn, "telegram:abc", later + timedelta(seconds=7), later)
    await delivery.mark_started(conn, [(rows[6], 0), (rows[7], 1)], now=later)


async def _state(db: Database) -> list[Any]:
    async with db.begin() as conn:
        # Every column but the moment the row was queued (the clock of the seeding).
        columns = [c for c in Notice.__table__.columns if c.name != "created_at"]
        found: list[Any] = list((await conn.execute(select(*columns).order_by(Notice.id))).all())
        found += (await conn.execute(select(SenderPause.key, SenderPause.paused_until))).all()
        found += (await conn.execute(select(ChatAccount.chat_id, ChatAccount.unreachable_at))).all()
    return found


async def test_batch_writes_what_the_connection_writes(
    tmp_path: Path, sqlite_template: Path
) -> None:
    slow, rows, chats = await _prepared(tmp_path / "slow.sqlite3", sqlite_template)
    fast, fast_rows, fast_chats = await _prepared(tmp_path / "fast.sqlite3", sqlite_template)
    try:
        assert (rows, chats) == (fast_rows, fast_chats)
        async with slow.begin() as conn:
            await _outcomes(conn, rows, chats)
        batch = StatementBatch(fast.engine.dialect)
        await _outcomes(batch.as_connection(), rows, chats)
        await run_batch(fast, batch)
        before = await _state(slow)
        assert before == await _state(fast)
        assert {n.state for n in before[:8]} >= {notices.SENT, notices.PENDING, notices.SENDING}
        # A second pause never shortens the first, in the batch as on the connection.
        for db in (slow, fast):
            batch = StatementBatch(db.engine.dialect)
            await delivery.save_pause(batch.as_connection(), "telegram:abc", NOW, NOW)
            await run_batch(db, batch)
        assert await _state(slow) == await _state(fast) == before
    finally:
        await slow.dispose()
        await fast.dispose()


async def test_a_failing_statement_rolls_the_whole_batch_back(
    tmp_path: Path, sqlite_template: Path
) -> None:
    db, rows, _chats = await _prepared(tmp_path / "t.sqlite3", sqlite_template)
    try:
        before = await _state(db)
        batch = StatementBatch(db.engine.dialect)
        conn = batch.as_connection()
        await delivery.finish(conn, notices.SENDING, [Finished(rows[0], notices.SENT)], now=NOW)
        await conn.execute(update(Notice).values(official_id=None))  # NOT NULL: fails
        with pytest.raises(sqlite3.IntegrityError):
            await run_batch(db, batch)
        assert await _state(db) == before
        async with db.begin() as c:  # the connection is usable again
            assert (await c.execute(text("SELECT 1"))).scalar() == 1
    finally:
        await db.dispose()
