"""Issue #16 point 8 on Zalo: the Bot API delivers a photo as a URL on Zalo's CDN (no file
id, said to expire), so it is downloaded at once, but only once the official asked to send
a certificate; Zalo has no documents, so a PDF cannot come this way. Through the real
ZaloBot against the fake Zalo server over HTTP."""

from __future__ import annotations

from sqlalchemy import select

from bot.db import Database
from models.requirements import self_reported
from models.requirements.self_reported import SelfReport
from tests.fake_zalo_api import FakeZaloApi
from tests.test_zalo_e2e import (  # noqa: F401  (fixtures)
    USER,
    ZaloUser,
    deputy,
    fake,
    issue,
    polling_bot,
)

PHOTO = b"\xff\xd8\xff\xe0" + b"zalo-photo" * 50


async def test_a_photo_sent_on_zalo_reaches_the_certificate_steps(
    fake: FakeZaloApi,  # noqa: F811
    db: Database,
    deputy: int,  # noqa: F811
) -> None:
    async with polling_bot(fake, db) as bot:
        user = ZaloUser(fake, bot)
        await user.say(await issue(db, deputy))
        # Not asked for: the old answer, and the CDN is never asked.
        before = len(fake.sent_to(USER))
        fake.push_image(USER, content=PHOTO)
        sent = await fake.wait_sent(USER, before + 1)
        assert "Tôi chỉ đọc được tin nhắn chữ" in (sent[-1].text or "")
        assert not fake.calls("cdn")

        await user.say("/cuatoi")
        number = next(
            line.split("]")[0].strip("[ ")
            for line in user.text.splitlines()
            if "Gửi chứng chỉ bên ngoài" in line
        )
        assert "ảnh chụp hoặc tệp PDF" in await user.say(number)
        before = len(fake.sent_to(USER))
        fake.push_image(USER, content=PHOTO)
        sent = await fake.wait_sent(USER, before + 1)
        await bot.drain()
        assert "loại hình bồi dưỡng" in (fake.sent_to(USER)[before].text or "")
    assert len(fake.calls("cdn")) == 1
    async with db.transaction() as session:
        (report,) = list(await session.scalars(select(SelfReport)))
    assert report.status == self_reported.DRAFT and report.mime_type == self_reported.JPEG
    assert report.content == PHOTO and report.file_ref is None  # no file id on Zalo
