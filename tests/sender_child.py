"""A sender in its own process, for tests that kill it (SIGKILL) or run two at once, and for
benchmarks/bench_sender.py. Prints one JSON line of statistics when it has drained.

    python -m tests.sender_child DB_URL BASE_URL --rate R --concurrency C --now ISO
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import resource
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.channels.telegram_transport import TelegramTransport
from bot.db import Database
from bot.sender import Sender, SenderConfig
from models.notices.send_window import SendWindow

TOKEN = "123456:NOTICE-TEST"


async def main(args: argparse.Namespace) -> dict[str, object]:
    start_wall = datetime.fromisoformat(args.now).astimezone(UTC)
    t0 = time.monotonic()

    def clock() -> datetime:
        # Real time passes, but it starts at the moment the test chose (not quiet hours).
        return start_wall + timedelta(seconds=time.monotonic() - t0)

    db = Database(args.db_url)
    transport = TelegramTransport(
        TOKEN,
        base_url=args.base_url,
        connections=args.concurrency + 2,
        read_timeout=args.read_timeout,
    )
    config = SenderConfig(
        concurrency=args.concurrency,
        batch_size=args.batch,
        backoff_base=0.2,
        backoff_max=1.0,
        drain_wait=args.drain_wait,
        lock_poll=0.1,
    )
    sender = Sender(
        db,
        {"telegram": transport},
        limits={"telegram": args.rate},
        window=SendWindow(tz=ZoneInfo("Asia/Ho_Chi_Minh"), quiet=None),
        config=config,
        clock=clock,
    )
    profile_to = os.environ.get("SENDER_PROFILE")  # benchmarks: CPU profile of the drain
    profiler = cProfile.Profile(time.process_time) if profile_to else None
    cpu0 = time.process_time()
    wall0 = time.monotonic()
    if profiler is not None:
        profiler.enable()
    stats = await sender.drain()
    cpu = time.process_time() - cpu0
    if profiler is not None and profile_to:
        profiler.disable()
        profiler.dump_stats(profile_to)
    wall = time.monotonic() - wall0
    await transport.close()
    await db.dispose()
    return {
        "outcomes": dict(stats.outcomes),
        "requests": stats.requests,
        "commits": stats.commits,
        "recovered_unknown": stats.recovered_unknown,
        "requeued": stats.requeued,
        "cpu": cpu,
        "wall": wall,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("db_url")
    p.add_argument("base_url")
    p.add_argument("--rate", type=float, default=25)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--now", default="2026-11-26T03:00:00+00:00")
    p.add_argument("--read-timeout", type=float, default=10.0)
    p.add_argument("--drain-wait", type=float, default=5.0)
    print(json.dumps(asyncio.run(main(p.parse_args()))), flush=True)
