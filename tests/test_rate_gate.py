"""The pacing arithmetic on its own, with made-up clock values."""

from __future__ import annotations

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
