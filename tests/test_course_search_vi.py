"""Searching courses as officials type (issue #12, point 8): i/y after a consonant are one
letter, with or without diacritics, NFC or NFD; a fuzzy "Có phải …?" when nothing matches;
the header shows the official's own words."""

from __future__ import annotations

import unicodedata

import pytest

from bot.db import Database
from locales.folding import search_key
from tests.courses_world import World, build_world


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("quản lí", "quản lý"),
        ("kĩ năng", "kỹ năng"),
        ("lí luận chính trị", "lý luận chính trị"),
        ("quan li", "Quản lý"),
        (unicodedata.normalize("NFD", "lý luận"), "li luan"),
    ],
)
def test_i_and_y_after_a_consonant_fold_alike(one: str, other: str) -> None:
    assert search_key(one) == search_key(other)


def test_y_after_a_vowel_or_opening_a_word_stays() -> None:
    assert search_key("quy định") == "quy dinh"
    assert search_key("Thủy") == "thuy"
    assert search_key("yêu cầu") == "yeu cau"


@pytest.mark.parametrize(
    "query",
    [
        "khóa học quản lí nhà nước",
        "quan li nha nuoc",
        unicodedata.normalize("NFD", "Quản lí nhà nước"),
        "quản lý nhà nước",
    ],
)
async def test_both_spellings_find_state_management(world: World, query: str) -> None:
    text = await world.person("an").say(query)
    assert "K-2026-14" in text and "K-2026-03" not in text


async def test_lí_luận_finds_political_theory(world: World) -> None:
    text = await world.person("an").say("/khoahoc lí luận chính trị")
    assert "K-2027-01" in text


async def test_the_header_shows_the_officials_own_words(world: World) -> None:
    text = await world.person("an").say("/khoahoc quản lí nhà nước")
    assert text.splitlines()[0].startswith("🔎 Khóa học tìm theo “quản lí nhà nước”")


async def test_a_typo_gets_a_tappable_did_you_mean(world: World) -> None:
    an = world.person("an")
    text = await an.say("/khoahoc lí luận chín trị")  # a letter missing
    assert "Chưa có khóa học sắp mở nào khớp" in text
    assert "Có phải anh muốn tìm “Lý luận chính trị”?" in text  # the kind's name
    text = await an.press_label("Lý luận chính trị")
    assert "K-2027-01" in text


async def test_nonsense_gets_no_suggestion(world: World) -> None:
    text = await world.person("an").say("/khoahoc xyz qwerty")
    assert "Chưa có khóa học sắp mở nào khớp" in text and "Có phải" not in text
