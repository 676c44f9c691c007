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


# After a consonant, "i" and "y" are two spellings of one sound ("quản lí"/"quản lý",
# "kĩ"/"kỹ", "lí luận"/"lý luận"); both spellings are in use, so search treats them as one.
_Y_AFTER_CONSONANT = re.compile(r"(?<=\b[bcdghklmnpqrstvx])y\b|(?<=\b[bcdghklmnpqrstvx]h)y\b")


def same_spelling(folded: str) -> str:
    """Folded text with the i/y spelling variants made one ("quan ly" -> "quan li"); "y"
    after a vowel ("quy", "thuy") or opening a word ("yeu") is a different letter and stays."""
    return _Y_AFTER_CONSONANT.sub("i", folded)


def search_key(text: str) -> str:
    """The key search compares: `fold_key` with one spelling of i/y."""
    return same_spelling(fold_key(text))


def search_words(text: str) -> list[str]:
    """`fold_words` with one spelling of i/y: what free-text intents compare."""
    return search_key(text).split()
