"""A province-wide broadcast, end to end against the fake Bot API. Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_broadcast.py                       # 24,150 at 25/s
    .venv/bin/python benchmarks/bench_broadcast.py --rate 1000 --server-limit 0

Seeds the demo province (24,150 officials), links every official, then as the province
admin: resolves the audience "everyone" and counts who is reachable (the preview an admin
waits for), writes the outbox rows, and lets a sender in its own process drain them. The
fake server enforces Telegram's flood limit (30/s by default) and answers 429 above it.
Goals (issue #6): preview <= 1 s; sustained rate >= 0.97 x ceiling; no one-second window
above the ceiling; no 429 while the ceiling is under the server's limit; sender CPU <= 1 ms
per message; with a raised ceiling the pipeline itself goes >= 1,000 messages/s.

Every audience kind's preview (resolve + reach, what the admin waits for) is timed too,
best of three (goal <= 0.5 s each at 24,150, issue #15.6). `--previews-only` skips the
sender; `--quick` seeds 6,000 officials and sends to the first 500. The last lines are
`RESULT ...` for benchmarks/run_all.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text

from benchmarks._sender_run import database_url, report, run_sender
from bot.db import Database, upgrade
from models.courses.catalogue import Course
from models.demo import PROVINCE_FILE as DEMO_PROVINCE_FILE
from models.demo.province import seed_demo_province
from models.notices import (
    audiences,
    broadcasts,
)
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.store import current_catalogue, ensure_default_catalogue, use_province_file
from models.requirements.training_records import seed_demo_training
from tests.fake_bot_api import FakeBotApi

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 in Việt Nam, a Thursday
TODAY = date(2026, 11, 26)

LINK_ALL = """
INSERT INTO chat_accounts (channel, external_user_id, chat_id, official_id, linked_at,
                           failed_link_attempts, created_at, last_seen_at)
SELECT 'telegram', CAST(5000000 + id AS text), CAST(5000000 + id AS text), id, :at, 0,
       :at, :at
FROM officials
"""

TEXT = (
    "Sở Nội vụ thông báo: lớp bồi dưỡng kiến thức pháp luật năm 2026 mở đăng ký đến "
    "hết ngày 10/12/2026. Đề nghị anh/chị chưa hoàn thành đăng ký sớm."
)

# The demo province's rules and targets, as before the catalogue split (#13.1).
use_province_file(DEMO_PROVINCE_FILE)


async def prepare(db: Database, size: int) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        await seed_demo_province(session, size=size, today=TODAY)
        await seed_demo_training(session, seed=2026, today=TODAY)
        await session.execute(text(LINK_ALL), {"at": NOW})


async def preview_and_queue(
    db: Database, limit: int | None, rule_id: str
) -> tuple[int, float, float, float]:
    """(queued, preview seconds for "everyone", preview seconds for "still owes the
    yearly law refresher", queue seconds) as the province admin."""
    async with db.transaction() as session:
        root = await session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))
        admin = await session.scalar(select(Official).where(Official.employee_code == "DB000006"))
        assert root is not None and admin is not None
        scope = Scope((root,))
        catalogue = await current_catalogue(session)

        t0 = time.perf_counter()
        ids = await audiences.resolve(
            session, audiences.Audience("all"), scope, today=TODAY, catalogue=catalogue
        )
        assert ids is not None
        reach = await audiences.reach(session, ids)
        preview_all = time.perf_counter() - t0

        rule = catalogue.rules_by_id[rule_id]
        t0 = time.perf_counter()
        owing = await audiences.resolve(
            session, audiences.Audience("owes", rule.id), scope, today=TODAY, catalogue=catalogue
        )
        await audiences.reach(session, owing or ())
        preview_owes = time.perf_counter() - t0
        print(
            f"audience: {len(ids):,} officials, {reach.reachable:,} reachable; "
            f"{len(owing or ()):,} still owe “{rule.id}”"
        )

        if limit:
            ids = ids[:limit]
        t0 = time.perf_counter()
        broadcast = broadcasts.Broadcast(
            admin_official_id=admin.id,
            scope_unit_id=root.id,
            scope_name=root.name,
            audience_kind="all",
            text=TEXT,
            admin_channel="telegram",
            admin_chat_id="1",
            recipients=len(ids),
            not_linked=reach.not_linked,
            unreachable=reach.unreachable,
            created_at=NOW,
        )
        session.add(broadcast)
        await session.flush()
        queued = await broadcasts.queue(session, broadcast, ids, now=NOW, actor="bench")
    return queued, preview_all, preview_owes, time.perf_counter() - t0


async def bench_previews(db: Database, rule_id: str) -> dict[str, float]:
    """Best-of-three wall seconds per audience kind, as the province admin."""
    async with db.transaction() as session:
        root = await session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None)))
        assert root is not None
        child = await session.scalar(
            select(OrgUnit).where(OrgUnit.parent_id == root.id).order_by(OrgUnit.id)
        )
        course = await session.scalar(select(Course).order_by(Course.id))
        scope = Scope((root,))
        catalogue = await current_catalogue(session)
        cases = {
            "all": audiences.Audience("all"),
            "level": audiences.Audience("level", "commune"),
            "category": audiences.Audience("category", "cong_chuc"),
            "rank": audiences.Audience("rank", "chuyen_vien"),
            "owes": audiences.Audience("owes", rule_id),
        }
        if child is not None:
            cases["unit"] = audiences.Audience("unit", str(child.id))
        if course is not None:
            cases["course"] = audiences.Audience("course", str(course.id))
        timings: dict[str, float] = {}
        for name, audience in cases.items():
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                ids = await audiences.resolve(
                    session, audience, scope, today=TODAY, catalogue=catalogue
                )
                reach = await audiences.reach(session, ids or ())
                best = min(best, time.perf_counter() - t0)
            timings[name] = best
            print(
                f"preview “{name}”: {best:.3f} s, {len(ids or ()):,} officials, "
                f"{reach.reachable:,} reachable (goal <= 0.5 s)"
            )
    return timings


def print_results(timings: dict[str, float]) -> None:
    worst = max(timings, key=lambda k: timings[k])
    print(f"slowest preview: “{worst}”")
    print(f"RESULT broadcast_preview_max_s={timings[worst]:.3f} goal=0.5 unit=s")
    for name in ("all", "owes"):
        print(f"RESULT broadcast_preview_{name}_s={timings[name]:.3f} goal=0.5 unit=s")


async def main(args: argparse.Namespace) -> None:
    if args.quick:
        args.officials, args.limit = min(args.officials, 6000), args.limit or 500
    with tempfile.TemporaryDirectory() as tmp:
        url, server = await database_url(args.database, Path(tmp))
        try:
            await asyncio.to_thread(upgrade, url)
            db = Database(url)
            await prepare(db, args.officials)
            timings = await bench_previews(db, args.rule)
            if args.previews_only:
                await db.dispose()
                print_results(timings)
                return
            queued, preview_all, preview_owes, queue_s = await preview_and_queue(
                db, args.limit, args.rule
            )
            await db.dispose()
            async with FakeBotApi() as fake:
                if args.server_limit:
                    fake.max_per_second = args.server_limit
                    fake.max_per_chat_per_second = 1
                stats = await run_sender(
                    url,
                    fake,
                    rate=args.rate,
                    concurrency=args.concurrency,
                    now=NOW.isoformat(),
                    batch=args.batch,
                )
        finally:
            if server is not None:
                server.stop()
    print(
        f"database: {args.database}; concurrency {args.concurrency}; "
        f"server limit {args.server_limit or 'none'}/s"
    )
    print(
        f"preview, everyone in the province: {preview_all:.2f} s (goal <= 1 s); "
        f"“still owes a requirement”: {preview_owes:.2f} s"
    )
    print(f"outbox rows written: {queued:,} in {queue_s:.2f} s")
    report(fake, stats, args.rate)
    print_results(timings)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--officials", type=int, default=24150)
    p.add_argument("--limit", type=int, default=None, help="send to the first N only")
    p.add_argument("--rate", type=float, default=25)
    p.add_argument("--server-limit", type=float, default=30, help="0: no flood limit")
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--batch", type=int, default=50, help="rows a sender claims at a time")
    p.add_argument("--rule", default="DB-SEED-03", help="the rule of the “still owes” preview")
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--previews-only", action="store_true", help="time the previews, no sending")
    p.add_argument("--quick", action="store_true")
    asyncio.run(main(p.parse_args()))
