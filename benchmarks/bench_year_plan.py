"""Speed of the year's plan (#16.1) on the demo province. Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_year_plan.py [--officials 24150] [--quick]

Measures, for the province admin's scope, against the compliance report on the same data
(the same population load and evaluation, so the ratio is what the demand's own work
costs):
  1. the compliance aggregate for the whole province (reference);
  2. the demand for this year and next year (unit × kind, periods owed);
  3. the whole /kehoach file: demand, the year's courses with quotas, the workbook.
`--quick`: 6,000 officials, fewer rounds. The last lines are `RESULT ...` for
benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select

from bot.config import Settings
from bot.db import Database, upgrade
from locales import use_locale
from models.demo import PROVINCE_FILE as DEMO_PROVINCE_FILE
from models.demo.province import seed_demo_province
from models.exports.registrations import whole_province
from models.exports.year_plan import year_plan_file
from models.org.officials import Official
from models.plan.demand import demand
from models.requirements.compliance import compliance
from models.requirements.store import ensure_default_catalogue, use_province_file
from models.requirements.training_records import seed_demo_training

NOW = datetime.now(UTC)
TODAY = NOW.astimezone(Settings().timezone).date()

use_province_file(DEMO_PROVINCE_FILE)


async def prepare(db: Database, officials: int) -> int:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        await seed_demo_province(session, size=officials, today=TODAY)
        await seed_demo_training(session, seed=2026, today=TODAY)
    async with db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(Official)) or 0


async def best_of(db: Database, rounds: int, work: Callable[[Any], Awaitable[Any]]) -> float:
    best = float("inf")
    for _ in range(rounds):
        async with db.transaction() as session:
            started = time.perf_counter()
            await work(session)
            best = min(best, time.perf_counter() - started)
    return best


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=24150)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.officials, args.rounds = min(args.officials, 6000), 2
    workdir = Path(tempfile.mkdtemp(prefix="bench-plan-"))
    url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        people = await prepare(db, args.officials)
        async with db.transaction() as session:
            scope = await whole_province(session)
        year = TODAY.year

        async def report(session: Any) -> None:
            await compliance(session, year=year, today=TODAY)

        async def this_year(session: Any) -> None:
            await demand(session, year=year, today=TODAY, scope=scope)

        async def next_year(session: Any) -> None:
            await demand(session, year=year + 1, today=TODAY, scope=scope)

        async def whole_file(session: Any) -> None:
            with use_locale("vi"):
                await year_plan_file(
                    session, year=year + 1, today=TODAY, scope=scope, scope_name="Tỉnh"
                )

        reference = await best_of(db, args.rounds, report)
        now_s = await best_of(db, args.rounds, this_year)
        next_s = await best_of(db, args.rounds, next_year)
        file_s = await best_of(db, args.rounds, whole_file)
        async with db.transaction() as session:
            found = await demand(session, year=year + 1, today=TODAY, scope=scope)
        print(f"database: sqlite; {people:,} officials; today {TODAY}")
        print(f"compliance, whole province:   {reference:.2f} s (reference)")
        print(f"demand {year}:                  {now_s:.2f} s  ({now_s / reference:.2f}x)")
        print(f"demand {year + 1}:                  {next_s:.2f} s  ({next_s / reference:.2f}x)")
        print(f"/kehoach file {year + 1}:           {file_s:.2f} s  ({file_s / reference:.2f}x)")
        print(f"    {len(found.rows)} rows, kinds: {', '.join(found.kinds)}")
        for kind in found.kinds:
            total = found.total(kind)
            print(f"    {kind:<28} {total.officials:>7,} owe  {total.periods or 0:>9,} periods")
        print(f"RESULT year_plan_demand_{people}_s={next_s:.2f} goal=1.0 unit=s")
        print(f"RESULT year_plan_demand_vs_compliance={next_s / reference:.2f} goal=1.5")
        print(f"RESULT year_plan_file_{people}_s={file_s:.2f} goal=2.0 unit=s")
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
