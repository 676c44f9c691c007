"""Certificates in the chat (#16.5): /chungnhan and the PDF, /xacminh for anyone (and the
QR's deep link), the per-chat attempt limit, /thuhoi by a reaching admin only — through the
dispatcher on SQLite and PostgreSQL, and over the fake Telegram Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.db import Database
from models.audit import AuditEntry
from models.certificates import codes
from models.certificates.store import Certificate, VerificationAttempt
from models.notices.outbox import Notice
from models.org.admins import grant
from tests.courses_world import NOW, World, build_world
from tests.fake_bot_api import FakeBotApi
from tests.test_certificates import done_registration, pdf_texts
from tests.test_rollout_telegram import answer, button, saying, with_document
from tests.test_telegram_e2e import settings_for
from tests.transcript import Person, make_dispatcher

NOT_FOUND = "Không tìm thấy giấy chứng nhận với mã này"


async def certified(world: World) -> tuple[Person, str]:
    """Hà completed the law update and answered its evaluation: her certificate's code."""
    await done_registration(world, "ha", "law")
    ha = world.person("ha")
    text = await ha.say("/chungnhan")
    assert "📜 Giấy chứng nhận của chị" in text, text
    async with world.db.transaction() as session:
        certificate = await session.scalar(select(Certificate))
        assert certificate is not None
    return ha, codes.display(certificate.code)


def stranger(world: World, chat: str = "777001") -> Person:
    return Person(make_dispatcher(world.db, world.clock), chat)


async def test_the_official_lists_and_gets_the_pdf(db: Database) -> None:
    world = await build_world(db)
    await done_registration(world, "ha", "qlnn", evaluated=False)
    ha, code = await certified(world)
    assert code in ha.text and "có giá trị đến 31/12/2026" in ha.text
    assert "phiếu đánh giá" in ha.text  # the QLNN course waits for its evaluation
    await ha.press_label("PDF K-2026-03")
    [attachment] = [a for r in ha.last for a in r.attachments]
    assert attachment.mime_type == "application/pdf" and attachment.content.startswith(b"%PDF")
    assert code.replace("-", "") in attachment.file_name
    # Another official pressing (a forged) button for Hà's certificate gets nothing.
    async with db.transaction() as session:
        cert_id = await session.scalar(select(Certificate.id))
    an = world.person("an")
    await an.tap(f"cert:pdf:{cert_id}")
    assert not any(r.attachments for r in an.last)
    assert "không còn hiệu lực" in an.text or "không còn dùng được" in an.text, an.text
    # "📜 Giấy chứng nhận" is offered under "🗂 Khóa học của tôi".
    await an.say("/cuatoi")
    assert "📜 Giấy chứng nhận" in an.choices


async def test_anyone_verifies_and_forged_codes_learn_nothing(db: Database) -> None:
    world = await build_world(db)
    _ha, code = await certified(world)
    guest = stranger(world)
    text = await guest.say(f"/xacminh {code.lower().replace('-', ' ')}")
    assert "là thật và còn hiệu lực" in text, text
    assert "Phạm Thu Hà" in text and "K-2026-03" in text and "Sở Tư pháp tỉnh Điện Biên" in text
    assert "1988" not in text and "Kinh" not in text and "Phòng Tổ chức" not in text
    # The QR code's deep link answers the same.
    assert "là thật" in await guest.say(f"/start xm_{code.replace('-', '')}")
    body = code.replace("-", "")[:-1]
    forged = ("2" if body[0] != "2" else "3") + body[1:]
    forged += codes.check_character(forged)
    assert NOT_FOUND in await guest.say(f"/xacminh {forged}")
    assert NOT_FOUND in await guest.say("/xacminh ABCD-EFGH-JK")
    async with db.transaction() as session:
        attempts = (await session.scalars(select(VerificationAttempt))).all()
        assert [a.found for a in attempts] == [True, True, False, False]
        assert all(a.requester == "telegram:777001" for a in attempts)


async def test_a_chat_trying_many_codes_is_stopped(db: Database) -> None:
    world = await build_world(db)
    _ha, code = await certified(world)
    guest = stranger(world, "777002")
    for n in range(10):
        assert NOT_FOUND in await guest.say(f"/xacminh AAAA-AAAA-{n}{n}")
    assert "quá nhiều mã" in await guest.say(f"/xacminh {code}")
    assert "là thật" in await stranger(world, "777003").say(f"/xacminh {code}")
    world.clock.advance(hours=1, minutes=1)
    assert "là thật" in await guest.say(f"/xacminh {code}")


async def test_only_an_admin_reaching_the_course_revokes(db: Database) -> None:
    world = await build_world(db)
    async with db.transaction() as session:
        await grant(session, world.people["an"], world.units["root"], actor="test", now=NOW)
        await grant(session, world.people["nhung"], world.units["sin_thau"], actor="test", now=NOW)
    _ha, code = await certified(world)
    nhung = world.person("nhung")  # a commune admin: the course is the province's
    assert "Không tìm thấy giấy chứng nhận thuộc phạm vi" in await nhung.say(f"/thuhoi {code}")
    assert "Thu hồi giấy chứng nhận" not in nhung.text
    an = world.person("an")
    assert "Vui lòng nhập lý do" in (await an.say(f"/thuhoi {code}")).replace("Anh/chị v", "V")
    assert "Đã thu hồi" in await an.say("Cấp nhầm người")
    text = await stranger(world).say(f"/xacminh {code}")
    assert "đã bị thu hồi ngày" in text and "Cấp nhầm người" in text, text
    async with db.transaction() as session:
        actions = set((await session.scalars(select(AuditEntry.action))).all())
        assert {"certificate.revoked", "certificate.revoke_denied"} <= actions
        notice = await session.scalar(select(Notice).where(Notice.kind == "certificate_revoked"))
        assert notice is not None and notice.official_id == world.people["ha"].id


# --- over the fake Telegram server -------------------------------------------------------


@pytest.fixture
async def tg(fake: FakeBotApi, db: Database) -> AsyncIterator[tuple[World, Application]]:
    world = await build_world(db)
    settings = settings_for(fake, db, telegram_bot_username="troly_db_bot")
    application = build_application(settings, make_dispatcher(db, world.clock))
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield world, application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_over_telegram_the_pdf_is_sent_and_xacminh_answers(
    fake: FakeBotApi, tg: tuple[World, Application]
) -> None:
    world, _app = tg
    await done_registration(world, "ha", "law")
    ha, guest = int(world.chats["ha"]), 888001
    listing = await answer(fake, ha, lambda: fake.push_text(ha, "/chungnhan"), saying("📜"))
    message_id, data = button(listing, "PDF K-2026-03")
    sent = await answer(fake, ha, lambda: fake.push_callback(ha, message_id, data), with_document)
    [document] = [m.document for m in sent if m.document is not None]
    assert document[0].endswith(".pdf") and document[1].startswith(b"%PDF")
    async with world.db.transaction() as session:
        certificate = await session.scalar(select(Certificate))
        assert certificate is not None
    assert f"https://t.me/troly_test_bot?start=xm_{certificate.code}" in pdf_texts(document[1])
    shown = codes.display(certificate.code)
    reply = await answer(
        fake, guest, lambda: fake.push_text(guest, f"/xacminh {shown}"), saying("là thật")
    )
    assert "Phạm Thu Hà" in (reply[-1].text or "")
    await answer(
        fake, guest, lambda: fake.push_text(guest, "/xacminh ABCD-EFGH-JK"), saying(NOT_FOUND)
    )


async def test_revoke_from_the_course_list(db: Database) -> None:
    world = await build_world(db)
    async with db.transaction() as session:
        await grant(session, world.people["an"], world.units["root"], actor="test", now=NOW)
        await grant(session, world.people["nhung"], world.units["sin_thau"], actor="test", now=NOW)
    _ha, code = await certified(world)
    nhung = world.person("nhung")
    assert "Không tìm thấy giấy chứng nhận hoặc khóa học" in await nhung.say("/thuhoi K-2026-03")
    async with db.transaction() as session:
        cert_id = await session.scalar(select(Certificate.id))
    await nhung.tap(f"cert:revoke:{cert_id}")  # a forged button from the commune admin
    assert "Thu hồi giấy chứng nhận" not in nhung.text
    an = world.person("an")
    await an.say("/thuhoi K-2026-03")
    assert "Giấy chứng nhận còn hiệu lực của khóa K-2026-03" in an.text
    await an.press_label("Phạm Thu Hà")
    assert f"Thu hồi giấy chứng nhận {code} của Phạm Thu Hà" in an.text
    assert "Đã thu hồi" in await an.say("Học viên không tham gia đủ thời gian")
    async with db.transaction() as session:
        certificate = await session.get(Certificate, cert_id)
        assert certificate is not None and certificate.revoked_at is not None


async def test_stale_buttons_after_a_revocation_and_a_revoked_admin_mid_dialog(
    db: Database,
) -> None:
    """Hà's old "PDF" button after her certificate is revoked sends nothing; An, whose admin
    role is withdrawn between /thuhoi and typing the reason, revokes nothing."""
    from models.org.admins import revoke as revoke_role

    world = await build_world(db)
    async with db.transaction() as session:
        await grant(session, world.people["an"], world.units["root"], actor="test", now=NOW)
    ha, code = await certified(world)
    pdf_button = next(v for v in ha.values if v.startswith("cert:pdf:"))
    an = world.person("an")
    await an.say(f"/thuhoi {code}")
    async with db.transaction() as session:
        await revoke_role(session, world.people["an"], world.units["root"], actor="t", now=NOW)
    text = await an.say("Cấp nhầm người")
    assert "Đã thu hồi" not in text and "dành cho cán bộ tổ chức" in text, text
    assert "là thật và còn hiệu lực" in await stranger(world).say(f"/xacminh {code}")
    await an.say("Cấp nhầm người")  # the dialog is over: no revocation either
    async with db.transaction() as session:
        certificate = await session.scalar(select(Certificate))
        assert certificate is not None and certificate.revoked_at is None
        await grant(session, world.people["an"], world.units["root"], actor="test", now=NOW)
    await an.say(f"/thuhoi {code}")
    assert "Đã thu hồi" in await an.say("Cấp nhầm người")
    await ha.tap(pdf_button)
    assert not any(r.attachments for r in ha.last) and "không còn hiệu lực" in ha.text
