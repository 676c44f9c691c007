"""The outbox's state machine (models/notices/delivery.py) without a sender: the declared
transitions are enforced, and a transition only moves rows still in its source state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.db import Database
from models.notices import delivery
from models.notices import outbox as notices
from models.notices.delivery import Finished, Retry
from models.notices.outbox import IllegalTransition, Notice, check_transition
from tests.notice_world import queue_notices, seed_people

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def test_only_declared_transitions_are_allowed() -> None:
    check_transition(notices.PENDING, notices.SENDING)
    check_transition(notices.SENDING, notices.UNKNOWN)
    for source, target in [
        (notices.PENDING, notices.SENT),  # a send always starts from a claim
        (notices.SENT, notices.PENDING),  # terminal states are final
        (notices.UNKNOWN, notices.PENDING),  # may have arrived: never again
    ]:
        with pytest.raises(IllegalTransition):
            check_transition(source, target)


async def states(db: Database) -> dict[int, tuple[str, int]]:
    async with db.transaction() as session:
        rows = await session.execute(select(Notice.id, Notice.state, Notice.attempts))
        return {nid: (state, attempts) for nid, state, attempts in rows}


async def test_claim_start_finish_retry_release(db: Database) -> None:
    async with db.transaction() as session:
        ids = await seed_people(session, 3)
        await queue_notices(session, ids, due=NOW - timedelta(minutes=1))
    async with db.transaction() as session:
        conn = await session.connection()
        claimed = await delivery.claim(
            conn, channel="telegram", me="A", now=NOW, limit=10, urgent_only=False, lease=LEASE
        )
        assert claimed is not None and len(claimed) == 3
        again = await delivery.claim(
            conn, channel="telegram", me="B", now=NOW, limit=10, urgent_only=False, lease=LEASE
        )
        assert again is None  # nothing pending is left to claim
    first, second, third = (c.id for c in claimed)
    async with db.transaction() as session:
        conn = await session.connection()
        await delivery.mark_started(conn, [(first, 0), (second, 0)], now=NOW)
        await delivery.finish(conn, notices.SENDING, [Finished(first, notices.SENT)], now=NOW)
        await delivery.retry(conn, [Retry(second, NOW + timedelta(seconds=5), 1, "502")])
        # B never claimed it: B's release leaves it with A.
        await delivery.release(conn, [third], me="B", at=NOW)
    after = await states(db)
    assert after[first] == (notices.SENT, 1)
    assert after[second] == (notices.PENDING, 1)
    assert after[third] == (notices.SENDING, 0)
    async with db.transaction() as session:
        conn = await session.connection()
        # The sent row is not 'sending' any more: a late retry of it changes nothing.
        await delivery.retry(conn, [Retry(first, NOW, 2, "late")])
        left = await delivery.take_over(conn, channel="telegram", me="B", now=NOW)
    assert (left.requeued, left.unknown) == (1, 0)  # the third, claimed by A, never started
    after = await states(db)
    assert after[first] == (notices.SENT, 1)
    assert after[third] == (notices.PENDING, 0)
