"""Start-up of the Telegram bot: `python -m bot run telegram` in a fresh process against the
fake Bot API, timed from the spawn to its first getUpdates, with its resident memory then.
Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_start.py [--rounds 5] [--quick]

Goal (issue #15 point 5): <= 1.0 s to the first getUpdates and <= 100 MB RSS. The median of
the rounds is reported (the first round also pays for a cold page cache). Also prints the
floor: a bare `python -c "import aiohttp, telegram.ext, sqlalchemy.ext.asyncio"`, what any
bot on this stack pays before its own code runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import upgrade
from tests.fake_bot_api import FakeBotApi

TOKEN = "123456:START-BENCH"
START_GOAL_S = 1.0
RSS_GOAL_MB = 100.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def one_start(fake: FakeBotApi, database_url: str) -> tuple[float, float]:
    """Seconds from spawn to the first getUpdates, and the child's RSS (MB) at that moment."""
    before = len(fake.calls("getUpdates"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_FILE_BASE_URL": fake.base_file_url,
        "SCHEDULER_IN_PROCESS": "0",
        "LINK_CODE_SECRET": "start-bench-" + "x" * 32,
    }
    started = time.monotonic()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "telegram",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await fake.wait_for(lambda: len(fake.calls("getUpdates")) > before, timeout=30)
        memory = rss_mb(child.pid)
        first = fake.calls("getUpdates")[before].time
        return first - started, memory
    finally:
        if child.returncode is None:
            child.terminate()
        await child.wait()


async def floor() -> float:
    started = time.monotonic()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import aiohttp, telegram.ext, sqlalchemy.ext.asyncio"
    )
    await child.wait()
    return time.monotonic() - started


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'start.sqlite3'}"
        await asyncio.to_thread(upgrade, url)
        starts: list[float] = []
        memories: list[float] = []
        floors: list[float] = []
        async with FakeBotApi() as fake:
            for _ in range(args.rounds):
                took, memory = await one_start(fake, url)
                starts.append(took)
                memories.append(memory)
                floors.append(await floor())
    start = statistics.median(starts)
    memory = statistics.median(memories)
    bare = statistics.median(floors)
    print(f"rounds: {args.rounds}; start times {', '.join(f'{s:.2f}' for s in starts)} s")
    print(
        f"start to first getUpdates: {start:.2f}s (goal <= {START_GOAL_S} s); "
        f"floor (importing aiohttp, telegram.ext, sqlalchemy): {bare:.2f}s"
    )
    print(f"RSS at first getUpdates: {memory:.0f} MB (goal <= {RSS_GOAL_MB:.0f} MB)")
    print(f"RESULT start_s={start:.3f} goal={START_GOAL_S} unit=s")
    print(f"RESULT start_rss_mb={memory:.1f} goal={RSS_GOAL_MB} unit=MB")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="3 rounds")
    parsed = p.parse_args()
    if parsed.quick:
        parsed.rounds = min(parsed.rounds, 3)
    asyncio.run(main(parsed))
