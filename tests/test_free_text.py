"""Free text however it is typed: NFD, without diacritics, zero-width characters, emoji."""

from __future__ import annotations

import unicodedata

import pytest

from bot.db import Database
from tests.factories import make_official, small_province
from tests.transcript import Person, make_dispatcher


@pytest.fixture
async def linked(db: Database) -> Person:
    async with db.transaction() as session:
        units = await small_province(session)
        await make_official(session, units["tccb"])
    person = Person(make_dispatcher(db), "3001")
    await person.share_contact("0912000001")
    return person


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


async def test_language_switch_round_trip(linked: Person) -> None:
    await linked.say("/ngonngu")
    assert "Language set to English." in await linked.press("lang:en")
    assert "Employee code: DB000001" in await linked.say("/hoso")
    assert "Chuyển" not in linked.text
    await linked.say("/ngonngu")
    assert "Đã chuyển ngôn ngữ sang tiếng Việt." in await linked.press("lang:vi")
