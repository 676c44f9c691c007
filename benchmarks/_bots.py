"""The two bots the /hoso benchmark compares, each run in its own process.

python benchmarks/_bots.py echo   BASE_URL FILE_URL REPLIES_PICKLE
python benchmarks/_bots.py troly  BASE_URL FILE_URL DATABASE_URL

Both run our whole Telegram stack (bot/channels/telegram.py: the aiohttp request class,
the per-chat update processor, the same concurrency, lanes and reply rendering). The echo
only swaps the Dispatcher for one that answers every update with the replies the real bot
gave (captured by bench_hoso.py), so the difference between the two is our dispatch: the
transaction, the queries and the handler.

BENCH_TIMINGS=path: the bot writes "start_monotonic duration statements" per handled update
there on exit, for the handler-time percentiles (CLOCK_MONOTONIC is system-wide on Linux);
statements is the process's running count of SQL statements sent (BEGIN and COMMIT
included) when the update ended, for the statements per update.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any

TOKEN = "123456:BENCHMARK"


@dataclass
class EchoDispatcher:
    """Answers like the bot did, without a database: by the case the update belongs to."""

    replies: dict[str, list[Any]]
    default_locale: str = "vi"
    bot_username: str | None = "troly_bench_bot"
    timings: list[tuple[float, float]] = field(default_factory=list)
    # What the runner hands to the ops server (off in benchmarks: METRICS_LISTEN is unset).
    db: Any = None
    metrics: Any = None

    async def expects_file(self, _incoming: Any) -> bool:
        return False

    async def handle(self, incoming: Any, *_args: Any, **_kwargs: Any) -> list[Any]:
        if incoming.choice is not None:
            return self.replies["button"]
        return self.replies[(incoming.text or "").lstrip("/").split()[0]]


def _settings(base_url: str, file_url: str, database_url: str) -> Any:
    from bot.config import Settings

    return replace(
        Settings.from_env({**os.environ, "DATABASE_URL": database_url}),
        telegram_token=TOKEN,
        telegram_api_base_url=base_url,
        telegram_file_base_url=file_url,
    )


STATEMENTS = [0]  # SQL statements sent so far, BEGIN and COMMIT included


def _count_statements(engine: Any) -> None:
    from sqlalchemy import event

    def counted(*_args: Any) -> None:
        STATEMENTS[0] += 1

    for name in ("before_cursor_execute", "begin", "commit", "rollback"):
        event.listen(engine.sync_engine, name, counted)


def _timed(dispatcher: Any) -> list[tuple[float, float, int]]:
    """Wraps dispatcher.handle to record when each update started and how long it took."""
    timings: list[tuple[float, float, int]] = []
    handle = dispatcher.handle

    async def timed_handle(incoming: Any, *args: Any, **kwargs: Any) -> list[Any]:
        start = time.monotonic()
        try:
            return await handle(incoming, *args, **kwargs)
        finally:
            timings.append((start, time.monotonic() - start, STATEMENTS[0]))

    dispatcher.handle = timed_handle
    return timings


def _serve(settings: Any, dispatcher: Any) -> None:
    from bot.channels import telegram

    timings = _timed(dispatcher)
    profile_to = os.environ.get("BOT_PROFILE")  # a CPU profile of the whole run (pstats)
    try:
        if not profile_to:
            telegram.run(settings, dispatcher)
            return
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.runcall(telegram.run, settings, dispatcher)
        profiler.dump_stats(profile_to)
    finally:
        out = os.environ.get("BENCH_TIMINGS")
        if out:
            with open(out, "w") as handle:
                handle.writelines(f"{start} {took} {n}\n" for start, took, n in timings)


def run_echo(base_url: str, file_url: str, replies_path: str) -> None:
    from bot.__main__ import configure_logging

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)
    with open(replies_path, "rb") as handle:
        replies = pickle.load(handle)  # written by bench_hoso.py a moment ago
    settings = _settings(base_url, file_url, "sqlite+aiosqlite:///:memory:")
    _serve(settings, EchoDispatcher(replies, settings.default_locale))


def run_troly(base_url: str, file_url: str, database_url: str) -> None:
    from bot.__main__ import configure_logging, make_dispatcher, use_province
    from bot.db import Database

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)
    settings = _settings(base_url, file_url, database_url)
    use_province(settings, demo=True)  # the demo province's rules
    db = Database(settings.database_url)
    _count_statements(db.engine)
    _serve(settings, make_dispatcher(settings, db))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    kind, *args = sys.argv[1:]
    run_echo(*args) if kind == "echo" else run_troly(*args)
