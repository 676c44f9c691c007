from __future__ import annotations

import pytest

from bot.channels.text import split_text
from models.chat.link_codes import display_code, normalize_code
from models.org.phones import normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "+84 912 345 678",
        "84912345678",
        "84 912 345 678",
        "(+84) 912-345-678",
        "912345678",
        "0084912345678",
    ],
)
def test_vietnamese_phone_formats_are_one_number(raw: str) -> None:
    assert normalize_phone(raw) == "+84912345678"


@pytest.mark.parametrize("raw", ["", "12345", "abc", "+1 202 555 0101", "0012"])
def test_not_a_vietnamese_phone(raw: str) -> None:
    assert normalize_phone(raw) is None


def test_codes_accept_spacing_and_case() -> None:
    assert normalize_code(" abcd 2345 ") == "ABCD2345"
    assert normalize_code("ABCD-2345") == "ABCD2345"
    assert normalize_code("abcd2345x") is None
    assert normalize_code("ABCD-234O") is None  # O is not in the alphabet
    assert display_code("ABCD2345") == "ABCD-2345"


def test_split_text_respects_limit_and_lines() -> None:
    text = "\n".join(f"dòng {i} " + "x" * 50 for i in range(300))
    pieces = split_text(text, 4096)
    assert all(len(p) <= 4096 for p in pieces)
    assert "\n".join(pieces) == text
    long_line = "từ " * 3000
    assert all(len(p) <= 2000 for p in split_text(long_line, 2000))
