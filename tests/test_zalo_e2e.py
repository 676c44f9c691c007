"""The Zalo adapter against the fake Zalo Bot API over HTTP, on SQLite and PostgreSQL:
linking by code, numbered choices, unsupported events, duplicates, echoes, groups, webhook."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.channels.zalo import ZaloBot, start_webhook_server
from bot.channels.zalo_api import Backoff, ZaloApi
from bot.channels.zalo_transport import ZaloTransport
from bot.db import Database
from bot.transport import Outcome
from handlers.types import Reply
from models.chat import link_codes
from models.chat.accounts import ChatAccount
from models.requirements.store import ensure_default_catalogue
from tests.factories import make_official, small_province
from tests.fake_zalo_api import FakeZaloApi, SentMessage
from tests.transcript import Clock, make_dispatcher

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
USER = "8a3c0e61d9f2b7a45c10"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZaloApi]:
    server = await FakeZaloApi(max_poll_wait=0.1).start()
    try:
        yield server
    finally:
        await server.stop()
    assert not server.internal_errors, server.internal_errors


def make_api(fake: FakeZaloApi, **kwargs: object) -> ZaloApi:
    kwargs.setdefault("backoff", Backoff(first=0.05, ceiling=0.2))
    return ZaloApi(fake.token, fake.base_url, **kwargs)  # type: ignore[arg-type]


@asynccontextmanager
async def polling_bot(
    fake: FakeZaloApi, db: Database, clock: Clock | None = None
) -> AsyncIterator[ZaloBot]:
    api = make_api(fake)
    bot = ZaloBot(
        api,
        make_dispatcher(db, clock or Clock(NOW)),
        tz=TZ,
        poll_hold_seconds=1,
        poll_retry_delay=0.05,
    )
    await bot.start()
    await api.delete_webhook()
    stop = asyncio.Event()
    task = asyncio.create_task(bot.poll(stop))
    try:
        yield bot
    finally:
        stop.set()
        await task
        await bot.drain()
        await api.close()


@dataclass
class ZaloUser:
    """Someone typing in the Zalo app: sees only the text the bot sent back."""

    fake: FakeZaloApi
    bot: ZaloBot
    user_id: str = USER
    last: list[SentMessage] = field(default_factory=list)

    async def say(self, text: str) -> str:
        before = len(self.fake.sent_to(self.user_id))
        self.fake.push_text(self.user_id, text)
        await self.fake.wait_sent(self.user_id, before + 1)
        await self.bot.drain()  # every message of this answer is out
        self.last = self.fake.sent_to(self.user_id)[before:]
        return self.text

    @property
    def text(self) -> str:
        return "\n".join(m.text or "" for m in self.last)

    async def quiet_after(self) -> None:
        """Nothing more is sent after an update the bot must ignore."""
        before = len(self.fake.sent)
        await self.fake.wait_for(lambda: self.fake.pending == 0, 3.0, "the poll to take it")
        await asyncio.sleep(0.1)
        await self.bot.drain()
        assert len(self.fake.sent) == before, [m.text for m in self.fake.sent[before:]]


@pytest.fixture
async def deputy(db: Database) -> int:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        official = await make_official(
            session,
            units["tccb"],
            leadership_tier="pho_truong_phong",
            post_title="Phó Trưởng phòng",
            leadership_appointed_on=date(2026, 6, 26),
            education_level="cao_dang",
            professional_field_matches_post=True,
        )
    return official.id


async def issue(db: Database, official_id: int) -> str:
    from models.org.officials import Official

    async with db.transaction() as session:
        official = await session.get(Official, official_id)
        assert official is not None
        return await link_codes.issue(session, official, now=NOW, created_by="test", pepper=b"")


async def test_link_by_code_yeucau_by_number_then_reminder(
    fake: FakeZaloApi, db: Database, deputy: int
) -> None:
    code = await issue(db, deputy)
    async with polling_bot(fake, db) as bot:
        user = ZaloUser(fake, bot)
        text = await user.say("/start")
        assert len(user.last) == 1, "all replies of an update go out as one message"
        assert "Trợ lý Bồi dưỡng" in text
        assert "   [1] 🔑 Nhập mã liên kết" in text and "   [2] ❓ Trợ giúp" in text
        assert "Trên Zalo tôi không nhận được số điện thoại" in text
        assert text.endswith("Anh/chị trả lời bằng số thứ tự của lựa chọn, ví dụ: 1.")

        assert "nhập mã liên kết do bộ phận tổ chức cán bộ cấp (gồm 8 hoặc 12" in await user.say(
            "1"
        )
        text = await user.say(code.lower().replace("-", " "))
        assert "Liên kết thành công" in text
        assert "Xin chào anh Nguyễn Văn An" in text

        text = await user.say("/yeucau")
        lines = text.splitlines()
        assert lines[0] == "📋 Yêu cầu đào tạo, bồi dưỡng của anh (năm 2026)"
        assert lines[1].startswith("1. ⚠️ Cập nhật kiến thức pháp luật hằng năm")
        degree = next(line for line in lines if "trình độ đại học" in line)
        assert "chưa đạt" in degree and "quá hạn" not in degree  # a standard: no day count
        assert "   [1] ❓ Vì sao mục 1?" in text
        text = await user.say("1")  # the first offered choice: "why #1"
        assert "pháp luật" in text and "Thực hiện hằng năm; hạn năm nay: 31/12/2026." in text
        await user.say("/yeucau")
        # The label, typed without diacritics.
        text = await user.say(f"vi sao muc {degree.split('.', 1)[0]}")
        assert "giữ chức vụ phó trưởng phòng và tương đương" in text

    # A reminder through the transport the outbox will use.
    transport = ZaloTransport(make_api(fake), max_per_second=20, tz=TZ)
    try:
        result = await transport.send(USER, Reply("Nhắc anh: hạn cập nhật kiến thức pháp luật."))
    finally:
        await transport.close()
    assert result.outcome is Outcome.SENT and result.message_id
    assert fake.sent[-1].chat_id == USER and fake.sent[-1].text and "Nhắc anh" in fake.sent[-1].text


async def test_code_single_use_and_throttling_apply_on_zalo(
    fake: FakeZaloApi, db: Database, deputy: int
) -> None:
    code = await issue(db, deputy)
    async with polling_bot(fake, db) as bot:
        first = ZaloUser(fake, bot, "aaaaaaaaaaaaaaaaaaa1")
        thief = ZaloUser(fake, bot, "bbbbbbbbbbbbbbbbbbb2")
        assert "Liên kết thành công" in await first.say(code)
        assert "đã được sử dụng" in await thief.say(code)
        for _ in range(3):  # the used code counted as the first wrong attempt
            assert "không đúng" in await thief.say("ZZZZ-2345")
        assert "quá nhiều lần" in await thief.say("ZZZZ-2346")
        assert "Nguyễn Văn An" not in "".join(m.text or "" for m in fake.sent_to(thief.user_id))


async def test_unsupported_events_and_groups(fake: FakeZaloApi, db: Database, deputy: int) -> None:
    async with polling_bot(fake, db) as bot:
        pushes = [fake.push_sticker, fake.push_image, fake.push_voice, fake.push_unsupported]
        for n, push in enumerate(pushes, start=1):
            push(USER)
            sent = await fake.wait_sent(USER, n)
            assert "Tôi chỉ đọc được tin nhắn chữ" in (sent[-1].text or "")
        # Groups never get personal data: chatter is ignored, commands get a pointer.
        fake.push_text(USER, "hello everyone", chat_type="GROUP", chat_id="group-1")
        await ZaloUser(fake, bot).quiet_after()
        fake.push_text(USER, "/hoso", chat_type="GROUP", chat_id="group-1")
        sent = await fake.wait_sent("group-1", 1)
        assert "nhắn riêng" in (sent[0].text or "")


async def test_duplicates_echoes_and_other_processes(
    fake: FakeZaloApi, db: Database, deputy: int
) -> None:
    fake.echo_own_messages = True
    async with polling_bot(fake, db) as bot:
        user = ZaloUser(fake, bot)
        update = fake.push_text(USER, "/trogiup")
        await fake.wait_sent(USER, 1)
        await bot.drain()
        fake.redeliver(update)  # Zalo delivering it again
        await user.quiet_after()
        # Our own message echoed back (only from.id says so) was in the queue too.
        assert fake.pending == 0

        # Another process sharing the database sees the same update: still answered once.
        other = ZaloBot(make_api(fake), make_dispatcher(db, Clock(NOW)), tz=TZ)
        assert other.accept(update)  # it cannot know from memory…
        await other.drain()  # …but the database says it was seen
        await other.api.close()
        assert len(fake.sent_to(USER)) == 1


async def test_polling_survives_html_429_and_5xx(
    fake: FakeZaloApi, db: Database, deputy: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.rate_limit_next("getUpdates")
    fake.fail_next("getUpdates", status=502, html="<html>502 Bad Gateway</html>")
    fake.rate_limit_next("sendMessage")  # the reply itself hits the proxy limit once
    async with polling_bot(fake, db) as bot:
        user = ZaloUser(fake, bot)
        assert "Trợ lý có thể giúp" in await user.say("/trogiup")
    assert [r.status for r in fake.calls("sendMessage")][:2] == [429, 200]
    assert fake.token not in caplog.text
    assert fake.token.split(":")[1] not in caplog.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_secret_and_both_body_shapes(
    fake: FakeZaloApi, db: Database, deputy: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    port, secret = _free_port(), "s3cret-Zalo_Token-1"
    url = f"http://127.0.0.1:{port}/zalo/hook"
    api = make_api(fake)
    bot = ZaloBot(api, make_dispatcher(db, Clock(NOW)), tz=TZ)
    await bot.start()
    server = start_webhook_server(bot, secret, "/zalo/hook", "127.0.0.1", port)
    try:
        await api.set_webhook(url, secret)
        assert fake.webhook and fake.webhook["secret_token"] == secret
        update = fake.user_message(USER)
        update = {"event_name": "message.text.received", "message": {**update, "text": "/trogiup"}}

        wrong = await fake.post_webhook(None, update, secret="wrong-secret-123")
        missing = await fake.post_webhook(None, update, use_registered_secret=False)
        assert wrong.status_code == 403 and missing.status_code == 403
        assert "refused a Zalo webhook call" in caplog.text
        assert "/trogiup" not in caplog.text  # the stranger's body is never logged
        await asyncio.sleep(0.1)
        assert fake.sent_to(USER) == []

        wrapped = await fake.post_webhook(None, update)  # the documented shape
        assert wrapped.status_code == 200
        await fake.wait_sent(USER, 1)
        bare = {**update, "message": {**update["message"], "message_id": "f" * 20}}
        assert (await fake.post_webhook(None, bare, wrapped=False)).status_code == 200
        await fake.wait_sent(USER, 2)
        again = await fake.post_webhook(None, bare, wrapped=False)  # a re-delivery
        assert again.status_code == 200
        await asyncio.sleep(0.1)
        await bot.drain()
        assert len(fake.sent_to(USER)) == 2
    finally:
        server.stop()
        await bot.drain()
        await api.close()


async def test_linked_on_telegram_and_zalo_at_once(
    fake: FakeZaloApi, db: Database, deputy: int
) -> None:
    from sqlalchemy import select

    from tests.transcript import Person

    telegram = Person(make_dispatcher(db, Clock(NOW)), "5550001")
    assert "Liên kết thành công" in await telegram.say(await issue(db, deputy))
    async with polling_bot(fake, db) as bot:
        assert "Liên kết thành công" in await ZaloUser(fake, bot).say(await issue(db, deputy))
    async with db.transaction() as session:
        linked = (
            await session.scalars(select(ChatAccount).where(ChatAccount.official_id == deputy))
        ).all()
    assert sorted(a.channel for a in linked) == ["telegram", "zalo"]
    assert "DB000001" in await telegram.say("/hoso")  # the Telegram link still works


async def test_a_notice_with_a_choice_can_be_answered_by_number(
    fake: FakeZaloApi, db: Database, deputy: int
) -> None:
    """Zalo has no buttons: a broadcast's "Đăng ký" arrives as "[1]", and typing 1 starts
    the registration just as pressing the button does on Telegram."""
    from bot.sender import Sender, SenderConfig
    from models.courses.catalogue import Course
    from models.notices import outbox as notices
    from models.notices.send_window import SendWindow
    from tests.test_sender_faults import RunningClock

    async with db.transaction() as session:
        course = Course(
            code="K-2026-77",
            title="Bồi dưỡng kiến thức quản lý nhà nước",
            kind="qlnn",
            organiser="Sở Nội vụ",
            place="Hội trường Sở Nội vụ",
            starts_on=date(2026, 12, 15),
            ends_on=date(2026, 12, 18),
            periods=32,
            capacity=30,
            registration_closes_on=date(2026, 12, 10),
        )
        session.add(course)
        await session.flush()
        await notices.enqueue_many(
            session,
            [
                notices.NewNotice(
                    official_id=deputy,
                    kind=notices.BROADCAST,
                    subject="bc:1",
                    due_at=NOW,
                    text="📣 Thông báo của Sở Nội vụ: mời anh đăng ký lớp K-2026-77.",
                    choices=(("📝 Đăng ký", f"reg:{course.id}"),),
                )
            ],
        )
    code = await issue(db, deputy)
    async with polling_bot(fake, db) as bot:
        user = ZaloUser(fake, bot)
        await user.say(code)
        transport = ZaloTransport(make_api(fake), max_per_second=20, tz=TZ)
        sender = Sender(
            db,
            {"zalo": transport},
            limits={"zalo": 20},
            window=SendWindow(tz=TZ, quiet=None),
            config=SenderConfig(drain_wait=0),
            clock=RunningClock(NOW),
        )
        try:
            stats = await sender.drain()
        finally:
            await transport.close()
        assert stats.outcomes["sent"] == 1
        notice = fake.sent[-1]
        assert notice.chat_id == USER and "[1] 📝 Đăng ký" in (notice.text or "")
        text = await user.say("1")
    assert "K-2026-77" in text and "Bồi dưỡng kiến thức quản lý nhà nước" in text
