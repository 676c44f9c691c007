"""Issue #17 point 9: a registration happens only from the confirmation card the user saw,
bound to that dialog; a forged or mismatched "Xác nhận" changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db import Database
from models.courses.registrations import Registration
from tests.courses_world import World, build_world
from tests.transcript import telegram_only

STALE = "không còn hiệu lực"


@pytest.fixture
async def world(db: Database, channel: str) -> World:
    return await build_world(db, channel)


async def _registrations(db: Database) -> int:
    async with db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(Registration)) or 0


@telegram_only  # only Telegram can send a button value it never showed
async def test_a_forged_confirm_without_the_card_changes_nothing(
    world: World, db: Database
) -> None:
    an, course = world.person("an"), world.courses["qlnn"]
    assert STALE in await an.tap(f"reg:{course.id}:y")  # the old shape, eligible course
    assert STALE in await an.tap(f"reg:{course.id}:y:deadbeef")  # a guessed nonce
    assert await _registrations(db) == 0
    assert (await world.course("K-2026-14")).seats_taken == 0


async def test_the_two_tap_path_registers(world: World, db: Database) -> None:
    an, course = world.person("an"), world.courses["qlnn"]
    await an.say("/khoahoc")
    await an.press(f"crs:{course.id}")
    assert "xác nhận đăng ký" in await an.press_label("Đăng ký")
    assert (await an.press_label("Xác nhận")).startswith("Anh đã đăng ký khóa K-2026-14.")
    assert await _registrations(db) == 1


@telegram_only
async def test_a_confirm_for_another_course_than_the_card_changes_nothing(
    world: World, db: Database
) -> None:
    an, qlnn, law = world.person("an"), world.courses["qlnn"], world.courses["law"]
    await an.tap(f"reg:{law.id}")  # the card for course A (law) …
    law_confirm = next(v for v in an.values if v.startswith("reg:"))
    await an.tap(f"reg:{qlnn.id}")  # … then the card for course B (qlnn)
    qlnn_confirm = next(v for v in an.values if v.startswith("reg:"))
    nonce = qlnn_confirm.rsplit(":", 1)[1]
    assert STALE in await an.tap(law_confirm)  # A's older card: no longer the offer
    assert STALE in await an.tap(f"reg:{law.id}:y:{nonce}")  # B's nonce on A's id
    assert await _registrations(db) == 0
    # The card really shown still works, once.
    assert (await an.tap(qlnn_confirm)).startswith("Anh đã đăng ký khóa K-2026-14.")
    assert STALE in await an.tap(qlnn_confirm)
    assert await _registrations(db) == 1
