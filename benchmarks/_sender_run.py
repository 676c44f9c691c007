"""What the sender benchmarks share: a throwaway database, the sender in its own process
against a fake Bot API, and the printed figures."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_bot_api import FakeBotApi
from tests.sender_checks import max_in_window, per_chat_violations, sends


async def database_url(kind: str, workdir: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}", None
    from tests.pg_server import start_postgres

    server = start_postgres(workdir / "pg")
    server.create_database("bench")
    return server.url("bench"), server


async def run_sender(
    url: str, fake: FakeBotApi, *, rate: float, concurrency: int, now: str, batch: int = 50
) -> dict[str, Any]:
    """Drain every due notice with a sender in a child process; its statistics.

    The fake server runs in this process and stamps each request when it handles it; a
    full garbage collection over the tens of thousands of requests it keeps would hold its
    loop and stamp the next requests late, as if they had arrived together."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        return await _run_child(url, fake, rate=rate, concurrency=concurrency, now=now, batch=batch)
    finally:
        gc.enable()
        gc.unfreeze()


async def _run_child(
    url: str, fake: FakeBotApi, *, rate: float, concurrency: int, now: str, batch: int
) -> dict[str, Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.sender_child",
        url,
        fake.base_url,
        "--rate",
        str(rate),
        "--concurrency",
        str(concurrency),
        "--batch",
        str(batch),
        "--now",
        now,
        "--drain-wait",
        "0",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    out, _ = await child.communicate()
    stats: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return stats


def report(fake: FakeBotApi, stats: dict[str, Any], rate: float) -> None:
    times = sorted(t for t, _chat, status in sends(fake) if status == 200)
    n = len(times)
    sustained = (n - 1) / (times[-1] - times[0])
    worst = max_in_window(times)
    too_many = sum(1 for _t, _chat, status in sends(fake) if status == 429)
    print(f"{n:,} messages delivered at ceiling {rate:g}/s")
    print(f"sustained rate: {sustained:.2f}/s = {sustained / rate:.3f} x ceiling (goal >= 0.97)")
    print(
        f"busiest one-second window: {worst} (ceiling {rate:g}; windows above: "
        f"{'none' if worst <= rate else 'SOME'})"
    )
    print(f"429 answers: {too_many}; per-chat violations: {per_chat_violations(fake)}")
    cpu_ms = stats["cpu"] * 1000 / n
    print(
        f"sender CPU: {cpu_ms:.3f} ms per message (goal <= 1 ms; {stats['cpu']:.2f} s CPU, "
        f"{stats['wall']:.1f} s wall, peak RSS {stats['maxrss_kb'] / 1024:.0f} MB)"
    )
    print(f"outcomes: {stats['outcomes']}; {stats['commits']:,} outbox transactions")
    tag = f"{rate:g}"
    print(f"RESULT sender_{tag}_rate_x_ceiling={sustained / rate:.3f} goal=0.97 better=higher")
    print(f"RESULT sender_{tag}_windows_above_ceiling={worst} goal={rate:g}")
    print(f"RESULT sender_{tag}_cpu_ms_per_message={cpu_ms:.3f} goal=1.0 unit=ms")
