"""Points 12 and 13 of issue #11: /hoso shows no ethnicity and only the birth year (over the
real Telegram stack); the privacy notice is complete, versioned, shown at linking, recorded
with the chat account, shown once more when it changes, and on request."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.config import Settings
from bot.db import Database
from bot.dispatch import Dispatcher
from models.chat.accounts import ChatAccount
from models.privacy.notice import UNVERSIONED, notice_text, notice_version
from models.privacy.settings import PrivacySettings
from tests.factories import make_official, small_province
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_e2e import settings_for
from tests.transcript import Clock, Person, make_dispatcher

USER = 5550001


@pytest.fixture
async def seeded(db: Database) -> Database:
    async with db.transaction() as session:
        units = await small_province(session)
        await make_official(session, units["tccb"], ethnicity="Thái", birth_date=date(1985, 4, 12))
    return db


async def test_hoso_over_telegram_hides_ethnicity_and_most_of_the_birth_date(
    fake: FakeBotApi, seeded: Database
) -> None:
    app: Application = build_application(settings_for(fake, seeded), make_dispatcher(seeded))
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        fake.push_contact(USER, "+84 912 000 001", USER)
        linked = await fake.wait_sent(USER, 3)
        fake.push_text(USER, "/hoso")
        sent = await fake.wait_sent(USER, len(linked) + 1)
        profile = sent[-1].text or ""
        assert "DB000001" in profile and "Nguyễn Văn An" in profile
        assert "Năm sinh: 1985" in profile
        assert "12/04/1985" not in profile and "12/04" not in profile
        assert "Thái" not in profile and "Dân tộc" not in profile
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def test_the_notice_says_what_why_who_where_how_long_rights_and_contact() -> None:
    settings = PrivacySettings(upload_days=2, notice_text_days=120, audit_years=7)
    text = notice_text(settings)
    held = (
        "họ và tên",
        "ngày sinh",
        "giới tính",
        "dân tộc",
        "số điện thoại",
        "đơn vị",
        "ngạch",
        "chức danh",
        "chức vụ lãnh đạo",
        "trình độ chuyên môn",
        "lý luận chính trị",
        "tiếng dân tộc thiểu số",
        "quá trình bồi dưỡng",
        "mã cuộc trò chuyện",
        "đăng ký khóa học",
        "thông báo đã gửi",
    )
    for words in held:
        assert words in text, words
    for words in (
        "quản lý đào tạo, bồi dưỡng",  # why
        "Lãnh đạo đơn vị",  # who: heads see digests
        "không có mục nhạy cảm",
        "Quản trị viên tổ chức cán bộ",
        "vận hành kỹ thuật",
        "máy chủ của Telegram (ở nước ngoài)",  # where
        "Zalo",
        "sau 2 ngày",  # how long: the settings
        "sau 120 ngày",
        "lưu 7 năm",
        "91/2025/QH15",  # rights
        "/dulieu",
        "/huylienket",
        "khiếu nại",
        "bộ phận tổ chức cán bộ của cơ quan",  # contact: the default
        f"phiên bản {notice_version(settings)}",
    ):
        assert words in text, words
    assert "anh/chị" in text and "bạn" not in text
    contact = PrivacySettings(contact="Sở Nội vụ tỉnh Điện Biên, 0215 3825 000")
    assert "Sở Nội vụ tỉnh Điện Biên, 0215 3825 000" in notice_text(contact)
    # The version follows the text, settings included.
    assert notice_version(contact) != notice_version(PrivacySettings())
    assert notice_version(PrivacySettings()) == notice_version(PrivacySettings())


def test_privacy_settings_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "PRIVACY_CONTACT": "Sở Nội vụ",
            "RETAIN_UPLOAD_DAYS": "3",
            "RETAIN_NOTICE_TEXT_DAYS": "60",
            "RETAIN_AUDIT_YEARS": "10",
        }
    )
    assert settings.privacy == PrivacySettings("Sở Nội vụ", 3, 60, 10)
    assert Settings.from_env({}).privacy == PrivacySettings()
    with pytest.raises(SystemExit):
        Settings.from_env({"RETAIN_AUDIT_YEARS": "0"})


async def _version(db: Database, user: str) -> str | None:
    async with db.transaction() as session:
        return await session.scalar(
            select(ChatAccount.privacy_notice_version).where(ChatAccount.external_user_id == user)
        )


async def test_notice_at_linking_recorded_and_shown_once_more_when_it_changes(
    seeded: Database,
) -> None:
    clock = Clock()
    first = PrivacySettings()
    person = Person(make_dispatcher(seeded, clock), "7001")
    await person.share_contact("+84912000001")
    assert "Liên kết thành công" in person.text
    assert f"phiên bản {notice_version(first)}" in person.text
    assert await _version(seeded, "7001") == notice_version(first)
    assert "phiên bản" not in await person.say("/hoso")  # already shown: not again

    changed = PrivacySettings(contact="Sở Nội vụ tỉnh Điện Biên")
    person.dispatcher = Dispatcher(
        db=seeded,
        settings=replace(Settings(telegram_bot_username="troly_test_bot"), privacy=changed),
        clock=clock,
    )
    text = await person.say("/hoso")
    assert "DB000001" in text and f"phiên bản {notice_version(changed)}" in text
    assert text.index("DB000001") < text.index("phiên bản")  # the answer first
    assert await _version(seeded, "7001") == notice_version(changed)
    assert "phiên bản" not in await person.say("/hoso")  # once
    # On request, always.
    assert f"phiên bản {notice_version(changed)}" in await person.say("/quyenriengtu")


async def test_chats_linked_before_versioning_are_shown_it(seeded: Database) -> None:
    person = Person(make_dispatcher(seeded), "7002")
    await person.share_contact("+84912000001")
    async with seeded.transaction() as session:
        account = await session.scalar(
            select(ChatAccount).where(ChatAccount.external_user_id == "7002")
        )
        assert account is not None
        account.privacy_notice_version = UNVERSIONED  # what migration 0007 writes
    assert "phiên bản" in await person.say("/hoso")
    assert "phiên bản" not in await person.say("/hoso")


async def test_privacy_notice_on_request_when_not_linked(seeded: Database) -> None:
    person = Person(make_dispatcher(seeded), "7003")
    text = await person.say("/quyenriengtu")
    assert "dân tộc" in text and "/dulieu" in text
