"""The Zalo OA channel against the fake OA over real HTTP, on SQLite and PostgreSQL: an
official shares their phone through the request-user-info template and is linked, taps
buttons through /yeucau and registers for a course; signatures, duplicates, echoes, forged
buttons, admins by code only, and the interaction window of proactive messages."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.channels.zalo_oa import buttons
from bot.channels.zalo_oa.api import OaApi
from bot.channels.zalo_oa.channel import ZaloOaBot, ZaloOaTransport, start_webhook
from bot.channels.zalo_oa.render import TEXT_LIMIT, render
from bot.channels.zalo_oa.tokens import OaTokens, seed
from bot.config import ZaloOaSettings
from bot.db import Database
from bot.transport import Outcome
from handlers.types import Choice, Reply
from models.chat import link_codes
from models.notices import oa_window
from models.org.admins import AdminRole
from tests.courses_world import World, build_world
from tests.fake_zalo_oa import (
    APP_ID,
    OA_SECRET_KEY,
    SECRET_KEY,
    FakeZaloOa,
    SentMessage,
    mac,
)
from tests.transcript import make_dispatcher

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
USER = "4819207365512784931"


def oa_settings(oa: FakeZaloOa) -> ZaloOaSettings:
    return ZaloOaSettings(
        app_id=APP_ID,
        secret_key=SECRET_KEY,
        webhook_secret_key=OA_SECRET_KEY,
        oauth_base_url=oa.base_url,
        api_base_url=oa.base_url,
        webhook_listen="127.0.0.1",
    )


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOa]:
    server = await FakeZaloOa().start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)


@asynccontextmanager
async def oa_bot(oa: FakeZaloOa, world: World) -> AsyncIterator[ZaloOaBot]:
    settings = oa_settings(oa)
    access, refresh = oa.issue_pair()
    await seed(
        world.db,
        settings,
        access_token=access,
        refresh_token=refresh,
        expires_in=3600,
        now=world.clock(),
    )
    dispatcher = make_dispatcher(world.db, world.clock)
    tokens = OaTokens(world.db, settings, world.clock)
    api = OaApi(tokens, oa.base_url)
    bot = ZaloOaBot(api, dispatcher, settings, tz=TZ)
    runner, port = await start_webhook(bot, settings, port=0)
    oa.webhook_url = f"http://127.0.0.1:{port}{settings.webhook_path}"
    try:
        yield bot
    finally:
        await bot.drain()
        await runner.cleanup()
        await api.close()
        await tokens.close()


@dataclass
class OaUser:
    """Someone in the Zalo app, chatting with the OA: sees messages and their buttons."""

    oa: FakeZaloOa
    bot: ZaloOaBot
    user_id: str = USER
    last: list[SentMessage] = field(default_factory=list)

    async def _after(self, event: object) -> str:
        before = len(self.oa.sent_to(self.user_id))
        await event  # type: ignore[misc]
        await self.bot.drain()  # the webhook answered at once; the reply follows
        self.last = self.oa.sent_to(self.user_id)[before:]
        return "\n".join(m.text for m in self.last)

    async def say(self, text: str) -> str:
        return await self._after(self.oa.user_text(self.user_id, text))

    async def follow(self) -> str:
        return await self._after(self.oa.post_event("follow", sender=self.user_id))

    async def share_phone(self, phone: str, name: str = "Nguyễn Văn An") -> str:
        assert any(m.template_type == "request_user_info" for m in self.last), "no form shown"
        return await self._after(self.oa.submit_info(self.user_id, phone, name))

    def button(self, fragment: str) -> dict[str, object]:
        for message in self.last:
            for button in message.buttons:
                if fragment.lower() in str(button["title"]).lower():
                    return button
        titles = [b["title"] for m in self.last for b in m.buttons]
        raise AssertionError(f"no button containing {fragment!r} in {titles}")

    async def tap_value(self, value: str) -> str:
        """The button that carries this choice (the card numbers its list items "1", "2"…)."""
        for message in self.last:
            for button in message.buttons:
                if buttons.read(self.bot.key, self.user_id, str(button["payload"])) == value:
                    return await self._after(self.oa.tap(self.user_id, button))
        raise AssertionError(f"no button for {value!r}")

    async def tap(self, fragment: str) -> str:
        return await self._after(self.oa.tap(self.user_id, self.button(fragment)))


async def test_share_phone_link_yeucau_buttons_and_register(oa: FakeZaloOa, world: World) -> None:
    async with oa_bot(oa, world) as bot:
        an = OaUser(oa, bot)
        greeting = await an.follow()
        assert "mã liên kết" in greeting
        text = await an.share_phone("84912000001")  # Zalo's form gives 84…, no "+"
        assert "Liên kết thành công" in text
        text = await an.say("/yeucau")
        assert an.last[-1].buttons, "choices arrive as OA buttons"
        assert all(b["type"] == "oa.query.hide" for m in an.last for b in m.buttons)
        first = an.last[-1].buttons[0]
        text = await an.tap(str(first["title"]))
        assert text and "không còn hiệu lực" not in text
        await an.say("/khoahoc")
        course = world.courses["qlnn"]
        text = await an.tap_value(f"crs:{course.id}")
        assert "📚 K-2026-14" in text
        text = await an.tap("Đăng ký")
        assert "xác nhận đăng ký khóa K-2026-14" in text
        text = await an.tap("Xác nhận")
        assert text.startswith("Anh đã đăng ký khóa K-2026-14.")
        assert (await world.course("K-2026-14")).seats_taken == 1


async def test_forged_and_foreign_buttons_are_refused(oa: FakeZaloOa, world: World) -> None:
    async with oa_bot(oa, world) as bot:
        an = OaUser(oa, bot)
        await an.follow()
        await an.share_phone("+84912000001")
        await an.say("/khoahoc")
        card = next(b for m in an.last for b in m.buttons if b["title"] == "1")
        value = buttons.read(bot.key, USER, str(card["payload"]))
        assert value is not None and value != buttons.FORGED
        # The same value signed for someone else, or typed with a made-up tag: stale.
        other = buttons.sign(bot.key, "someone-else", value)
        for payload in (other, f"{buttons.PREFIX}AAAAAAAAAAAAAAAA.{value}"):
            text = await an._after(oa.user_text(USER, payload))
            assert "không còn hiệu lực" in text
        assert (await world.course("K-2026-14")).seats_taken == 0


async def test_signature_duplicates_and_echoes(oa: FakeZaloOa, world: World) -> None:
    async with oa_bot(oa, world) as bot:
        an = OaUser(oa, bot)
        await an.follow()
        stamp = str(int(world.clock().timestamp() * 1000))
        body = json.dumps(
            {
                "app_id": APP_ID,
                "event_name": "user_send_text",
                "timestamp": stamp,
                "sender": {"id": USER},
                "message": {"text": "/trogiup", "msg_id": "m1"},
            }
        )
        sent = len(oa.sent)
        assert await oa.post_raw(body, None) == 401
        assert await oa.post_raw(body, "mac=" + "0" * 64) == 401
        assert await oa.post_raw(body, "mac=" + mac(APP_ID, body, stamp, "wrong")) == 401
        await bot.drain()
        assert len(oa.sent) == sent  # nothing answered
        good = "mac=" + mac(APP_ID, body, stamp, OA_SECRET_KEY)
        assert await oa.post_raw(body, good) == 200
        await bot.drain()
        answered = len(oa.sent)
        assert answered > sent
        assert await oa.post_raw(body, good) == 200  # Zalo's retry of the same event
        await bot.drain()
        assert len(oa.sent) == answered
        # The same signed event replayed two days later: acknowledged, not handled.
        world.clock.advance(days=2)
        assert await oa.post_raw(body, good) == 200
        await bot.drain()
        assert len(oa.sent) == answered
        oa.echo = True  # the OA's own messages come back as oa_send_text
        await an.say("/trogiup")
        await asyncio.sleep(0.2)  # the echoes' webhook calls
        await bot.drain()
        assert len(oa.sent) == 2 * answered - sent  # the same answer again, nothing more
        assert oa.events_posted[-1]["event_name"] == "oa_send_text"


async def test_admins_link_by_code_only(oa: FakeZaloOa, world: World) -> None:
    async with world.db.transaction() as session:
        an = world.people["an"]
        session.add(
            AdminRole(
                official_id=an.id,
                unit_id=world.units["tccb"].id,
                granted_by="t",
                granted_at=world.clock(),
            )
        )
        await session.flush()
        code = await link_codes.issue(session, an, now=world.clock(), created_by="t", pepper=b"")
    async with oa_bot(oa, world) as bot:
        user = OaUser(oa, bot)
        await user.follow()
        text = await user.share_phone("84912000001")
        assert "chỉ liên kết được bằng mã liên kết dùng một lần" in text
        assert "Liên kết thành công" in await user.say(code)


async def test_proactive_messages_only_inside_the_window(oa: FakeZaloOa, world: World) -> None:
    async with oa_bot(oa, world) as bot:
        an = OaUser(oa, bot)
        await an.follow()
        transport = ZaloOaTransport(bot.api, world.db, bot.settings, tz=TZ, clock=world.clock)
        reminder = Reply("Nhắc anh: hạn đăng ký K-2026-14 là 01/12/2026.", (Choice("Xem", "x:1"),))
        result = await transport.send(USER, reminder)
        assert result.outcome is Outcome.SENT and oa.sent[-1].buttons
        world.clock.advance(hours=49)
        oa.advance(timedelta(hours=49).total_seconds())
        result = await transport.send(USER, reminder)
        assert result.outcome is Outcome.FAILED and "window" in (result.error or "")
        assert oa.refused == []  # refused before the call: no quota spent on a sure error


async def test_without_a_token_the_outbox_waits(oa: FakeZaloOa, world: World) -> None:
    """No pair stored (the OA was never authorised, or the operator cleared it): notices are
    retried later, nothing is sent, nothing raises."""
    settings = oa_settings(oa)
    tokens = OaTokens(world.db, settings, world.clock)
    transport = ZaloOaTransport(
        OaApi(tokens, oa.base_url), world.db, settings, tz=TZ, clock=world.clock
    )
    async with world.db.transaction() as session:
        await oa_window.record_inbound(
            session, channel=oa_window.OA, chat_id=USER, now=world.clock()
        )
    try:
        result = await transport.send(USER, Reply("Nhắc lịch học."))
    finally:
        await transport.close()
    assert result.outcome is Outcome.RETRY and (result.retry_after or 0) > 0
    assert oa.sent == []


def test_long_texts_split_and_many_choices_spread() -> None:
    key = buttons.button_key("k")
    text = "\n".join(f"Dòng {n}: " + "x" * 90 for n in range(60))
    choices = tuple(Choice(f"Lựa chọn {n}", f"c:{n}") for n in range(7))
    messages = render([Reply(text, choices)], key=key, user_id=USER, tz=TZ)
    assert all(len(m["text"]) <= TEXT_LIMIT for m in messages)
    assert "\n".join(m["text"] for m in messages[:-1]) == text
    counts = [len(m.get("attachment", {}).get("payload", {}).get("buttons", [])) for m in messages]
    assert counts[-2:] == [5, 2] and sum(counts) == 7


async def test_run_all_serves_the_oa_from_the_settings(oa: FakeZaloOa, world: World) -> None:
    """`python -m bot run all` with only the OA configured: the webhook from the settings
    answers, with the token stored in the database."""
    from dataclasses import replace

    from bot.channels import zalo_run
    from bot.config import Settings

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    settings = replace(Settings(), zalo_oa=replace(oa_settings(oa), webhook_port=port))
    access, refresh = oa.issue_pair()
    await seed(
        world.db,
        settings.zalo_oa,
        access_token=access,
        refresh_token=refresh,
        expires_in=3600,
        now=world.clock(),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(
        zalo_run.serve(
            settings,
            make_dispatcher(world.db, world.clock),
            with_telegram=False,
            with_oa=True,
            stop=stop,
        )
    )
    oa.webhook_url = f"http://127.0.0.1:{port}{settings.zalo_oa.webhook_path}"
    try:
        for _ in range(100):  # the server starts in the background
            try:
                await oa.user_text(USER, "/trogiup")
                break
            except OSError:
                await asyncio.sleep(0.05)
        await oa.wait_for(lambda: bool(oa.sent_to(USER)))
    finally:
        stop.set()
        await task
    assert "Trợ lý" in oa.sent_to(USER)[0].text
