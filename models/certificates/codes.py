"""Verification codes: 9 random characters and a check character from an alphabet without
look-alikes (no 0/O, 1/I/L), shown "ABCD-EFGH-JK".

31 symbols is a prime, so the weighted check (mod 31) catches every single mistyped
character and every swap of two neighbours in the random part before the database is
asked. 31⁹ ≈ 2,6·10¹³
codes and the per-chat attempt limit (models/certificates/verifying.py) make guessing one
hopeless; `secrets` makes them unpredictable."""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
RANDOM_LENGTH = 9
LENGTH = RANDOM_LENGTH + 1
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# What people type between groups or by accident around a code.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—_.·]+")


def check_character(body: str) -> str:
    total = sum((position + 1) * _VALUE[ch] for position, ch in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def new_code() -> str:
    """A fresh code, compact (as stored): 10 characters, the last one the check."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def display(code: str) -> str:
    """ "ABCDEFGHJK" → "ABCD-EFGH-JK"."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def normalize(text: str) -> str | None:
    """The compact code typed any way (lower case, dashes, spaces, a prefix of the deep
    link), or None when it cannot be a code: wrong length, a letter outside the alphabet,
    or a wrong check character."""
    text = unicodedata.normalize("NFKC", text).replace("\u200b", "").strip()
    if text.lower().startswith("xm_"):
        text = text[3:]
    compact = _SEPARATORS.sub("", text).upper()
    if len(compact) != LENGTH or any(ch not in _VALUE for ch in compact):
        return None
    if check_character(compact[:-1]) != compact[-1]:
        return None
    return compact
