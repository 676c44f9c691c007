"""Two scheduler processes and two sender processes on one PostgreSQL database: every notice
is planned once and sent once."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from models.notices import outbox as notices
from models.notices.outbox import Notice
from models.requirements.store import ensure_default_catalogue
from tests.fake_bot_api import FakeBotApi
from tests.notice_world import seed_people
from tests.pg_server import PgServer
from tests.sender_checks import delivered, per_chat_violations

ROOT = Path(__file__).resolve().parent.parent
STAGE_DAY = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)  # 06:00 on 1 October in Việt Nam
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


async def run(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        *args,
        cwd=ROOT,
        env=ENV,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(process: asyncio.subprocess.Process) -> dict[str, Any]:
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode()[-2000:]
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


@pytest.fixture
async def pg_db(pg_server: PgServer, pg_template: str) -> AsyncIterator[Database]:
    """PostgreSQL only: the multi-process guarantee is for the production database."""
    name = "t_" + uuid.uuid4().hex[:12]
    # The session's migrated template (tests/conftest.py), as `db` gets it.
    pg_server.psql(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    database = Database(pg_server.url(name))
    try:
        yield database
    finally:
        await database.dispose()


async def test_two_schedulers_and_two_senders_send_each_notice_once(pg_db: Database) -> None:
    db = pg_db
    async with db.transaction() as session:
        await ensure_default_catalogue(session, STAGE_DAY)
        await seed_people(session, 300)
    planners = [
        await run("tests.scheduler_child", db.url, "--now", STAGE_DAY.isoformat()) for _ in range(2)
    ]
    planned = [await finish(p) for p in planners]
    async with db.transaction() as session:
        total = await session.scalar(select(func.count()).select_from(Notice))
    assert total == sum(int(p["planned"]) for p in planned)  # (ids, key) inserted once
    assert total >= 300
    async with FakeBotApi() as fake:
        now = datetime(2026, 10, 1, 1, 30, tzinfo=UTC).isoformat()  # 08:30
        senders = [
            await run(
                "tests.sender_child",
                db.url,
                fake.base_url,
                "--rate",
                "200",
                "--now",
                now,
                "--drain-wait",
                "2",
            )
            for _ in range(2)
        ]
        results = [await finish(s) for s in senders]
    got = delivered(fake)
    assert len(got) == total and max(got.values()) == 1  # zero duplicate sends
    assert per_chat_violations(fake) == 0
    async with db.transaction() as session:
        states = dict(
            (await session.execute(select(Notice.state, func.count()).group_by(Notice.state))).all()
        )
    assert states == {notices.SENT: total}
    assert sum(sum(r["outcomes"].values()) for r in results) == total
