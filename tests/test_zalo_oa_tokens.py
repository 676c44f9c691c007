"""Zalo OA OAuth v4 tokens against the fake OA over HTTP, on SQLite and PostgreSQL: refreshed
before expiry, the single-use refresh token rotated and stored at once, one refresher among
many managers and processes (one killed mid-refresh), failures kept as alerts."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.channels.zalo_oa.tokens import OaTokens, TokenUnavailable, seed
from bot.config import ZaloOaSettings
from bot.db import Database
from models.chat import oa_tokens
from tests.fake_zalo_oa import APP_ID, SECRET_KEY, FakeZaloOa
from tests.transcript import Clock

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOa]:
    server = await FakeZaloOa(token_ttl=3600).start()
    try:
        yield server
    finally:
        await server.stop()


def oa_settings(oa: FakeZaloOa) -> ZaloOaSettings:
    return ZaloOaSettings(app_id=APP_ID, secret_key=SECRET_KEY, oauth_base_url=oa.base_url)


async def seeded(oa: FakeZaloOa, db: Database, *, expires_in: int = 3600) -> tuple[str, str]:
    access, refresh = oa.issue_pair()
    await seed(
        db,
        oa_settings(oa),
        access_token=access,
        refresh_token=refresh,
        expires_in=expires_in,
        now=NOW,
    )
    return access, refresh


async def stored(db: Database, oa_id: str = "default") -> oa_tokens.OaToken:
    async with db.transaction() as session:
        row = await oa_tokens.current(session, oa_id)
    assert row is not None
    return row


async def test_refreshed_before_expiry_and_the_new_pair_stored(
    oa: FakeZaloOa, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    first_access, first_refresh = await seeded(oa, db)
    clock = Clock(NOW)
    tokens = OaTokens(db, oa_settings(oa), clock)
    try:
        assert await tokens.access_token() == first_access
        assert oa.refresh_calls == 0
        clock.advance(minutes=49)  # 11 minutes left: outside the 10-minute margin
        assert await tokens.access_token() == first_access
        clock.advance(minutes=2)  # 9 minutes left: refresh now, not at the last second
        with caplog.at_level(logging.DEBUG):
            second = await tokens.access_token()
    finally:
        await tokens.close()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refreshed (generation 2)" in logged
    assert not any(t in logged for t in (first_access, first_refresh, second))
    assert second != first_access and oa.refresh_calls == 1
    row = await stored(db)
    assert row.generation == 2 and row.access_token == second
    assert row.refresh_token != first_refresh and row.refresh_token in oa.refresh_tokens
    assert first_refresh in oa.spent_refresh_tokens  # the fake refuses it from now on


async def test_many_managers_share_one_refresh(oa: FakeZaloOa, db: Database) -> None:
    """Four processes' managers (each its own engine) find the token expiring together:
    one spends the refresh token, the others wait on the row lock and use the new pair."""
    await seeded(oa, db, expires_in=60)
    databases = [Database(db.url) for _ in range(4)]
    managers = [OaTokens(d, oa_settings(oa), Clock(NOW)) for d in databases]
    try:
        got = await asyncio.gather(*(m.access_token() for m in managers))
    finally:
        for manager, database in zip(managers, databases, strict=True):
            await manager.close()
            await database.dispose()
    assert oa.refresh_calls == 1
    assert len(set(got)) == 1 and got[0] == (await stored(db)).access_token


async def test_a_refused_refresh_keeps_the_pair_and_alerts_once(
    oa: FakeZaloOa, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    access, refresh = await seeded(oa, db, expires_in=180)
    oa.refresh_tokens.clear()  # the operator re-authorised elsewhere: ours is dead
    clock = Clock(NOW)
    tokens = OaTokens(db, oa_settings(oa), clock)
    try:
        with caplog.at_level(logging.ERROR, logger="bot.channels.zalo_oa.tokens"):
            # Still valid for 3 minutes: the old access token is used meanwhile.
            assert await tokens.access_token() == access
        alerts = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(alerts) == 1
        assert "zalo-oa set-token" in alerts[0].getMessage()
        assert refresh not in alerts[0].getMessage() and access not in alerts[0].getMessage()
        clock.advance(minutes=4)  # expired now, and still paused: no second call
        with pytest.raises(TokenUnavailable):
            await tokens.access_token()
        other = OaTokens(db, oa_settings(oa), clock)  # another process sees the pause too
        with pytest.raises(TokenUnavailable):
            await other.access_token()
        await other.close()
        assert oa.refresh_calls == 1
    finally:
        await tokens.close()
    row = await stored(db)
    assert row.refresh_token == refresh and row.generation == 1  # nothing lost
    assert row.failed_at is not None and "-14014" in (row.last_error or "")


async def child(db_url: str, oa: FakeZaloOa) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.oa_token_child",
        db_url,
        oa.base_url,
        APP_ID,
        SECRET_KEY,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )


async def test_two_processes_one_killed_mid_refresh(oa: FakeZaloOa, db: Database) -> None:
    """Process A (a child) locks the row and is killed while its refresh request is
    unanswered (Zalo has not rotated yet). This process, B, waits on that lock meanwhile,
    then refreshes with the same refresh token and stores the new pair; a restarted
    manager reads it without refreshing again."""
    await seeded(oa, db, expires_in=60)
    oa.hold_refresh = asyncio.Event()
    first = await child(db.url, oa)
    await asyncio.wait_for(oa.refresh_arrived.wait(), 30)
    other = Database(db.url)  # B's own engine and connections, as in another process
    manager = OaTokens(other, oa_settings(oa), lambda: datetime.now(UTC))
    try:
        oa.hold_refresh = None  # A's request stays unanswered; B's will be answered
        waiting = asyncio.create_task(manager.access_token())
        await asyncio.sleep(0.5)
        assert not waiting.done()  # B waits on the row A holds
        first.kill()
        await first.wait()
        token = await asyncio.wait_for(waiting, 30)
    finally:
        await manager.close()
        await other.dispose()
    row = await stored(db)
    assert row.access_token == token and row.generation == 2
    assert row.refresh_token in oa.refresh_tokens
    calls = oa.refresh_calls
    restarted = OaTokens(db, oa_settings(oa), lambda: datetime.now(UTC))
    try:
        assert await restarted.access_token() == token and oa.refresh_calls == calls
    finally:
        await restarted.close()


async def test_an_unreachable_endpoint_keeps_the_pair_and_names_the_next_step(
    oa: FakeZaloOa, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    _access, refresh = await seeded(oa, db, expires_in=0)  # already expired
    await oa.stop()  # nothing listens on the OAuth address any more
    tokens = OaTokens(db, oa_settings(oa), Clock(NOW))
    try:
        with caplog.at_level(logging.ERROR), pytest.raises(TokenUnavailable) as raised:
            await tokens.access_token()
    finally:
        await tokens.close()
    assert raised.value.retry_after > 0
    assert "could not be reached" in caplog.text and "set-token" in caplog.text
    row = await stored(db)
    assert row.refresh_token == refresh and row.generation == 1
