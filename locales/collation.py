"""Vietnamese alphabetical order, for every list of names shown or exported.

Code-point order puts "Ánh" after "Bình" (U+00C1 > "B") and "Ước" before "Uyên"; the
Vietnamese alphabet is a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y, with the
tone as a secondary key (ngang, huyền, hỏi, ngã, sắc, nặng: the dictionaries' order).
Foreign letters (f j w z) sit where the Latin alphabet puts them.
"""

from __future__ import annotations

import unicodedata

from locales.folding import clean

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: n for n, letter in enumerate(_ALPHABET)}
# Combining marks that make a letter of its own (ă â ê ô ơ ư), not a tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Digits and punctuation before letters, in code-point order among themselves.
_NOT_A_LETTER = -1


def _letters(text: str) -> list[tuple[int, int, int, str]]:
    """(letter rank, tone, lower-before-upper, char) for each letter of the text."""
    out: list[tuple[int, int, int, str]] = []
    for ch in unicodedata.normalize("NFC", text):
        lower = ch.lower()
        base = unicodedata.normalize("NFD", lower)
        letter = base[0] + "".join(m for m in base[1:] if m in _LETTER_MARKS)
        letter = unicodedata.normalize("NFC", letter)
        tone = next((_TONES[m] for m in base[1:] if m in _TONES), 0)
        rank = _RANK.get(letter, _NOT_A_LETTER)
        out.append((rank, tone, 0 if ch == lower else 1, letter if rank == _NOT_A_LETTER else ""))
    return out


def vi_key(text: str) -> tuple[object, ...]:
    """Sort key: letters first, then tones, then case, so "an" < "Ánh" < "Bình"."""
    text = clean(text)
    letters = _letters(text)
    # One tone per syllable, wherever its mark sits ("khoá" and "khóa" are one word).
    tones = tuple(max((t for _r, t, _c, _o in _letters(word)), default=0) for word in text.split())
    return (
        tuple((rank, other) for rank, _tone, _case, other in letters),
        tones,
        tuple(case for _rank, _tone, case, _other in letters),
    )


def name_key(full_name: str) -> tuple[object, ...]:
    """A Vietnamese full name, family name first ("Nguyễn Thị Hồng Nhung"): by given name,
    then by the rest from the family name on, each in Vietnamese order (HR's lists)."""
    words = clean(full_name).split(" ")
    given, rest = words[-1], " ".join(words[:-1])
    return (vi_key(given), vi_key(rest))


def sort_names(names: list[str]) -> list[str]:
    return sorted(names, key=name_key)
