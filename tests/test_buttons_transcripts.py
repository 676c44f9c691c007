"""Buttons through the real dispatcher: values from before the payload declarations keep
working, and unknown, forged or outdated ones get the polite stale answer, never an error."""

from __future__ import annotations

import pytest

from bot.db import Database
from tests.courses_world import World, build_world
from tests.transcript import Person, make_dispatcher

STALE = "không còn hiệu lực"
ERROR = "gặp sự cố"  # the answer when an update fails and rolls back


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)


async def test_buttons_sent_before_the_declarations_still_work(world: World) -> None:
    an = world.person("an")
    await an.say("/khoahoc")
    text = await an.press("find:")  # the old value had a trailing ':'
    assert "gõ vài từ trong tên khóa học" in text
    text = await an.say("quản lý nhà nước")
    assert "K-2026-14" in text
    text = await an.press("kinds:")
    assert "muốn xem loại bồi dưỡng nào?" in text
    course = await world.course("K-2026-14")
    text = await an.press(f"crs:{course.id}")
    assert "K-2026-14" in text and STALE not in text
    text = await an.press("cmd:yeucau")
    assert text.startswith("📋")


@pytest.mark.parametrize(
    "value",
    [
        "nosuchtag:1",
        "cmd:nosuchcommand",
        "cmd:",
        "crs:",
        "crs:12345678901234567890",
        "page:all:x",
        "page:bogus:1",
        "rem:lead:99",
        "rem:maybe:course_start",
        "lang:fr",
        "why:no-such-rule",
        "x" * 80,
    ],
)
async def test_unknown_forged_or_malformed_buttons_get_the_stale_answer(
    world: World, value: str
) -> None:
    an = world.person("an")
    text = await an.press(value)
    assert STALE in text and ERROR not in text


async def test_a_personal_button_from_an_unlinked_chat_asks_to_link(world: World) -> None:
    stranger = Person(make_dispatcher(world.db, world.clock), "99999")
    course = await world.course("K-2026-14")
    text = await stranger.press(f"reg:{course.id}")
    assert "liên kết" in text and STALE not in text
