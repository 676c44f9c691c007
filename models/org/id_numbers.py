"""The personal identification number (số định danh cá nhân, the number on the CCCD card):
12 digits, province-of-birth code (3), century/sex code (1), birth year (2), serial (6).

From 1 Jul 2026 it keys an official's e-record (Decree 27/2026/NĐ-CP), so the roster
matches people by it when their employee code changes. It is personal data: it is never
shown whole in a chat or an export. It is not stored either: nothing after the import
needs it, which checks it against the row's birth date and sex. The database keeps its
keyed hash (`keyed_hash`: matching and uniqueness) and its masked form (what people see).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from models.vocabulary import N_

LENGTH = 12
# Codes of the 63 former provinces (Circular 07/2016/TT-BCA), 001–096 with gaps; the gaps
# are not checked: a wrong province code is rarer than a reform renumbering them.
_PROVINCE_MIN, _PROVINCE_MAX = 1, 96

MSG_BAD_ID_NUMBER = N_(
    "“{value}” is not a personal identification number; it must have 12 digits (e.g. 011090001234)."
)
MSG_BAD_ID_PROVINCE = N_(
    "“{value}” does not start with a province code (001 to 096); please check the number."
)
MSG_ID_YEAR_MISMATCH = N_(
    "“{value}” is the number of someone born in {year}, but the birth date says {birth_year};"
    " please check the number or the birth date."
)
MSG_ID_SEX_MISMATCH = N_(
    "“{value}” is the number of a {id_sex}, but the gender column says {gender}; please"
    " check the number or the gender."
)


class IdNumberError(ValueError):
    def __init__(self, msgid: str, **params: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


def normalize(raw: str | int | float) -> str:
    """The 12 digits from a cell: spaces and dots dropped; a number cell padded, because
    Excel turns "001090001234" into 1090001234."""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
        if len(text) < LENGTH:
            text = text.zfill(LENGTH)
    else:
        text = "".join(ch for ch in str(raw) if ch not in " .-\u00a0\t")
    if len(text) != LENGTH or not text.isascii() or not text.isdigit():
        raise IdNumberError(MSG_BAD_ID_NUMBER)
    if not _PROVINCE_MIN <= int(text[:3]) <= _PROVINCE_MAX:
        raise IdNumberError(MSG_BAD_ID_PROVINCE)
    return text


def birth_year(number: str) -> int:
    """Digit 4 gives the century (0/1 → 1900s, 2/3 → 2000s, 4/5 → 2100s…), 5–6 the year."""
    return 1900 + 100 * (int(number[3]) // 2) + int(number[4:6])


def sex(number: str) -> str:
    """ "male" for an even century/sex digit, "female" for an odd one (models.vocabulary)."""
    return "male" if int(number[3]) % 2 == 0 else "female"


def check_against(number: str, birth_date: date | None, gender: str | None) -> None:
    """The number agrees with the row's birth date and gender, where the row has them."""
    if birth_date is not None and birth_year(number) != birth_date.year:
        raise IdNumberError(
            MSG_ID_YEAR_MISMATCH, year=birth_year(number), birth_year=birth_date.year
        )
    if gender in ("male", "female") and sex(number) != gender:
        raise IdNumberError(
            MSG_ID_SEX_MISMATCH,
            id_sex=_SEX_WORDS[sex(number)],
            gender=_SEX_WORDS[gender],
        )


# Shown in Vietnamese whatever the locale: they name the file's values (see ACCEPTED_WORDS).
_SEX_WORDS = {"male": "nam", "female": "nữ"}


# Keeps these hashes apart from the link codes' ones, which use the same pepper.
_HASH_DOMAIN = b"id_number:"


def keyed_hash(number: str, pepper: bytes) -> str:
    """HMAC-SHA256 under the server's pepper (LINK_CODE_SECRET): there are only about 10^9
    numbers per province and birth year, so a plain hash of a leaked database would be
    reversed in minutes; without the pepper it cannot be."""
    return hmac.new(pepper, _HASH_DOMAIN + number.encode(), hashlib.sha256).hexdigest()


def masked(number: str | None) -> str | None:
    """ "0010******12": the province and century/sex digits and the last two, enough for HR
    to tell two numbers apart on paper, too little to be used as the number."""
    if not number:
        return number
    if len(number) < LENGTH:
        return "*" * len(number)  # not a number at all: nothing of it is worth showing
    return number[:4] + "*" * (len(number) - 6) + number[-2:]
