"""Small text shapes shared by every reply: labels cut at a word, a line's first letter.

The catalogue's names are written for the middle of a sentence ("hằng năm ít nhất 80% …",
"Lý luận chính trị"): at a line's start the first letter is raised, mid-sentence a kind's
name is lowered, and a cut label always ends on a whole word with "…".
"""

from __future__ import annotations

ELLIPSIS = "…"
# A cut that would keep less than this share of the limit cuts inside the word instead:
# one very long word (a code, a URL) must still fit.
_MIN_KEPT = 0.5
_TRAILING = " ,;:–-—/("


def shorten(text: str, limit: int) -> str:
    """The text if it fits in `limit` characters, else its longest run of whole words
    that fits with "…" after it."""
    if len(text) <= limit:
        return text
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    cut = text[: room + 1]
    space = cut.rfind(" ")
    kept = cut[:space] if space >= max(1, int(room * _MIN_KEPT)) else text[:room]
    return kept.rstrip(_TRAILING) + ELLIPSIS


def capitalize_first(text: str) -> str:
    """Raise the first letter only ("hằng năm …" → "Hằng năm …"); the rest, codes and
    abbreviations included, stays as written."""
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """Lower a name's first letter for the middle of a sentence, unless its first word is
    an abbreviation or a code ("QLNN", "QP-AN", "K-2026")."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and any(ch.isupper() for ch in first[1:]):
        return text
    return text[:1].lower() + text[1:]
