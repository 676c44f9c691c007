"""Vietnamese names for the days the `holidays` package lists for Việt Nam (it names them in
English). A name the table does not know falls back to the package's own Vietnamese."""

from __future__ import annotations

import re

NAMES: dict[str, str] = {
    "New Year's Day": "Tết Dương lịch",
    "29 of Lunar New Year": "Tết Nguyên đán (nghỉ trước Tết)",
    "Lunar New Year's Eve": "Tết Nguyên đán (ngày cuối năm Âm lịch)",
    "Lunar New Year": "Tết Nguyên đán (mùng 1 Tết)",
    "Second Day of Lunar New Year": "Tết Nguyên đán (mùng 2 Tết)",
    "Third Day of Lunar New Year": "Tết Nguyên đán (mùng 3 Tết)",
    "Fourth Day of Lunar New Year": "Tết Nguyên đán (mùng 4 Tết)",
    "Fifth Day of Lunar New Year": "Tết Nguyên đán (mùng 5 Tết)",
    "Hung Kings' Commemoration Day": "Giỗ Tổ Hùng Vương (10/3 Âm lịch)",
    "Liberation Day/Reunification Day": "Ngày Chiến thắng (30/4)",
    "International Labor Day": "Ngày Quốc tế Lao động (1/5)",
    "National Day": "Quốc khánh",
    "Vietnam Cultural Day": "Ngày Văn hóa Việt Nam",
}
_OBSERVED = re.compile(r"^(?P<name>.+) \(observed\)$")
_SUBSTITUTED = re.compile(r"^Day off \(substituted from (?P<m>\d\d)/(?P<d>\d\d)/(?P<y>\d{4})\)$")


def vietnamese_name(english: str, fallback: str) -> str:
    """The package's English name in Vietnamese; `fallback` (its "vi" name) when unknown."""
    if english in NAMES:
        return NAMES[english]
    if found := _OBSERVED.match(english):
        base = NAMES.get(found["name"])
        return f"{base} (nghỉ bù)" if base else fallback
    if found := _SUBSTITUTED.match(english):
        return f"Ngày nghỉ hoán đổi (làm bù vào ngày {found['d']}/{found['m']}/{found['y']})"
    return fallback
