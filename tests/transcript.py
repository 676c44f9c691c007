"""Drive conversations through the real dispatcher, as a channel would, without a network.

A `Person` talks on one channel. On Telegram a choice is a button press carrying the
button's value; on Zalo it is the number printed next to the choice, typed as text, so the
same transcript exercises each channel's way of choosing (the `channel` fixture in
tests/conftest.py runs a transcript once per channel)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.channels.zalo_api import TEXT_LIMIT
from bot.channels.zalo_render import render
from bot.config import Settings
from bot.db import Database
from bot.dispatch import Dispatcher
from handlers.types import Contact, Document, Incoming, Reply

CHANNELS = ("telegram", "zalo")
# For transcripts only buttons can express: an old message's button, a forged value, a
# shared contact. Overrides the `channel` fixture.
telegram_only = pytest.mark.parametrize("channel", ["telegram"])
_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class Clock:
    """An injectable clock so tests move time instead of sleeping."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 3, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Person:
    """One chat user talking to the bot."""

    dispatcher: Dispatcher
    user_id: str
    channel: str = "telegram"
    language_hint: str | None = "vi"
    last: list[Reply] = field(default_factory=list)
    shown: str = ""  # on Zalo: the text the user last saw, choices as "[n] label" lines

    def _incoming(self, **kwargs: object) -> Incoming:
        return Incoming(
            channel=self.channel,
            chat_id=self.user_id,
            sender_id=self.user_id,
            language_hint=self.language_hint,
            **kwargs,  # type: ignore[arg-type]
        )

    async def _handle(self, incoming: Incoming) -> str:
        self.last = await self.dispatcher.handle(incoming)
        if self.channel == "zalo":
            messages = render(self.last, _TZ)
            assert all(len(m.text) <= TEXT_LIMIT for m in messages)
            self.shown = "\n".join(m.text for m in messages)
        return self.text

    async def say(self, text: str) -> str:
        return await self._handle(self._incoming(text=text))

    async def press(self, value: str) -> str:
        """Choose `value` among the choices of the last answer, as this channel does."""
        if self.channel != "zalo":
            return await self.tap(value)
        offered = self.values
        assert value in offered, f"Zalo only offers the last answer's choices: {offered}"
        number = offered.index(value) + 1
        label = self.choices[number - 1]
        # The number the user reads, not the one we computed: rendering must agree.
        shown = re.search(rf"^\s*\[(\d+)\] {re.escape(label)}$", self.shown, re.MULTILINE)
        if shown is None:
            assert label.strip() == str(number), f"{label!r} not shown on Zalo"
        else:
            assert int(shown.group(1)) == number, f"{label!r} shown as [{shown.group(1)}]"
        return await self.say(str(number))

    async def tap(self, value: str) -> str:
        """A Telegram button press carrying `value` — also an old or forged one, which only
        a channel with buttons can send."""
        assert self.channel == "telegram", "only Telegram sends button values"
        return await self._handle(self._incoming(choice=value))

    async def press_label(self, fragment: str) -> str:
        for reply in self.last:
            for choice in reply.choices:
                if fragment.lower() in choice.label.lower():
                    return await self.press(choice.value)
        raise AssertionError(f"no button containing {fragment!r} in {self.choices}")

    async def share_contact(self, phone: str, *, own: bool = True) -> str:
        assert self.channel == "telegram", "only Telegram shares a contact"
        return await self._handle(self._incoming(contact=Contact(phone=phone, is_own=own)))

    async def link_with_code(self, db: Database, phone: str) -> str:
        """Link as the official with this roster phone by a one-time code, the only way an
        admin links (a shared contact is refused for them)."""
        from sqlalchemy import select

        from models.chat import link_codes
        from models.org.officials import Official
        from models.org.phones import normalize_phone

        async with db.transaction() as session:
            official = await session.scalar(
                select(Official).where(Official.phone == normalize_phone(phone))
            )
            assert official is not None, phone
            code = await link_codes.issue(
                session, official, now=self.dispatcher.clock(), created_by="test", pepper=b""
            )
        return await self.say(f"/start {code}")

    async def send_file(self, name: str, content: bytes, *, open_import: bool = True) -> str:
        """Send a document; by default after pressing "Import a file" first, as admins must
        (issue #11 point 4). A non-admin's press is refused like any admin button."""
        if open_import:
            from handlers.payloads import ADMIN_IMPORT

            await self.press(ADMIN_IMPORT.pack())
        return await self._handle(
            self._incoming(document=Document(file_name=name, content=content))
        )

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    @property
    def choices(self) -> list[str]:
        return [c.label for r in self.last for c in r.choices]

    @property
    def values(self) -> list[str]:
        return [c.value for r in self.last for c in r.choices]


def make_dispatcher(db: Database, clock: Clock | None = None) -> Dispatcher:
    return Dispatcher(
        db=db, settings=Settings(telegram_bot_username="troly_test_bot"), clock=clock or Clock()
    )
