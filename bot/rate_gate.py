"""Pacing for one bot token: a global ceiling per second, one message per second per chat,
and the platform's "retry after" pause for everyone.

Times are seconds on the gate's clock (`time.monotonic` unless a test passes a fake one, so
pacing can be checked without waiting for it). Every one-second window is widened by a small margin,
because what counts is when requests arrive at the platform, a few milliseconds after they
leave here: at 25/s with a 20 ms margin the sustained rate is 25/1.02 ≈ 24.5/s.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

# Enough recent slots to check a run against the ceiling; old entries fall off, so a
# sender that runs for months keeps a fixed, small log.
SLOT_LOG_SIZE = 10_000


class RateGate:
    def __init__(
        self,
        max_per_second: float,
        *,
        per_chat_interval: float = 1.0,
        margin: float = 0.02,
        chat_margin: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_per_second <= 0:
            raise ValueError("max_per_second must be positive")
        # N sends per window W: 25/s -> 25 per 1 s; 0.5/s -> 1 per 2 s.
        self.allowance = max(1, math.floor(max_per_second))
        self.window = self.allowance / max_per_second + margin
        # Spread sends over the window instead of bursting the whole allowance at once;
        # 10 % faster than the ceiling, so a late send can be caught up on.
        self.spacing = 1 / (max_per_second * 1.1)
        # Per chat the margin is generous: one person never needs two notices within a
        # second, and a slow event loop can delay one request more than the next.
        self.per_chat = per_chat_interval + chat_margin if per_chat_interval > 0 else 0.0
        self.clock = clock
        self.paused_until = 0.0
        # What the gate handed out, in order: (chat, slot) per reservation and the moment
        # of each departure. Tests assert pacing on these instead of on wall-clock arrivals.
        self.reserved: deque[tuple[str, float]] = deque(maxlen=SLOT_LOG_SIZE)
        self.departures: deque[float] = deque(maxlen=SLOT_LOG_SIZE)
        self._sent: deque[float] = deque()
        self._departed: deque[float] = deque()
        self._last = -math.inf
        self._chats: dict[str, float] = {}

    def now(self) -> float:
        return self.clock()

    def global_ready_at(self, now: float) -> float:
        """The earliest moment any message may leave (pause, ceiling and spacing)."""
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        at = max(now, self.paused_until, self._last + self.spacing)
        if len(self._sent) >= self.allowance:
            at = max(at, self._sent[-self.allowance] + self.window)
        return at

    def ready_at(self, chat_id: str, now: float) -> float:
        """The earliest moment a message to `chat_id` may leave."""
        at = self.global_ready_at(now)
        last_chat = self._chats.get(chat_id)
        if last_chat is not None:
            at = max(at, last_chat + self.per_chat)
        return at

    def record(self, chat_id: str, at: float) -> None:
        self.reserved.append((chat_id, at))
        self._sent.append(at)
        self._last = max(self._last, at)
        if self.per_chat:
            self._chats[chat_id] = at
            if len(self._chats) > 4096:  # forget chats whose interval is long over
                horizon = at - self.per_chat
                self._chats = {c: t for c, t in self._chats.items() if t > horizon}

    def departure_delay(self, now: float) -> float:
        """Seconds to hold a message whose reserved slot has come, judged by when messages
        really left. Slots are reserved ahead; a busy event loop wakes several senders late
        at once, and late senders from one window would crowd into the next."""
        while self._departed and now - self._departed[0] >= self.window:
            self._departed.popleft()
        delay = max(self.paused_until - now, 0.0)
        if len(self._departed) >= self.allowance:
            delay = max(delay, self._departed[-self.allowance] + self.window - now)
        return delay

    def depart(self, now: float) -> None:
        """Note that a message leaves now; call with no await since `departure_delay`."""
        self._departed.append(now)
        self.departures.append(now)

    def pause(self, until: float) -> None:
        self.paused_until = max(self.paused_until, until)
