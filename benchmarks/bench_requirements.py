"""Speed of the requirements engine on the demo province. Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_requirements.py [--officials 24150] [--database sqlite]

Measures, on one core:
  1. evaluation alone: every rule for every official, records already in memory
     (goal >= 100,000 officials/s, issue #15.6);
  2. loading the population (two queries) plus evaluating it;
  3. the compliance aggregate for the whole province (goal <= 1 s, issue #15.6), wall
     time and process CPU (which includes the SQLite driver thread);
  4. bot CPU per /yeucau update through the real dispatcher (goal <= 5 ms), read as process
     CPU time, which includes the SQLite driver thread.
`--quick`: 6,000 officials, fewer rounds and updates. The last lines are `RESULT ...` for
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
from bot.dispatch import Dispatcher
from handlers.types import Incoming
from models.chat import accounts
from models.demo import PROVINCE_FILE as DEMO_PROVINCE_FILE
from models.demo.province import seed_demo_province
from models.org.officials import Official
from models.requirements.compliance import compliance, load_population, tally
from models.requirements.store import current_catalogue, ensure_default_catalogue, use_province_file
from models.requirements.training_records import TrainingRecord, seed_demo_training

NOW = datetime.now(UTC)
TODAY = NOW.astimezone(Settings().timezone).date()

# The demo province's rules and targets, as before the catalogue split (#13.1).
use_province_file(DEMO_PROVINCE_FILE)


async def prepare(db: Database, officials: int) -> tuple[int, int]:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        await seed_demo_province(session, size=officials, today=TODAY)
        await seed_demo_training(session, seed=2026, today=TODAY)
    async with db.transaction() as session:
        people = await session.scalar(select(func.count()).select_from(Official)) or 0
        records = await session.scalar(select(func.count()).select_from(TrainingRecord)) or 0
    return people, records


async def bench_evaluation(db: Database, rounds: int) -> float:
    async with db.transaction() as session:
        catalogue = await current_catalogue(session)
        started = time.perf_counter()
        population = await load_population(session, as_of=TODAY)
        loaded = time.perf_counter() - started
    best = float("inf")
    counts: dict[str, tuple[int, int, int]] = {}
    for _ in range(rounds):
        started = time.process_time()
        officials, counts = tally(catalogue, population, TODAY)
        best = min(best, time.process_time() - started)
    print(
        f"evaluation only:        {officials / best:,.0f} officials/s "
        f"({officials:,} officials, {len(catalogue.rules)} rules, best of {rounds}; "
        "goal >= 100,000)"
    )
    print(
        f"load (2 queries) + eval: {officials / (loaded + best):,.0f} officials/s "
        f"(load {loaded:.2f} s)"
    )
    for rule in catalogue.rules:
        applicable, met, _unknown = counts[rule.id]
        share = f"{met / applicable:6.1%}" if applicable else "     –"
        print(f"    {rule.id:<26} applies to {applicable:>6,}  met {share}")
    return officials / best


async def bench_compliance(db: Database, rounds: int) -> tuple[float, float]:
    """(best wall seconds, best CPU seconds) of the whole province's report."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(rounds):
        async with db.transaction() as session:
            started, cpu = time.perf_counter(), time.process_time()
            report = await compliance(session, year=TODAY.year, today=TODAY)
            best = min(best, time.perf_counter() - started)
            best_cpu = min(best_cpu, time.process_time() - cpu)
    print(
        f"compliance, whole province: {best:.2f} s, CPU {best_cpu:.2f} s "
        f"(best of {rounds}; goal <= 1 s)"
    )
    for target in report.targets:
        share = f"{target.share:.1%}" if target.share is not None else "–"
        print(
            f"    {target.target.id:<5} {share:>6} of {target.applicable:,} "
            f"(threshold {target.target.threshold or 0:.0%}) achieved={target.achieved}"
        )
    return best, best_cpu


async def bench_yeucau(db: Database, updates: int, users: int) -> None:
    async with db.transaction() as session:
        rows = (await session.scalars(select(Official).order_by(Official.id).limit(users))).all()
        for i, official in enumerate(rows):
            account = await accounts.get_or_create(
                session, channel="console", user_id=f"b{i}", chat_id=f"b{i}", now=NOW
            )
            if account.official_id != official.id:
                await accounts.link(session, account, official, method="bench", now=NOW)
    dispatcher = Dispatcher(db=db, clock=lambda: NOW)

    def incoming(i: int) -> Incoming:
        uid = f"b{i % users}"
        return Incoming(channel="console", chat_id=uid, sender_id=uid, text="/yeucau")

    for i in range(users):  # warm-up: imports, compiled catalogue, connection pool
        await dispatcher.handle(incoming(i))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i in range(updates):
        replies = await dispatcher.handle(incoming(i))
    cpu = (time.process_time() - cpu0) * 1000 / updates
    wall = (time.perf_counter() - wall0) * 1000 / updates
    print(
        f"/yeucau: {cpu:.2f} ms CPU per update ({wall:.2f} ms wall, {updates:,} updates; "
        "goal <= 5 ms)"
    )
    print("    sample reply: " + replies[0].text.splitlines()[0])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--officials", type=int, default=24150)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.officials, args.rounds, args.updates = min(args.officials, 6000), 2, 200
    server = None
    workdir = Path(tempfile.mkdtemp(prefix="bench-req-"))
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
            per_s = await bench_evaluation(db, args.rounds)
            wall, cpu = await bench_compliance(db, args.rounds)
            await bench_yeucau(db, args.updates, args.users)
            print(f"RESULT evaluation_per_s={per_s:.0f} goal=100000 better=higher")
            print(f"RESULT compliance_{people}_s={wall:.2f} goal=1.0 unit=s")
            print(f"RESULT compliance_{people}_cpu_s={cpu:.2f} goal=1.0 unit=s")
        finally:
            await db.dispose()
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    asyncio.run(main())
