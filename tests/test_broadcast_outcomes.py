"""Issue #17, points 3, 4 and 5: what a broadcast's admin learns at the end, over the real
sender and PTB stack against the fake Bot API — a stop that still gets its final figures,
blocked officials counted as blocked everywhere, and "send again" plus the list of those
the message did not reach."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import func, select, update

from bot import broadcast_progress
from bot.db import Database
from models.audit import AuditEntry
from models.notices import broadcasts
from models.notices import outbox as notices
from models.notices.reception import Reception, classify
from models.org.officials import Official
from tests.fake_bot_api import FakeBotApi
from tests.test_broadcast_e2e import STAFF, queue_broadcast, run_until_some_sent, setup
from tests.test_sender_faults import RunningClock, make_sender
from tests.transcript import Person

DAY = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def _refresh(db: Database, fake: FakeBotApi) -> int:
    transport = make_sender(db, fake, RunningClock(DAY))[1]
    try:
        return await broadcast_progress.refresh_once(db, {"telegram": transport})
    finally:
        await transport.close()


async def _drain(db: Database, fake: FakeBotApi) -> None:
    sender, transport = make_sender(db, fake, RunningClock(DAY), rate=500)
    await sender.drain()
    await transport.close()


def _progress_message(fake: FakeBotApi, admin: Person) -> str:
    return fake.last_sent(admin.user_id).text or ""


def test_one_definition_classifies_every_recipient() -> None:
    assert classify(linked=False, reachable=False) is Reception.NOT_LINKED
    assert classify(linked=True, reachable=False) is Reception.BLOCKED
    assert classify(linked=True, reachable=True) is Reception.PENDING
    assert classify(linked=True, reachable=True, state=notices.BLOCKED) is Reception.BLOCKED
    stopped = classify(
        linked=True, reachable=True, state=notices.DROPPED, last_error="cancelled by the admin"
    )
    assert stopped is Reception.STOPPED
    for state in (notices.FAILED, notices.UNKNOWN):
        assert classify(linked=True, reachable=True, state=state) is Reception.FAILED


async def test_a_stopped_broadcast_shows_its_final_figures_without_a_stop_button(
    db: Database,
) -> None:
    admin, _staff = await setup(db)
    await queue_broadcast(admin)
    async with FakeBotApi() as fake:
        sender, transport = make_sender(db, fake, RunningClock(DAY), rate=200, batch_size=5)
        await run_until_some_sent(sender)
        await transport.close()
        await _refresh(db, fake)
        progress = fake.last_sent(admin.user_id)
        stop = progress.callback_data("Dừng gửi")
        assert "Đã dừng" in await admin.press(stop)
        async with db.transaction() as session:
            rows = dict(
                (state, n)
                for state, n in (
                    await session.execute(
                        select(notices.Notice.state, func.count()).group_by(notices.Notice.state)
                    )
                ).all()
            )
        sent, dropped = rows.get(notices.SENT, 0), rows.get(notices.DROPPED, 0)
        assert sent > 0 and dropped > 0 and sent + dropped == STAFF, rows
        assert await _refresh(db, fake) == 1
        final = fake.message(progress.message_id)  # edited in place
        text = final.text or ""
        assert "Đã dừng thông báo số" in text, text
        assert f"Đã gửi tới: {sent}" in text
        assert f"Đã dừng trước khi gửi: {dropped}" in text
        assert "Lỗi hoặc chưa gửi được: 0" in text
        assert "Đã chặn Trợ lý: 0" in text
        labels = [b["text"] for b in final.buttons]
        assert not any("Dừng gửi" in label for label in labels), labels
        assert f"Gửi lại cho {dropped} người chưa nhận được" in labels
        # Closed: nothing more to edit on the next pass.
        assert await _refresh(db, fake) == 0
    async with db.transaction() as session:
        row = await session.scalar(select(broadcasts.Broadcast))
        assert row is not None and row.state == broadcasts.CANCELLED
        assert row.finished_at is not None


async def test_blocked_officials_are_counted_as_blocked_in_preview_progress_and_report(
    db: Database,
) -> None:
    admin, staff = await setup(db)
    blockers = [p.user_id for p in staff[:3]]
    await queue_broadcast(admin)
    async with FakeBotApi() as fake:
        fake.blocked_chats.update(blockers)
        await _drain(db, fake)
        await _refresh(db, fake)
        first = _progress_message(fake, admin)
        assert "Đã chặn Trợ lý: 3" in first and "Chưa liên kết với Trợ lý: 0" in first, first
        # A preview right after: the three are known to have blocked the bot.
        await admin.say("/thongbao")
        await admin.press("bc:aud:level")
        await admin.press("bc:val:commune")
        await admin.say("Thông báo lần hai.")
        await admin.press("bc:course:none")
        assert "gửi được qua chat: 37" in admin.text, admin.text
        assert "chưa liên kết: 0 · đã chặn Trợ lý: 3" in admin.text
        await admin.press("bc:send")
        assert "cho 37 người" in admin.text
        await _drain(db, fake)
        await _refresh(db, fake)
        report = _progress_message(fake, admin)
    assert "Đã gửi tới: 37" in report, report
    assert "Đã chặn Trợ lý: 3" in report  # never "not linked"
    assert "Chưa liên kết với Trợ lý: 0" in report


async def test_report_offers_to_send_again_to_those_missed_and_lists_them(db: Database) -> None:
    admin, staff = await setup(db)
    failing = [p.user_id for p in staff[:2]]
    async with db.transaction() as session:
        # A name that a spreadsheet would read as a formula must stay text in the list.
        await session.execute(
            update(Official)
            .where(Official.employee_code == "DB300000")
            .values(full_name='=HYPERLINK("http://x")')
        )
    await queue_broadcast(admin)
    async with FakeBotApi() as fake:
        for chat in failing:
            fake.fail_next("sendMessage", 400, "Bad Request: message is too long", chat_id=chat)
        fake.blocked_chats.add(staff[2].user_id)
        await _drain(db, fake)
        await _refresh(db, fake)
        report = fake.last_sent(admin.user_id)
        text = report.text or ""
        assert "Lỗi hoặc chưa gửi được: 2" in text and "Đã chặn Trợ lý: 1" in text, text
        assert "2 người chưa nhận được" in text
        resend = report.callback_data("Gửi lại cho 2 người chưa nhận được")
        listing = report.callback_data("Danh sách")

        # The list: code, name, unit, reason; the blocked official is listed as blocked.
        await admin.press(listing)
        (attachment,) = admin.last[0].attachments
        sheet = load_workbook(io.BytesIO(attachment.content)).active
        assert sheet is not None
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert rows[0] == ["Mã", "Họ và tên", "Đơn vị", "Lý do"]
        # In Vietnamese order of given names ("1" < "2" < "=HYPERLINK…"), not by code.
        assert [r[0] for r in rows[1:]] == ["DB300001", "DB300002", "DB300000"]
        assert rows[3][1] == '=HYPERLINK("http://x")'
        assert sheet["B4"].data_type == "s"  # text, not a formula
        assert sheet["B4"].quotePrefix  # and not one after re-editing either
        assert rows[2][3] == "Đã chặn Trợ lý"
        assert rows[3][2] == "Xã Sín Thầu"
        async with db.transaction() as session:
            read = await session.scalar(
                select(AuditEntry).where(AuditEntry.action == "personal_data.read")
            )
        # Reading the names is audited with the reader's chat account (issue #11, point 16).
        assert read is not None and read.detail["kind"] == "broadcast_missed"
        assert read.affected == 3 and read.actor.startswith(f"telegram:{admin.user_id} (")

        # Send again: a new broadcast to exactly the two that failed, audited.
        assert "cho 2 người" in await admin.press(resend)
        async with db.transaction() as session:
            again = (
                await session.scalars(
                    select(broadcasts.Broadcast).order_by(broadcasts.Broadcast.id.desc())
                )
            ).first()
            assert again is not None and again.audience_kind == broadcasts.RESEND
            queued = list(
                await session.scalars(
                    select(notices.Notice.chat_id).where(notices.Notice.subject == again.subject)
                )
            )
            audited = await session.scalar(
                select(AuditEntry).where(
                    AuditEntry.action == "broadcast.queue", AuditEntry.subject == again.subject
                )
            )
        assert len(queued) == 2
        assert audited is not None and audited.affected == 2
        assert "đã được gửi lại" in await admin.press(resend)  # once per report
        before = len(fake.sent)
        await _drain(db, fake)
        resent_to = {m.chat_id for m in fake.sent[before:] if m.chat_id != admin.user_id}
        assert resent_to == set(failing)
