"""bot/config.py: the one place the environment is read, and what it hands down."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, Settings
from bot.db import Database
from models.chat import accounts, link_codes
from models.chat.link_codes import Outcome
from tests.factories import make_official, small_province
from tests.transcript import Clock


def test_the_time_zone_reaches_every_part_of_the_tree() -> None:
    settings = Settings.from_env({"TIMEZONE": "Asia/Bangkok", "DEFAULT_LOCALE": "en"})
    bangkok = ZoneInfo("Asia/Bangkok")
    assert settings.timezone == bangkok
    assert settings.planning.tz == bangkok
    assert settings.digest.tz == bangkok
    assert settings.send_window.tz == bangkok
    assert settings.planning.default_locale == settings.digest.default_locale == "en"


def test_defaults_are_the_provinces() -> None:
    settings = Settings.from_env({})
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    assert (settings.timezone, settings.planning.tz, settings.digest.tz) == (vn, vn, vn)
    assert settings.send_window.tz == vn and settings.send_window.quiet == (time(21), time(7))
    assert (Settings().timezone, Settings().planning.tz, Settings().digest.tz) == (vn, vn, vn)
    assert settings.link_codes.pepper == b""


def test_planning_variables() -> None:
    planning = Settings.from_env(
        {
            "REQUIREMENT_NOTICE_DAYS": "16,91,46",
            "OVERDUE_NOTICE_DAYS": "3",
            "NOTICE_SEND_TIME": "07:45",
            "PLANNING_HORIZON_HOURS": "12",
            "REGISTRATION_NOTICE_DAYS": "5",
        }
    ).planning
    assert planning.stages_days == (91, 46, 16)
    assert (planning.overdue_days, planning.send_time) == (3, time(7, 45))
    assert (planning.horizon, planning.registration_lead_days) == (timedelta(hours=12), 5)


def test_digest_variables() -> None:
    def digest(**env: str) -> tuple[int | None, time, int, str]:
        s = Settings.from_env(env).digest
        return s.weekday, s.send_time, s.window_days, s.cron_day

    assert digest(DIGEST_WEEKDAY="fri", DIGEST_SEND_TIME="09:15", DIGEST_DUE_WITHIN_DAYS="45") == (
        5,
        time(9, 15),
        45,
        "fri",
    )
    assert digest()[0] == 1
    assert digest(DIGEST_WEEKDAY="off")[0] is None
    assert digest(DIGEST_WEEKDAY="7")[0] == 7
    assert digest(DIGEST_WEEKDAY="Sunday")[0] == 7


@pytest.mark.parametrize(
    "env",
    [
        {"TIMEZONE": "Mars/Olympus"},
        {"DIGEST_WEEKDAY": "8"},
        {"DIGEST_WEEKDAY": "month"},
        {"DIGEST_SEND_TIME": "8h"},
        {"DIGEST_DUE_WITHIN_DAYS": "0"},
        {"NOTICE_SEND_TIME": "eight"},
        {"OVERDUE_NOTICE_DAYS": "0"},
        {"REQUIREMENT_NOTICE_DAYS": ""},
        {"HOLIDAYS_FILE": "/nonexistent/holidays.yaml"},
    ],
)
def test_a_bad_variable_stops_start_up_naming_it(env: dict[str, str]) -> None:
    [name] = env
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


def test_link_code_secret_is_read_as_bytes() -> None:
    assert Settings.from_env({"LINK_CODE_SECRET": "pepper é"}).link_codes.pepper == (
        "pepper é".encode()
    )


async def test_a_code_only_redeems_with_the_pepper_it_was_issued_with(db: Database) -> None:
    clock = Clock()
    async with db.transaction() as session:
        units = await small_province(session)
        official = await make_official(session, units["tccb"])
        code = await link_codes.issue(
            session, official, now=clock(), created_by="test", pepper=b"right"
        )
    async with db.transaction() as session:
        account = await accounts.get_or_create(
            session, channel="console", user_id="u1", chat_id="u1", now=clock()
        )
        wrong = await link_codes.redeem(session, account, code, now=clock(), pepper=b"wrong")
        right = await link_codes.redeem(session, account, code, now=clock(), pepper=b"right")
    assert (wrong.outcome, right.outcome) == (Outcome.WRONG, Outcome.LINKED)
