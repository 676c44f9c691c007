"""The roster's phone check answers "valid" from patterns compiled out of `phonenumbers`'
own metadata before it asks the library (issue #13 point 9: the library's parse, validate
and format were ~1.5 s of a 24,150-row import). It must never disagree with the library."""

from __future__ import annotations

import random

from models.org import phones
from models.org.phones import _by_library, _converted, _is_valid_nsn, normalize_phone


def nationals() -> list[str]:
    """Every trunk-0 prefix of two digits after the 0, at every length HR might write, with
    a few tails each: mobile, fixed-line, toll-free, short and too-long numbers alike."""
    rng = random.Random(15)
    found: list[str] = []
    for prefix in range(100):
        for length in range(6, 13):
            for _ in range(6):
                tail = "".join(rng.choice("0123456789") for _ in range(length - 3))
                found.append(f"0{prefix:02}{tail}")
    return found


def test_fast_path_agrees_with_phonenumbers() -> None:
    fast_hits = 0
    for national in nationals():
        expected = _by_library(national)
        if _is_valid_nsn(national[1:]):
            fast_hits += 1
            assert expected == "+84" + national[1:], national
        assert normalize_phone(national) == _by_library(_converted(national)), national
    assert fast_hits > 200  # the patterns are really used, not just falling through


def test_usual_roster_numbers_never_reach_the_library() -> None:
    calls: list[str] = []
    original = phones._by_library

    def counting(national: str) -> str | None:
        calls.append(national)
        return original(national)

    setattr(phones, "_by_library", counting)  # noqa: B010 - restored below
    try:
        for raw in (
            "0912 345 678",
            "912345678",
            "+84 912 345 678",
            "0162 345 6789",
            "0203 3123 456",
        ):
            assert normalize_phone(raw) is not None
    finally:
        setattr(phones, "_by_library", original)  # noqa: B010
    assert calls == []
