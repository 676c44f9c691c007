"""The compliance report and the "still owes" audience read only what the rules in force
can count (the completions inside their windows, the profile fields they test, the
officials their conditions admit): pinned here to the full read, on the demo province,
whose completions span several years and kinds no rule reads."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from bot.db import Database
from models.demo.province import seed_demo_province
from models.notices import audiences
from models.org.admins import Scope
from models.org.units import OrgUnit
from models.requirements.compliance import (
    compliance,
    evaluation_day,
    load_for,
    load_population,
    tally,
)
from models.requirements.compliance_breakdown import breakdown
from models.requirements.evaluation import DayRules, Status, day_rules, evaluate_rule
from models.requirements.store import current_catalogue, ensure_default_catalogue
from models.requirements.training_records import seed_demo_training

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)
DAYS = (TODAY, date(2026, 1, 1), date(2025, 12, 31), date(2025, 6, 30))


async def seeded(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        await seed_demo_province(session, size=400, today=TODAY)
        await seed_demo_training(session, seed=2026, today=TODAY)


async def test_the_narrow_read_counts_what_the_full_read_counts(db: Database) -> None:
    await seeded(db)
    async with db.transaction() as session:
        catalogue = await current_catalogue(session)
        for day in DAYS:
            full = await load_population(session, as_of=day)
            narrow = await load_for(session, day_rules(catalogue, day))
            assert [p.official_id for p, _r in narrow] == [p.official_id for p, _r in full]
            assert sum(len(r) for _p, by_kind in narrow for r in by_kind.values()) < sum(
                len(r) for _p, by_kind in full for r in by_kind.values()
            )
            assert tally(catalogue, narrow, day) == tally(catalogue, full, day), day
            report = await compliance(session, year=day.year, today=day)
            officials, counts = tally(catalogue, full, evaluation_day(day.year, day))
            assert report.officials == officials
            assert {r.rule.id: (r.applicable, r.met, r.unknown) for r in report.rules} == counts


async def test_the_breakdown_counts_what_the_full_read_counts(db: Database) -> None:
    await seeded(db)
    async with db.transaction() as session:
        catalogue = await current_catalogue(session)
        root = await session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))
        assert root is not None
        data = await breakdown(session, scope=root, year=2026, today=TODAY)
        full = await load_population(session, as_of=TODAY, unit=root)
        officials, counts = tally(catalogue, full, TODAY)
        assert data.scope.officials == officials
        assert {r.rule.id: (r.applicable, r.met, r.unknown) for r in data.scope.rules} == counts
        assert sum(report.officials for _level, report in data.by_level) == officials


def test_the_earliest_day_counted_follows_the_windows() -> None:
    from models.requirements.store import default_catalogue

    catalogue = default_catalogue()
    rules = day_rules(catalogue, TODAY)
    earliest = rules.earliest_counted()
    assert earliest is not None
    for rule in rules.rules:
        for kind in rule.training_kinds:
            if rule.recurrence.type == "yearly":
                assert earliest[kind] in (None, date(2026, 1, 1))
            else:
                assert earliest[kind] is None, (rule.id, kind)
    assert "ly_luan_chinh_tri" not in earliest  # read by no rule in force
    assert DayRules((), TODAY).earliest_counted() == {}


async def test_still_owing_is_what_evaluating_everyone_finds(db: Database) -> None:
    await seeded(db)
    async with db.transaction() as session:
        catalogue = await current_catalogue(session)
        root = await session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))
        assert root is not None
        children = list(
            await session.scalars(
                select(OrgUnit).where(OrgUnit.parent_id == root.id).order_by(OrgUnit.id).limit(2)
            )
        )
        assert len(children) == 2
        full = await load_population(session, as_of=TODAY)
        for scope in (Scope((root,)), Scope(tuple(children))):
            for rule in catalogue.rules:
                if not audiences.may_target(rule):
                    continue
                found = await audiences.resolve(
                    session,
                    audiences.Audience("owes", rule.id),
                    scope,
                    today=TODAY,
                    catalogue=catalogue,
                )
                expected = tuple(
                    p.official_id
                    for p, records in full
                    if scope.reaches(p.unit_path)
                    and evaluate_rule(rule, p, records, TODAY).status
                    in (Status.DUE, Status.OVERDUE)
                )
                assert found == expected, rule.id
