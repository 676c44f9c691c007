"""Drive conversations through the real dispatcher, as a channel would, without a network."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.db import Database
from bot.dispatch import Dispatcher
from handlers.types import Contact, Document, Incoming, Reply


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

    def _incoming(self, **kwargs: object) -> Incoming:
        return Incoming(
            channel=self.channel,
            chat_id=self.user_id,
            sender_id=self.user_id,
            language_hint=self.language_hint,
            **kwargs,  # type: ignore[arg-type]
        )

    async def say(self, text: str) -> str:
        self.last = await self.dispatcher.handle(self._incoming(text=text))
        return self.text

    async def press(self, value: str) -> str:
        self.last = await self.dispatcher.handle(self._incoming(choice=value))
        return self.text

    async def press_label(self, fragment: str) -> str:
        for reply in self.last:
            for choice in reply.choices:
                if fragment.lower() in choice.label.lower():
                    return await self.press(choice.value)
        raise AssertionError(f"no button containing {fragment!r} in {self.choices}")

    async def share_contact(self, phone: str, *, own: bool = True) -> str:
        self.last = await self.dispatcher.handle(
            self._incoming(contact=Contact(phone=phone, is_own=own))
        )
        return self.text

    async def send_file(self, name: str, content: bytes) -> str:
        self.last = await self.dispatcher.handle(
            self._incoming(document=Document(file_name=name, content=content))
        )
        return self.text

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
