"""The rollout tools in /quantri over the real python-telegram-bot stack and the fake Bot
API server (#13.5): renewing one official's code, the "not linked yet" list, and a code
from the kit linking a phone."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.cli_kits import write_link_codes
from bot.db import Database
from models.audit import AuditEntry
from models.chat import link_codes
from models.chat.accounts import ChatAccount
from models.chat.link_codes import LinkCode
from models.chat.rollout_kit import REISSUE_ACTION, REISSUE_DENIED_ACTION
from models.org import admins
from models.org.officials import Official
from tests.factories import make_official, small_province
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.test_telegram_e2e import settings_for
from tests.transcript import make_dispatcher

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
COMMUNE_ADMIN, PROVINCE_ADMIN, NHUNG = 5550010, 5550006, 5550020


@pytest.fixture
async def world(db: Database) -> Database:
    async with db.transaction() as session:
        units = await small_province(session)
        province_hr = await make_official(
            session, units["tccb"], employee_code="DB000006", full_name="Phạm Thu Hà",
            phone="+84912000006",
        )  # fmt: skip
        commune_hr = await make_official(
            session, units["sin_thau"], employee_code="DB000010", full_name="Giàng A Tủa",
            phone="+84912000010", level="commune",
        )  # fmt: skip
        await make_official(
            session, units["sin_thau"], employee_code="DB000020", full_name="Lò Thị Nhung",
            phone="+84912000020", level="commune",
        )  # fmt: skip
        await make_official(
            session, units["tccb"], employee_code="DB000011", full_name="Lê Văn Nam",
            phone="+84912000011",
        )  # fmt: skip
        await admins.grant(session, province_hr, units["root"], actor="test", now=NOW)
        await admins.grant(session, commune_hr, units["sin_thau"], actor="test", now=NOW)
    return db


@pytest.fixture
async def app(fake: FakeBotApi, world: Database) -> AsyncIterator[Application]:
    settings = settings_for(fake, world, telegram_bot_username="troly_db_bot")
    application = build_application(settings, make_dispatcher(world))
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def answer(
    fake: FakeBotApi, user: int, push: Callable[[], object], until: Callable[[SentMessage], bool]
) -> list[SentMessage]:
    """Push an update and wait for the bot's message to `user` that satisfies `until`."""
    before = len(fake.sent_to(user))
    push()

    def arrived() -> bool:
        return any(until(m) for m in fake.sent_to(user)[before:])

    await fake.wait_for(arrived)
    return fake.sent_to(user)[before:]


def saying(fragment: str) -> Callable[[SentMessage], bool]:
    return lambda m: fragment in (m.text or m.caption or "")


def with_document(m: SentMessage) -> bool:
    return m.document is not None


async def code_for(db: Database, employee_code: str) -> str:
    async with db.transaction() as session:
        official = await session.scalar(
            select(Official).where(Official.employee_code == employee_code)
        )
        assert official is not None
        return await link_codes.issue(session, official, now=NOW, created_by="test", pepper=b"")


async def link(fake: FakeBotApi, db: Database, user: int, employee_code: str) -> None:
    code = await code_for(db, employee_code)
    await answer(fake, user, lambda: fake.push_text(user, f"/start {code}"), saying("Xin chào"))


def button(messages: list[SentMessage], label: str) -> tuple[int, str]:
    for message in reversed(messages):
        for b in message.buttons:
            if label in b.get("text", ""):
                return message.message_id, str(b["callback_data"])
    raise AssertionError(f"no button {label!r}")


async def admin_menu(fake: FakeBotApi, user: int) -> list[SentMessage]:
    return await answer(
        fake, user, lambda: fake.push_text(user, "/quantri"), saying("🛠 Công cụ quản trị")
    )


async def test_reissue_one_officials_code_by_a_name_typed_without_marks(
    fake: FakeBotApi, app: Application, world: Database
) -> None:
    old = await code_for(world, "DB000020")
    await link(fake, world, COMMUNE_ADMIN, "DB000010")
    menu = await admin_menu(fake, COMMUNE_ADMIN)
    message_id, data = button(menu, "Cấp lại mã")
    await answer(
        fake,
        COMMUNE_ADMIN,
        lambda: fake.push_callback(COMMUNE_ADMIN, message_id, data),
        saying("Cấp lại mã liên kết cho ai"),
    )
    # Lê Văn Nam works at the province: not in a commune admin's search.
    found = await answer(
        fake,
        COMMUNE_ADMIN,
        lambda: fake.push_text(COMMUNE_ADMIN, "le van nam"),
        saying("Không có cán bộ nào"),
    )
    found = await answer(
        fake,
        COMMUNE_ADMIN,
        lambda: fake.push_text(COMMUNE_ADMIN, "lo thi nhung"),
        saying("Xin chọn"),
    )
    message_id, data = button(found, "Lò Thị Nhung")
    sent = await answer(
        fake,
        COMMUNE_ADMIN,
        lambda: fake.push_callback(COMMUNE_ADMIN, message_id, data),
        with_document,
    )
    text = "\n".join(m.text or m.caption or "" for m in sent)
    assert "Mã liên kết mới của Lò Thị Nhung" in text, text
    [pdf] = [m.document for m in sent if m.document is not None]
    assert pdf[0] == "ma-lien-ket-DB000020.pdf" and pdf[1].startswith(b"%PDF")
    new = text.split("Lò Thị Nhung (DB000020, Xã Sín Thầu): ")[1].split(".")[0]
    assert f"?start={new.replace('-', '')}" in text  # the deep link, as on the slip

    # The old code is revoked; the new one links her phone over Telegram.
    await answer(
        fake, NHUNG, lambda: fake.push_text(NHUNG, f"/start {old}"), lambda m: bool(m.text)
    )
    assert all("Xin chào chị Lò Thị Nhung" not in (m.text or "") for m in fake.sent_to(NHUNG))
    await answer(fake, NHUNG, lambda: fake.push_text(NHUNG, f"/start {new}"), saying("Nhung"))
    async with world.transaction() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == REISSUE_ACTION))
        assert entry is not None and entry.subject == "DB000020"
        assert "DB000010" in entry.actor


async def test_a_forged_reissue_button_outside_the_scope_is_refused_and_audited(
    fake: FakeBotApi, app: Application, world: Database
) -> None:
    await link(fake, world, COMMUNE_ADMIN, "DB000010")
    async with world.transaction() as session:
        nam = await session.scalar(select(Official).where(Official.employee_code == "DB000011"))
        hà = await session.scalar(select(Official).where(Official.employee_code == "DB000006"))
        assert nam is not None and hà is not None
        before = len((await session.scalars(select(LinkCode))).all())
    menu = await admin_menu(fake, COMMUNE_ADMIN)
    message_id = menu[-1].message_id
    for target in (nam.id, hà.id, 999999):
        sent = await answer(
            fake,
            COMMUNE_ADMIN,
            lambda t=target: fake.push_callback(COMMUNE_ADMIN, message_id, f"reissue:{t}"),  # type: ignore[misc]
            saying("không thể cấp mã"),
        )
        assert not any(m.document for m in sent)
    async with world.transaction() as session:
        assert len((await session.scalars(select(LinkCode))).all()) == before
        denied = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == REISSUE_DENIED_ACTION)
            )
        ).all()
    assert sorted(str(e.subject) for e in denied) == sorted(str(t) for t in (nam.id, hà.id, 999999))


async def test_not_linked_yet_counts_by_unit_and_the_workbook(
    fake: FakeBotApi, app: Application, world: Database
) -> None:
    await link(fake, world, PROVINCE_ADMIN, "DB000006")
    menu = await admin_menu(fake, PROVINCE_ADMIN)
    message_id, data = button(menu, "Chưa liên kết")
    sent = await answer(
        fake,
        PROVINCE_ADMIN,
        lambda: fake.push_callback(PROVINCE_ADMIN, message_id, data),
        with_document,
    )
    text = "\n".join(m.text or m.caption or "" for m in sent)
    assert "Có 3 cán bộ" in text, text
    assert "- Xã Sín Thầu: 2" in text and "Phòng Tổ chức cán bộ" in text
    [document] = [m.document for m in sent if m.document is not None]
    book = load_workbook(io.BytesIO(document[1]))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert {(r[1], r[3]) for r in rows} == {
        ("Xã Sín Thầu", "Giàng A Tủa"),
        ("Xã Sín Thầu", "Lò Thị Nhung"),
        (rows[0][1], "Lê Văn Nam"),
    }
    assert "Phạm Thu Hà" not in {r[3] for r in rows}  # she has linked

    # A commune admin sees their commune only.
    await link(fake, world, COMMUNE_ADMIN, "DB000010")
    menu = await admin_menu(fake, COMMUNE_ADMIN)
    message_id, data = button(menu, "Chưa liên kết")
    sent = await answer(
        fake,
        COMMUNE_ADMIN,
        lambda: fake.push_callback(COMMUNE_ADMIN, message_id, data),
        with_document,
    )
    text = "\n".join(m.text or m.caption or "" for m in sent)
    assert "Có 1 cán bộ" in text and "Lê Văn Nam" not in text


async def test_a_kit_code_links_over_telegram(
    fake: FakeBotApi, app: Application, world: Database, tmp_path: Path
) -> None:
    settings = settings_for(fake, world, telegram_bot_username="troly_db_bot")
    assert await write_link_codes(world, settings, "03158", tmp_path) == 0
    book = load_workbook(tmp_path / "ma-lien-ket-03158.xlsx")
    rows = {r[1]: r for r in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    deep_link = str(rows["Lò Thị Nhung"][4])
    start = deep_link.split("?start=")[1]  # what Telegram sends when the QR is opened
    sent = await answer(
        fake, NHUNG, lambda: fake.push_text(NHUNG, f"/start {start}"), saying("Lò Thị Nhung")
    )
    assert any("Liên kết thành công" in (m.text or "") for m in sent)
    async with world.transaction() as session:
        account = await session.scalar(
            select(ChatAccount).where(ChatAccount.external_user_id == str(NHUNG))
        )
        assert account is not None and account.official_id is not None
        assert account.link_method == "code"
