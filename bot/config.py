"""Settings from the environment (documented in README.md and .env.example)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from locales.i18n import SUPPORTED_LOCALES
from models.notices.digest import DigestSettings
from models.notices.planning import PlanningSettings
from models.notices.send_window import SendWindow, send_window_from_env

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/troly.sqlite3"


class ConfigError(SystemExit):
    """A setting is wrong: stop at start-up with one clear line, never a traceback."""


def database_url(raw: str | None) -> str:
    """Accept the URLs operators write and pick the async driver ourselves."""
    url = (raw or DEFAULT_DATABASE_URL).strip()
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    if url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        return url
    raise ConfigError(f"DATABASE_URL: unsupported database URL scheme in {url.split(':')[0]!r}")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    telegram_token: str | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_file_base_url: str = "https://api.telegram.org/file/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_webhook_listen: str = "0.0.0.0"
    telegram_webhook_port: int = 8443
    telegram_bot_username: str | None = None
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    default_locale: str = "vi"
    demo_size: int = 3000
    telegram_concurrent_updates: int = 8
    zalo_token: str | None = None
    zalo_api_base_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: str | None = None
    zalo_webhook_listen: str = "0.0.0.0"
    zalo_webhook_port: int = 8444  # not Telegram's 8443, so `run all` can serve both
    zalo_max_per_second: float = 5.0
    zalo_public_file_base_url: str | None = None
    zalo_file_dir: Path = Path("data/zalo-files")
    zalo_file_ttl_hours: int = 72
    # Notices (issue #5; docs/reminders.md)
    telegram_max_per_second: float = 25.0
    send_window: SendWindow = field(default_factory=SendWindow)
    planning: PlanningSettings = field(default_factory=PlanningSettings)
    planning_hours: str = "6-20"
    scheduler_in_process: bool = False
    sender_concurrency: int = 4

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        tz_name = env.get("TIMEZONE", "Asia/Ho_Chi_Minh")
        try:
            tz = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"TIMEZONE: unknown time zone {tz_name!r}") from exc
        locale = env.get("DEFAULT_LOCALE", "vi")
        if locale not in SUPPORTED_LOCALES:
            raise ConfigError(f"DEFAULT_LOCALE: must be one of {', '.join(SUPPORTED_LOCALES)}")
        secret = env.get("TELEGRAM_WEBHOOK_SECRET") or None
        webhook = env.get("TELEGRAM_WEBHOOK_URL") or None
        if webhook and not secret:
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_WEBHOOK_URL is set"
            )
        try:
            port = int(env.get("TELEGRAM_WEBHOOK_PORT", "8443"))
            demo_size = int(env.get("DEMO_SIZE", "3000"))
            concurrent = int(env.get("TELEGRAM_CONCURRENT_UPDATES", "8"))
        except ValueError as exc:
            raise ConfigError(
                "TELEGRAM_WEBHOOK_PORT, DEMO_SIZE and TELEGRAM_CONCURRENT_UPDATES must be whole "
                "numbers"
            ) from exc
        if not 1 <= concurrent <= 256:
            raise ConfigError("TELEGRAM_CONCURRENT_UPDATES must be between 1 and 256")
        zalo = zalo_settings(env)
        reminders = reminder_settings(env)
        return cls(
            database_url=database_url(env.get("DATABASE_URL")),
            telegram_token=env.get("TELEGRAM_BOT_TOKEN") or None,
            telegram_api_base_url=env.get("TELEGRAM_API_BASE_URL") or cls.telegram_api_base_url,
            telegram_file_base_url=env.get("TELEGRAM_FILE_BASE_URL") or cls.telegram_file_base_url,
            telegram_webhook_url=webhook,
            telegram_webhook_secret=secret,
            telegram_webhook_listen=env.get("TELEGRAM_WEBHOOK_LISTEN", "0.0.0.0"),
            telegram_webhook_port=port,
            telegram_bot_username=(env.get("TELEGRAM_BOT_USERNAME") or "").lstrip("@") or None,
            timezone=tz,
            default_locale=locale,
            demo_size=demo_size,
            telegram_concurrent_updates=concurrent,
            **zalo,
            **reminders,
        )

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite+aiosqlite:///"
        return (
            Path(self.database_url[len(prefix) :]) if self.database_url.startswith(prefix) else None
        )


def zalo_settings(env: dict[str, str]) -> dict[str, Any]:
    """The ZALO_* variables, checked the way the Zalo Bot API will check them later."""
    webhook = env.get("ZALO_WEBHOOK_URL") or None
    secret = env.get("ZALO_WEBHOOK_SECRET") or None
    if webhook and not webhook.startswith("https://"):
        raise ConfigError("ZALO_WEBHOOK_URL must start with https:// (Zalo accepts only HTTPS)")
    if webhook and not secret:
        raise ConfigError("ZALO_WEBHOOK_SECRET is required when ZALO_WEBHOOK_URL is set")
    if secret and not 8 <= len(secret) <= 256:
        raise ConfigError("ZALO_WEBHOOK_SECRET must be 8 to 256 characters long")
    try:
        port = int(env.get("ZALO_WEBHOOK_PORT", "8444"))
        per_second = float(env.get("ZALO_MAX_PER_SECOND", "5"))
        ttl_hours = int(env.get("ZALO_FILE_TTL_HOURS", "72"))
    except ValueError as exc:
        raise ConfigError(
            "ZALO_WEBHOOK_PORT and ZALO_FILE_TTL_HOURS must be whole numbers and "
            "ZALO_MAX_PER_SECOND a number"
        ) from exc
    if not 0 < per_second <= 1000:
        raise ConfigError("ZALO_MAX_PER_SECOND must be more than 0 and at most 1000")
    if ttl_hours < 1:
        raise ConfigError("ZALO_FILE_TTL_HOURS must be at least 1")
    file_base = (env.get("ZALO_PUBLIC_FILE_BASE_URL") or "").rstrip("/") or None
    # Zalo fetches photo URLs itself and people open file links on their phones, so a link
    # that is not public HTTP(S) would only produce a broken message.
    if file_base and not file_base.startswith(("https://", "http://")):
        raise ConfigError("ZALO_PUBLIC_FILE_BASE_URL must start with https:// or http://")
    return {
        "zalo_token": env.get("ZALO_BOT_TOKEN") or None,
        "zalo_api_base_url": (env.get("ZALO_API_BASE_URL") or "").rstrip("/")
        or Settings.zalo_api_base_url,
        "zalo_webhook_url": webhook,
        "zalo_webhook_secret": secret,
        "zalo_webhook_listen": env.get("ZALO_WEBHOOK_LISTEN", "0.0.0.0"),
        "zalo_webhook_port": port,
        "zalo_max_per_second": per_second,
        "zalo_public_file_base_url": file_base,
        "zalo_file_dir": Path(env.get("ZALO_FILE_DIR") or "data/zalo-files"),
        "zalo_file_ttl_hours": ttl_hours,
    }


def reminder_settings(env: dict[str, str]) -> dict[str, Any]:
    """Notice sending and planning variables (docs/reminders.md)."""
    try:
        window = send_window_from_env(env)
        planning = PlanningSettings.from_env(env)
        DigestSettings.from_env(env)  # checked at start-up; the scheduler reads it itself
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    try:
        per_second = float(env.get("TELEGRAM_MAX_PER_SECOND", "25"))
        concurrency = int(env.get("SENDER_CONCURRENCY", "4"))
    except ValueError as exc:
        raise ConfigError(
            "TELEGRAM_MAX_PER_SECOND must be a number and SENDER_CONCURRENCY a whole number"
        ) from exc
    # 30/s is Telegram's documented bulk ceiling (platform facts T1); above it needs paid
    # broadcasts, which this bot does not use.
    if not 0 < per_second <= 30:
        raise ConfigError("TELEGRAM_MAX_PER_SECOND must be more than 0 and at most 30")
    if not 1 <= concurrency <= 64:
        raise ConfigError("SENDER_CONCURRENCY must be between 1 and 64")
    flag = env.get("SCHEDULER_IN_PROCESS", "").strip().lower()
    if flag not in ("", "0", "1", "false", "true", "no", "yes"):
        raise ConfigError("SCHEDULER_IN_PROCESS must be 1/true/yes or 0/false/no")
    return {
        "telegram_max_per_second": per_second,
        "send_window": window,
        "planning": planning,
        "planning_hours": env.get("PLANNING_HOURS", "6-20"),
        "scheduler_in_process": flag in ("1", "true", "yes"),
        "sender_concurrency": concurrency,
    }
