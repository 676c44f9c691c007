"""Speed of planning requirement notices, set-based over every official. Prints numbers;
not a test.

    .venv/bin/python benchmarks/bench_planning.py --database sqlite      # 24,150 officials
    .venv/bin/python benchmarks/bench_planning.py --database postgresql --officials 2400000

The clock is set to 06:00 on 1 October, a stage day of the yearly rules, when every
official has to be evaluated (the worst day). SQLite uses the demo province (24,150
officials, ~4 completions each); PostgreSQL generates officials with set-based SQL
(INSERT ... SELECT generate_series) in a throwaway server. Every official is linked.
Goals (issue #5): <= 1 s for 24,150 on SQLite, <= 60 s for 2,400,000 on PostgreSQL, memory
flat as N grows (printed: peak RSS growth during planning, and tracemalloc's peak with
--tracemalloc, which slows Python down).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text

from bot.config import Settings
from bot.db import Database, upgrade
from models.demo import PROVINCE_FILE as DEMO_PROVINCE_FILE
from models.demo.province import seed_demo_province
from models.notices.outbox import Notice
from models.notices.planning import plan_requirement_notices
from models.requirements.store import ensure_default_catalogue, use_province_file
from models.requirements.training_records import seed_demo_training

STAGE_DAY = datetime(2026, 9, 30, 23, 0, tzinfo=UTC)  # 06:00, 1 October 2026, Việt Nam
TODAY = date(2026, 10, 1)

LINK_ALL = """
INSERT INTO chat_accounts (channel, external_user_id, chat_id, official_id, linked_at,
                           failed_link_attempts, created_at, last_seen_at)
SELECT 'telegram', 'b' || id, 'b' || id, id, :at, 0, :at, :at FROM officials
"""

GENERATE = """
INSERT INTO officials (employee_code, full_name, gender, category, unit_id, level, languages,
                       active, created_at, updated_at, leadership_tier,
                       leadership_appointed_on)
SELECT 'G' || lpad(g::text, 8, '0'), 'Nguyễn Văn ' || g,
       CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END,
       (ARRAY['cong_chuc', 'vien_chuc', 'can_bo'])[1 + g % 3], :unit,
       (ARRAY['province', 'commune'])[1 + g % 2], CAST('[]' AS json), true, :at, :at,
       CASE WHEN g % 20 = 0 THEN 'truong_phong' END,
       CASE WHEN g % 20 = 0 THEN DATE '2025-07-01' + (g % 400) END
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g
"""

TRAINING = """
INSERT INTO training_records (official_id, kind, periods, completed_on, certificate_no,
                              source, import_key, created_at, updated_at)
SELECT id, 'cap_nhat_phap_luat_ky_nang', 16, DATE '2026-03-01', 'CC', 'bench',
       md5(CAST(id AS text)), :at, :at
FROM officials WHERE id % 3 = 0
"""

# The demo province's rules and targets, as before the catalogue split (#13.1).
use_province_file(DEMO_PROVINCE_FILE)


async def prepare_sqlite(db: Database, size: int) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, STAGE_DAY)
        await seed_demo_province(session, size=size, today=TODAY)
        await seed_demo_training(session, seed=2026, today=TODAY)
        await session.execute(text(LINK_ALL), {"at": STAGE_DAY})


async def prepare_postgres(db: Database, size: int) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, STAGE_DAY)
        unit = (
            await session.execute(
                text(
                    "INSERT INTO org_units"
                    " (code, name, level, kind, path, depth, ethnic_minority_area)"
                    " VALUES ('T', 'Tỉnh', 'province', 'province', '/1/', 0, false) RETURNING id"
                )
            )
        ).scalar_one()
    step = 500_000
    for first in range(1, size + 1, step):
        async with db.transaction() as session:
            await session.execute(
                text(GENERATE),
                {
                    "unit": unit,
                    "at": STAGE_DAY,
                    "first": first,
                    "last": min(first + step - 1, size),
                },
            )
    async with db.transaction() as session:
        await session.execute(text(LINK_ALL), {"at": STAGE_DAY})
        await session.execute(text(TRAINING), {"at": STAGE_DAY})
    async with db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE"))


async def bench(db: Database, use_tracemalloc: bool) -> None:
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if use_tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    async with db.transaction() as session:
        stats = await plan_requirement_notices(session, now=STAGE_DAY, settings=Settings().planning)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if use_tracemalloc else None
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    async with db.transaction() as session:
        rows = await session.scalar(select(func.count()).select_from(Notice))
    started = time.perf_counter()
    async with db.transaction() as session:
        again = await plan_requirement_notices(session, now=STAGE_DAY, settings=Settings().planning)
    second = time.perf_counter() - started
    print(
        f"planned {stats.planned:,} notices ({rows:,} rows) for {stats.officials:,} "
        f"officials in {elapsed:.2f} s = {stats.officials / elapsed:,.0f} officials/s"
    )
    print(f"second run: {again.planned} new rows in {second:.2f} s (nothing planned twice)")
    print(
        f"peak RSS growth while planning: {(rss_after - rss_before) / 1024:.0f} MB "
        f"(process peak {rss_after / 1024:.0f} MB)"
        + (f"; tracemalloc peak {peak / 1e6:.1f} MB" if peak is not None else "")
    )
    print(f"by kind: {stats.by_kind}")


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = None
        if args.database == "sqlite":
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'plan.sqlite3'}"
        else:
            from tests.pg_server import start_postgres

            server = start_postgres(Path(tmp) / "pg")
            server.create_database("plan")
            url = server.url("plan")
        try:
            await asyncio.to_thread(upgrade, url)
            db = Database(url)
            started = time.perf_counter()
            if args.database == "sqlite":
                await prepare_sqlite(db, args.officials)
            else:
                await prepare_postgres(db, args.officials)
            print(
                f"database: {args.database}; {args.officials:,} officials prepared in "
                f"{time.perf_counter() - started:.1f} s"
            )
            await bench(db, args.tracemalloc)
            await db.dispose()
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--officials", type=int, default=24150)
    p.add_argument("--tracemalloc", action="store_true")
    asyncio.run(main(p.parse_args()))
