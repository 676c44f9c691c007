"""Normalising what people type: NFC, zero-width characters, diacritics, "đ".

Folding is for matching only (search, intents, headers); text is always stored and shown
in NFC with its marks.
"""

from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w]+")


def clean(text: str) -> str:
    """NFC, no zero-width characters, single spaces, trimmed."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    return _SPACES.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower case without diacritics; "đ" becomes "d" (NFD does not decompose it).

    Both tone-mark placements ("khóa"/"khoá") fold to the same string.
    """
    text = unicodedata.normalize("NFD", clean(text).lower())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return text.replace("đ", "d")


def fold_words(text: str) -> list[str]:
    """Folded words, punctuation removed: the unit of intent and search matching."""
    return [w for w in _NON_WORD.sub(" ", fold(text)).split() if w]


def fold_key(text: str) -> str:
    """A compact key for matching headers and labels: folded words joined by one space."""
    return " ".join(fold_words(text))
