"""Bot CPU per update for /hoso, /yeucau and a button press ("Vì sao?"), against a fair
echo: the same Telegram stack (aiohttp request class, per-chat update processor, the same
concurrency) sending the very replies the bot sent, captured from one real bot reply per
case. The database is the demo province with its training records and courses. Not part
of the test suite.

    .venv/bin/python benchmarks/bench_hoso.py [--quick] [--case all|hoso|yeucau|button]
        [--database both|sqlite|postgresql] [--rounds 3] [--updates 2000] [--officials 24150]

Each bot runs in its own process; its CPU time (user + system) is read from /proc, so the
fake Bot API server's own work is not counted. Echo and bot alternate over the rounds; the
ratio printed is the median of the rounds' ratios with their spread (min–max). The p95 is
the bot's Dispatcher.handle wall time (queueing behind the SQLite writer lock included).
PostgreSQL: BENCH_DATABASE_URL, else a throwaway server (tests/pg_server.py). The default
runs both databases, one after the other (run_all.py passes no --database).

Last lines, one per case, for benchmarks/run_all.py:
    RESULT hoso_cpu_ratio_sqlite=1.83 goal=2.0
Goal (issue #15 point 2): bot CPU per update <= 2x the fair echo, on both databases.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings
from bot.db import Database, upgrade
from bot.dispatch import Dispatcher
from handlers.types import Incoming, Reply
from models.chat import accounts
from models.demo import PROVINCE_FILE as DEMO_PROVINCE_FILE
from models.demo.courses import seed_demo_courses
from models.demo.province import seed_demo_province
from models.org.officials import Official
from models.requirements.store import ensure_default_catalogue, use_province_file
from models.requirements.training_records import seed_demo_training
from tests.fake_bot_api import FakeBotApi

# The demo province's rules and targets (#13.1 split the catalogue).
use_province_file(DEMO_PROVINCE_FILE)

TICKS = os.sysconf("SC_CLK_TCK")
FIRST_USER = 7_000_000
CASES = ("hoso", "yeucau", "button")
GOAL_RATIO = 2.0
WHY_LABEL = " 1?"  # the first "❓ Vì sao mục 1?" button of a /yeucau reply


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def prepare_database(url: str, officials: int, users: int) -> None:
    """The demo province as `troly demo` seeds it: roster, catalogue, records, courses."""
    await asyncio.to_thread(upgrade, url)
    settings = Settings.from_env({"DATABASE_URL": url})
    db = Database(url)
    from sqlalchemy import select

    today = datetime.now(settings.timezone).date()
    async with db.transaction() as session:
        await seed_demo_province(session, size=officials, today=today)
        await ensure_default_catalogue(session, datetime.now(UTC))
        await seed_demo_training(session, seed=2026, today=today)
        await seed_demo_courses(session, seed=2026, today=today, tz=settings.timezone)
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


async def capture_replies(url: str, uid: str = str(FIRST_USER)) -> dict[str, list[Reply]]:
    """What the real bot answers one linked user, per case (its second answer: the first
    one also carries the once-only privacy notice)."""
    db = Database(url)
    dispatcher = Dispatcher(db=db, settings=Settings.from_env({"DATABASE_URL": url}))

    async def ask(text: str | None = None, choice: str | None = None) -> list[Reply]:
        incoming = Incoming("telegram", uid, uid, text=text, choice=choice, language_hint="vi")
        await dispatcher.handle(incoming)
        return await dispatcher.handle(incoming)

    replies = {"hoso": await ask("/hoso"), "yeucau": await ask("/yeucau")}
    why = next(c.value for c in replies["yeucau"][0].choices if WHY_LABEL in c.label)
    replies["button"] = await ask(choice=why)
    await db.dispose()
    return replies


@dataclass
class Run:
    """One bot process: per case, CPU ms per update and the measured windows."""

    startup_s: float = 0.0
    cpu_ms: dict[str, float] = field(default_factory=dict)
    per_s: dict[str, float] = field(default_factory=dict)
    windows: dict[str, tuple[float, float]] = field(default_factory=dict)
    timings: list[tuple[float, float, int]] = field(default_factory=list)

    def handler_ms(self, case: str) -> list[float]:
        start, end = self.windows[case]
        return [took * 1000 for at, took, _n in self.timings if start <= at <= end]

    def statements_per_update(self, case: str) -> float:
        """SQL statements (BEGIN and COMMIT included) per update in the case's window."""
        start, end = self.windows[case]
        counts = [n for at, _took, n in self.timings if start <= at <= end]
        before = [n for at, _took, n in self.timings if at < start]
        if not counts:
            return 0.0
        return (max(counts) - (max(before) if before else 0)) / len(counts)


async def measure(
    kind: str, extra: list[str], cases: list[str], updates: int, users: int, per_update: dict
) -> Run:
    fake = await FakeBotApi(max_poll_wait=1.0).start()
    timings_file = Path(tempfile.mkstemp(prefix="bench-timings-")[1])
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
        env={**os.environ, "BENCH_TIMINGS": str(timings_file)},
    )
    run = Run()
    buttons: dict[int, tuple[int, str]] = {}

    def push(case: str, n: int) -> None:
        for i in range(n):
            uid = FIRST_USER + i % users
            if case == "button":
                message_id, data = buttons[uid]
                fake.push_callback(uid, message_id, data)
            else:
                fake.push_text(uid, f"/{case}")

    async def drain(n: int) -> None:
        goal = len(fake.sent) + n
        await fake.wait_for(lambda: len(fake.sent) >= goal, timeout=600)

    try:
        await fake.wait_requests("getUpdates", 1, timeout=30)
        run.startup_s = fake.calls("getUpdates")[0].time - started
        for case in cases:
            if case == "button" and not buttons:
                push("yeucau", users)  # the messages whose "Vì sao?" button is pressed
                await drain(users * per_update["yeucau"])
            # Warm-up: first-use imports, caches and connection pools are not per-update costs.
            push(case, users)
            await drain(users * per_update[case])
            cpu0, wall0 = cpu_seconds(proc.pid), time.monotonic()
            push(case, updates)
            await drain(updates * per_update[case])
            cpu1, wall1 = cpu_seconds(proc.pid), time.monotonic()
            run.cpu_ms[case] = (cpu1 - cpu0) * 1000 / updates
            run.per_s[case] = updates / (wall1 - wall0)
            run.windows[case] = (wall0, wall1)
            if case == "yeucau":
                for i in range(users):
                    sent = fake.last_sent(FIRST_USER + i)
                    buttons[FIRST_USER + i] = (sent.message_id, sent.callback_data(WHY_LABEL))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        await fake.stop()
    run.timings = read_timings(timings_file)
    return run


def read_timings(path: Path) -> list[tuple[float, float, int]]:
    lines = path.read_text().splitlines()
    path.unlink()
    return [
        (float(at), float(took), int(n) if n else 0)
        for at, took, *rest in (line.split() for line in lines)
        for n in (rest[0] if rest else "",)
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=2000, help="per case and round")
    parser.add_argument("--officials", type=int, default=24150)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--case", choices=["all", *CASES], default="all")
    parser.add_argument("--database", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--quick", action="store_true", help="a small run while developing")
    args = parser.parse_args()
    if args.quick:
        args.updates, args.officials, args.users = 300, 3000, 50
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    for database in databases:
        await bench_database(argparse.Namespace(**{**vars(args), "database": database}))


async def bench_database(args: argparse.Namespace) -> None:
    server = None
    if args.database == "postgresql":
        url = os.environ.get("BENCH_DATABASE_URL", "")
        if not url:
            from tests.pg_server import start_postgres

            server = start_postgres(Path(tempfile.mkdtemp(prefix="bench-pg-")))
            server.create_database("bench")
            url = server.url("bench")
    else:
        db_path = ROOT / "data" / f"bench-hoso-{args.officials}.sqlite3"
        url = f"sqlite+aiosqlite:///{db_path}"
    try:
        await prepare_database(url, args.officials, args.users)
        await report(args, url)
    finally:
        if server is not None:
            server.stop()


async def report(args: argparse.Namespace, url: str) -> None:
    cases = list(CASES) if args.case == "all" else [args.case]
    replies = await capture_replies(url)
    per_update = {case: len(r) for case, r in replies.items()}
    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as handle:
        pickle.dump(replies, handle)
    echoes: list[Run] = []
    bots: list[Run] = []
    try:
        for _round in range(args.rounds):
            size = (cases, args.updates, args.users, per_update)
            echoes.append(await measure("echo", [handle.name], *size))
            bots.append(await measure("troly", [url], *size))
    finally:
        os.unlink(handle.name)

    print(f"database: {args.database}, {args.officials:,} demo officials with training records")
    print(
        f"{args.rounds} rounds (echo and bot alternating), {args.updates:,} updates per case "
        f"and round from {args.users} linked users; reply sizes: "
        + ", ".join(f"{c} {sum(len(r.text) for r in replies[c])} chars" for c in cases)
    )
    print(
        f"{'case':<8} {'echo ms':>8} {'bot ms':>8} {'ratio':>6} {'min–max':>11} "
        f"{'bot/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'SQL/upd':>7}"
    )
    results = []
    for case in cases:
        ratios = [b.cpu_ms[case] / e.cpu_ms[case] for e, b in zip(echoes, bots, strict=True)]
        handler = [ms for b in bots for ms in b.handler_ms(case)]
        ratio = statistics.median(ratios)
        print(
            f"{case:<8} {statistics.median(e.cpu_ms[case] for e in echoes):>8.2f} "
            f"{statistics.median(b.cpu_ms[case] for b in bots):>8.2f} {ratio:>5.2f}x "
            f"{min(ratios):>5.2f}–{max(ratios):<5.2f} "
            f"{statistics.median(b.per_s[case] for b in bots):>6.0f} "
            f"{percentile(handler, 0.5):>7.2f} {percentile(handler, 0.95):>7.2f} "
            f"{statistics.median(b.statements_per_update(case) for b in bots):>7.2f}"
        )
        results.append(f"RESULT {case}_cpu_ratio_{args.database}={ratio:.2f} goal={GOAL_RATIO}")
    print(
        "start-up to first getUpdates: echo "
        f"{statistics.median(e.startup_s for e in echoes):.2f} s, bot "
        f"{statistics.median(b.startup_s for b in bots):.2f} s"
    )
    for line in results:
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
