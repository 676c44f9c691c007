"""/healthz and /metrics of one process (METRICS_LISTEN / METRICS_PORT; off unless set).

The bot (each channel process), the sender and the scheduler each start one. /healthz
answers JSON with 200 when the process can do its work and 503 when it cannot: the
database in every process, plus what the process adds (`Check`s): the sender's token lock,
the scheduler's last planning run. /metrics is prometheus-client's text format from the
process's own registry (bot/metrics.py), with the outbox gauges read at scrape time.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from bot.config import ConfigError, OpsSettings
from bot.db import Database
from bot.metrics import Metrics
from models.notices.job_runs import last_runs

log = logging.getLogger(__name__)

# A check answers (what /healthz shows, whether it is healthy).
Check = Callable[[], Awaitable[tuple[Any, bool]]]
# The course job runs every minute: a planning run older than this means the scheduler's
# clock has stopped (or it cannot write).
PLANNING_STALE_AFTER = timedelta(minutes=15)


def clock() -> datetime:
    return datetime.now(UTC)


async def database_ok(db: Database) -> bool:
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return False
    return True


def planning_check(db: Database, now: Callable[[], datetime] = clock) -> Check:
    """last_planning_run: the newest finished scheduler job, its time and age."""

    async def check() -> tuple[Any, bool]:
        async with db.engine.connect() as conn:
            runs = await last_runs(conn)
        if not runs:
            return None, False
        latest = max(runs, key=lambda r: r.finished_at)
        age = (now() - latest.finished_at).total_seconds()
        failed = sorted(r.job for r in runs if not r.ok)
        value = {
            "time": latest.finished_at.isoformat(timespec="seconds"),
            "age_seconds": round(age),
            "job": latest.job,
            "failed_jobs": failed,
        }
        return value, age <= PLANNING_STALE_AFTER.total_seconds() and not failed

    return check


def build_app(
    db: Database,
    metrics: Metrics,
    checks: dict[str, Check] | None = None,
    now: Callable[[], datetime] = clock,
) -> web.Application:
    checks = checks or {}

    async def healthz(_request: web.Request) -> web.Response:
        healthy = await database_ok(db)
        body: dict[str, Any] = {"database": "ok" if healthy else "error"}
        for name, check in checks.items():
            if body["database"] != "ok" and name != "sender_lock":
                body[name] = None  # needs the database
                continue
            try:
                value, ok = await check()
            except Exception as exc:
                log.warning("health check %s failed (%s)", name, type(exc).__name__)
                value, ok = "error", False
            body[name] = value
            healthy = healthy and ok
        body["status"] = "ok" if healthy else "error"
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            status=200 if healthy else 503,
            content_type="application/json",
        )

    async def metrics_view(_request: web.Request) -> web.Response:
        try:
            await metrics.refresh_outbox(db, now())
        except Exception as exc:  # the other series are still worth scraping
            log.warning("outbox gauges not refreshed (%s)", type(exc).__name__)
        return web.Response(
            body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    return app


@contextlib.asynccontextmanager
async def serving(
    ops: OpsSettings,
    db: Database,
    metrics: Metrics,
    checks: dict[str, Check] | None = None,
    now: Callable[[], datetime] = clock,
) -> AsyncIterator[int | None]:
    """The ops server while the block runs (yields the bound port), or nothing when
    METRICS_LISTEN/METRICS_PORT are unset."""
    if ops.metrics_listen is None:
        yield None
        return
    runner = web.AppRunner(build_app(db, metrics, checks, now), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, ops.metrics_listen, ops.metrics_port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        # Usually a second process with the same METRICS_PORT: each needs its own.
        raise ConfigError(
            f"METRICS_PORT: cannot listen on {ops.metrics_listen}:{ops.metrics_port} "
            f"({exc.strerror or exc}); give each process its own port"
        ) from None
    port = _bound_port(site, ops.metrics_port)
    log.info("health and metrics on http://%s:%d/healthz", ops.metrics_listen, port)
    try:
        yield port
    finally:
        await runner.cleanup()


def _bound_port(site: web.TCPSite, configured: int) -> int:
    server = site._server  # aiohttp keeps the asyncio server private
    sockets = getattr(server, "sockets", None) or ()
    for sock in sockets:
        return int(sock.getsockname()[1])
    return configured
