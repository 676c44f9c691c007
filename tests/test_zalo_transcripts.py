"""Two journeys end to end over the fake Zalo server, through the real adapter (polling,
de-duplication, dispatch, rendering) and back.

The transcripts themselves (linking, requirements, courses, language) run on Zalo through
the `channel` fixture (tests/conftest.py): there a choice is made by typing the number the
Zalo renderer shows for it, and each answer is rendered as Zalo would send it.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.db import Database
from tests.fake_zalo_api import FakeZaloApi
from tests.test_requirements_transcripts import world  # noqa: F401  (fixture)
from tests.test_zalo_e2e import ZaloUser, fake, issue, polling_bot  # noqa: F401  (fixture)


@pytest.mark.parametrize("channel", ["zalo"])  # the requirements world, linked on Zalo
async def test_foundation_journey_over_zalo(
    db: Database,
    world: dict[str, Any],  # noqa: F811
    fake: FakeZaloApi,  # noqa: F811
) -> None:
    """Journey 1 the Zalo way: a code instead of the phone button, numbers for buttons."""
    async with polling_bot(fake, db) as bot:
        user = ZaloUser(fake, bot, "b0b0b0b0b0b0b0b0b0b0")
        text = await user.say("/start")
        assert "[1] 🔑 Nhập mã liên kết" in text
        assert "Trần Thị Bình" not in text
        text = await user.say(await issue(db, world["deputy13"].id))
        assert "Xin chào chị Trần Thị Bình" in text
        assert "Mã cán bộ: DB000002" in await user.say("ho so cua toi")  # no diacritics
        text = await user.say("/ngonngu")
        number = next(line for line in text.splitlines() if "English" in line).split("]")[0][-1]
        assert "Language set to English" in await user.say(number)
        text = await user.say("/huylienket")
        assert "[1] Yes, unlink" in text
        assert "Unlinked" in await user.say("1")
        assert "DB000002" not in await user.say("/hoso")


async def test_course_journey_over_zalo(db: Database, fake: FakeZaloApi) -> None:  # noqa: F811
    """Done-when of issue #7: link by code, /yeucau, browse and register by numbers."""
    from sqlalchemy import select

    from models.courses.registrations import Registration
    from tests.courses_world import build_world

    courses = await build_world(db)
    code = await issue(db, courses.people["an"].id)
    async with polling_bot(fake, db) as bot:
        user = ZaloUser(fake, bot, "c0ffee00c0ffee00c0ff")
        assert "Liên kết thành công" in await user.say(code)
        assert "Yêu cầu đào tạo, bồi dưỡng của anh" in await user.say("/yeucau")
        text = await user.say("/khoahoc")
        assert "2. ⭐ K-2026-14 · Bồi dưỡng kiến thức quản lý nhà nước" in text
        assert "[2] 2" not in text and "[7] 🔎 Tìm kiếm" in text
        text = await user.say("2")
        assert text.startswith("📚 K-2026-14")
        assert "[1] ✍️ Đăng ký" in text
        assert "Anh xác nhận đăng ký khóa K-2026-14" in await user.say("1")
        text = await user.say("xac nhan")  # the label, typed without diacritics
        assert text.startswith("Anh đã đăng ký khóa K-2026-14.")
        assert "📅 K-2026-14: 08/12/2026" in text  # the calendar file's summary, not dropped
    async with db.transaction() as session:
        registration = await session.scalar(select(Registration))
    assert registration is not None and registration.official_id == courses.people["an"].id
