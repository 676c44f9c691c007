"""Phone numbers, stored as E.164 ("+84912345678").

Two sources, two rules. A roster cell is written by HR in any national style ("0912 345
678", "0912.345.678", "+84 912 345 678", "84912345678") and Excel may have dropped its
leading 0; it is validated for Vietnam with `phonenumbers`, and a pre-2018 11-digit mobile
number is converted to its 10-digit successor. A contact shared from a platform always
carries its country code (Telegram sends "84912345678" or "+376 612 345"), so no national
rule may be applied to it: a foreign number stays foreign and matches no roster record.
"""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\D+")

# The 2018 conversion of 11-digit mobile numbers to 10 digits (old network prefix → new;
# the last 7 digits are kept). Announced by the Ministry of Information and Communications
# on 29/05/2018, converted 15/09/2018–30/06/2019; table as published at
# https://kynguyenso.plo.vn/ky-nguyen-so/tuyet-chieu/2-cach-chuyen-so-dien-thoai-11-so-ve-10-so-773007.html
OLD_MOBILE_PREFIXES: dict[str, str] = {
    # Viettel
    "0162": "032",
    "0163": "033",
    "0164": "034",
    "0165": "035",
    "0166": "036",
    "0167": "037",
    "0168": "038",
    "0169": "039",
    # MobiFone
    "0120": "070",
    "0121": "079",
    "0122": "077",
    "0126": "076",
    "0128": "078",
    # VinaPhone
    "0123": "083",
    "0124": "084",
    "0125": "085",
    "0127": "081",
    "0129": "082",
    # Vietnamobile
    "0186": "056",
    "0188": "058",
    # Gmobile (Gtel)
    "0199": "059",
}


def _national(digits: str) -> str | None:
    """The national form with its trunk 0 ("0912345678") of a number HR wrote."""
    if digits.startswith("00"):  # the international prefix dialled from Vietnam
        digits = digits[2:]
        return "0" + digits[2:] if digits.startswith("84") else None
    if digits.startswith("84") and len(digits) in (11, 12):
        return "0" + digits[2:]
    if digits.startswith("0"):
        return digits
    if len(digits) in (9, 10):
        return "0" + digits  # Excel read "0912345678" as the number 912345678
    return None


def _converted(national: str) -> str:
    if len(national) == 11:
        new = OLD_MOBILE_PREFIXES.get(national[:4])
        if new is not None:
            return new + national[4:]
    return national


class _ValidShapes:
    """The national significant numbers `phonenumbers` itself accepts as Vietnamese mobile
    or fixed-line numbers, compiled once from its own metadata (so they follow the library's
    updates). A roster of 24,150 rows spent ~1.5 s in `phonenumbers.parse`,
    `is_valid_number` and `format_number`; these matches take about a microsecond. They
    only ever say "valid": a number they do not match still goes through the library
    (tests/test_phone_fast_path.py checks that both agree). Compiled at the first call, not
    at import: the polling bot starts without loading `phonenumbers`."""

    general: re.Pattern[str] | None = None
    kinds: list[tuple[frozenset[int], re.Pattern[str]]]

    def _compile(self) -> re.Pattern[str]:
        from phonenumbers.phonemetadata import PhoneMetadata  # see the class's docstring

        vn = PhoneMetadata.metadata_for_region("VN")
        assert vn is not None and vn.general_desc is not None
        assert vn.general_desc.national_number_pattern is not None
        self.kinds = [
            (frozenset(desc.possible_length), re.compile(desc.national_number_pattern))
            for desc in (vn.mobile, vn.fixed_line)
            if desc is not None and desc.national_number_pattern and desc.possible_length
        ]
        self.general = re.compile(vn.general_desc.national_number_pattern)
        return self.general

    def __call__(self, nsn: str) -> bool:
        general = self.general or self._compile()
        if not nsn.isdigit() or general.fullmatch(nsn) is None:
            return False
        return any(
            len(nsn) in lengths and pattern.fullmatch(nsn) is not None
            for lengths, pattern in self.kinds
        )


_is_valid_nsn = _ValidShapes()


def normalize_phone(raw: str | None) -> str | None:
    """E.164 for a valid Vietnamese number as HR writes it in a roster, else None."""
    if not raw:
        return None
    if raw.strip().startswith("+") and not raw.strip().startswith("+84"):
        return None  # a foreign number: the roster holds Vietnamese numbers only
    national = _national(_DIGITS.sub("", raw))
    if national is None:
        return None
    national = _converted(national)
    if national.startswith("0") and national[1:2] != "0" and _is_valid_nsn(national[1:]):
        return "+84" + national[1:]
    return _by_library(national)


def _by_library(national: str) -> str | None:
    import phonenumbers  # ~40 ms: loaded by the first number to check, not at start

    try:
        number = phonenumbers.parse(national, "VN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_contact_phone(raw: str | None) -> str | None:
    """E.164 for a contact shared from a platform (always international), else None.

    Never the roster's rules: "+376 612 345" is Andorra's +376612345, not +84376612345.
    """
    if not raw:
        return None
    digits = _DIGITS.sub("", raw)
    if digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        # No country code begins with 0, so a trunk 0 can only be a national Vietnamese
        # number (some clients send it so); it cannot turn a foreign number Vietnamese.
        return normalize_phone(raw)
    if not digits:
        return None
    import phonenumbers  # see _by_library

    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
