"""Issue #11 point 7: a Zalo admin gets a file with personal data as a one-time, short-lived
link issued to their account; the endpoint refuses a second click, an expired link and a
made-up token with a Vietnamese page. Over the fake Zalo server and real HTTP."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import httpx
from sqlalchemy import select

from bot.channels.zalo import ZaloBot
from bot.channels.zalo_downloads import Downloads, start_server
from bot.db import Database
from handlers.types import XLSX, Attachment, Reply
from models.chat.file_links import FileLink
from tests.fake_zalo_api import FakeZaloApi
from tests.test_zalo_e2e import NOW, TZ, fake, make_api  # noqa: F401  (fixture)
from tests.transcript import Clock, make_dispatcher

EXPORT = Attachment("dang-ky-K-2026-14.xlsx", b"PK\x03\x04 phones of 40 officials", XLSX)
ERRORS = Attachment("loi-danh-sach.xlsx", b"PK\x03\x04 rows with officials", XLSX)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_personal_file_is_a_one_time_link_bound_to_the_account(
    fake: FakeZaloApi,  # noqa: F811
    db: Database,
) -> None:
    clock = Clock(NOW)
    port = _port()
    downloads = Downloads(db, f"http://127.0.0.1:{port}", timedelta(minutes=10), clock)
    server = start_server(downloads, "127.0.0.1", port)
    api = make_api(fake)
    bot = ZaloBot(api, make_dispatcher(db, clock), tz=TZ, downloads=downloads)
    try:
        reply = Reply("Danh sách đăng ký khóa K-2026-14.", attachments=(EXPORT, ERRORS))
        await bot.send("admin-1", [reply], user_id="admin-1")
        text = "\n".join(m.text or "" for m in fake.sent_to("admin-1"))
        urls = re.findall(rf"http://127\.0\.0\.1:{port}/[A-Za-z0-9_-]+", text)
        assert len(urls) == 2 and urls[0] != urls[1], text  # one token per file
        assert "chỉ mở được một lần" in text and "10:10 26/11/2026" in text, text
        async with httpx.AsyncClient() as client:
            first = await client.get(urls[0])
            again = await client.get(urls[0])
            made_up = await client.get(f"http://127.0.0.1:{port}/{'x' * 32}")
            clock.advance(minutes=10)
            late = await client.get(urls[1])
        assert first.status_code == 200 and first.content == EXPORT.content
        assert first.headers["cache-control"] == "no-store"
        assert "attachment" in first.headers["content-disposition"]
        assert again.status_code == 410 and "đã được dùng" in again.text
        assert late.status_code == 410 and "đã hết hạn" in late.text
        assert made_up.status_code == 404 and "không hợp lệ" in made_up.text
        async with db.transaction() as session:
            rows = list(await session.scalars(select(FileLink)))
        assert {r.user_id for r in rows} == {"admin-1"} and {r.channel for r in rows} == {"zalo"}
        assert all(r.content is None for r in rows)  # dropped once used or expired
        tokens = {u.rsplit("/", 1)[1] for u in urls}
        assert not tokens & {r.token_hash for r in rows}  # only hashes are stored
    finally:
        server.stop()
        await api.close()


async def test_without_a_download_address_the_admin_is_told_where_to_get_it(
    fake: FakeZaloApi,  # noqa: F811
    db: Database,
) -> None:
    api = make_api(fake)
    bot = ZaloBot(api, make_dispatcher(db, Clock(NOW)), tz=TZ)
    try:
        await bot.send("admin-2", [Reply("Danh sách.", attachments=(EXPORT,))], user_id="admin-2")
    finally:
        await api.close()
    text = "\n".join(m.text or "" for m in fake.sent_to("admin-2"))
    assert "chứa thông tin cá nhân" in text and "Telegram" in text and "http" not in text
