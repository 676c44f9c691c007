"""When a non-urgent notice may go out: never in quiet hours (QUIET_HOURS, local time), never
on a public holiday (the `holidays` package for Việt Nam with the province's overrides in
models/notices/data/holidays.yaml) and, when HOLD_ON_WEEKENDS is on, never on a Saturday or
Sunday. Held notices wait for the next open moment; the sender then takes them in due order.
"""

from __future__ import annotations

from calendar import isleap
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from models.notices.holiday_names import vietnamese_name

DEFAULT_HOLIDAYS = Path(__file__).resolve().parent / "data" / "holidays.yaml"
DEFAULT_QUIET_HOURS = "21:00-07:00"
SATURDAY = 5


class HolidayFileError(ValueError):
    pass


@dataclass(frozen=True)
class Holidays:
    """The `holidays` package's days for Việt Nam (lunar Tết and Giỗ Tổ, make-up days, the
    two-day National Day) with the province's file on top: days it adds (the full Tết week
    as announced, provincial days) and days it removes (e.g. one the package lists that is
    not yet law). Tuples, not dicts, so the settings tree stays hashable."""

    added: tuple[tuple[date, str], ...] = ()
    every_year: tuple[tuple[tuple[int, int], str], ...] = ()  # ((month, day), name)
    removed: frozenset[date] = frozenset()
    removed_every_year: frozenset[tuple[int, int]] = frozenset()
    use_package: bool = True

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and day in self.of_year(day.year)

    def of_year(self, year: int) -> dict[date, str]:
        """Every non-sending holiday of `year`, day -> Vietnamese name, in date order."""
        return _days_of(self, year)


@cache
def _days_of(holidays: Holidays, year: int) -> dict[date, str]:
    days: dict[date, str] = {}
    if holidays.use_package:
        from holidays import country_holidays  # ~0.1 s with dateutil: not needed at start

        english = country_holidays("VN", years=year, language="en_US")
        native = country_holidays("VN", years=year, language="vi")
        for day, name in english.items():
            for part in name.split("; "):  # two holidays on one day
                days.setdefault(day, vietnamese_name(part, native.get(day, part)))
    for (month, day_of_month), name in holidays.every_year:
        if month == 2 and day_of_month == 29 and not isleap(year):
            continue
        days.setdefault(date(year, month, day_of_month), name)
    for day, name in holidays.added:
        if day.year == year:
            days.setdefault(day, name)  # the package's name is the more precise one
    return {
        d: days[d]
        for d in sorted(days)
        if d not in holidays.removed and (d.month, d.day) not in holidays.removed_every_year
    }


NO_HOLIDAYS = Holidays(use_package=False)


def with_overrides(base: Holidays, province: Holidays) -> Holidays:
    """The national overrides file with the province's own on top (its provincial days,
    the days it removes); a day both name keeps the province's name."""
    return Holidays(
        added=province.added + base.added,
        every_year=province.every_year + base.every_year,
        removed=base.removed | province.removed,
        removed_every_year=base.removed_every_year | province.removed_every_year,
        use_package=base.use_package and province.use_package,
    )


def parse_holidays(document: Any) -> Holidays:
    """The province's overrides from the YAML document; raises HolidayFileError naming the
    bad entry. `announced` (or `add`) ranges and `every_year` dates are added, `remove`
    entries (YYYY-MM-DD for one year, MM-DD for every year) taken away."""
    if not isinstance(document, dict):
        raise HolidayFileError("expected a mapping with 'announced', 'every_year' or 'remove'")
    every: list[tuple[tuple[int, int], str]] = []
    for n, item in enumerate(document.get("every_year") or []):
        try:
            month, day = _month_day(item["date"])
        except (KeyError, TypeError, ValueError) as exc:
            raise HolidayFileError(f"every_year[{n}]: expected date: MM-DD") from exc
        every.append(((month, day), str(item.get("name") or "")))
    added: list[tuple[date, str]] = []
    for key in ("announced", "add"):
        for n, item in enumerate(document.get(key) or []):
            try:
                first, last = _day(item["from"]), _day(item.get("to", item["from"]))
            except (KeyError, TypeError, ValueError) as exc:
                raise HolidayFileError(f"{key}[{n}]: expected from/to: YYYY-MM-DD") from exc
            if last < first or (last - first).days > 31:
                raise HolidayFileError(f"{key}[{n}]: 'to' must be within 31 days after 'from'")
            name = str(item.get("name") or "")
            added.extend((first + timedelta(days=i), name) for i in range((last - first).days + 1))
    removed: set[date] = set()
    removed_every: set[tuple[int, int]] = set()
    for n, item in enumerate(document.get("remove") or []):
        try:
            raw = item["date"]
            if isinstance(raw, date) or len(str(raw)) == 10:
                removed.add(_day(raw))
            else:
                removed_every.add(_month_day(raw))
        except (KeyError, TypeError, ValueError) as exc:
            raise HolidayFileError(f"remove[{n}]: expected date: YYYY-MM-DD or MM-DD") from exc
    return Holidays(
        added=tuple(added),
        every_year=tuple(every),
        removed=frozenset(removed),
        removed_every_year=frozenset(removed_every),
        use_package=bool(document.get("package", True)),
    )


def _month_day(value: Any) -> tuple[int, int]:
    month, day = (int(x) for x in str(value).split("-"))
    date(2024, month, day)  # a leap year accepts 02-29
    return month, day


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
    # Non-urgent notices wait for Monday (HOLD_ON_WEEKENDS); urgent ones never wait.
    hold_weekends: bool = False

    def closed_on(self, day: date) -> bool:
        """Whether no non-urgent notice goes out at all on `day` (local date)."""
        return day in self.holidays or (self.hold_weekends and day.weekday() >= SATURDAY)

    def _quiet_at(self, moment: time) -> bool:
        if self.quiet is None:
            return False
        start, end = self.quiet
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end  # wraps midnight

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        return not self.closed_on(local.date()) and not self._quiet_at(local.time())

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself when open, else the first open moment after it."""
        local = moment.astimezone(self.tz)
        for _ in range(400):  # a year of holidays back to back would still end
            if self.closed_on(local.date()):
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
