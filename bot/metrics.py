"""Prometheus metrics of one process (served by bot/ops_http.py at /metrics).

Each process builds one `Metrics` with its own CollectorRegistry, not prometheus-client's
global one: tests start several in one interpreter, and a process shows only its own
series. The outbox gauges are computed from the database when /metrics is scraped
(`refresh_outbox`), so the sender, the bot and the scheduler all report the same backlog
without keeping any state of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

from bot.db import Database
from models.notices import outbox

# Handler latencies are tens of milliseconds; a file check takes seconds.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PLANNING_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._per_channel: dict[str, tuple[Any, Any]] = {}
        r = self.registry
        self.updates = Counter(
            "troly_updates", "Updates handled, per channel", ["channel"], registry=r
        )
        self.latency = Histogram(
            "troly_handler_seconds",
            "Time from an update reaching the dispatcher to its replies, per channel",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.sends = Counter(
            "troly_notice_sends",
            "Notice send outcomes per channel (sent, failed, blocked, unknown, retry, dropped)",
            ["channel", "outcome"],
            registry=r,
        )
        self.rate_limited = Counter(
            "troly_notice_rate_limited",
            "Sends the platform answered with 429 (retry after), per channel",
            ["channel"],
            registry=r,
        )
        self.planning = Histogram(
            "troly_planning_seconds",
            "Duration of the scheduler's jobs, per job",
            ["job"],
            buckets=PLANNING_BUCKETS,
            registry=r,
        )
        # Not per channel: a pending notice's channel is chosen when it is claimed.
        self.backlog = Gauge(
            "troly_outbox_due", "Pending notices whose send time has come", registry=r
        )
        self.oldest_due = Gauge(
            "troly_outbox_oldest_due_seconds",
            "Age of the oldest pending notice that is due (0 when none)",
            registry=r,
        )

    async def refresh_outbox(self, db: Database, now: datetime) -> None:
        """The backlog gauges, from one query on (state, send_at)'s index."""
        n = outbox.Notice
        query = select(func.count(), func.min(n.send_at)).where(
            n.state == outbox.PENDING, n.send_at <= now
        )
        async with db.engine.connect() as conn:
            count, oldest = (await conn.execute(query)).one()
        self.backlog.set(count)
        age = (now - _aware(oldest, now)).total_seconds() if oldest is not None else 0.0
        self.oldest_due.set(max(age, 0.0))

    def update_handled(self, channel: str, seconds: float) -> None:
        children = self._per_channel.get(channel)
        if children is None:
            # labels() takes a lock and a dict lookup per call: once per channel is enough.
            children = (self.updates.labels(channel), self.latency.labels(channel))
            self._per_channel[channel] = children
        children[0].inc()
        children[1].observe(seconds)

    def planning_observer(self) -> Callable[[str, float], None]:
        def observe(job: str, seconds: float) -> None:
            self.planning.labels(job).observe(seconds)

        return observe

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _aware(moment: datetime, like: datetime) -> datetime:
    # SQLite returns naive UTC datetimes for timezone-aware columns.
    return moment.replace(tzinfo=like.tzinfo) if moment.tzinfo is None else moment
