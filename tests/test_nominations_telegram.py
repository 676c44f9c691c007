"""Nominations ("cử đi học", #16.2) over the real python-telegram-bot stack and the fake
Bot API server: HR nominates from /quantri by a name typed without diacritics; the notice
goes out through the outbox with its two buttons; the official confirms in one tap or
declines in two; a forged answer button and a stale one after the course was cancelled
change nothing; "Khóa học của tôi" shows the nomination and its answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import pytest
from sqlalchemy import func, select
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.db import Database
from models.audit import AuditEntry
from models.courses import nominations
from models.courses.registrations import Registration, RegStatus
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.nomination_world import NOW, NominationWorld, build
from tests.test_rollout_telegram import admin_menu, answer, button, link, saying
from tests.test_sender_faults import RunningClock, make_sender
from tests.test_telegram_e2e import settings_for
from tests.transcript import Clock, make_dispatcher

HR, NHUNG, PAO, SINH = 5551010, 5551020, 5551021, 5551022
STALE = "Nút này không còn hiệu lực"


@pytest.fixture
async def world(db: Database) -> NominationWorld:
    return await build(db, capacity=10, commune_quota=3)


@pytest.fixture
async def app(fake: FakeBotApi, world: NominationWorld) -> AsyncIterator[Application]:
    settings = settings_for(fake, world.db, telegram_bot_username="troly_db_bot")
    application = build_application(settings, make_dispatcher(world.db, Clock(NOW)))
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


async def tap(
    fake: FakeBotApi, user: int, messages: list[SentMessage], label: str, until: str
) -> list[SentMessage]:
    message_id, data = button(messages, label)
    return await answer(
        fake, user, lambda: fake.push_callback(user, message_id, data), saying(until)
    )


async def nominate_in_chat(fake: FakeBotApi, name_typed: str, name: str) -> list[SentMessage]:
    menu = await admin_menu(fake, HR)
    courses = await tap(fake, HR, menu[-1:], "Cử đi học", "vui lòng chọn khóa học")
    await tap(fake, HR, courses[-1:], "K-2026-40", "Đơn vị cử ai đi học")
    found = await answer(fake, HR, lambda: fake.push_text(HR, name_typed), saying("Xin chọn"))
    card = await tap(fake, HR, found, name, f"Cử {name}")
    return await tap(fake, HR, card[-1:], "✅ Cử đi học", "Đã cử")


async def deliver(fake: FakeBotApi, db: Database) -> None:
    sender, transport = make_sender(db, fake, RunningClock(NOW), rate=200)
    try:
        await sender.drain()
    finally:
        await transport.close()


async def registration(db: Database, world: NominationWorld, who: str) -> Registration:
    async with db.transaction() as session:
        found = await session.scalar(
            select(Registration).where(Registration.official_id == world.people[who].id)
        )
        assert found is not None
        return found


async def test_nominate_in_the_chat_then_confirm_in_one_tap_and_decline_in_two(
    fake: FakeBotApi, app: Application, world: NominationWorld
) -> None:
    db = world.db
    for user, code in ((HR, "DB000010"), (NHUNG, "DB000020"), (PAO, "DB000021")):
        await link(fake, db, user, code)
    done = await nominate_in_chat(fake, "lo thi nhung", "Lò Thị Nhung")
    assert "Chỉ tiêu đã dùng: 1/3" in (done[-1].text or "")
    done = await nominate_in_chat(fake, "mua a pao", "Mùa A Páo")
    assert "Chỉ tiêu đã dùng: 2/3" in (done[-1].text or "")

    await deliver(fake, db)
    [told] = [m for m in fake.sent_to(NHUNG) if "cử đi học" in (m.text or "")]
    assert "Chị đã được đơn vị cử đi học" in (told.text or "")
    # One tap to confirm.
    sent = await tap(fake, NHUNG, [told], "Xác nhận tham gia", "đã xác nhận tham gia")
    assert "K-2026-40" in (sent[-1].text or "")
    # Two taps to decline: "Từ chối", then the reason.
    [told] = [m for m in fake.sent_to(PAO) if "cử đi học" in (m.text or "")]
    reasons = await tap(fake, PAO, [told], "Từ chối", "vui lòng chọn lý do")
    sent = await tap(fake, PAO, reasons[-1:], "Bận công tác", "từ chối tham gia khóa K-2026-40")
    assert "lý do: Bận công tác" in (sent[-1].text or "")
    nhung, pao = await registration(db, world, "nhung"), await registration(db, world, "pao")
    assert (nhung.status, nhung.answer) == (RegStatus.CONFIRMED, nominations.ACCEPTED)
    assert (pao.status, pao.answer, pao.decline_reason) == (
        RegStatus.CANCELLED, nominations.DECLINED, "busy",
    )  # fmt: skip

    # HR hears both answers through the outbox.
    await deliver(fake, db)
    hr_texts = "\n".join(m.text or "" for m in fake.sent_to(HR))
    assert "Lò Thị Nhung (DB000020) đã xác nhận tham gia khóa K-2026-40" in hr_texts
    assert (
        "Mùa A Páo (DB000021) đã từ chối tham gia khóa K-2026-40. Lý do: Bận công tác" in hr_texts
    )

    mine = await answer(fake, NHUNG, lambda: fake.push_text(NHUNG, "/cuatoi"), saying("K-2026-40"))
    assert "được cử đi học · đã xác nhận tham gia" in (mine[-1].text or "")


async def test_a_forged_answer_button_and_a_stale_one_change_nothing(
    fake: FakeBotApi, app: Application, world: NominationWorld
) -> None:
    db = world.db
    for user, code in ((HR, "DB000010"), (NHUNG, "DB000020"), (SINH, "DB000022")):
        await link(fake, db, user, code)
    await nominate_in_chat(fake, "nhung", "Lò Thị Nhung")
    await nominate_in_chat(fake, "Ly Van Sinh", "Lý Văn Sinh")
    nhung = await registration(db, world, "nhung")
    await deliver(fake, db)
    # Sinh presses buttons carrying Nhung's registration: refused, audited, nothing changes.
    last = fake.sent_to(SINH)[-1].message_id
    for forged in (f"nom:yes:{nhung.id}", f"nom:no:{nhung.id}", f"nom:why:{nhung.id}:ill"):
        await answer(
            fake,
            SINH,
            partial(fake.push_callback, SINH, last, forged),
            saying(STALE),
        )
    after = await registration(db, world, "nhung")
    assert (after.status, after.answer) == (RegStatus.CONFIRMED, nominations.PENDING)
    async with db.transaction() as session:
        forged_entries = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == nominations.FORGED_ACTION)
        )
    assert forged_entries == 3

    # The course is cancelled; Sinh's notice's buttons are stale now.
    async with db.transaction() as session:
        (await world.course(session)).status = "cancelled"
    [told] = [m for m in fake.sent_to(SINH) if "cử đi học" in (m.text or "")]
    await tap(fake, SINH, [told], "Xác nhận tham gia", "đã khai giảng hoặc đã bị hủy")
    await tap(fake, SINH, [told], "Từ chối", "đã khai giảng hoặc đã bị hủy")
    sinh = await registration(db, world, "sinh")
    assert (sinh.status, sinh.answer) == (RegStatus.CONFIRMED, nominations.PENDING)
