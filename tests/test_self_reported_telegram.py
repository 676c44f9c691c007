"""Issue #16 point 8 over the real python-telegram-bot stack and the fake Bot API: a photo
(the largest of its sizes) and a PDF reach the certificate steps, downloaded only once the
official asked to send one; the admin gets the photo back with sendPhoto."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.channels.telegram import build_application
from bot.db import Database
from models.chat import link_codes
from models.org import admins
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements import self_reported
from models.requirements.self_reported import SelfReport
from tests.factories import make_official
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_e2e import USER, seeded, settings_for  # noqa: F401  (fixtures)
from tests.transcript import make_dispatcher

HR = 5558006
PHOTO = b"\xff\xd8\xff\xe0" + b"JFIF-largest" * 100
PDF = b"%PDF-1.4\n%%EOF\n"


async def test_a_photo_and_a_pdf_reach_the_certificate_steps_over_telegram(
    fake: FakeBotApi,
    seeded: Database,  # noqa: F811
) -> None:
    async with seeded.transaction() as session:
        root = await session.scalar(select(OrgUnit).where(OrgUnit.code == "T11"))
        assert root is not None
        hr = await make_official(
            session, root, employee_code="DB858006", full_name="Phạm Thu Hà", phone="+84912858006"
        )
        await admins.grant(session, hr, root, actor="test", now=datetime.now(UTC))
        code = await link_codes.issue(
            session, hr, now=datetime.now(UTC), created_by="test", pepper=b""
        )
    app = build_application(settings_for(fake, seeded), make_dispatcher(seeded))

    async def said(user: int, push: object) -> str:
        count = len(fake.sent_to(user))
        del push  # the update is already queued; wait for its answer
        await fake.wait_for(lambda: len(fake.sent_to(user)) > count)
        return fake.sent_to(user)[-1].text or ""

    async def press(user: int, label: str) -> str:
        last = fake.last_sent(user)
        return await said(
            user, fake.push_callback(user, last.message_id, last.callback_data(label))
        )

    async def steps(user: int, kind_label: str) -> str:
        await press(user, kind_label)
        await said(user, fake.push_text(user, "Bồi dưỡng kỹ năng số"))
        await said(user, fake.push_text(user, "20/11/2026"))
        return await said(user, fake.push_text(user, "40"))

    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.push_contact(USER, "+84 912 000 001", USER)
            await fake.wait_for(
                lambda: any("Xin chào" in (m.text or "") for m in fake.sent_to(USER))
            )
            # Not asked for: a photo is answered as before and costs no download.
            unasked = await said(USER, fake.push_photo(USER, PHOTO))
            assert len(fake.calls("getFile")) == 0

            await said(USER, fake.push_text(USER, "/yeucau"))
            await press(USER, "Gửi chứng chỉ bên ngoài")
            kinds = await said(USER, fake.push_photo(USER, PHOTO))
            photo_sent = await steps(USER, "Tin học")

            await said(USER, fake.push_text(USER, "/cuatoi"))
            await press(USER, "Gửi chứng chỉ bên ngoài")
            await said(USER, fake.push_document(USER, "chứng chỉ.pdf", PDF, "application/pdf"))
            pdf_sent = await steps(USER, "Tin học")

            fake.push_text(HR, f"/start {code}")
            await fake.wait_for(lambda: any("Xin chào" in (m.text or "") for m in fake.sent_to(HR)))
            await said(HR, fake.push_text(HR, "/quantri"))
            count = len(fake.sent_to(HR))
            await press(HR, "Chứng chỉ chờ duyệt (2)")
            await fake.wait_for(lambda: len(fake.sent_to(HR)) >= count + 2)
            review = fake.sent_to(HR)[count:]
        finally:
            await app.updater.stop()
            await app.stop()

    assert "chữ" in unasked  # the "I read text, buttons…" answer, unchanged
    assert "loại hình bồi dưỡng" in kinds
    assert "Đã gửi, đang chờ bộ phận tổ chức cán bộ xác minh" in photo_sent
    assert "Đã gửi, đang chờ bộ phận tổ chức cán bộ xác minh" in pdf_sent
    # Only the largest size was fetched, once, and the PDF once.
    fetched = [c.params.get("file_id") for c in fake.calls("getFile")]
    assert len(fetched) == 2
    largest, pdf = (fake.files[str(f)] for f in fetched)
    assert largest.content == PHOTO and pdf.content == PDF  # not the thumbnail
    async with seeded.transaction() as session:
        official = await session.scalar(select(Official).where(Official.phone == "+84912000001"))
        reports = list(await session.scalars(select(SelfReport).order_by(SelfReport.id)))
    assert official is not None
    assert [(r.official_id, r.status, r.mime_type, r.file_ref) for r in reports] == [
        (official.id, self_reported.PENDING, self_reported.JPEG, largest.file_id),
        (official.id, self_reported.PENDING, self_reported.PDF, pdf.file_id),
    ]
    assert reports[0].content == PHOTO
    # The admin sees the oldest first: its text, then the photo itself (sendPhoto).
    assert "Nguyễn Văn An" in (review[0].text or "")
    assert review[1].method == "sendPhoto" and review[1].photo is not None
    assert review[1].photo[1] == PHOTO
