"""Speed of the year-end report (#16.6) on the demo province. Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_year_report.py [--officials 24150] [--database sqlite]

Measures, for the whole province and for one commune's subtree:
  1. the report's figures (grouped queries on records, courses and quotas, plus the
     targets judged by the compliance engine), wall time and process CPU;
  2. the compliance aggregate alone, the part the report shares with /baocao: the ratio
     report ÷ compliance says what the year's own figures add (goal: at most 1.5×);
  3. writing the workbook.
`--quick`: 6,000 officials, fewer rounds. The last lines are `RESULT ...` for
benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select

from bot.config import Settings
from bot.db import Database, upgrade
from models.demo import PROVINCE_FILE as DEMO_PROVINCE_FILE
from models.demo.courses import seed_demo_courses
from models.demo.province import seed_demo_province
from models.exports.registrations import whole_province
from models.exports.year_report import year_report, year_report_workbook
from models.exports.year_report_template import load_template
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.compliance import compliance
from models.requirements.store import current_catalogue, ensure_default_catalogue, use_province_file
from models.requirements.training_records import TrainingRecord, seed_demo_training

NOW = datetime.now(UTC)
TZ = Settings().timezone
TODAY = NOW.astimezone(TZ).date()

use_province_file(DEMO_PROVINCE_FILE)


async def prepare(db: Database, officials: int) -> tuple[int, int]:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        await seed_demo_province(session, size=officials, today=TODAY)
        await seed_demo_training(session, seed=2026, today=TODAY)
        await seed_demo_courses(session, seed=2026, today=TODAY, tz=TZ)
    async with db.transaction() as session:
        people = await session.scalar(select(func.count()).select_from(Official)) or 0
        records = await session.scalar(select(func.count()).select_from(TrainingRecord)) or 0
    return people, records


async def best_of(rounds: int, run: object) -> tuple[float, float, object]:
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        result = await run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best, best_cpu, result


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=24150)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.officials, args.rounds = min(args.officials, 6000), 2
    server = None
    workdir = Path(tempfile.mkdtemp(prefix="bench-yr-"))
    if args.database == "postgresql":
        from tests.pg_server import start_postgres

        server = start_postgres(workdir)
        server.create_database("bench")
        url = server.url("bench")
    else:
        url = f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    try:
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        try:
            started = time.perf_counter()
            people, records = await prepare(db, args.officials)
            print(
                f"database: {args.database}; {people:,} officials, {records:,} training "
                f"records (seeded in {time.perf_counter() - started:.1f} s); today {TODAY}"
            )
            template = load_template()
            async with db.transaction() as session:
                catalogue = await current_catalogue(session)
                province = await whole_province(session)
                commune = await session.scalar(
                    select(OrgUnit).where(OrgUnit.level == "commune").order_by(OrgUnit.id)
                )
                assert commune is not None
                for name, scope in (("province", province), ("commune", Scope((commune,)))):
                    wall, cpu, report = await best_of(
                        args.rounds,
                        lambda scope=scope: year_report(
                            session, year=TODAY.year, scope=scope, today=TODAY, catalogue=catalogue
                        ),
                    )
                    base, base_cpu, _ = await best_of(
                        args.rounds,
                        lambda scope=scope: compliance(
                            session, year=TODAY.year, today=TODAY, unit=scope.widest,
                            catalogue=catalogue,
                        ),
                    )  # fmt: skip
                    ratio = wall / base if base else float("nan")
                    print(
                        f"year report, {name}: {wall:.3f} s, CPU {cpu:.3f} s; compliance alone "
                        f"{base:.3f} s, CPU {base_cpu:.3f} s; ratio {ratio:.2f}× "
                        f"(best of {args.rounds}; goal <= 1.5×)"
                    )
                    if name == "province":
                        assert report is not None
                        print(
                            f"    {report.total.completions:,} completions "  # type: ignore[attr-defined]
                            f"({report.total.leader_completions:,} by leaders), "  # type: ignore[attr-defined]
                            f"{report.total.classes:,} classes held"  # type: ignore[attr-defined]
                        )
                        year_report_workbook(report, template, made_on=TODAY)  # type: ignore[arg-type]  # warm: openpyxl's import
                        started = time.perf_counter()
                        content = year_report_workbook(report, template, made_on=TODAY)  # type: ignore[arg-type]
                        book = time.perf_counter() - started
                        print(f"    workbook: {book:.3f} s, {len(content):,} bytes")
                        print(f"RESULT year_report_{people}_s={wall:.2f} goal=1.5 unit=s")
                    print(f"RESULT year_report_{name}_ratio={ratio:.2f} goal=1.5")
        finally:
            await db.dispose()
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
