"""Start-up of the Telegram bot: `python -m bot run telegram` in a fresh process against the
fake Bot API, timed from the spawn to its first getUpdates, with its resident memory then.
Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_start.py [--rounds 5] [--quick]

Goal (issue #15 point 5): <= 1.0 s to the first getUpdates and <= 100 MB RSS. The median of
the rounds is reported, after one untimed start that fills the bytecode cache. Also prints the
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


def cpu_s(pid: int) -> float:
    """The process's CPU time so far (user + system): less sensitive to a loaded machine than
    the wall time, which also counts the waits for a core."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_environment(pycache: Path) -> dict[str, str]:
    """The environment of the timed processes: with bytecode caching on, as a deployed bot
    has it. A shell with PYTHONDONTWRITEBYTECODE=1 would otherwise make every start compile
    the project's ~300 modules from source (~25 % of the start's CPU), which the floor, reading
    the site-packages' cached bytecode, does not pay. The cache goes to a temporary
    directory (PYTHONPYCACHEPREFIX), filled by an untimed first start."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


async def one_start(
    fake: FakeBotApi, database_url: str, base_env: dict[str, str], wait_s: float = 30
) -> tuple[float, float, float]:
    """Seconds from spawn to the first getUpdates, the child's RSS (MB) and CPU seconds then."""
    before = len(fake.calls("getUpdates"))
    env = {
        **base_env,
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
        await fake.wait_for(lambda: len(fake.calls("getUpdates")) > before, timeout=wait_s)
        memory = rss_mb(child.pid)
        cpu = cpu_s(child.pid)
        first = fake.calls("getUpdates")[before].time
        return first - started, memory, cpu
    finally:
        if child.returncode is None:
            child.terminate()
        await child.wait()


async def floor(base_env: dict[str, str]) -> float:
    started = time.monotonic()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import aiohttp, telegram.ext, sqlalchemy.ext.asyncio", env=base_env
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
        cpus: list[float] = []
        base_env = child_environment(Path(tmp) / "pycache")
        async with FakeBotApi() as fake:
            await one_start(fake, url, base_env, wait_s=120)  # untimed: fills the bytecode cache
            await floor(base_env)
            for _ in range(args.rounds):
                took, memory, cpu = await one_start(fake, url, base_env)
                starts.append(took)
                cpus.append(cpu)
                memories.append(memory)
                floors.append(await floor(base_env))
    start = statistics.median(starts)
    memory = statistics.median(memories)
    bare = statistics.median(floors)
    print(f"rounds: {args.rounds}; start times {', '.join(f'{s:.2f}' for s in starts)} s")
    print(
        f"start to first getUpdates: {start:.2f}s (goal <= {START_GOAL_S} s); "
        f"floor (importing aiohttp, telegram.ext, sqlalchemy): {bare:.2f}s"
    )
    print(
        f"CPU of the bot process by its first getUpdates: {statistics.median(cpus):.2f}s "
        f"(median; {', '.join(f'{c:.2f}' for c in cpus)})"
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
