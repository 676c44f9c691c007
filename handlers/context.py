"""What a handler gets for one update: the session (caller-owned transaction), the sender's
account, the linked official (or None), the dialog state, the clock and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.types import Incoming
from models.chat.accounts import ChatAccount
from models.chat.dialogs import DialogState
from models.chat.link_codes import FailureBudget
from models.courses.attendance import AttendanceSettings
from models.imports.importer import PreChecked
from models.notices.digest import DigestSettings
from models.notices.oa_window import OaCaps
from models.notices.planning import PlanningSettings
from models.notices.routing import RoutingPolicy
from models.notices.send_window import SendWindow
from models.notices.zns import ZnsSettings
from models.org.officials import Official
from models.privacy.settings import PrivacySettings
from models.requirements.self_reported import SelfReportSettings

if TYPE_CHECKING:
    from handlers.router import Router


class LinkCodeConfig(Protocol):
    @property
    def pepper(self) -> bytes: ...
    @property
    def budget(self) -> FailureBudget: ...


class HandlerSettings(Protocol):
    """The part of bot/config.Settings that handlers read. A Protocol, because handlers may
    not import bot (tests/test_architecture.py); read-only properties, so a frozen
    dataclass satisfies it."""

    @property
    def timezone(self) -> ZoneInfo: ...
    @property
    def default_locale(self) -> str: ...
    @property
    def telegram_bot_username(self) -> str | None: ...
    @property
    def telegram_max_per_second(self) -> float: ...
    @property
    def send_window(self) -> SendWindow: ...
    @property
    def planning(self) -> PlanningSettings: ...
    @property
    def digest(self) -> DigestSettings: ...
    @property
    def link_codes(self) -> LinkCodeConfig: ...
    @property
    def privacy(self) -> PrivacySettings: ...
    @property
    def zns(self) -> ZnsSettings: ...
    @property
    def oa_caps(self) -> OaCaps: ...
    @property
    def year_report_template(self) -> Path | None: ...
    @property
    def attendance(self) -> AttendanceSettings: ...
    @property
    def self_reports(self) -> SelfReportSettings: ...


@dataclass
class Context:
    session: AsyncSession
    incoming: Incoming
    account: ChatAccount
    official: Official | None
    dialog: DialogState
    now: datetime  # aware, UTC
    settings: HandlerSettings
    choice: str | None = None  # the picked button's value (pressed, typed as "2" or as its label)
    args: str = ""  # what followed a /command
    router: Router | None = None  # the composed router, for the menu and the command list
    # An admin's chat linked by phone, refused admin tools until it is linked by code.
    admin_needs_code_link: bool = False
    # The worker step of a pending upload's check, done before the transaction (upload id,
    # models.imports.importer.PreChecked): see models.imports.upload_check.
    prechecked: tuple[int, PreChecked] | None = None

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.timezone

    @property
    def bot_username(self) -> str | None:
        return self.settings.telegram_bot_username

    @property
    def routing(self) -> RoutingPolicy:
        """The sender's channel order settings, for previews that count what it will do."""
        return RoutingPolicy(zns=self.settings.zns, oa=self.settings.oa_caps, tz=self.tz)

    @property
    def send_rate(self) -> float:
        """The bulk sending ceiling (messages/s), for time estimates."""
        return self.settings.telegram_max_per_second

    @property
    def today(self) -> date:
        return self.now.astimezone(self.tz).date()

    @property
    def text(self) -> str:
        return self.incoming.text or ""
