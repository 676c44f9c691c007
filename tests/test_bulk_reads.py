"""How the bulk readers (planning, compliance) reach the tables, checked through SQLite's
own query plans: a read of the training records must never walk the completed_on index
over the whole table, which made planning grow faster than the roster (issue #15.3) and
the compliance report spend most of its time loading (#15.6). Speed itself is shown by
benchmarks/bench_planning.py and bench_requirements.py; these tests only pin the shape.

Also: planning's notices for a population that spans several id ranges are the same as
for one range, and officials without a reachable chat are still skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert, select, update

from bot.db import Database
from models.chat.accounts import ChatAccount
from models.notices.outbox import Notice
from models.notices.planning import PlanningSettings, plan_requirement_notices
from models.org.officials import Official
from models.requirements.compliance import compliance, load_population
from models.requirements.evaluation import evaluate_rule
from models.requirements.profiles import rule_reads
from models.requirements.store import current_catalogue, ensure_default_catalogue
from models.requirements.training_records import TrainingRecord, import_key
from tests.notice_world import seed_people

S = PlanningSettings(tz=ZoneInfo("Asia/Ho_Chi_Minh"))
STAGE_DAY = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)  # 06:00, 1 October: yearly stage day
TODAY = date(2026, 10, 1)


@contextmanager
def statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", remember)


async def record_plans(db: Database, seen: list[tuple[str, Any]]) -> list[str]:
    """SQLite's plan for every SELECT that read training_records."""
    plans = []
    async with db.transaction() as session:
        conn = await session.connection()
        for statement, parameters in seen:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            if "training_records" not in statement:
                continue
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            plans.append(" | ".join(str(r[-1]) for r in rows))
    return plans


async def province(db: Database, n: int) -> list[int]:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, STAGE_DAY)
        ids = await seed_people(session, n)
        # Completions for two officials in three of them: some meet this year's rules.
        await session.execute(
            insert(TrainingRecord),
            [
                {
                    "official_id": oid,
                    "kind": "cap_nhat_phap_luat_ky_nang",
                    "periods": 16,
                    "completed_on": day,
                    "certificate_no": "CC",
                    "source": "test",
                    "import_key": import_key(oid, "cap_nhat_phap_luat_ky_nang", day, None, "x"),
                }
                for oid in ids
                if oid % 3
                for day in (date(2025, 3, 1), date(2026, 3, 1))
            ],
        )
    return ids


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_planning_reads_completions_by_official_range(db: Database) -> None:
    await province(db, 30)
    with statements(db) as seen:
        async with db.transaction() as session:
            stats = await plan_requirement_notices(
                session, now=STAGE_DAY, settings=replace(S, batch_size=7)
            )
    assert stats.officials == 30
    plans = await record_plans(db, seen)
    assert len(plans) >= 5  # one per id range
    for plan in plans:
        assert "ix_training_records_completed_on" not in plan, plan
        assert "official_id" in plan, plan


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_compliance_loads_completions_without_walking_the_date_index(
    db: Database,
) -> None:
    await province(db, 12)
    with statements(db) as seen:
        async with db.transaction() as session:
            report = await compliance(session, year=2026, today=TODAY)
    assert report.officials == 12
    plans = await record_plans(db, seen)
    assert plans
    for plan in plans:
        assert "ix_training_records_completed_on" not in plan, plan


async def test_id_ranges_plan_what_one_range_plans(db: Database) -> None:
    ids = await province(db, 23)
    async with db.transaction() as session:
        # An official whose only chat blocked the bot.
        await session.execute(
            update(ChatAccount)
            .where(ChatAccount.official_id == ids[4])
            .values(unreachable_at=STAGE_DAY)
        )
    async with db.transaction() as session:
        small = await plan_requirement_notices(
            session, now=STAGE_DAY, settings=replace(S, batch_size=4)
        )
    async with db.transaction() as session:
        planned = sorted(
            (oid, subject)
            for oid, subject in await session.execute(select(Notice.official_id, Notice.subject))
        )
        await session.execute(Notice.__table__.delete())
    async with db.transaction() as session:
        whole = await plan_requirement_notices(
            session, now=STAGE_DAY, settings=replace(S, batch_size=10_000)
        )
    async with db.transaction() as session:
        again = sorted(
            (oid, subject)
            for oid, subject in await session.execute(select(Notice.official_id, Notice.subject))
        )
    assert planned == again
    assert small.officials == whole.officials == 22  # the blocked one is not evaluated
    assert small.by_kind == whole.by_kind
    assert planned and ids[4] not in {oid for oid, _s in planned}


async def test_a_population_read_for_one_rule_judges_it_as_the_full_read(db: Database) -> None:
    ids = await province(db, 9)
    async with db.transaction() as session:
        await session.execute(
            update(Official)
            .where(Official.id.in_(ids[:4]))
            .values(leadership_tier="truong_phong", leadership_appointed_on=date(2026, 3, 1))
        )
        catalogue = await current_catalogue(session)
        full = await load_population(session, as_of=TODAY)
        for rule in catalogue.rules:
            narrow = await load_population(
                session, as_of=TODAY, kinds=rule.training_kinds, reads=rule_reads([rule])
            )
            assert [p.official_id for p, _r in narrow] == [p.official_id for p, _r in full]
            for (whole, records), (part, own) in zip(full, narrow, strict=True):
                assert evaluate_rule(rule, part, own, TODAY) == evaluate_rule(
                    rule, whole, records, TODAY
                ), rule.id


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_withdrawing_reads_the_batch_s_notices_not_every_pending_one(db: Database) -> None:
    await province(db, 10)
    with statements(db) as seen:
        async with db.transaction() as session:
            await plan_requirement_notices(
                session, now=STAGE_DAY, settings=replace(S, batch_size=4)
            )
    plans = []
    async with db.transaction() as session:
        conn = await session.connection()
        for statement, parameters in seen:
            if statement.lstrip().upper().startswith("SELECT") and "FROM notices" in statement:
                rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                plans.append(" | ".join(str(r[-1]) for r in rows))
    assert plans
    for plan in plans:
        assert "ix_notices_state_send_at" not in plan, plan
