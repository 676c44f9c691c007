"""Speed of the notice sender against the fake Bot API. Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_sender.py [--notices 3000] [--database sqlite]
        # both goals: 3,000 at 25/s, then 10,000 at 1,000/s (what run_all runs)
    .venv/bin/python benchmarks/bench_sender.py --rate 25 [--notices 600]   # one ceiling

The sender runs in its own process (tests/sender_child.py), so its CPU time is its own; the
fake Bot API runs here and timestamps every request on arrival. Goals (issue #5):
sustained rate >= 0.97 x ceiling, zero one-second windows above the ceiling, bot CPU per
notice <= 1 ms. SENDER_PROFILE=FILE writes a CPU profile of the sender (python -m pstats).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._sender_run import database_url, report, run_sender
from bot.db import Database, upgrade
from tests.fake_bot_api import FakeBotApi
from tests.notice_world import queue_notices, seed_people

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url, server = await database_url(args.database, Path(tmp))
        try:
            await asyncio.to_thread(upgrade, url)
            db = Database(url)
            async with db.transaction() as session:
                ids = await seed_people(session, args.notices)
                await queue_notices(session, ids, due=NOW - timedelta(minutes=1))
            await db.dispose()
            async with FakeBotApi() as fake:
                stats = await run_sender(
                    url, fake, rate=args.rate, concurrency=args.concurrency, now=NOW.isoformat()
                )
        finally:
            if server is not None:
                server.stop()
    print(f"database: {args.database}; concurrency {args.concurrency}")
    report(fake, stats, args.rate)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--notices", type=int, default=3000)
    p.add_argument(
        "--rate", type=float, default=None, help="one run at this ceiling (default: --both)"
    )
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--quick", action="store_true", help="600 notices at 25/s and 3,000 at 1,000/s")
    p.add_argument(
        "--both", action="store_true", help="25/s (CPU per message) and 1,000/s (pipeline)"
    )
    parsed = p.parse_args()
    if parsed.quick or parsed.both or parsed.rate is None:
        # The two goals of issue #15 point 4: CPU per message at Telegram's 25/s, and the
        # pipeline against a 1,000/s ceiling (paid broadcasts), 16 sends in flight.
        small = 600 if parsed.quick else parsed.notices
        for notices, rate, concurrency in (
            (small, 25.0, 4),
            (3000 if parsed.quick else 10_000, 1000.0, 16),
        ):
            asyncio.run(
                main(
                    argparse.Namespace(
                        **{
                            **vars(parsed),
                            "notices": notices,
                            "rate": rate,
                            "concurrency": concurrency,
                        }
                    )
                )
            )
    else:
        asyncio.run(main(parsed))
