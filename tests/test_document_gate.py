"""Issue #11 point 4: a document is downloaded (getFile + the file) only when its sender is a
linked admin whose import is open; strangers, officials and admins who did not ask to import
get a polite answer and cost no download. Through the real PTB stack and the fake Bot API."""

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
    USER,
    open_import,
    seeded,
    settings_for,
)
from tests.transcript import make_dispatcher

ADMIN = 5553006
STRANGER = 5553999


async def test_only_an_admin_with_an_import_open_costs_a_download(
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
            employee_code="DB003006",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912003006",
        )
        await admins.grant(session, hr, root, actor="test", now=datetime.now(UTC))
        # An admin links by one-time code only (issue #11 point 1).
        code = await link_codes.issue(
            session, hr, now=datetime.now(UTC), created_by="test", pepper=b""
        )
    app = build_application(settings_for(fake, seeded), make_dispatcher(seeded))
    content = ROSTER.encode()

    async def send(user: int) -> str:
        count = len(fake.sent_to(user))
        fake.push_document(user, "danh sách.csv", content, "text/csv")
        await fake.wait_for(lambda: len(fake.sent_to(user)) > count)
        if (fake.sent_to(user)[count].text or "").startswith("Đang kiểm tra tệp"):
            count += 1  # the file is being checked (#13.8): its result comes next
            await fake.wait_for(lambda: len(fake.sent_to(user)) > count)
        return fake.sent_to(user)[count].text or ""

    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            stranger = await send(STRANGER)  # never linked
            fake.push_contact(USER, "+84 912 000 001", USER)  # the seeded official
            await fake.wait_for(
                lambda: any("Xin chào" in (m.text or "") for m in fake.sent_to(USER))
            )
            official = await send(USER)
            fake.push_text(ADMIN, f"/start {code}")
            await fake.wait_for(
                lambda: any("Xin chào" in (m.text or "") for m in fake.sent_to(ADMIN))
            )
            not_opened = await send(ADMIN)
            downloads_before = len(fake.calls("getFile"))
            await open_import(fake, ADMIN)
            opened = await send(ADMIN)
            again = await send(ADMIN)  # one file per "Import" press
        finally:
            await app.updater.stop()
            await app.stop()
    assert "chỉ cán bộ tổ chức" in stranger.lower(), stranger
    assert "chỉ cán bộ tổ chức" in official.lower(), official
    assert "/quantri" in not_opened, not_opened
    assert downloads_before == 0  # no getFile for any of them
    assert "Tôi đã nhận" in opened or "danh sách.csv" in opened, opened
    assert "/quantri" in again, again
    assert len(fake.calls("getFile")) == 1
