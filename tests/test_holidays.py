"""Holidays (issue #12, point 6): the `holidays` package for Việt Nam as the base, the
province's YAML as overrides, 2027 right, weekends held, and `python -m bot holidays YEAR`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from models.notices.send_window import SendWindow, load_holidays, parse_holidays

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parent.parent


def test_2027_is_right() -> None:
    days = load_holidays().of_year(2027)
    assert "mùng 1 Tết" in days[date(2027, 2, 6)]  # a Saturday; no 30 Tết that year
    assert date(2027, 2, 5) in days  # 29 Tết, the last day of the lunar year
    assert "Giỗ Tổ Hùng Vương" in days[date(2027, 4, 16)]
    assert date(2027, 9, 2) in days and date(2027, 9, 3) in days
    assert date(2027, 5, 1) in days and "nghỉ bù" in days[date(2027, 5, 3)]
    assert date(2027, 11, 24) not in days  # Ngày Văn hóa Việt Nam: pending [U], removed


def test_the_announced_tet_week_of_2026_and_gio_to_make_up_day() -> None:
    holidays = load_holidays()
    assert all(date(2026, 2, d) in holidays for d in range(14, 23))
    assert date(2026, 2, 23) not in holidays
    assert date(2026, 4, 26) in holidays and date(2026, 4, 27) in holidays


def test_yaml_adds_and_removes_days() -> None:
    holidays = parse_holidays(
        {
            "add": [{"from": "2027-03-10", "to": "2027-03-11", "name": "Ngày của tỉnh"}],
            "remove": [{"date": "2027-04-16"}, {"date": "01-01"}],
        }
    )
    assert holidays.of_year(2027)[date(2027, 3, 10)] == "Ngày của tỉnh"
    assert date(2027, 4, 16) not in holidays and date(2028, 1, 1) not in holidays
    assert date(2027, 9, 2) in holidays


def test_non_urgent_notices_wait_over_the_weekend_unless_configured() -> None:
    env = {"TELEGRAM_BOT_TOKEN": "", "DATABASE_URL": "sqlite:///x.sqlite3"}
    held = Settings.from_env(env).send_window
    assert held.hold_weekends
    saturday = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # 10:00 on Saturday 05/12/2026
    assert not held.is_open(saturday)
    assert held.next_open(saturday) == datetime(2026, 12, 7, 7, 0, tzinfo=VN)
    free = Settings.from_env({**env, "HOLD_ON_WEEKENDS": "off"}).send_window
    assert free.is_open(saturday)
    assert SendWindow(tz=VN, hold_weekends=True).is_open(datetime(2026, 12, 7, 3, tzinfo=UTC))


def test_the_cli_lists_2027_in_vietnamese() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM", "ZALO"))}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "holidays", "2027"],
        cwd=ROOT,
        env={**env, "DEFAULT_LOCALE": "vi"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert lines[0] == "Những ngày không gửi thông báo không khẩn trong năm 2027:"
    assert "06/02/2027  Thứ Bảy  Tết Nguyên đán (mùng 1 Tết)" in lines
    assert "16/04/2027  Thứ Sáu  Giỗ Tổ Hùng Vương (10/3 Âm lịch)" in lines
    assert "02/09/2027  Thứ Năm  Quốc khánh" in lines
    assert "03/09/2027  Thứ Sáu  Quốc khánh" in lines
    assert not [line for line in lines if "24/11/2027" in line or "Lunar" in line]
