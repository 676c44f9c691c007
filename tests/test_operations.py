"""Issue #13 point 7: what an operator runs the bot with — the .env file, log level and
JSON logs (secrets still hidden, chat ids hashed), the pool settings, and each process's
/healthz and /metrics over real HTTP on both databases."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot import ops_http
from bot.config import ConfigError, OpsSettings, Settings, load_environment
from bot.db import Database
from bot.logs import JsonFormatter, Redactor, chat_ref, log_context
from bot.metrics import Metrics
from bot.notice_service import lock_check
from models.notices.job_runs import last_runs
from scheduler.service import build_scheduler
from tests.notice_world import queue_notices, seed_people
from tests.sender_checks import fake_in_own_thread
from tests.test_sender_faults import DAY, RunningClock, make_sender

TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
PEPPER = "p" * 40


# ---------------------------------------------------------------------------- .env


def test_env_file_is_read_and_the_real_environment_wins(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# a comment\n"
        f"TELEGRAM_BOT_TOKEN={TOKEN}\n"
        f"LINK_CODE_SECRET='{PEPPER}'\n"
        "export DEMO_SIZE=120\n"
        "\n"
        "TIMEZONE=Asia/Bangkok\n",
        encoding="utf-8",
    )
    env = load_environment({"TIMEZONE": "Asia/Ho_Chi_Minh"}, cwd=tmp_path)
    settings = Settings.from_env(env)
    assert settings.telegram_token == TOKEN
    assert settings.demo_size == 120
    assert settings.timezone.key == "Asia/Ho_Chi_Minh"  # the environment over the file
    # A secret from the file is registered like one from the environment.
    assert TOKEN in settings.secrets() and PEPPER in settings.secrets()


def test_env_file_named_by_troly_env_file(tmp_path: Path) -> None:
    named = tmp_path / "province.env"
    named.write_text("DEMO_SIZE=77\n", encoding="utf-8")
    (tmp_path / ".env").write_text("DEMO_SIZE=5\n", encoding="utf-8")
    env = load_environment({"TROLY_ENV_FILE": str(named)}, cwd=tmp_path)
    assert Settings.from_env(env).demo_size == 77
    with pytest.raises(ConfigError, match="TROLY_ENV_FILE"):
        load_environment({"TROLY_ENV_FILE": str(tmp_path / "missing.env")}, cwd=tmp_path)


def test_a_malformed_env_line_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEMO_SIZE=5\nTELEGRAM BOT TOKEN 123\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\.env, line 2: expected NAME=value"):
        load_environment({}, cwd=tmp_path)


def test_no_env_file_is_fine(tmp_path: Path) -> None:
    assert load_environment({"A": "1"}, cwd=tmp_path) == {"A": "1"}


# ---------------------------------------------------------------------------- settings


def test_log_and_metrics_settings() -> None:
    default = Settings.from_env({})
    assert default.ops.log_level == "INFO" and not default.ops.log_json
    assert default.ops.metrics_listen is None  # off unless configured
    ops = Settings.from_env({"LOG_LEVEL": "debug", "LOG_FORMAT": "json", "METRICS_PORT": "9200"})
    assert ops.ops.log_level == "DEBUG" and ops.ops.log_json
    assert (ops.ops.metrics_listen, ops.ops.metrics_port) == ("127.0.0.1", 9200)
    for bad in ({"LOG_LEVEL": "loud"}, {"LOG_FORMAT": "xml"}, {"METRICS_PORT": "http"}):
        with pytest.raises(ConfigError):
            Settings.from_env(bad)


def test_pool_settings_reach_the_postgresql_engine() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://troly:pw@127.0.0.1:1/troly",
            "DATABASE_POOL_SIZE": "3",
            "DATABASE_MAX_OVERFLOW": "2",
        }
    )
    db = Database.from_settings(settings)  # no connection is made
    assert db.engine.pool.size() == 3  # type: ignore[attr-defined]
    assert db.engine.pool._max_overflow == 2  # type: ignore[attr-defined]
    for bad in ({"DATABASE_POOL_SIZE": "0"}, {"DATABASE_MAX_OVERFLOW": "many"}):
        with pytest.raises(ConfigError, match="DATABASE_"):
            Settings.from_env(bad)


def test_transaction_pooling_switches_prepared_statement_caches_off() -> None:
    kwargs = Settings.from_env({"DATABASE_STATEMENT_CACHE_SIZE": "0"}).pool.engine_kwargs()
    args = kwargs["connect_args"]
    assert args["prepared_statement_cache_size"] == 0 and args["statement_cache_size"] == 0
    names = {args["prepared_statement_name_func"]() for _ in range(3)}
    assert len(names) == 3  # unique names: another client's may exist on the server link
    assert "connect_args" not in Settings.from_env({}).pool.engine_kwargs()


# ---------------------------------------------------------------------------- JSON logs


def json_logger(secrets: tuple[str, ...]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(Redactor(secrets))
    logger = logging.getLogger("troly.test.json")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_json_lines_carry_the_context_and_hide_secrets() -> None:
    logger, stream = json_logger((TOKEN,))
    with log_context(channel="telegram", update_id=42, chat=chat_ref("5550001")):
        logger.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
        with log_context(notice_id=7):
            try:
                raise RuntimeError(f"boom {TOKEN}")
            except RuntimeError:
                logger.exception("send failed")
    logger.info("outside")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 3  # one object per line, the traceback inside its object
    first, failed, outside = lines
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert first["level"] == "INFO" and first["logger"] == "troly.test.json"
    assert first["update_id"] == 42 and first["channel"] == "telegram"
    assert first["chat"] == chat_ref("5550001") and "5550001" not in stream.getvalue()
    assert failed["notice_id"] == 7 and "RuntimeError" in failed["error"]
    assert "notice_id" not in outside and "update_id" not in outside
    assert TOKEN not in stream.getvalue() and TOKEN.split(":")[1] not in stream.getvalue()
    assert "***" in first["message"] and "***" in failed["error"]


# ---------------------------------------------------------------------------- HTTP


async def get(port: int, path: str) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as client,
        client.get(f"http://127.0.0.1:{port}{path}") as response,
    ):
        return response.status, await response.text()


LOCAL = OpsSettings(metrics_listen="127.0.0.1", metrics_port=0)


async def test_scheduler_healthz_reports_the_last_planning_run(db: Database) -> None:
    now = datetime.now(UTC)
    checks = {"last_planning_run": ops_http.planning_check(db)}
    async with ops_http.serving(LOCAL, db, Metrics(), checks) as port:
        assert port is not None
        status, body = await get(port, "/healthz")
        assert status == 503  # no planning has run yet
        assert json.loads(body) == {
            "database": "ok",
            "last_planning_run": None,
            "status": "error",
        }
        metrics = Metrics()
        scheduler = build_scheduler(
            db.transaction,
            Settings().planning,
            clock=lambda: now,
            observe=lambda job, s: metrics.planning.labels(job).observe(s),
        )
        job = scheduler.get_job("plan-courses")
        assert job is not None
        await job.func()
        status, body = await get(port, "/healthz")
    assert status == 200, body
    health = json.loads(body)
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["last_planning_run"]["job"] == "plan-courses"
    assert 0 <= health["last_planning_run"]["age_seconds"] < 60
    assert 'troly_planning_seconds_count{job="plan-courses"} 1.0' in metrics.exposition().decode()
    async with db.engine.connect() as conn:
        (run,) = await last_runs(conn)
    assert run.ok and run.job == "plan-courses"


async def test_a_stale_planning_run_is_unhealthy(db: Database) -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    scheduler = build_scheduler(db.transaction, Settings().planning)
    job = scheduler.get_job("plan-courses")
    assert job is not None
    await job.func()
    value, ok = await ops_http.planning_check(db, now=lambda: later)()
    assert not ok and value["age_seconds"] >= 3600


async def test_healthz_is_503_when_the_database_is_gone() -> None:
    gone = Database("postgresql+asyncpg://troly:pw@127.0.0.1:1/troly")
    try:
        async with ops_http.serving(LOCAL, gone, Metrics()) as port:
            assert port is not None
            status, body = await get(port, "/healthz")
    finally:
        await gone.dispose()
    assert status == 503
    assert json.loads(body) == {"database": "error", "status": "error"}


async def test_sender_metrics_and_lock_over_http(db: Database) -> None:
    """Sent, blocked and 429 counted per channel; the backlog gauges read at scrape time."""
    async with db.transaction() as session:
        ids = await seed_people(session, 4)
        await queue_notices(session, ids, due=DAY - timedelta(minutes=1))
        late = await seed_people(session, 2, start=50)
        await queue_notices(session, late, due=DAY - timedelta(minutes=30))
    metrics = Metrics()
    async with ops_http.serving(LOCAL, db, metrics, now=lambda: DAY) as port:
        assert port is not None
        status, before = await get(port, "/metrics")
        assert status == 200
        assert "troly_outbox_due 6.0" in before
        assert "troly_outbox_oldest_due_seconds 1800.0" in before
        with fake_in_own_thread() as fake:
            fake.blocked_chats.add(str(100000 + ids[0]))
            fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
            sender, transport = make_sender(db, fake, RunningClock(DAY))
            sender.metrics = metrics
            check = lock_check([sender])
            assert await check() == ("free", True)
            await sender.drain()
            await transport.close()
        _status, after = await get(port, "/metrics")
    assert 'troly_notice_sends_total{channel="telegram",outcome="sent"} 5.0' in after
    assert 'troly_notice_sends_total{channel="telegram",outcome="blocked"} 1.0' in after
    assert 'troly_notice_rate_limited_total{channel="telegram"} 1.0' in after
    assert "troly_outbox_due 0.0" in after and "troly_outbox_oldest_due_seconds 0.0" in after


def test_each_process_has_its_own_registry() -> None:
    one, two = Metrics(), Metrics()
    one.updates.labels("telegram").inc()
    assert 'troly_updates_total{channel="telegram"} 1.0' in one.exposition().decode()
    assert "troly_updates_total{" not in two.exposition().decode()


async def test_dispatcher_counts_updates_and_latency(db: Database) -> None:
    from bot.dispatch import Dispatcher
    from handlers.types import Incoming

    metrics = Metrics()
    dispatcher = Dispatcher(db=db, settings=replace(Settings(), database_url=db.url))
    dispatcher.metrics = metrics
    await dispatcher.handle(
        Incoming(channel="console", chat_id="c1", sender_id="c1", text="/start")
    )
    text = metrics.exposition().decode()
    assert 'troly_updates_total{channel="console"} 1.0' in text
    assert 'troly_handler_seconds_count{channel="console"} 1.0' in text


def test_a_process_with_log_format_json_writes_json_lines_without_secrets(
    tmp_path: Path,
) -> None:
    """The real start-up path in a fresh interpreter: settings (from a .env file), the log
    configuration, the redactor on the handler it installed."""
    import subprocess
    import sys

    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nLINK_CODE_SECRET={PEPPER}\nLOG_FORMAT=json\n"
        "LOG_LEVEL=WARNING\n",
        encoding="utf-8",
    )
    script = (
        "import logging\n"
        "from bot.config import Settings\n"
        "from bot.logs import configure_logging, redact_secrets, log_context\n"
        "configure_logging()\n"
        "s = Settings.from_env()\n"
        "configure_logging(s.ops)\n"
        "redact_secrets(s.secrets())\n"
        "logging.getLogger('bot.x').info('not shown at WARNING')\n"
        "with log_context(update_id=5):\n"
        f"    logging.getLogger('bot.x').warning('token %s', {TOKEN!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stderr.splitlines()
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["update_id"] == 5
    assert entry["message"] == "token ***" and TOKEN not in done.stderr


async def test_a_taken_metrics_port_is_one_clear_error(db: Database) -> None:
    async with ops_http.serving(LOCAL, db, Metrics()) as port:
        assert port is not None
        taken = OpsSettings(metrics_listen="127.0.0.1", metrics_port=port)
        with pytest.raises(ConfigError, match="METRICS_PORT: cannot listen"):
            async with ops_http.serving(taken, db, Metrics()):
                pass
