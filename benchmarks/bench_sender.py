"""Speed of the notice sender against the fake Bot API. Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_sender.py [--notices 3000] [--rate 25] [--database sqlite]

The sender runs in its own process (tests/sender_child.py), so its CPU time is its own; the
fake Bot API runs here and timestamps every request on arrival. Goals (issue #5):
sustained rate >= 0.97 x ceiling, zero one-second windows above the ceiling, bot CPU per
notice <= 1 ms. SENDER_PROFILE=FILE writes a CPU profile of the sender (python -m pstats).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import Database, upgrade  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402
from tests.notice_world import queue_notices, seed_people  # noqa: E402
from tests.sender_checks import max_in_window, per_chat_violations, sends  # noqa: E402

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def database_url(kind: str, workdir: Path) -> tuple[str, object | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}", None
    from tests.pg_server import start_postgres

    server = start_postgres(workdir / "pg")
    server.create_database("bench")
    return server.url("bench"), server


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
                child = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "tests.sender_child", url, fake.base_url,
                    "--rate", str(args.rate), "--concurrency", str(args.concurrency),
                    "--now", NOW.isoformat(), "--drain-wait", "0",
                    cwd=ROOT, stdout=asyncio.subprocess.PIPE,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                out, _ = await child.communicate()
            stats = json.loads(out.decode().strip().splitlines()[-1])
        finally:
            if server is not None:
                server.stop()  # type: ignore[attr-defined]
    times = sorted(t for t, _chat, status in sends(fake) if status == 200)
    n = len(times)
    rate = (n - 1) / (times[-1] - times[0])
    worst = max_in_window(times)
    print(f"database: {args.database}; {n:,} notices sent at ceiling {args.rate}/s, "
          f"concurrency {args.concurrency}")
    print(f"sustained rate: {rate:.2f}/s = {rate / args.rate:.3f} x ceiling (goal >= 0.97)")
    print(f"busiest one-second window: {worst} (ceiling {args.rate:g}; windows above: "
          f"{'none' if worst <= args.rate else 'SOME'})")
    print(f"per-chat violations: {per_chat_violations(fake)}")
    cpu_ms = stats["cpu"] * 1000 / n
    print(f"sender CPU: {cpu_ms:.3f} ms per notice (goal <= 1 ms; {stats['cpu']:.2f} s CPU, "
          f"{stats['wall']:.1f} s wall, peak RSS {stats['maxrss_kb'] / 1024:.0f} MB)")
    print(f"outcomes: {stats['outcomes']}")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--notices", type=int, default=3000)
    p.add_argument("--rate", type=float, default=25)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    asyncio.run(main(p.parse_args()))
