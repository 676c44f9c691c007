"""The real python-telegram-bot Application against the fake Bot API server over HTTP:
polling, inline buttons, the contact button, the command menu and the webhook secret."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.config import Settings
from bot.db import Database
from tests.factories import make_official, small_province
from tests.fake_bot_api import FakeBotApi
from tests.transcript import make_dispatcher

USER = 5550001


@pytest.fixture
async def seeded(db: Database) -> Database:
    async with db.transaction() as session:
        units = await small_province(session)
        await make_official(session, units["tccb"])
    return db


def settings_for(fake: FakeBotApi, db: Database, **extra: object) -> Settings:
    return replace(
        Settings(),
        database_url=db.url,
        telegram_token="123456:TEST-TOKEN",
        telegram_api_base_url=fake.base_url,
        telegram_file_base_url=fake.base_file_url,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
async def polling_app(fake: FakeBotApi, seeded: Database) -> AsyncIterator[Application]:
    app = build_application(settings_for(fake, seeded), make_dispatcher(seeded))
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_link_by_contact_then_menu_button(fake: FakeBotApi, polling_app: Application) -> None:
    fake.push_text(USER, "/start")
    sent = await fake.wait_sent(USER, 3)
    intro = "\n".join(m.text or "" for m in sent)
    assert "Trợ lý Bồi dưỡng" in intro
    keyboard = sent[1].reply_markup or {}
    assert keyboard["keyboard"][0][0]["request_contact"] is True

    fake.push_contact(USER, "+84 912 000 001", USER)
    sent = await fake.wait_sent(USER, 6)
    assert "Liên kết thành công" in (sent[3].text or "")
    assert sent[3].reply_markup == {"remove_keyboard": True}
    assert "dữ liệu cá nhân" in (sent[4].text or "")  # the privacy notice, at linking
    greeting = sent[5]
    assert "Xin chào anh Nguyễn Văn An" in (greeting.text or "")
    profile_button = greeting.callback_data("Hồ sơ")

    fake.push_callback(USER, greeting.message_id, profile_button)
    sent = await fake.wait_sent(USER, 7)
    assert "DB000001" in (sent[6].text or "")
    assert fake.answered_callbacks, "the button press must be answered"


async def test_forwarded_contact_is_refused(fake: FakeBotApi, polling_app: Application) -> None:
    fake.push_contact(USER, "0912000001", 99999)  # someone else's card
    sent = await fake.wait_sent(USER, 1)
    assert "chính anh/chị" in (sent[0].text or "")
    fake.push_text(USER, "/hoso")
    sent = await fake.wait_sent(USER, 2)
    assert all("DB000001" not in (m.text or "") for m in fake.sent_to(USER))


async def test_forged_callback_data_changes_nothing(
    fake: FakeBotApi, polling_app: Application
) -> None:
    fake.push_text(USER, "/ngonngu")
    sent = await fake.wait_sent(USER, 1)
    fake.push_callback(USER, sent[0].message_id, "lang:xx")
    await fake.wait_for(lambda: len(fake.sent) + len(fake.edits) >= 2)
    texts = [m.text or "" for m in fake.sent_to(USER)] + [e.text or "" for e in fake.edits]
    assert any("không còn hiệu lực" in t for t in texts)
    fake.push_callback(USER, sent[0].message_id, "no-such-prefix:1")
    await fake.wait_for(lambda: len(fake.answered_callbacks) >= 2)


async def test_long_and_odd_input(fake: FakeBotApi, polling_app: Application) -> None:
    fake.push_text(USER, "🙂" * 10 + "x" * 4086)
    fake.push_sticker(USER)
    sent = await fake.wait_sent(USER, 2)
    assert all(m.text for m in sent)
    assert all(len(m.text or "") <= 4096 for m in sent)


async def test_command_menu_in_both_languages(fake: FakeBotApi, polling_app: Application) -> None:
    default = [c["command"] for c in fake.get_commands()]
    vi = {c["command"]: c["description"] for c in fake.get_commands(language_code="vi")}
    en = {c["command"]: c["description"] for c in fake.get_commands(language_code="en")}
    assert "hoso" in default and "start" in default
    assert vi["hoso"] == "Hồ sơ của tôi"
    assert en["hoso"] == "My profile"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


WEBHOOK_SECRET = "s3cret-Token_1-" + "x" * 20  # 35 characters from the allowed alphabet


async def test_webhook_checks_the_secret(
    fake: FakeBotApi, seeded: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue #11 point 10: our own webhook entry compares the secret (hmac.compare_digest),
    not PTB's `!=`; a wrong or absent header gets 403 and is never handled."""
    from bot.channels import telegram_run

    port = _free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = settings_for(
        fake,
        seeded,
        telegram_webhook_url=url,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
    )
    app, server = await telegram_run.start(settings, make_dispatcher(seeded))
    try:
        assert fake.webhook is not None and fake.webhook["secret_token"] == WEBHOOK_SECRET
        # PTB's webhook server (and its comparison) is not used at all.
        assert app.updater is not None and not app.updater.running
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 1764100000,
                "chat": {"id": USER, "type": "private"},
                "from": {"id": USER, "is_bot": False, "first_name": "An"},
                "text": "/trogiup",
                "entities": [{"type": "bot_command", "offset": 0, "length": 8}],
            },
        }
        wrong = await fake.post_webhook(url, update, secret_token="wrong")
        prefix = await fake.post_webhook(url, update, secret_token=WEBHOOK_SECRET[:-1])
        missing = await fake.post_webhook(url, update)
        assert wrong.status_code == prefix.status_code == missing.status_code == 403
        await asyncio.sleep(0.2)
        assert fake.sent_to(USER) == []
        refusals = [r for r in caplog.records if "refused a Telegram webhook" in r.getMessage()]
        assert len(refusals) == 3  # our handler refused them
        ok = await fake.post_webhook(url, update, secret_token=WEBHOOK_SECRET)
        assert ok.status_code == 200
        sent = await fake.wait_sent(USER, 1)
        assert "/hoso" in (sent[0].text or "")
    finally:
        await telegram_run.stop_app(app, server)


def test_a_short_or_odd_webhook_secret_refuses_to_start() -> None:
    from bot.config import ConfigError

    base = {"TELEGRAM_WEBHOOK_URL": "https://example.org/tg"}
    for bad in ("s3cret-Token_1", "x" * 31, "é" * 40, "a b" * 12, "x" * 257):
        with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET must be 32"):
            Settings.from_env({**base, "TELEGRAM_WEBHOOK_SECRET": bad})
    assert Settings.from_env(
        {**base, "TELEGRAM_WEBHOOK_SECRET": "A-_9" * 8}
    ).telegram_webhook_secret


def test_the_webhook_secret_is_compared_in_constant_time() -> None:
    import inspect

    from bot.channels import telegram_run

    assert telegram_run.secret_matches(WEBHOOK_SECRET, WEBHOOK_SECRET)
    assert not telegram_run.secret_matches(None, WEBHOOK_SECRET)
    assert not telegram_run.secret_matches(WEBHOOK_SECRET + "x", WEBHOOK_SECRET)
    assert "hmac.compare_digest" in inspect.getsource(telegram_run.secret_matches)


async def open_import(fake: FakeBotApi, user: int) -> None:
    """/quantri, then "📥 Import": the only way an admin's file gets downloaded (#11 p. 4)."""
    count = len(fake.sent_to(user))
    fake.push_text(user, "/quantri")
    await fake.wait_for(lambda: len(fake.sent_to(user)) > count)
    menu = fake.last_sent(user)
    count = len(fake.sent_to(user))
    fake.push_callback(user, menu.message_id, menu.callback_data("Nhập tệp"))
    await fake.wait_for(lambda: len(fake.sent_to(user)) > count)


ROSTER = (
    "Mã cán bộ,Họ và tên,Giới tính,Ngày sinh,Số điện thoại,Đối tượng,Mã đơn vị\n"
    "DB700001,Vũ Thị Lan,Nữ,05/07/1990,0987 654 321,Công chức,03158\n"
)
ADMIN = 5550006


async def test_admin_imports_a_file_and_gets_the_report_over_telegram(
    fake: FakeBotApi, seeded: Database
) -> None:
    """Files both ways through the real stack: a document downloaded with getFile, then a
    chart (sendPhoto) and a workbook (sendDocument) uploaded as multipart."""
    from sqlalchemy import select

    from models.chat import link_codes
    from models.org import admins
    from models.org.officials import Official
    from models.org.units import OrgUnit
    from models.requirements.store import ensure_default_catalogue

    async with seeded.transaction() as session:
        root = await session.scalar(select(OrgUnit).where(OrgUnit.code == "T11"))
        tccb = await session.scalar(select(OrgUnit).where(OrgUnit.code == "SNV-TCCB"))
        assert root is not None and tccb is not None
        await ensure_default_catalogue(session, datetime.now(UTC))
        hr = await make_official(
            session,
            tccb,
            employee_code="DB000006",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912000006",
        )
        await admins.grant(session, hr, root, actor="test", now=datetime.now(UTC))
        code = await link_codes.issue(
            session, hr, now=datetime.now(UTC), created_by="test", pepper=b""
        )
    app = build_application(settings_for(fake, seeded), make_dispatcher(seeded))
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.push_text(ADMIN, f"/start {code}")
            await fake.wait_for(
                lambda: any("Phạm Thu Hà" in (m.text or "") for m in fake.sent_to(ADMIN))
            )
            await open_import(fake, ADMIN)
            count = len(fake.sent_to(ADMIN))
            fake.push_document(ADMIN, "danh sách cán bộ.csv", ROSTER.encode(), "text/csv")
            # The "checking the file" message first (#13.8), then the question.
            await fake.wait_for(lambda: len(fake.sent_to(ADMIN)) > count + 1)
            choose = fake.last_sent(ADMIN)
            count = len(fake.sent_to(ADMIN))
            fake.push_callback(ADMIN, choose.message_id, choose.callback_data("CBCCVC"))
            await fake.wait_for(
                lambda: any(
                    "Nhập dữ liệu" in str(m.reply_markup) for m in fake.sent_to(ADMIN)[count:]
                )
            )
            summary = next(
                m for m in fake.sent_to(ADMIN)[count:] if "Nhập dữ liệu" in str(m.reply_markup)
            )
            count = len(fake.sent_to(ADMIN))
            fake.push_callback(ADMIN, summary.message_id, summary.callback_data("Nhập dữ liệu"))
            await fake.wait_for(
                lambda: "thêm mới 1" in "\n".join(m.text or "" for m in fake.sent_to(ADMIN)[count:])
            )
            count = len(fake.sent_to(ADMIN))
            fake.push_text(ADMIN, "/baocao")
            await fake.wait_for(
                lambda: any(m.document for m in fake.sent_to(ADMIN)[count:]), timeout=30
            )
        finally:
            await app.updater.stop()
            await app.stop()
    async with seeded.transaction() as session:
        assert (
            await session.scalar(
                select(Official.full_name).where(Official.employee_code == "DB700001")
            )
            == "Vũ Thị Lan"
        )
    sent = fake.sent_to(ADMIN)[count:]
    photo = next(m for m in sent if m.photo)
    assert photo.photo is not None and photo.photo[1].startswith(b"\x89PNG")
    document = next(m for m in sent if m.document)
    assert document.document is not None
    name, content = document.document
    assert name.endswith(".xlsx") and content.startswith(b"PK")  # a zip: the workbook
    assert any("Tỉnh Điện Biên" in (m.text or m.caption or "") for m in sent)
