"""Vietnamese phone numbers: "0912 345 678", "0912.345.678", "+84 912 345 678" and
"84912345678" are one number, stored as E.164 ("+84912345678")."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\D+")


def normalize_phone(raw: str | None) -> str | None:
    """E.164 for a plausible Vietnamese number, else None."""
    if not raw:
        return None
    digits = _DIGITS.sub("", raw)
    if digits.startswith("00"):  # international prefix dialled from Vietnam
        digits = digits[2:]
    if digits.startswith("84") and len(digits) in (11, 12):
        national = digits[2:]
    elif digits.startswith("0"):
        national = digits[1:]
    elif len(digits) == 9:
        national = digits  # a number with its leading 0 lost, as Excel does
    else:
        return None
    # Mobile (9 digits after the trunk 0) or landline (area code + number, 10 digits).
    if len(national) not in (9, 10) or national.startswith("0"):
        return None
    return "+84" + national
