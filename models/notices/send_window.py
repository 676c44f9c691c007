"""When a notice may go out: never in quiet hours (default 21:00–07:00, local time) and
never on a public holiday (data: models/notices/data/holidays.yaml). Held notices wait for the next
open moment; the sender then takes them in due order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

DEFAULT_HOLIDAYS = Path(__file__).resolve().parent / "data" / "holidays.yaml"
DEFAULT_QUIET_HOURS = "21:00-07:00"


class HolidayFileError(ValueError):
    pass


@dataclass(frozen=True)
class Holidays:
    every_year: frozenset[tuple[int, int]]  # (month, day)
    announced: frozenset[date]

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return (day.month, day.day) in self.every_year or day in self.announced


NO_HOLIDAYS = Holidays(frozenset(), frozenset())


def parse_holidays(document: Any) -> Holidays:
    """Holidays from the YAML document; raises HolidayFileError naming the bad entry."""
    if not isinstance(document, dict):
        raise HolidayFileError("expected a mapping with 'every_year' and 'announced'")
    every: set[tuple[int, int]] = set()
    for n, item in enumerate(document.get("every_year") or []):
        try:
            month, day = (int(x) for x in str(item["date"]).split("-"))
            date(2024, month, day)  # a leap year accepts 02-29
        except (KeyError, TypeError, ValueError) as exc:
            raise HolidayFileError(f"every_year[{n}]: expected date: MM-DD") from exc
        every.add((month, day))
    announced: set[date] = set()
    for n, item in enumerate(document.get("announced") or []):
        try:
            first, last = _day(item["from"]), _day(item.get("to", item["from"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise HolidayFileError(f"announced[{n}]: expected from/to: YYYY-MM-DD") from exc
        if last < first or (last - first).days > 31:
            raise HolidayFileError(f"announced[{n}]: 'to' must be within 31 days after 'from'")
        announced.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return Holidays(frozenset(every), frozenset(announced))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@cache
def load_holidays(path: Path = DEFAULT_HOLIDAYS) -> Holidays:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise HolidayFileError(f"{path}: {exc}") from exc
    return parse_holidays(document)


def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """ "21:00-07:00" -> (21:00, 07:00); "" or "off" -> None (no quiet hours)."""
    value = value.strip()
    if value.lower() in ("", "off", "none"):
        return None
    try:
        start, end = (time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError as exc:
        raise ValueError(f"quiet hours must look like 21:00-07:00, not {value!r}") from exc
    if start == end:
        raise ValueError("quiet hours must not start and end at the same time")
    return start, end


@dataclass(frozen=True)
class SendWindow:
    """Quiet hours and holidays in one place, so planner, sender and /nhacnho agree."""

    tz: ZoneInfo  # the configured TIMEZONE (bot/config.py builds the window)
    quiet: tuple[time, time] | None = (time(21), time(7))
    holidays: Holidays = NO_HOLIDAYS

    def _quiet_at(self, moment: time) -> bool:
        if self.quiet is None:
            return False
        start, end = self.quiet
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end  # wraps midnight

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        return local.date() not in self.holidays and not self._quiet_at(local.time())

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself when open, else the first open moment after it."""
        local = moment.astimezone(self.tz)
        for _ in range(400):  # a year of holidays back to back would still end
            if local.date() in self.holidays:
                local = datetime.combine(local.date() + timedelta(days=1), time(0), self.tz)
                continue
            if self._quiet_at(local.time()):
                assert self.quiet is not None
                end = self.quiet[1]
                day = local.date() if local.time() < end else local.date() + timedelta(days=1)
                local = datetime.combine(day, end, self.tz)
                continue
            return local.astimezone(moment.tzinfo)
        raise ValueError("no open moment within a year: check quiet hours and holidays")
