"""The foundation and requirements transcripts, run end to end over the fake Zalo server.

The requirements transcripts (tests/test_requirements_transcripts.py) are replayed as they
are: their `person` is swapped for one whose every message goes through the fake Zalo Bot
API, the real adapter (polling, de-duplication, dispatch, rendering) and back. A button
press becomes the number Zalo shows for it, so "Vì sao mục 2?" is picked by typing its
number, and each answer must reach the Zalo user as numbered plain text of ≤ 2,000
characters. Transcripts that need what Zalo does not have stay Telegram-only: forged button
values, a shared phone number, and pressing a button of an *earlier* message (on Zalo only
the numbers of the last answer count; test_zalo_e2e asks /yeucau again instead).

Courses: the journey "link by code, /yeucau, browse and register by numbers" is below; the
course transcripts themselves lean on edited messages and old buttons, which Zalo lacks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

import tests.test_requirements_transcripts as requirements
from bot.channels.zalo import ZaloBot
from bot.db import Database
from bot.dispatch import Dispatcher
from handlers.types import Incoming, Reply
from models.chat import accounts
from models.org.officials import Official
from tests.fake_zalo_api import FakeZaloApi
from tests.test_requirements_transcripts import NOW, world  # noqa: F401  (fixture)
from tests.test_zalo_e2e import ZaloUser, fake, issue, polling_bot  # noqa: F401  (fixture)
from tests.transcript import Clock, Person, make_dispatcher


@dataclass
class ZaloBridge:
    """Stands where `Person` expects a dispatcher, but talks through Zalo."""

    fake: FakeZaloApi
    bot: ZaloBot
    dispatcher: Dispatcher
    offered: list[str]

    async def handle(self, incoming: Incoming) -> list[Reply]:
        if incoming.choice is not None:
            assert incoming.choice in self.offered, "only offered choices can be typed on Zalo"
            text = str(self.offered.index(incoming.choice) + 1)
        else:
            assert incoming.text is not None
            text = incoming.text
        seen: list[Reply] = []
        inner = self.dispatcher.handle

        async def recording(update: Incoming) -> list[Reply]:
            replies = await inner(update)
            seen.extend(replies)
            return replies

        self.dispatcher.handle = recording  # type: ignore[method-assign]
        self.bot.dispatcher = self.dispatcher  # this person's clock
        try:
            user = ZaloUser(self.fake, self.bot, incoming.chat_id)
            shown = await user.say(text)
        finally:
            self.dispatcher.handle = inner  # type: ignore[method-assign]
        self.offered = [c.value for r in seen for c in r.choices]
        _check_rendering(seen, shown, user)
        return seen


def _check_rendering(replies: list[Reply], shown: str, user: ZaloUser) -> None:
    assert all(len(m.text or "") <= 2000 for m in user.last)
    for reply in replies:
        for line in reply.text.splitlines():
            assert line in shown, f"{line!r} did not reach the Zalo user"
    labels = [c.label for r in replies for c in r.choices]
    for n, label in enumerate(labels, start=1):
        assert f"[{n}] {label}" in shown


@pytest.fixture
async def zalo_world(
    db: Database,
    world: dict[str, Any],  # noqa: F811
    fake: FakeZaloApi,  # noqa: F811
) -> AsyncIterator[dict[str, Any]]:
    """The requirements world, each official also linked on Zalo (Telegram stays linked)."""
    async with db.transaction() as session:
        for who, chat in world["chat"].items():
            account = await accounts.get_or_create(
                session, channel="zalo", user_id=chat, chat_id=chat, now=NOW
            )
            official = await session.get(Official, world[who].id)
            assert official is not None
            await accounts.link(session, account, official, method="test", now=NOW)
    async with polling_bot(fake, db) as bot:

        def person(
            db: Database, world: dict[str, Any], who: str, clock: Clock | None = None
        ) -> Person:
            bridge = ZaloBridge(fake, bot, make_dispatcher(db, clock or Clock(NOW)), [])
            return Person(bridge, world["chat"][who], channel="zalo")  # type: ignore[arg-type]

        yield {**world, "person": person}


Transcript = Callable[[Database, dict[str, Any]], Awaitable[None]]


@pytest.mark.parametrize(
    "transcript",
    [
        requirements.test_deputy_without_degree_sees_list_most_urgent_first,
        requirements.test_kinh_commune_official_without_local_language,
        requirements.test_public_employee_with_and_without_ethics,
        requirements.test_year_boundary_follows_vietnam_time,
        requirements.test_english_wording,
    ],
    ids=lambda t: t.__name__.removeprefix("test_"),
)
async def test_requirements_over_zalo(
    db: Database,
    zalo_world: dict[str, Any],
    transcript: Transcript,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(requirements, "person", zalo_world["person"])
    await transcript(db, zalo_world)


async def test_foundation_journey_over_zalo(
    db: Database,
    zalo_world: dict[str, Any],
    fake: FakeZaloApi,  # noqa: F811
) -> None:
    """Journey 1 the Zalo way: a code instead of the phone button, numbers for buttons."""
    deputy = zalo_world["person"](db, zalo_world, "deputy")
    bridge: ZaloBridge = deputy.dispatcher
    user = ZaloUser(fake, bridge.bot, "b0b0b0b0b0b0b0b0b0b0")
    text = await user.say("/start")
    assert "[1] 🔑 Nhập mã liên kết" in text
    assert "Trần Thị Bình" not in text
    text = await user.say(await issue(db, zalo_world["deputy13"].id))
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
        assert "Yêu cầu bồi dưỡng của anh" in await user.say("/yeucau")
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
