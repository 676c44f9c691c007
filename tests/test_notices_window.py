"""Quiet hours and holidays (pure), and the outbox's insert-or-ignore and recipient language
(on both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.config import ConfigError, Settings
from bot.db import Database
from models.chat.accounts import ChatAccount
from models.notices import outbox as notices
from models.notices.outbox import Notice
from models.notices.send_window import SendWindow, load_holidays, parse_holidays, parse_quiet_hours
from tests.notice_world import seed_people

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WINDOW = SendWindow(tz=VN, holidays=load_holidays())


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (local(2026, 11, 26, 6, 59), False),
        (local(2026, 11, 26, 7, 0), True),
        (local(2026, 11, 26, 20, 59), True),
        (local(2026, 11, 26, 21, 0), False),
        (local(2026, 2, 18, 10, 0), False),  # Tết Bính Ngọ
        (local(2026, 9, 2, 10, 0), False),
        (local(2026, 4, 26, 10, 0), False),
    ],
)
def test_quiet_hours_and_holidays(moment: datetime, is_open: bool) -> None:
    assert WINDOW.is_open(moment) is is_open


def test_held_notices_go_out_at_seven_after_the_holiday() -> None:
    assert WINDOW.next_open(local(2026, 11, 26, 22, 30)) == local(2026, 11, 27, 7, 0)
    assert WINDOW.next_open(local(2026, 11, 27, 3, 0)) == local(2026, 11, 27, 7, 0)
    assert WINDOW.next_open(local(2026, 2, 13, 21, 30)) == local(2026, 2, 23, 7, 0)
    moment = local(2026, 11, 26, 10, 0).astimezone(UTC)
    assert WINDOW.next_open(moment) == moment


def test_settings_fail_fast_with_the_variable_named() -> None:
    assert parse_quiet_hours("off") is None
    assert parse_quiet_hours("22:30-06:00") == (time(22, 30), time(6, 0))
    for env, variable in (
        ({"QUIET_HOURS": "9pm"}, "QUIET_HOURS"),
        ({"REQUIREMENT_NOTICE_DAYS": "a,b"}, "REQUIREMENT_NOTICE_DAYS"),
        ({"TELEGRAM_MAX_PER_SECOND": "31"}, "TELEGRAM_MAX_PER_SECOND"),
        ({"SCHEDULER_IN_PROCESS": "maybe"}, "SCHEDULER_IN_PROCESS"),
    ):
        with pytest.raises(ConfigError, match=variable):
            Settings.from_env(env)
    with pytest.raises(ValueError, match=r"announced\[0\]"):
        parse_holidays({"announced": [{"from": "2026-02-20", "to": "2026-02-14"}]})


async def test_enqueue_is_insert_or_ignore_in_the_recipients_language(db: Database) -> None:
    due = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
    async with db.transaction() as session:
        [vi, en] = await seed_people(session, 2)
        await session.execute(
            update(ChatAccount).where(ChatAccount.official_id == en).values(locale="en")
        )
        for oid in (vi, en, vi):
            await notices.enqueue(
                session,
                official_id=oid,
                kind=notices.COURSE_CHANGED,
                subject="course:1",
                due_at=due,
                render=lambda o: notices_text(o.gender),
                relevant_until=due,
            )
        again = await notices.enqueue(
            session,
            official_id=vi,
            kind=notices.COURSE_CHANGED,
            subject="course:1",
            due_at=due,
            text="x",
        )
    assert again is False
    async with db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(Notice))
        texts = dict((await session.execute(select(Notice.official_id, Notice.text))).all())
    assert count == 2
    assert texts[vi].startswith("Lưu ý") and texts[en].startswith("Please note")


def notices_text(gender: str | None) -> str:
    from models.notices.texts import course_changed

    return course_changed(gender, "K-1", "QLNN", datetime(2026, 12, 8).date(), None)
