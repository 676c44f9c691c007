"""Issue #13 point 8: while an uploaded file is checked, the bot first says so ("Đang kiểm
tra tệp…") and shows a chat action, then sends the result — over the real PTB stack and
the fake Bot API, in the order the fake received the calls."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.channels.telegram import build_application
from bot.db import Database
from models.chat import link_codes
from models.org import admins
from models.org.units import OrgUnit
from tests.factories import make_official
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_e2e import (  # noqa: F401  (fixtures)
    ROSTER,
    open_import,
    seeded,
    settings_for,
)
from tests.transcript import make_dispatcher

ADMIN = 5554006
WAITING = "Đang kiểm tra tệp… anh/chị vui lòng chờ trong giây lát."


async def test_the_waiting_message_and_chat_action_come_before_the_result(
    fake: FakeBotApi,
    seeded: Database,  # noqa: F811
) -> None:
    async with seeded.transaction() as session:
        root = await session.scalar(select(OrgUnit).where(OrgUnit.code == "T11"))
        tccb = await session.scalar(select(OrgUnit).where(OrgUnit.code == "SNV-TCCB"))
        assert root is not None and tccb is not None
        hr = await make_official(
            session,
            tccb,
            employee_code="DB004006",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912004006",
        )
        await admins.grant(session, hr, root, actor="test", now=datetime.now(UTC))
        code = await link_codes.issue(
            session, hr, now=datetime.now(UTC), created_by="test", pepper=b""
        )
    app = build_application(settings_for(fake, seeded), make_dispatcher(seeded))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.push_text(ADMIN, f"/start {code}")
            await fake.wait_for(
                lambda: any("Xin chào" in (m.text or "") for m in fake.sent_to(ADMIN))
            )
            chatter = len(fake.sent_to(ADMIN))
            fake.push_text(ADMIN, "/trogiup")
            await fake.wait_for(lambda: len(fake.sent_to(ADMIN)) > chatter)
            await open_import(fake, ADMIN)
            start = len(fake.requests)
            count = len(fake.sent_to(ADMIN))
            fake.push_document(ADMIN, "danh sách.csv", ROSTER.encode(), "text/csv")
            await fake.wait_for(lambda: len(fake.sent_to(ADMIN)) >= count + 2)
        finally:
            await app.updater.stop()
            await app.stop()
    sent = fake.sent_to(ADMIN)
    assert all(WAITING not in (m.text or "") for m in sent[:count])  # only for a file
    assert sent[count].text == WAITING
    result = sent[count + 1].text or ""
    assert "danh sách.csv" in result or "Tôi đã nhận" in result, result
    calls = [
        (r.method, r.params.get("action"))
        for r in fake.requests[start:]
        if r.chat_id == str(ADMIN) and r.method in ("sendMessage", "sendChatAction")
    ]
    assert calls[:3] == [
        ("sendMessage", None),
        ("sendChatAction", "upload_document"),
        ("sendMessage", None),
    ], calls
