"""Settings from the environment (documented in README.md and .env.example).

The one composition root: `Settings.from_env()` is called once per process (bot/__main__.py,
bot/scheduler_main.py) and the frozen tree is passed down. Nothing outside bot/ reads the
environment (tests/test_architecture.py); models get plain values and the settings
dataclasses they define (PlanningSettings, DigestSettings, SendWindow), built here.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from locales.i18n import SUPPORTED_LOCALES
from models.chat.link_codes import FailureBudget
from models.courses.attendance import AttendanceSettings
from models.notices import outbox as notice_kinds
from models.notices.digest import WEEKDAY_NAMES, WEEKDAYS, DigestSettings
from models.notices.oa_window import OaCaps
from models.notices.planning import PlanningSettings
from models.notices.send_window import (
    DEFAULT_HOLIDAYS,
    DEFAULT_QUIET_HOURS,
    HolidayFileError,
    Holidays,
    SendWindow,
    load_holidays,
    parse_holidays,
    parse_quiet_hours,
    with_overrides,
)
from models.notices.zns import DEFAULT_KINDS as ZNS_DEFAULT_KINDS
from models.notices.zns import DEFAULT_PRICE_VND as ZNS_DEFAULT_PRICE_VND
from models.notices.zns import DEFAULT_TEMPLATES as DEFAULT_ZNS_TEMPLATES
from models.notices.zns import ZnsSettings, ZnsTemplateError
from models.notices.zns import load_catalogue as load_zns_catalogue
from models.privacy.settings import PrivacySettings
from models.requirements.self_reported import SelfReportSettings

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/troly.sqlite3"
# The only place the province's time zone is written down: everything else receives it.
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_TZ = ZoneInfo(DEFAULT_TIMEZONE)


class ConfigError(SystemExit):
    """A setting is wrong: stop at start-up with one clear line, never a traceback."""


def province_holidays(env: Mapping[str, str]) -> Holidays | None:
    """The `holidays:` section of PROVINCE_FILE (the province's own days off, in the format
    of models/notices/data/holidays.yaml), or None."""
    path = province_file(env)
    if path is None:
        return None
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"PROVINCE_FILE: {path}: {exc}") from exc
    section = document.get("holidays") if isinstance(document, dict) else None
    if section is None:
        return None
    try:
        return parse_holidays(section)
    except HolidayFileError as exc:
        raise ConfigError(f"PROVINCE_FILE: {path}: holidays: {exc}") from exc


def province_file(env: Mapping[str, str]) -> Path | None:
    raw = (env.get("PROVINCE_FILE") or "").strip()
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise ConfigError(f"PROVINCE_FILE: no such file {raw!r}")
    return path


def year_report_template(env: Mapping[str, str]) -> Path | None:
    """The year-end report's layout (models/exports/year_report_template.py): the
    YEAR_REPORT_TEMPLATE setting, else `year_report_template:` in PROVINCE_FILE (relative
    to that file), else None for the repository's default. Checked here, so a wrong file
    stops the start with one line instead of failing the first report."""
    from models.exports.year_report_template import TemplateError, load_template

    raw = (env.get("YEAR_REPORT_TEMPLATE") or "").strip()
    where = "YEAR_REPORT_TEMPLATE"
    path = Path(raw) if raw else None
    province = province_file(env) if path is None else None
    if province is not None:
        try:
            document = yaml.safe_load(province.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"PROVINCE_FILE: {province}: {exc}") from exc
        named = document.get("year_report_template") if isinstance(document, dict) else None
        if named is not None:
            if not isinstance(named, str) or not named.strip():
                raise ConfigError(f"PROVINCE_FILE: {province}: year_report_template: a file name")
            path = province.parent / named.strip()
            where = f"PROVINCE_FILE: {province}: year_report_template"
    if path is None:
        return None
    if not path.is_file():
        raise ConfigError(f"{where}: no such file {str(path)!r}")
    try:
        load_template(path)
    except TemplateError as exc:
        raise ConfigError(str(exc)) from exc
    return path


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


# Every variable that puts the bot on a platform: with any of them set, link codes are
# exposed to the world, so their pepper is required.
PLATFORM_TOKENS = ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN", "ZALO_OA_SECRET_KEY")
MIN_LINK_CODE_SECRET = 32


@dataclass(frozen=True)
class LinkCodeSettings:
    # The server-side pepper (LINK_CODE_SECRET): a leaked database alone then does not
    # reveal the codes. Required whenever a platform token is set; only the console, the
    # demo and tests run without one.
    pepper: bytes = b""
    budget: FailureBudget = field(default_factory=FailureBudget)


@dataclass(frozen=True)
class StartupRetry:
    """Back-off while a platform cannot be reached at start (STARTUP_RETRY_FIRST_SECONDS,
    STARTUP_RETRY_MAX_SECONDS): Vietnamese networks often block Telegram for a while, and
    the bot should come up by itself once it is reachable again."""

    first: float = 1.0
    cap: float = 60.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.cap)


@dataclass(frozen=True)
class OpsSettings:
    """Logging and the /healthz + /metrics server (docs/deployment.md)."""

    log_level: str = "INFO"
    log_json: bool = False
    # The key of the chat ids' hash in logs: chat ids are personal data (docs/deployment.md,
    # "Logs"). Empty: a fixed per-install default derived from LINK_CODE_SECRET.
    log_chat_key: bytes = b""
    metrics_listen: str | None = None  # None: no ops server in this process
    metrics_port: int = 9100


@dataclass(frozen=True)
class PoolSettings:
    """PostgreSQL connection pool of each process (bot/db.py); ignored on SQLite."""

    size: int = 10
    max_overflow: int = 20
    # asyncpg's prepared statement cache: 0 when PgBouncer pools transactions, where a
    # statement prepared on one server connection is missing on the next.
    statement_cache_size: int | None = None

    def engine_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"pool_size": self.size, "max_overflow": self.max_overflow}
        if self.statement_cache_size == 0:
            # Behind PgBouncer's transaction pooling (SQLAlchemy's asyncpg notes): no cache
            # in SQLAlchemy nor in asyncpg, and unique statement names, since the next
            # transaction may run on a server connection that saw another client's names.
            kwargs["connect_args"] = {
                "prepared_statement_cache_size": 0,
                "statement_cache_size": 0,
                "prepared_statement_name_func": _unique_statement_name,
            }
        elif self.statement_cache_size is not None:
            kwargs["connect_args"] = {"prepared_statement_cache_size": self.statement_cache_size}
        return kwargs


def _unique_statement_name() -> str:
    import uuid

    return f"__asyncpg_{uuid.uuid4().hex}__"


# Telegram's setWebhook accepts secret_token of 1-256 characters from this alphabet; we
# require 32 or more so it cannot be guessed (as for Zalo's, issue #11 point 10).
WEBHOOK_SECRET_ALPHABET = re.compile(r"[A-Za-z0-9_-]{32,256}")


@dataclass(frozen=True)
class ZaloOaSettings:
    """The Zalo Official Account channel (bot/channels/zalo_oa/, docs/zalo-oa.md)."""

    app_id: str | None = None
    secret_key: str | None = None  # the app's secret key: OAuth v4 `secret_key` header
    # Signs the webhook's mac; the Zalo console shows an "OA Secret Key" for it, which may
    # differ from the app's (docs/zalo-oa.md, [U]); by default the app's secret key.
    webhook_secret_key: str | None = None
    oa_id: str = "default"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    api_base_url: str = "https://openapi.zalo.me"
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8446
    webhook_path: str = "/zalo-oa/webhook"
    interaction_window_hours: int = 48
    refresh_margin_minutes: int = 10

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.secret_key)


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
    timezone: ZoneInfo = DEFAULT_TZ
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
    # One-time links for files with personal data (bot/channels/zalo_downloads.py).
    zalo_download_base_url: str | None = None
    zalo_download_listen: str = "0.0.0.0"
    zalo_download_port: int = 8445
    zalo_download_ttl_minutes: int = 10
    zalo_oa: ZaloOaSettings = field(default_factory=ZaloOaSettings)
    # Notices (issue #5; docs/reminders.md)
    telegram_max_per_second: float = 25.0
    send_window: SendWindow = field(default_factory=lambda: SendWindow(tz=DEFAULT_TZ))
    planning: PlanningSettings = field(default_factory=lambda: PlanningSettings(tz=DEFAULT_TZ))
    digest: DigestSettings = field(default_factory=lambda: DigestSettings(tz=DEFAULT_TZ))
    link_codes: LinkCodeSettings = field(default_factory=LinkCodeSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    planning_hours: str = "6-20"
    scheduler_in_process: bool = False
    sender_concurrency: int = 4
    startup_retry: StartupRetry = field(default_factory=StartupRetry)
    # The province's file (PROVINCE_FILE; docs/requirements.md): composed with the national
    # rules. None: national rules only, and the province's targets read "chưa có dữ liệu".
    province_file: Path | None = None
    # The year-end report's columns (YEAR_REPORT_TEMPLATE or the province file); None: the
    # repository's default layout.
    year_report_template: Path | None = None
    ops: OpsSettings = field(default_factory=lambda: OpsSettings())
    pool: PoolSettings = field(default_factory=lambda: PoolSettings())
    # ZNS (docs/zalo-oa.md "ZNS"): off unless ZNS_ENABLED; the fixed token only without the OA
    zns: ZnsSettings = field(default_factory=ZnsSettings)
    zns_access_token: str | None = None
    # The Zalo OA's free-reply window and broadcast caps (docs/zalo-oa.md "OA window and caps")
    oa_caps: OaCaps = field(default_factory=OaCaps)
    # Check-in codes (#16.3): the HMAC secret and the code's slot (attendance_settings)
    attendance: AttendanceSettings = field(
        default_factory=lambda: AttendanceSettings(tz=DEFAULT_TZ)
    )
    # Self-reported certificates (#16.8): the largest photo or PDF accepted (SELF_REPORT_MAX_MB)
    self_reports: SelfReportSettings = field(default_factory=SelfReportSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = dict(load_environment() if env is None else env)
        tz_name = env.get("TIMEZONE", DEFAULT_TIMEZONE)
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
        if secret and not WEBHOOK_SECRET_ALPHABET.fullmatch(secret):
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET must be 32 to 256 random characters from A-Z, a-z, "
                "0-9, _ and - (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
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
        reminders = reminder_settings(env, tz, locale)
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
            link_codes=link_code_settings(env, tz),
            privacy=privacy_settings(env),
            self_reports=self_report_settings(env),
            startup_retry=startup_retry(env),
            province_file=province_file(env),
            year_report_template=year_report_template(env),
            ops=ops_settings(env),
            pool=pool_settings(env),
            zalo_oa=zalo_oa_settings(env),
            zns=zns_settings(env),
            zns_access_token=env.get("ZNS_ACCESS_TOKEN") or None,
            oa_caps=oa_caps(env),
            attendance=attendance_settings(env, tz),
            **zalo,
            **reminders,
        )

    def secrets(self) -> tuple[str, ...]:
        """Every configured secret, for the log redactor (bot/logs.py): SECRET_SETTINGS is
        the one registry, so a setting added there is never written to a log."""
        found: list[str] = []
        for read in SECRET_SETTINGS:
            value = read(self)
            if isinstance(value, bytes):
                value = value.decode(errors="replace")
            if value:
                found.append(value)
        return tuple(found)

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite+aiosqlite:///"
        return (
            Path(self.database_url[len(prefix) :]) if self.database_url.startswith(prefix) else None
        )


ENV_FILE_VARIABLE = "TROLY_ENV_FILE"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def load_environment(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> dict[str, str]:
    """The process environment over the `.env` file (TROLY_ENV_FILE, else ./.env if it
    exists): a variable set in the real environment always wins, so systemd's
    EnvironmentFile and `VAR=x troly …` override the file."""
    environ = dict(os.environ if environ is None else environ)
    named = environ.get(ENV_FILE_VARIABLE)
    path = Path(named) if named else (cwd or Path.cwd()) / ".env"
    if not path.is_file():
        if named:
            raise ConfigError(f"{ENV_FILE_VARIABLE}: no such file {named!r}")
        return environ
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as UTF-8 text ({exc})") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not _env_line_ok(line):
            raise ConfigError(f"{path}, line {number}: expected NAME=value (a # starts a comment)")
    from dotenv import dotenv_values  # only where there is a file: ~10 ms of every start

    values = dotenv_values(path, interpolate=False, encoding="utf-8")
    return {**{k: v for k, v in values.items() if v is not None}, **environ}


_ENV_LINE = re.compile(r"\s*(export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*=.*")


def _env_line_ok(line: str) -> bool:
    """python-dotenv skips a line it cannot parse with only a warning: a typo would then
    silently drop a setting. Quoted values spanning lines are not used in our files."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#") or bool(_ENV_LINE.fullmatch(line))


def ops_settings(env: Mapping[str, str]) -> OpsSettings:
    """LOG_LEVEL, LOG_FORMAT (text or json), LOG_CHAT_KEY, METRICS_LISTEN, METRICS_PORT."""
    level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL: must be one of {', '.join(LOG_LEVELS)}")
    log_format = env.get("LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in ("text", "json"):
        raise ConfigError("LOG_FORMAT: must be text or json")
    listen = env.get("METRICS_LISTEN", "").strip() or None
    try:
        port = _int(env, "METRICS_PORT", 9100, 0, 65535)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if env.get("METRICS_PORT") and listen is None:
        listen = "127.0.0.1"  # a port alone means "on, locally"
    key = env.get("LOG_CHAT_KEY") or env.get("LINK_CODE_SECRET") or ""
    return OpsSettings(
        log_level=level,
        log_json=log_format == "json",
        log_chat_key=key.encode(),
        metrics_listen=listen,
        metrics_port=port,
    )


def pool_settings(env: Mapping[str, str]) -> PoolSettings:
    """DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW, DATABASE_STATEMENT_CACHE_SIZE."""
    try:
        size = _int(env, "DATABASE_POOL_SIZE", 10, 1, 200)
        overflow = _int(env, "DATABASE_MAX_OVERFLOW", 20, 0, 200)
        cache = (
            _int(env, "DATABASE_STATEMENT_CACHE_SIZE", 100, 0, 10_000)
            if env.get("DATABASE_STATEMENT_CACHE_SIZE")
            else None
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return PoolSettings(size=size, max_overflow=overflow, statement_cache_size=cache)


def link_code_settings(env: Mapping[str, str], tz: ZoneInfo) -> LinkCodeSettings:
    """LINK_CODE_SECRET, LINK_CODE_CHANNEL_FAILURES, LINK_CODE_CHANNEL_WINDOW_MINUTES."""
    secret = env.get("LINK_CODE_SECRET", "")
    tokens = [name for name in PLATFORM_TOKENS if env.get(name)]
    if tokens and len(secret) < MIN_LINK_CODE_SECRET:
        raise ConfigError(
            f"LINK_CODE_SECRET is required (at least {MIN_LINK_CODE_SECRET} random characters)"
            f" when {' or '.join(tokens)} is set: it keeps link codes secret even if the"
            " database is copied"
        )
    try:
        limit = _int(env, "LINK_CODE_CHANNEL_FAILURES", 50, 1, 100_000)
        minutes = _int(env, "LINK_CODE_CHANNEL_WINDOW_MINUTES", 60, 1, 7 * 24 * 60)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    budget = FailureBudget(limit=limit, window=timedelta(minutes=minutes), tz=tz)
    return LinkCodeSettings(pepper=secret.encode(), budget=budget)


def attendance_settings(env: Mapping[str, str], tz: ZoneInfo) -> AttendanceSettings:
    """ATTENDANCE_CODE_SECRET, ATTENDANCE_CODE_MINUTES, ATTENDANCE_MAX_WRONG_CODES."""
    secret = env.get("ATTENDANCE_CODE_SECRET", "").encode()
    if not secret:
        # One secret fewer to manage: derived from the link-code pepper, never equal to it.
        link = env.get("LINK_CODE_SECRET", "").encode()
        secret = hmac.new(link, b"attendance-codes", hashlib.sha256).hexdigest().encode()
    try:
        minutes = _int(env, "ATTENDANCE_CODE_MINUTES", 10, 1, 120)
        failures = _int(env, "ATTENDANCE_MAX_WRONG_CODES", 5, 1, 100)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return AttendanceSettings(tz=tz, secret=secret, slot_minutes=minutes, max_failures=failures)


def startup_retry(env: Mapping[str, str]) -> StartupRetry:
    try:
        first = float(env.get("STARTUP_RETRY_FIRST_SECONDS", "1"))
        cap = float(env.get("STARTUP_RETRY_MAX_SECONDS", "60"))
    except ValueError as exc:
        raise ConfigError(
            "STARTUP_RETRY_FIRST_SECONDS and STARTUP_RETRY_MAX_SECONDS must be numbers"
        ) from exc
    if not 0 < first <= cap <= 3600:
        raise ConfigError(
            "STARTUP_RETRY_FIRST_SECONDS must be more than 0 and at most "
            "STARTUP_RETRY_MAX_SECONDS, which is at most 3600"
        )
    return StartupRetry(first=first, cap=cap)


def database_password(url: str) -> str | None:
    """The password in DATABASE_URL (postgresql+asyncpg://user:PASSWORD@host/db), if any."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).password or None
    except (ArgumentError, ValueError):
        return None


# The one registry of secrets: each entry reads one from the settings. Add a platform's
# token or any other credential here and the log redactor hides it everywhere.
SECRET_SETTINGS: tuple[Callable[[Settings], str | bytes | None], ...] = (
    lambda s: s.telegram_token,
    lambda s: s.telegram_webhook_secret,
    lambda s: s.zalo_token,
    lambda s: s.zalo_webhook_secret,
    lambda s: s.zalo_oa.secret_key,
    lambda s: s.zalo_oa.webhook_secret_key,
    lambda s: s.zns_access_token,
    lambda s: s.link_codes.pepper,
    lambda s: database_password(s.database_url),
    lambda s: s.ops.log_chat_key,
    lambda s: s.attendance.secret,
)


def oa_caps(env: Mapping[str, str]) -> OaCaps:
    """ZALO_OA_INTERACTION_WINDOW_HOURS, OA_WINDOW_MESSAGES, OA_BROADCASTS_PER_DAY,
    OA_BROADCASTS_PER_MONTH."""
    default = OaCaps()
    try:
        default_hours = int(default.window.total_seconds() // 3600)
        # One window for the OA channel and the planner: ZALO_OA_INTERACTION_WINDOW_HOURS.
        hours = _int(env, "ZALO_OA_INTERACTION_WINDOW_HOURS", default_hours, 1, 24 * 7)
        return OaCaps(
            window=timedelta(hours=hours),
            window_messages=_int(env, "OA_WINDOW_MESSAGES", default.window_messages, 0, 1000),
            broadcasts_per_day=_int(
                env, "OA_BROADCASTS_PER_DAY", default.broadcasts_per_day, 0, 1000
            ),
            broadcasts_per_month=_int(
                env, "OA_BROADCASTS_PER_MONTH", default.broadcasts_per_month, 0, 10_000
            ),
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def zns_settings(env: Mapping[str, str]) -> ZnsSettings:
    """ZNS_ENABLED, ZNS_KINDS (comma list), ZNS_PRICE_VND, ZNS_TEMPLATES (a YAML file),
    ZNS_API_BASE_URL; the template file is loaded and checked here, at start."""
    flag = env.get("ZNS_ENABLED", "").strip().lower()
    if flag not in ("", "0", "1", "false", "true", "no", "yes"):
        raise ConfigError("ZNS_ENABLED must be 1/true/yes or 0/false/no")
    known = frozenset(
        {
            *notice_kinds.REQUIRED_KINDS,
            *notice_kinds.OPTIONAL_KINDS,
            notice_kinds.WAITLIST_PROMOTED,
            notice_kinds.COURSE_CANCELLED,
            notice_kinds.BROADCAST,
        }
    )
    kinds = frozenset(
        k.strip() for k in env.get("ZNS_KINDS", ",".join(ZNS_DEFAULT_KINDS)).split(",") if k.strip()
    )
    if not kinds <= known:
        raise ConfigError(f"ZNS_KINDS: unknown kinds {', '.join(sorted(kinds - known))}")
    try:
        price = _int(env, "ZNS_PRICE_VND", ZNS_DEFAULT_PRICE_VND, 0, 100_000)
        catalogue = load_zns_catalogue(
            Path(env.get("ZNS_TEMPLATES") or DEFAULT_ZNS_TEMPLATES), known_kinds=known
        )
    except (ValueError, ZnsTemplateError) as exc:
        raise ConfigError(str(exc)) from exc
    return ZnsSettings(
        enabled=flag in ("1", "true", "yes"),
        kinds=kinds,
        price_vnd=price,
        catalogue=catalogue,
        api_base_url=env.get("ZNS_API_BASE_URL") or ZnsSettings.api_base_url,
    )


def zalo_settings(env: Mapping[str, str]) -> dict[str, Any]:
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
    try:
        download_port = _int(env, "ZALO_DOWNLOAD_PORT", 8445, 1, 65535)
        download_ttl = _int(env, "ZALO_DOWNLOAD_TTL_MINUTES", 10, 1, 60)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    download_base = (env.get("ZALO_DOWNLOAD_BASE_URL") or "").rstrip("/") or None
    if download_base and not download_base.startswith(("https://", "http://")):
        raise ConfigError("ZALO_DOWNLOAD_BASE_URL must start with https:// or http://")
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
        "zalo_download_base_url": download_base,
        "zalo_download_listen": env.get("ZALO_DOWNLOAD_LISTEN", "0.0.0.0"),
        "zalo_download_port": download_port,
        "zalo_download_ttl_minutes": download_ttl,
    }


def zalo_oa_settings(env: Mapping[str, str]) -> ZaloOaSettings:
    """The ZALO_OA_* variables. The tokens are not settings: they rotate, so they live in
    the database (`python -m bot zalo-oa set-token` seeds them)."""
    secret = env.get("ZALO_OA_SECRET_KEY") or None
    path = "/" + (env.get("ZALO_OA_WEBHOOK_PATH") or ZaloOaSettings.webhook_path).strip("/")
    try:
        port = _int(env, "ZALO_OA_WEBHOOK_PORT", ZaloOaSettings.webhook_port, 1, 65535)
        window = _int(env, "ZALO_OA_INTERACTION_WINDOW_HOURS", 48, 1, 24 * 7)
        margin = _int(env, "ZALO_OA_REFRESH_MARGIN_MINUTES", 10, 1, 50)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return ZaloOaSettings(
        app_id=env.get("ZALO_OA_APP_ID") or None,
        secret_key=secret,
        webhook_secret_key=env.get("ZALO_OA_WEBHOOK_SECRET_KEY") or secret,
        oa_id=env.get("ZALO_OA_ID") or ZaloOaSettings.oa_id,
        oauth_base_url=(env.get("ZALO_OA_OAUTH_BASE_URL") or "").rstrip("/")
        or ZaloOaSettings.oauth_base_url,
        api_base_url=(env.get("ZALO_OA_API_BASE_URL") or "").rstrip("/")
        or ZaloOaSettings.api_base_url,
        webhook_listen=env.get("ZALO_OA_WEBHOOK_LISTEN", "0.0.0.0"),
        webhook_port=port,
        webhook_path=path,
        interaction_window_hours=window,
        refresh_margin_minutes=margin,
    )


def self_report_settings(env: Mapping[str, str]) -> SelfReportSettings:
    """SELF_REPORT_MAX_MB: the largest certificate photo or PDF an official may send (Telegram
    lets a bot download 20 MB at most)."""
    try:
        return SelfReportSettings(max_bytes=_int(env, "SELF_REPORT_MAX_MB", 10, 1, 20) * 1_000_000)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def privacy_settings(env: Mapping[str, str]) -> PrivacySettings:
    """PRIVACY_CONTACT, RETAIN_UPLOAD_DAYS, RETAIN_NOTICE_TEXT_DAYS, RETAIN_AUDIT_YEARS,
    RETAIN_CERTIFICATE_FILE_DAYS."""
    try:
        return PrivacySettings(
            contact=env.get("PRIVACY_CONTACT", "").strip()[:300],
            upload_days=_int(env, "RETAIN_UPLOAD_DAYS", 1, 1, 30),
            notice_text_days=_int(env, "RETAIN_NOTICE_TEXT_DAYS", 90, 7, 3660),
            audit_years=_int(env, "RETAIN_AUDIT_YEARS", 5, 1, 50),
            certificate_file_days=_int(env, "RETAIN_CERTIFICATE_FILE_DAYS", 30, 1, 3660),
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc


def reminder_settings(env: Mapping[str, str], tz: ZoneInfo, locale: str) -> dict[str, Any]:
    """Notice sending and planning variables (docs/reminders.md)."""
    try:
        window = send_window_settings(env, tz)
        planning = planning_settings(env, tz, locale)
        digest = digest_settings(env, tz, locale)
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
        "digest": digest,
        "planning_hours": env.get("PLANNING_HOURS", "6-20"),
        "scheduler_in_process": flag in ("1", "true", "yes"),
        "sender_concurrency": concurrency,
    }


# The parsers below raise ValueError naming the variable; reminder_settings turns that into
# the one-line ConfigError.


def _int_list(env: Mapping[str, str], name: str, default: str) -> tuple[int, ...]:
    raw = env.get(name, default)
    try:
        values = tuple(sorted({int(x) for x in raw.split(",") if x.strip()}, reverse=True))
    except ValueError as exc:
        raise ValueError(f"{name}: expected whole numbers separated by commas") from exc
    if not values or values[-1] < 1:
        raise ValueError(f"{name}: expected at least one number, each 1 or more")
    return values


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(env.get(name, str(default)))
    except ValueError as exc:
        raise ValueError(f"{name}: expected a whole number") from exc
    if not low <= value <= high:
        raise ValueError(f"{name}: must be between {low} and {high}")
    return value


def planning_settings(env: Mapping[str, str], tz: ZoneInfo, locale: str) -> PlanningSettings:
    """REQUIREMENT_NOTICE_DAYS, OVERDUE_NOTICE_DAYS, OVERDUE_NOTICE_RELEVANT_DAYS,
    NOTICE_SEND_TIME, PLANNING_HORIZON_HOURS, REGISTRATION_NOTICE_DAYS,
    CERTIFICATE_REMINDER_DAYS."""
    try:
        send_time = time.fromisoformat(env.get("NOTICE_SEND_TIME", "08:00"))
    except ValueError as exc:
        raise ValueError("NOTICE_SEND_TIME: expected HH:MM, e.g. 08:00") from exc
    return PlanningSettings(
        tz=tz,
        stages_days=_int_list(env, "REQUIREMENT_NOTICE_DAYS", "91,46,16"),
        overdue_days=_int(env, "OVERDUE_NOTICE_DAYS", 1, 1, 366),
        overdue_relevant_days=_int(env, "OVERDUE_NOTICE_RELEVANT_DAYS", 14, 1, 366),
        send_time=send_time,
        horizon=timedelta(hours=_int(env, "PLANNING_HORIZON_HOURS", 6, 1, 72)),
        registration_lead_days=_int(env, "REGISTRATION_NOTICE_DAYS", 2, 1, 60),
        certificate_reminder_days=_int(env, "CERTIFICATE_REMINDER_DAYS", 30, 1, 366),
        default_locale=locale,
    )


def digest_settings(env: Mapping[str, str], tz: ZoneInfo, locale: str) -> DigestSettings:
    """DIGEST_WEEKDAY (1–7 or mon…sun, `off`), DIGEST_SEND_TIME (HH:MM),
    DIGEST_DUE_WITHIN_DAYS."""
    raw_day = env.get("DIGEST_WEEKDAY", "1").strip().lower()
    weekday: int | None
    if raw_day in ("off", "0", "none", ""):
        weekday = None
    elif raw_day in WEEKDAYS or raw_day in WEEKDAY_NAMES:
        weekday = WEEKDAYS.index(raw_day[:3]) + 1
    elif raw_day.isascii() and raw_day.isdigit() and 1 <= int(raw_day) <= 7:
        weekday = int(raw_day)
    else:
        raise ValueError("DIGEST_WEEKDAY: expected 1-7 (1 = Monday), mon…sun, or off")
    try:
        send_time = time.fromisoformat(env.get("DIGEST_SEND_TIME", "08:00"))
    except ValueError as exc:
        raise ValueError("DIGEST_SEND_TIME: expected HH:MM, e.g. 08:00") from exc
    try:
        window = int(env.get("DIGEST_DUE_WITHIN_DAYS", "30"))
    except ValueError as exc:
        raise ValueError("DIGEST_DUE_WITHIN_DAYS: expected a whole number") from exc
    if not 1 <= window <= 366:
        raise ValueError("DIGEST_DUE_WITHIN_DAYS: must be between 1 and 366")
    return DigestSettings(
        tz=tz, weekday=weekday, send_time=send_time, window_days=window, default_locale=locale
    )


def send_window_settings(env: Mapping[str, str], tz: ZoneInfo) -> SendWindow:
    """QUIET_HOURS, HOLIDAYS_FILE and HOLD_ON_WEEKENDS: shared by the sender, the scheduler
    and /nhacnho."""
    try:
        quiet = parse_quiet_hours(env.get("QUIET_HOURS", DEFAULT_QUIET_HOURS))
    except ValueError as exc:
        raise ValueError(f"QUIET_HOURS: {exc}") from exc
    path = Path(env["HOLIDAYS_FILE"]) if env.get("HOLIDAYS_FILE") else DEFAULT_HOLIDAYS
    try:
        holidays = load_holidays(path)
    except HolidayFileError as exc:
        raise ValueError(f"HOLIDAYS_FILE: {exc}") from exc
    province = province_holidays(env)
    if province is not None:
        holidays = with_overrides(holidays, province)
    raw_weekends = env.get("HOLD_ON_WEEKENDS", "on").strip().lower()
    if raw_weekends not in ("on", "off", "yes", "no", "1", "0", "true", "false"):
        raise ValueError("HOLD_ON_WEEKENDS: expected on or off")
    hold_weekends = raw_weekends in ("on", "yes", "1", "true")
    return SendWindow(tz=tz, quiet=quiet, holidays=holidays, hold_weekends=hold_weekends)
