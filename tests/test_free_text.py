"""Free text however it is typed: NFD, without diacritics, zero-width characters, emoji."""

from __future__ import annotations

import unicodedata

import pytest

from bot.db import Database
from models.chat import link_codes
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher


async def link(db: Database, channel: str) -> Person:
    async with db.transaction() as session:
        units = await small_province(session)
        official = await make_official(session, units["tccb"])
        code = await link_codes.issue(
            session, official, now=Clock()(), created_by="test", pepper=b""
        )
    person = Person(make_dispatcher(db), "3001", channel=channel)
    if channel == "telegram":
        await person.share_contact("0912000001")
    else:  # Zalo cannot share a contact
        assert "Nguyễn Văn An" in await person.say(code)
    return person


@pytest.fixture
async def linked(db: Database) -> Person:
    # How text is typed does not depend on the channel: one is enough here.
    return await link(db, "telegram")


@pytest.mark.parametrize(
    "text",
    [
        "hồ sơ",
        "ho so",
        "HO SO CUA TOI",
        unicodedata.normalize("NFD", "Hồ sơ của tôi"),
        "h\u200bồ sơ",
        "cho tôi xem hồ sơ 🙏",
    ],
)
async def test_profile_intent_any_typing(linked: Person, text: str) -> None:
    assert "Mã cán bộ: DB000001" in await linked.say(text)


@pytest.mark.parametrize("text", ["tro giup", "Trợ giúp", "huong dan", "help"])
async def test_help_intent(linked: Person, text: str) -> None:
    assert "/hoso" in await linked.say(text)


@pytest.mark.parametrize("text", ["🙂🙂🙂", "asdfgh", "x" * 4096, "   "])
async def test_unknown_input_gets_a_polite_answer_and_the_menu(linked: Person, text: str) -> None:
    reply = await linked.say(text)
    assert "chưa hiểu" in reply or "chỉ đọc được" in reply
    assert linked.choices, "the menu comes with the answer"


async def test_language_switch_round_trip(db: Database, channel: str) -> None:
    linked = await link(db, channel)
    await linked.say("/ngonngu")
    assert "Language set to English." in await linked.press("lang:en")
    assert "Employee code: DB000001" in await linked.say("/hoso")
    assert "Chuyển" not in linked.text
    await linked.say("/ngonngu")
    assert "Đã chuyển ngôn ngữ sang tiếng Việt." in await linked.press("lang:vi")
