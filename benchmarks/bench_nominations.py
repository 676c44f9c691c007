"""Cost of one nomination ("cử đi học", #16.2) against one self-registration, and as a
course fills up. Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_nominations.py            # 200 and 800 nominations
    .venv/bin/python benchmarks/bench_nominations.py --quick    # 50 and 200

A nomination does more than a registration (the admin's scope, the quota's count under the
course lock, three outbox rows and an audit entry), so it costs a few times as much; what
must hold is that the count of nominations already charged to the quota does not make the
next one dearer. Goals: per-nomination cost at 4x the nominations within 1.5x of the
smaller run's; a nomination within 6x a self-registration (one SQLite file, one process).
The last lines are `RESULT name=value goal=value` for benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import Database, upgrade
from models.courses import nominations, registrations
from models.org import admins
from models.org.officials import Official
from models.plan.quotas import set_quota
from models.requirements.store import ensure_default_catalogue
from tests.courses_world import NOW, TODAY, make_course
from tests.factories import make_official, small_province


async def _world(db: Database, people: int) -> tuple[int, int, int, list[int]]:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        commune = units["sin_thau"]
        hr = await make_official(session, commune, employee_code="HR000001")
        await admins.grant(session, hr, commune, actor="bench", now=NOW)
        crowd = [
            Official(
                employee_code=f"BN{n:06d}",
                full_name=f"Nguyễn Văn {n}",
                category="cong_chuc",
                unit_id=commune.id,
                level="commune",
                languages=[],
            )
            for n in range(2 * people)
        ]
        session.add_all(crowd)
        await session.flush()
        nominated = await make_course(session, "K-2026-N1", capacity=people)
        registered = await make_course(session, "K-2026-N2", capacity=people)
        await set_quota(
            session, course_id=nominated.id, unit_id=commune.id, seats=people, by_official_id=None
        )
        return hr.id, nominated.id, registered.id, [o.id for o in crowd]


def _run(people: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(url)
        return asyncio.run(_measure(url, people))


async def _measure(url: str, people: int) -> tuple[float, float]:
    db = Database(url)
    try:
        hr_id, nominated, registered, ids = await _world(db, people)
        started = time.perf_counter()
        for official_id in ids[:people]:
            async with db.transaction() as session:
                hr = await session.get(Official, hr_id)
                assert hr is not None
                result = await nominations.nominate(
                    session, admin=hr, course_id=nominated, official_id=official_id,
                    today=TODAY, now=NOW,
                )  # fmt: skip
                assert result.outcome is nominations.NominationOutcome.NOMINATED
        per_nomination = (time.perf_counter() - started) / people
        started = time.perf_counter()
        for official_id in ids[people:]:
            async with db.transaction() as session:
                official = await session.get(Official, official_id)
                assert official is not None
                done = await registrations.register(
                    session, registered, official, today=TODAY, now=NOW
                )
                assert done.outcome is registrations.Outcome.CONFIRMED
        per_registration = (time.perf_counter() - started) / people
    finally:
        await db.dispose()
    return per_nomination, per_registration


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    small, large = (50, 200) if args.quick else (200, 800)
    nominate_small, register_small = _run(small)
    nominate_large, register_large = _run(large)
    for size, nom, reg in (
        (small, nominate_small, register_small),
        (large, nominate_large, register_large),
    ):
        print(f"{size:>5} nominations: {nom * 1000:.2f} ms each; register {reg * 1000:.2f} ms")
    growth = nominate_large / nominate_small
    versus = nominate_large / register_large
    print(f"per-nomination cost at {large} / at {small}: {growth:.2f}x")
    print(f"nomination / self-registration at {large}: {versus:.2f}x")
    print(f"RESULT nomination_growth_4x={growth:.3f} goal=1.5")
    print(f"RESULT nomination_vs_registration={versus:.3f} goal=6")


if __name__ == "__main__":
    main()
