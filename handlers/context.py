"""What a handler gets for one update: the session (caller-owned transaction), the sender's
account, the linked official (or None), the dialog state and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.types import Incoming
from models.chat.accounts import ChatAccount
from models.chat.dialogs import DialogState
from models.org.officials import Official

if TYPE_CHECKING:
    from handlers.router import Router


@dataclass
class Context:
    session: AsyncSession
    incoming: Incoming
    account: ChatAccount
    official: Official | None
    dialog: DialogState
    now: datetime  # aware, UTC
    tz: ZoneInfo
    bot_username: str | None = None
    send_rate: float = 25.0  # the bulk sending ceiling (messages/s), for time estimates
    choice: str | None = None  # the picked button's value (pressed, typed as "2" or as its label)
    args: str = ""  # what followed a /command
    router: Router | None = None  # the composed router, for the menu and the command list

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    @property
    def text(self) -> str:
        return self.incoming.text or ""
