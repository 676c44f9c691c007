"""Settings from the environment (documented in README.md and .env.example)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from locales.i18n import SUPPORTED_LOCALES

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
        )

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite+aiosqlite:///"
        return (
            Path(self.database_url[len(prefix) :]) if self.database_url.startswith(prefix) else None
        )
