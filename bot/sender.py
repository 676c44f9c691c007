"""The notice sender: drains the outbox (models/notices/outbox.py) through the channel transports,
within each platform's limits, and records every outcome.

Per channel, one loop that holds the token's lock (bot/sender_lock.py) and repeats:
1. claim a small batch of due rows — state 'sending', claimed_by = this process — in one
   committed transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL; BEGIN IMMEDIATE on SQLite);
2. for each row, when the rate gate allows: commit `started_at` (together with the outcomes
   of earlier sends), then send; at most `concurrency` rows are started but not yet recorded.

So after a crash every row is in one of three places: never claimed (pending), claimed but
not started (re-queued by the next holder: certainly not sent), or started without an
outcome — at most `concurrency` rows, marked 'unknown' and never repeated, because a send
whose answer was lost may have arrived (Telegram has no idempotency key).

The rows' states and the SQL of every transition are models/notices/delivery.py; this
module only decides when: pacing, concurrency and delivery through the transports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database
from bot.logs import chat_ref, log_context
from bot.metrics import Metrics
from bot.rate_gate import RateGate
from bot.sender_lock import sender_lock
from bot.transport import Outcome, SendResult, Transport
from handlers.types import Choice, Reply
from models.chat import dialogs
from models.notices import delivery
from models.notices import outbox as notices
from models.notices.delivery import Claimed, Finished, Retry
from models.notices.routing import RoutingPolicy
from models.notices.send_window import SendWindow

log = logging.getLogger(__name__)


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SenderConfig:
    concurrency: int = 4  # rows started but not yet recorded, per channel
    batch_size: int = 50
    max_attempts: int = 5  # 5xx / connection failures before a row is 'failed'
    backoff_base: float = 5.0  # seconds; doubles per attempt
    backoff_max: float = 900.0
    lease: timedelta = timedelta(minutes=5)
    idle_poll: float = 2.0
    lock_poll: float = 1.0
    margin: float = 0.02  # seconds added to every pacing window (arrival jitter)
    long_pause: float = 5.0  # a retry_after longer than this hands the batch back
    hand_back_after: float = 0.2  # seconds a batch may idle on per-chat waits
    group_window: float = 0.2  # sends whose slots fall this close share one start mark
    drain_wait: float = 0.0  # drain(): keep waiting for retries due within this many seconds


@dataclass
class SenderStats:
    outcomes: Counter[str] = field(default_factory=Counter)
    recovered_unknown: int = 0  # started by a dead sender, outcome unknown
    requeued: int = 0  # claimed by a dead sender, never started
    requests: int = 0
    commits: int = 0  # transactions recording starts and outcomes


@dataclass(slots=True)
class _Row:
    id: int
    chat_id: str
    text: str
    relevant_until: datetime | None
    attempts: int
    choices: tuple[Choice, ...] = ()

    @classmethod
    def of(cls, claimed: Claimed) -> _Row:
        choices = tuple(Choice(label, value) for label, value in claimed.choices)
        return cls(
            claimed.id,
            claimed.chat_id,
            claimed.text,
            claimed.relevant_until,
            claimed.attempts,
            choices,
        )


class Sender:
    def __init__(
        self,
        db: Database,
        transports: dict[str, Transport],
        *,
        limits: dict[str, float],
        window: SendWindow,
        config: SenderConfig | None = None,
        clock: Callable[[], datetime] = system_clock,
        metrics: Metrics | None = None,
        unlinked: delivery.UnlinkedRoute | None = None,
        policy: RoutingPolicy | None = None,
    ) -> None:
        self.db = db
        self.metrics = metrics
        self.held: set[str] = set()  # channels whose token lock this process holds (/healthz)
        # Who takes notices no linked chat reaches (ZNS) instead of dropping them.
        self.unlinked = unlinked
        # The channel order's settings (ZNS kinds, OA caps): models/notices/routing.py.
        self.policy = policy or delivery.DEFAULT_POLICY
        self.transports = transports
        self.limits = limits
        self.window = window
        self.config = config or SenderConfig()
        self.clock = clock
        self.me = f"{uuid.uuid4().hex[:12]}"
        self.stats = SenderStats()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; each channel runs on its own."""
        await asyncio.gather(*(self._channel(ch, stop, until_idle=False) for ch in self.transports))

    async def drain(self) -> SenderStats:
        """Send everything that may go out now, then return (tests, benchmarks, one-shots)."""
        stop = asyncio.Event()
        await asyncio.gather(*(self._channel(ch, stop, until_idle=True) for ch in self.transports))
        return self.stats

    # --- one channel ----------------------------------------------------------------------

    async def _channel(self, channel: str, stop: asyncio.Event, *, until_idle: bool) -> None:
        transport = self.transports[channel]
        identity = getattr(transport, "identity", channel)
        lock = sender_lock(self.db, identity)
        while not await lock.try_acquire():
            if stop.is_set():
                return
            await _sleep(stop, self.config.lock_poll)
        self.held.add(channel)
        try:
            gate = RateGate(self.limits.get(channel, 1.0), margin=self.config.margin)
            await self._take_over(channel, identity, gate)
            run = _ChannelRun(self, channel, identity, transport, gate)
            while not stop.is_set():
                if not await lock.alive():
                    log.error("lost the %s sender lock; stopping this channel", channel)
                    return
                rows, wake = await self._claim(channel)
                if rows:
                    await run.send_batch(rows, stop)
                    continue
                if until_idle and wake > self.config.drain_wait:
                    return
                await _sleep(stop, min(self.config.idle_poll, max(wake, 0.05)))
        finally:
            self.held.discard(channel)
            await lock.release()

    async def _take_over(self, channel: str, identity: str, gate: RateGate) -> None:
        """Resolve what a previous holder left behind and learn its recent pace."""
        now = self.clock()
        async with self.db.begin() as conn:
            left = await delivery.take_over(conn, channel=channel, me=self.me, now=now)
            self.stats.requeued += left.requeued
            self.stats.recovered_unknown += left.unknown
            # A predecessor that died (or stopped) a moment ago may still have sends in the
            # platform's current window, and its reserved slots ran ahead of started_at by
            # up to group_window: wait one full window after its last start.
            latest = await delivery.last_start(
                conn, channel=channel, since=now - timedelta(seconds=5)
            )
            mono = time.monotonic()
            if latest is not None:
                quiet_for = max(gate.window, gate.per_chat) + self.config.group_window
                # Capped, so a clock that differs between hosts cannot stall the sender.
                since = max((now - latest).total_seconds(), 0.0)
                gate.pause(mono + max(quiet_for - since, 0.0))
            paused = await delivery.paused_until(conn, identity)
            if paused is not None and paused > now:
                gate.pause(mono + (paused - now).total_seconds())

    async def _claim(self, channel: str) -> tuple[list[_Row], float]:
        """Up to batch_size due rows for this channel, marked 'sending' and committed.
        Also returns seconds until something may become due (for the idle wait)."""
        now = self.clock()
        is_open = self.window.is_open(now)
        async with self.db.begin() as conn:
            claimed = await delivery.claim(
                conn,
                channel=channel,
                me=self.me,
                now=now,
                limit=self.config.batch_size,
                urgent_only=not is_open,
                lease=self.config.lease,
                unlinked=self.unlinked,
                policy=self.policy,
            )
            if claimed is None:
                return [], await self._next_wake(conn, channel, now, is_open)
        return [_Row.of(c) for c in claimed], 0.0

    async def _next_wake(
        self, conn: AsyncConnection, channel: str, now: datetime, is_open: bool
    ) -> float:
        nxt = await delivery.next_due(conn, channel=channel)
        wake = math.inf if nxt is None else (nxt - now).total_seconds()
        if not is_open:
            wake = max(wake, (self.window.next_open(now) - now).total_seconds())
        return wake

    # --- outcomes ---------------------------------------------------------------------------

    def _backoff(self, attempts: int) -> float:
        return min(self.config.backoff_base * 2 ** max(attempts - 1, 0), self.config.backoff_max)


class _ChannelRun:
    """Sending one channel's claimed rows: pacing, start marks, outcome recording."""

    def __init__(
        self, sender: Sender, channel: str, identity: str, transport: Transport, gate: RateGate
    ) -> None:
        self.s = sender
        self.channel = channel
        self.identity = identity
        self.transport = transport
        self.gate = gate
        self.results: list[tuple[_Row, SendResult]] = []
        self.unrecorded = 0  # started, outcome not yet committed
        self.changed = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.blocked: set[str] = set()  # chats that answered "blocked" during this run
        self.drops: list[Finished] = []  # rows dropped without a send

    async def send_batch(self, rows: list[_Row], stop: asyncio.Event) -> None:
        queue = list(rows)
        config = self.s.config
        while queue or self.unrecorded or self.results or self.drops:
            if stop.is_set() and queue:
                await self._release(queue)
                queue = []
            # Outcomes waiting to be recorded free their places in the same transaction
            # that marks new rows started, so the started-but-unrecorded rows never exceed
            # `concurrency` in the database.
            free = config.concurrency - self.unrecorded + len(self.results)
            wait = 1.0
            if queue and free > 0:
                mono = time.monotonic()
                if self.gate.paused_until - mono > config.long_pause:
                    # A long "retry after": hand the rows back rather than sit on them.
                    await self._release(queue, resume_in=self.gate.paused_until - mono)
                    queue = []
                    continue
                next_slot = self.gate.global_ready_at(mono)
                in_flight = self.unrecorded - len(self.results)
                if in_flight and free < min(config.concurrency, len(queue)) and next_slot > mono:
                    # Sends are still out and no slot is due yet: wait for their answers, so
                    # one transaction records them and starts the next group. Starting as
                    # each answer came back cost one transaction per message at 25/s.
                    await self._wait(next_slot - mono)
                    continue
                group, earliest = self._reserve(queue, free, mono)
                if group:
                    # started_at is durable before any of these requests leaves; the
                    # outcomes gathered so far ride along in the same transaction.
                    await self._commit(group)
                    for row, at in group:
                        self.unrecorded += 1
                        task = asyncio.create_task(self._send(row, at))
                        self.tasks.add(task)
                        task.add_done_callback(self.tasks.discard)
                    continue
                blocked_by_chats = self.gate.global_ready_at(mono) <= mono + config.group_window
                if queue and blocked_by_chats and earliest - mono > config.hand_back_after:
                    # Only rows for chats that just got a message are left (one per second
                    # per chat): give them back and claim others instead of idling.
                    await self._release(queue, resume_in=earliest - mono)
                    queue = []
                    continue
                wait = earliest - mono if queue else 0.0
            if (self.results or self.drops) and (
                free <= 0 or wait > config.group_window or not queue
            ):
                await self._commit([])  # record outcomes now: nothing to start soon
                continue
            if self.unrecorded or queue:
                await self._wait(wait)

    def _reserve(
        self, queue: list[_Row], free: int, mono: float
    ) -> tuple[list[tuple[_Row, float]], float]:
        """Take up to `free` rows whose slot comes within `group_window`, reserving their
        slots in the gate, so one transaction marks a few sends started instead of one."""
        group: list[tuple[_Row, float]] = []
        earliest = math.inf
        horizon = mono + self.s.config.group_window
        now = self.s.clock()
        for row in list(queue):
            if len(group) >= free:
                break
            if row.relevant_until is not None and row.relevant_until <= now:
                reason = notices.STALE.format(until=row.relevant_until.isoformat())
                self.drops.append(Finished(row.id, notices.DROPPED, reason))
                queue.remove(row)
                continue
            if row.chat_id in self.blocked:
                reason = "the chat blocked the bot earlier in this run"
                self.drops.append(Finished(row.id, notices.BLOCKED, reason))
                queue.remove(row)
                continue
            at = self.gate.ready_at(row.chat_id, mono)
            if at <= horizon:
                self.gate.record(row.chat_id, at)
                group.append((row, at))
                queue.remove(row)
            else:
                earliest = min(earliest, at)
        return group, earliest

    async def _wait(self, seconds: float) -> None:
        self.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.changed.wait(), max(seconds, 0.001))

    async def _send(self, row: _Row, at: float) -> None:
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        if self.gate.paused_until > time.monotonic():
            # A 429 arrived after this slot was reserved: the message has not left, so it
            # waits out the pause and takes a fresh slot.
            await asyncio.sleep(self.gate.paused_until - time.monotonic())
            slot = self.gate.ready_at(row.chat_id, time.monotonic())
            self.gate.record(row.chat_id, slot)
            await asyncio.sleep(max(slot - time.monotonic(), 0))
        for _ in range(1000):  # each wait ends as the oldest departure leaves the window
            hold = self.gate.departure_delay(time.monotonic())
            if hold <= 0:
                break
            await asyncio.sleep(hold)
        self.gate.depart(time.monotonic())
        with log_context(channel=self.channel, notice_id=row.id, chat=chat_ref(row.chat_id)):
            try:
                reply = Reply(row.text, choices=row.choices)
                result = await self.transport.send(row.chat_id, reply)
            except Exception as exc:  # a transport bug must not lose the row's outcome
                log.exception("transport %s raised", self.channel)
                result = SendResult(Outcome.UNKNOWN, error=f"transport raised {type(exc).__name__}")
        self.s.stats.requests += 1
        if result.retry_after and self.s.metrics is not None:
            self.s.metrics.rate_limited.labels(self.channel).inc()
        self.results.append((row, result))
        if result.retry_after:
            self.gate.pause(time.monotonic() + result.retry_after)
        if result.outcome is Outcome.BLOCKED:
            self.blocked.add(row.chat_id)
        self.changed.set()

    async def _release(self, queue: list[_Row], resume_in: float = 0.0) -> None:
        at = self.s.clock() + timedelta(seconds=resume_in)
        async with self.s.db.begin() as conn:
            await delivery.release(conn, [r.id for r in queue], me=self.s.me, at=at)

    async def _commit(self, starts: list[tuple[_Row, float]]) -> None:
        """One transaction: the outcomes gathered so far, then the start marks of `starts`.
        Start marks are committed before the requests leave — that is the whole point."""
        now = self.s.clock()
        self.s.stats.commits += 1
        results, self.results = self.results, []
        finished: list[Finished] = []
        retry: list[Retry] = []
        blocked_chats: set[str] = set()
        offers: list[tuple[str, list[list[str]]]] = []
        pause_until: datetime | None = None
        config = self.s.config
        numbered = self.transport.numbered_choices
        for row, result in results:
            outcome = result.outcome
            error = result.error
            if outcome is Outcome.SENT and numbered and row.choices:
                offers.append((row.chat_id, [[c.label, c.value] for c in row.choices]))
            if outcome is Outcome.RETRY:
                if result.retry_after:
                    at = now + timedelta(seconds=result.retry_after)
                    pause_until = max(pause_until or at, at)
                    retry.append(Retry(row.id, at, row.attempts, error))
                    continue
                attempts = row.attempts + 1
                if attempts < config.max_attempts:
                    at = now + timedelta(seconds=self.s._backoff(attempts))
                    retry.append(Retry(row.id, at, attempts, error))
                    continue
                outcome, error = Outcome.FAILED, f"gave up after {attempts} attempts: {error}"
            if outcome is Outcome.BLOCKED:
                blocked_chats.add(row.chat_id)
            self.s.stats.outcomes[outcome.value] += 1
            finished.append(Finished(row.id, outcome.value, error))
        for drop in self.drops:
            self.s.stats.outcomes[drop.state] += 1
        finished += self.drops
        self.drops = []
        if self.s.metrics is not None:
            sends = self.s.metrics.sends
            for done in finished:
                sends.labels(self.channel, done.state).inc()
            if retry:
                sends.labels(self.channel, "retry").inc(len(retry))
        async with self.s.db.begin() as conn:
            await delivery.finish(conn, notices.SENDING, finished, now=now)
            if retry:
                await delivery.retry(conn, retry)
                self.s.stats.outcomes["retry"] += len(retry)
            await delivery.mark_unreachable(
                conn, channel=self.channel, chat_ids=blocked_chats, now=now
            )
            if offers:
                await dialogs.offer_after_notice(conn, channel=self.channel, offers=offers, now=now)
            if pause_until is not None:
                await delivery.save_pause(conn, self.identity, pause_until, now)
            await delivery.mark_started(
                conn, [(row.id, row.attempts) for row, _at in starts], now=now
            )
        self.unrecorded -= len(results)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
