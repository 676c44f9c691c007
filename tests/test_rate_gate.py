"""The pacing arithmetic on its own, with made-up clock values."""

from __future__ import annotations

import bisect
import heapq
import itertools
import random

import pytest

from bot.rate_gate import RateGate


def test_reserved_slots_never_exceed_the_allowance_in_any_window() -> None:
    gate = RateGate(25, margin=0.02)
    slots = []
    for n in range(200):
        at = gate.ready_at(f"chat{n}", 0.0)
        gate.record(f"chat{n}", at)
        slots.append(at)
    for i, start in enumerate(slots):
        inside = [t for t in slots[i:] if t < start + 1.0]
        assert len(inside) <= 25


def test_late_senders_are_held_by_real_departures() -> None:
    # Slots for 0.0 .. 0.96 were reserved; the loop was busy and all woke at 0.9.
    gate = RateGate(25, margin=0.0)
    for _ in range(25):
        assert gate.departure_delay(0.9) == 0.0
        gate.depart(0.9)
    # The 26th may not leave until the first of those is a full window old.
    assert gate.departure_delay(0.95) == 0.95
    assert gate.departure_delay(1.9) == 0.0


def test_a_pause_holds_departures_too() -> None:
    gate = RateGate(25)
    gate.pause(10.0)
    assert gate.departure_delay(8.0) == 2.0
    assert gate.departure_delay(10.0) == 0.0


def test_one_message_per_chat_per_interval() -> None:
    gate = RateGate(25, chat_margin=0.25)
    gate.record("a", 0.0)
    assert gate.ready_at("a", 0.1) == 1.25
    assert gate.ready_at("b", 0.1) < 0.2


# --- the sender's use of the gate, on a fake clock ----------------------------------------


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


class SenderModel:
    """Drives a gate the way bot/sender.py's _ChannelRun does (reserve slots up to
    `group_window` ahead for at most `concurrency` sends, sleep until the slot, wait out a
    pause and take a fresh slot, hold until `departure_delay` allows, depart), on a fake
    clock and with an event loop that wakes senders late, sometimes all at once."""

    def __init__(self, gate: RateGate, clock: FakeClock, seed: int) -> None:
        self.gate, self.clock = gate, clock
        self.rng = random.Random(seed)
        self.events: list[tuple[float, int, str, str]] = []  # (time, seq, what, chat)
        self.seq = 0
        self.in_flight = 0
        self.pauses: list[tuple[float, float]] = []

    def at(self, when: float, what: str, chat: str) -> None:
        self.seq += 1
        heapq.heappush(self.events, (when, self.seq, what, chat))

    def late(self) -> float:
        # Mostly a few ms; now and then the loop is stuck for a while and wakes everyone.
        return self.rng.uniform(0.3, 0.6) if self.rng.random() < 0.05 else self.rng.uniform(0, 0.02)

    def run(
        self,
        queue: list[str],
        *,
        concurrency: int = 4,
        flood_at: int = -1,
        retry_after: float = 2.0,
    ) -> None:
        queue = list(queue)
        answered = 0
        while queue or self.events:
            now = self.clock()
            if queue and self.in_flight < concurrency:
                horizon = now + 0.2
                for chat in list(queue):
                    if self.in_flight >= concurrency:
                        break
                    slot = self.gate.ready_at(chat, now)
                    if slot <= horizon:
                        self.gate.record(chat, slot)
                        queue.remove(chat)
                        self.in_flight += 1
                        self.at(slot + self.late(), "wake", chat)
                if not self.events:  # only chats still inside their interval are left
                    self.at(min(self.gate.ready_at(c, now) for c in queue), "poll", "")
            when, _seq, what, chat = heapq.heappop(self.events)
            self.clock.t = max(self.clock.t, when)
            now = self.clock()
            if what == "wake" and self.gate.paused_until > now:
                self.at(self.gate.paused_until + self.late(), "resume", chat)
            elif what == "resume":
                slot = self.gate.ready_at(chat, now)
                self.gate.record(chat, slot)
                self.at(max(slot, now) + self.late(), "hold", chat)
            elif what in ("wake", "hold"):
                hold = self.gate.departure_delay(now)
                if hold > 0:
                    self.at(now + hold + self.late(), "hold", chat)
                else:
                    self.gate.depart(now)
                    self.at(now + self.rng.uniform(0.02, 0.3), "answer", chat)
            elif what == "answer":
                self.in_flight -= 1
                answered += 1
                if answered == flood_at:
                    self.gate.pause(now + retry_after)
                    self.pauses.append((now, now + retry_after))


def _max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    return max(bisect.bisect_left(times, t + window) - i for i, t in enumerate(times))


@pytest.mark.parametrize("seed", range(5))
def test_sender_pacing_on_a_fake_clock_keeps_the_ceiling_and_the_chat_interval(
    seed: int,
) -> None:
    clock = FakeClock()
    gate = RateGate(25, margin=0.02, clock=clock)
    model = SenderModel(gate, clock, seed)
    # Mostly distinct chats, so the ceiling binds, and a few busy ones, where the chat
    # interval binds.
    queue = [f"busy{n % 10}" if n < 120 and n % 10 < 4 else f"chat{n}" for n in range(400)]
    start = gate.now()
    model.run(queue, concurrency=8, flood_at=120, retry_after=2.0)
    departed = list(gate.departures)
    assert len(departed) == 400
    # The platform's ceiling: 25 in any second, however late the loop woke the senders.
    assert _max_in_window(departed) <= 25
    # One message per chat per second, on the slots the gate handed out.
    by_chat: dict[str, list[float]] = {}
    for chat, slot in gate.reserved:
        by_chat.setdefault(chat, []).append(slot)
    gaps = [b - a for slots in by_chat.values() for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 1.0
    # Nothing leaves while a "retry after" runs.
    (pause_start, pause_end), *_ = model.pauses
    assert not [t for t in departed if pause_start < t < pause_end]
    # And the gate does not dawdle: 400 at 25/s is 16 s, plus the 2 s pause.
    assert gate.now() - start < 16 * 1.1 + 2 + 1
