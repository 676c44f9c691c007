"""A broadcast end to end: queued from the chat, sent by the real sender through the fake
Bot API, progress edited in place, a "Register" button that starts registration, and a
restart mid-way (a graceful stop, and a SIGKILL of a sender process) that gives nobody a
second copy."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import select

from bot import broadcast_progress
from bot.db import Database
from bot.sender import Sender
from models.courses.catalogue import Course
from models.notices import broadcasts
from models.notices import outbox as notices
from models.org import admins
from models.requirements.store import ensure_default_catalogue
from tests.factories import make_official, small_province
from tests.fake_bot_api import FakeBotApi
from tests.test_sender_faults import RunningClock, make_sender
from tests.test_sender_restart import CONCURRENCY, start_sender
from tests.transcript import Clock, Person, make_dispatcher

DAY = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 in Việt Nam
STAFF = 40


async def setup(db: Database) -> tuple[Person, list[Person]]:
    async with db.transaction() as session:
        units = await small_province(session)
        await ensure_default_catalogue(session, DAY)
        hr = await make_official(
            session,
            units["tccb"],
            employee_code="DB000006",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912000006",
        )
        for i in range(STAFF):
            await make_official(
                session,
                units["sin_thau"],
                employee_code=f"DB3{i:05}",
                full_name=f"Lò Văn {i}",
                phone=f"+849150{i:05}",
                level="commune",
            )
        session.add(
            Course(
                code="K-2026-99",
                title="Bồi dưỡng kiến thức quản lý nhà nước",
                kind="quan_ly_nha_nuoc",
                organiser="Sở Nội vụ",
                place="Hội trường Sở Nội vụ",
                starts_on=date(2026, 12, 15),
                ends_on=date(2026, 12, 18),
                periods=32,
                capacity=100,
                registration_closes_on=date(2026, 12, 10),
            )
        )
        await admins.grant(session, hr, units["root"], actor="test", now=DAY)
    clock = Clock(now=DAY)
    admin = Person(make_dispatcher(db, clock), "6006")
    await admin.link_with_code(db, "0912000006")
    staff = []
    for i in range(STAFF):
        p = Person(make_dispatcher(db, clock), str(700000 + i))
        await p.share_contact(f"+849150{i:05}")
        staff.append(p)
    return admin, staff


async def queue_broadcast(admin: Person) -> None:
    await admin.say("/thongbao")
    await admin.press("bc:aud:level")
    await admin.press("bc:val:commune")
    await admin.say("Mời các anh chị đăng ký lớp bồi dưỡng QLNN tháng 12.")
    course = next(v for v in admin.values if v.startswith("bc:course:") and v[10:].isdigit())
    await admin.press(course)
    assert f"gửi được qua chat: {STAFF}" in admin.text
    await admin.press("bc:send")
    assert f"cho {STAFF} người" in admin.text


async def test_broadcast_sends_once_with_a_register_button_and_reports(db: Database) -> None:
    admin, staff = await setup(db)
    await queue_broadcast(admin)
    async with FakeBotApi() as fake:
        # A restart part-way: the first sender stops after a few sends, a new one finishes.
        sender, transport = make_sender(db, fake, RunningClock(DAY), rate=200, batch_size=5)
        await run_until_some_sent(sender)
        assert 0 < len(fake.sent) < STAFF, "the restart must happen part-way"
        second, transport2 = make_sender(db, fake, RunningClock(DAY), rate=200)
        await second.drain()
        transports = {"telegram": transport2}
        await broadcast_progress.refresh_once(db, transports)
        await transport.close()
        await transport2.close()
        recipients = [m for m in fake.sent if m.chat_id != admin.user_id]
        assert len(recipients) == STAFF
        assert len({m.chat_id for m in recipients}) == STAFF  # nobody twice
        message = recipients[0]
        assert "Thông báo của Tỉnh Điện Biên" in (message.text or "")
        register = message.callback_data("Đăng ký")
        assert register.startswith("reg:")
        report = [m for m in fake.sent if m.chat_id == admin.user_id]
        assert report and "Đã gửi xong thông báo số" in (report[-1].text or "")
        assert f"Đã gửi tới: {STAFF}" in (report[-1].text or "")
    # The button starts the ordinary registration: card checks, then one confirmation.
    person = staff[0]
    reply = await person.press(register)
    assert "K-2026-99" in reply
    async with db.transaction() as session:
        state = await session.scalar(select(broadcasts.Broadcast.state))
    assert state == broadcasts.DONE


async def run_until_some_sent(sender: Sender) -> None:
    """Run the sender until about ten messages went out, then stop it (a restart)."""
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    for _ in range(500):
        await asyncio.sleep(0.02)
        if sender.stats.outcomes.get("sent", 0) >= 10:
            break
    stop.set()
    await asyncio.wait_for(task, timeout=20)


async def test_broadcast_survives_a_sigkilled_sender_without_second_copies(db: Database) -> None:
    admin, _staff = await setup(db)
    await queue_broadcast(admin)
    async with FakeBotApi() as fake:
        # Slow answers (4 in flight x 0.2 s) leave time to kill the sender part-way.
        fake.delay("sendMessage", 0.2)
        killed = await start_sender(db.url, fake.base_url)
        await fake.wait_for(lambda: len(fake.sent) >= 10, timeout=30)
        killed.send_signal(signal.SIGKILL)
        await killed.wait()
        assert len(fake.sent) < STAFF, "the kill must happen part-way"
        fake.delay("sendMessage", 0.0)
        final = await start_sender(db.url, fake.base_url)
        _out, err = await asyncio.wait_for(final.communicate(), timeout=60)
        assert final.returncode == 0, err.decode()[-2000:]
        transport = make_sender(db, fake, RunningClock(DAY))[1]
        await broadcast_progress.refresh_once(db, {"telegram": transport})
        await transport.close()
    async with db.transaction() as session:
        rows = list(
            await session.execute(
                select(notices.Notice.chat_id, notices.Notice.state).where(
                    notices.Notice.kind == notices.BROADCAST
                )
            )
        )
    assert len(rows) == STAFF
    assert {state for _chat, state in rows} <= notices.TERMINAL
    copies: Counter[str | None] = Counter(
        m.chat_id for m in fake.sent if m.chat_id != admin.user_id
    )
    assert max(copies.values()) == 1  # nobody twice
    unknown = [chat for chat, state in rows if state == notices.UNKNOWN]
    # Only what was in flight at the kill has no certain outcome; everything else arrived.
    assert len(unknown) <= CONCURRENCY
    assert all(copies[chat] == 1 for chat, state in rows if state == notices.SENT)
    assert sum(copies.values()) >= STAFF - len(unknown)
    report = [m for m in fake.sent if m.chat_id == admin.user_id]
    assert report and "Đã gửi xong thông báo số" in (report[-1].text or "")
