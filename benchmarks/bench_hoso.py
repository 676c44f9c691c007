"""Bot CPU time per /hoso update on a database of 24,150 officials, against a bare
python-telegram-bot echo bot on the same fake Bot API server, and start-up time to the
first getUpdates. Prints ratios; it is not part of the test suite.

    .venv/bin/python benchmarks/bench_hoso.py [--updates 2000] [--officials 24150]

Each bot runs in its own process; its CPU time (user + system) is read from /proc, so the
fake server's own work is not counted. Goals (issue #2): ratio <= 2x, start-up <= 1.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.db import Database, upgrade
from models.chat import accounts
from models.demo.province import seed_demo_province
from models.org.officials import Official
from tests.fake_bot_api import FakeBotApi

TICKS = os.sysconf("SC_CLK_TCK")
FIRST_USER = 7_000_000


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def prepare_database(url: str, officials: int, users: int) -> None:
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    from sqlalchemy import select

    async with db.transaction() as session:
        await seed_demo_province(session, size=officials, today=datetime.now(UTC).date())
    async with db.transaction() as session:
        rows = (await session.scalars(select(Official).order_by(Official.id).limit(users))).all()
        now = datetime.now(UTC)
        for i, official in enumerate(rows):
            uid = str(FIRST_USER + i)
            account = await accounts.get_or_create(
                session, channel="telegram", user_id=uid, chat_id=uid, now=now
            )
            if account.official_id != official.id:
                await accounts.link(session, account, official, method="bench", now=now)
    await db.dispose()


async def measure(kind: str, extra: list[str], updates: int, users: int, text: str) -> dict:
    fake = await FakeBotApi(max_poll_wait=1.0).start()
    started = time.monotonic()
    proc = subprocess.Popen(  # noqa: ASYNC220 - started once, before measuring
        [
            sys.executable,
            str(ROOT / "benchmarks" / "_bots.py"),
            kind,
            fake.base_url,
            fake.base_file_url,
            *extra,
        ],
        cwd=ROOT,
    )
    try:
        await fake.wait_requests("getUpdates", 1, timeout=30)
        first_poll = fake.calls("getUpdates")[0].time - started
        # Warm-up: first-use imports, caches and connection pools are not per-update costs.
        for i in range(users):
            fake.push_text(FIRST_USER + i, text)
        await fake.wait_for(lambda: len(fake.sent) >= users, timeout=60)
        base_sent = len(fake.sent)
        cpu0, wall0 = cpu_seconds(proc.pid), time.monotonic()
        for i in range(updates):
            fake.push_text(FIRST_USER + i % users, text)
        await fake.wait_for(lambda: len(fake.sent) >= base_sent + updates, timeout=300)
        cpu1, wall1 = cpu_seconds(proc.pid), time.monotonic()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        await fake.stop()
    return {
        "startup_s": first_poll,
        "cpu_ms_per_update": (cpu1 - cpu0) * 1000 / updates,
        "updates_per_s": updates / (wall1 - wall0),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--officials", type=int, default=24150)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args()
    server = None
    if args.database == "postgresql":
        import tempfile

        from tests.pg_server import start_postgres

        server = start_postgres(Path(tempfile.mkdtemp(prefix="bench-pg-")))
        server.create_database("bench")
        url = server.url("bench")
    else:
        db_path = ROOT / "data" / f"bench-{args.officials}.sqlite3"
        url = f"sqlite+aiosqlite:///{db_path}"
    try:
        await prepare_database(url, args.officials, args.users)
        await report(args, url)
    finally:
        if server is not None:
            server.stop()


async def report(args: argparse.Namespace, url: str) -> None:

    echo = await measure("echo", [], args.updates, args.users, "/hoso")
    troly = await measure("troly", [url], args.updates, args.users, "/hoso")
    ratio = troly["cpu_ms_per_update"] / echo["cpu_ms_per_update"]
    print(f"database:                     {args.database}, {args.officials:,} officials")
    print(f"updates measured:             {args.updates:,} from {args.users} linked users")
    print(
        f"echo bot  CPU per update:     {echo['cpu_ms_per_update']:.2f} ms "
        f"({echo['updates_per_s']:.0f} updates/s)"
    )
    print(
        f"troly /hoso CPU per update:   {troly['cpu_ms_per_update']:.2f} ms "
        f"({troly['updates_per_s']:.0f} updates/s)"
    )
    print(f"ratio troly/echo:             {ratio:.2f}x   (goal <= 2x)")
    print(
        f"start-up to first getUpdates: echo {echo['startup_s']:.2f} s, "
        f"troly {troly['startup_s']:.2f} s   (goal <= 1.5 s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
