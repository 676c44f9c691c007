"""Planning's fast path (issue #15.3) writes the notices the full read writes.

On a stage day most officials have no rule to plan: planning reads only the profile
columns the planned rules test, keeps only the people some rule or deadline course can
concern, and fetches the completions of those alone. Here the same demo-shaped province
is planned once that way and once with every column, every person and every completion
(the read before the change), and the notices must be the same rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from bot.db import Database
from models.demo.province import seed_demo_province
from models.notices import planning
from models.notices.outbox import Notice
from models.notices.planning import PlanningSettings, PlanStats, plan_requirement_notices
from models.requirements.profiles import COLUMN_FIELDS
from models.requirements.store import ensure_default_catalogue
from models.requirements.training_records import seed_demo_training

S = PlanningSettings(tz=ZoneInfo("Asia/Ho_Chi_Minh"), batch_size=97)
TODAY = date(2026, 10, 1)
MOMENTS = (
    datetime(2026, 9, 30, 23, 0, tzinfo=UTC),  # 06:00, 1 October: yearly stage day
    datetime(2026, 10, 14, 23, 0, tzinfo=UTC),  # an ordinary day: event-based rules only
)
LINK_ALL = """
INSERT INTO chat_accounts (channel, external_user_id, chat_id, official_id, linked_at,
                           failed_link_attempts, created_at, last_seen_at)
SELECT 'telegram', 'f' || id, 'f' || id, id, :at, 0, :at, :at FROM officials
"""


async def _notices(db: Database) -> list[tuple[Any, ...]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(
                Notice.official_id,
                Notice.kind,
                Notice.subject,
                Notice.due_at,
                Notice.relevant_until,
                Notice.locale,
                Notice.text,
            )
        )
        found = sorted(tuple(r) for r in rows)
        await session.execute(Notice.__table__.delete())
    return found


async def _plan(db: Database, now: datetime) -> tuple[PlanStats, list[tuple[Any, ...]]]:
    async with db.transaction() as session:
        stats = await plan_requirement_notices(session, now=now, settings=S)
    return stats, await _notices(db)


async def test_the_fast_path_plans_what_the_full_read_plans(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, MOMENTS[0])
        await seed_demo_province(session, size=600, today=TODAY)
        await seed_demo_training(session, seed=2026, today=TODAY)
        await session.execute(text(LINK_ALL), {"at": MOMENTS[0]})
    fast = [await _plan(db, now) for now in MOMENTS]

    full_read = planning.stream_people

    def everyone(*args: Any, **kwargs: Any) -> AsyncIterator[planning.Batch]:
        kwargs.update(wanted=None, reads=None)
        return full_read(*args, **kwargs)

    monkeypatch.setattr(planning, "stream_people", everyone)
    monkeypatch.setattr(planning, "rule_reads", lambda _rules: frozenset(COLUMN_FIELDS))
    full = [await _plan(db, now) for now in MOMENTS]

    assert fast[0][1], "the stage day plans notices"
    for (fast_stats, fast_rows), (full_stats, full_rows) in zip(fast, full, strict=True):
        assert fast_rows == full_rows
        assert fast_stats.officials == full_stats.officials
        assert fast_stats.by_kind == full_stats.by_kind
        assert fast_stats == full_stats
