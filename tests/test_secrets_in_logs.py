"""Issue #11 point 2: the bot token never reaches a log line, whatever the network does, and
an unreachable Telegram at start is waited for (one line per attempt), not a crash.

The bot is started through the real PTB stack (bot/channels/telegram_run.start) against a
port whose backlog is full (connect timeout), a server that never answers (read timeout),
an unresolvable host (DNS), and the fake Bot API answering 5xx and 401. Two capture
handlers sit on the root logger: one behind the redactor, as in production, and one added
after it without the handler filter, which shows that our exceptions carry no token even
before redaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace

import pytest

from bot.channels import telegram_run
from bot.channels.aiohttp_request import AiohttpRequest
from bot.channels.startup import Stopped
from bot.config import ConfigError, Settings, StartupRetry
from bot.db import Database
from bot.logs import Redactor, redact_secrets
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_e2e import seeded  # noqa: F401  (fixtures)
from tests.transcript import make_dispatcher

TOKEN = "7654321:AAFsecretPartOfTheToken-0123456789abcdef"
SECRET_HALF = TOKEN.split(":", 1)[1]
USER = 5552001
FAST = StartupRetry(first=0.05, cap=0.2)


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        text = self.format(record)
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.lines.append(text)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def attempts(self) -> list[logging.LogRecord]:
        return [r for r in self.records if r.name == "bot.channels.startup"]


@pytest.fixture
def logs() -> Iterator[tuple[Capture, Capture]]:
    """(redacted, raw) captures of everything logged at DEBUG and above."""
    root = logging.getLogger()
    level = root.level
    redacted, raw = Capture(), Capture()
    root.addHandler(redacted)
    redactor = redact_secrets([TOKEN])
    root.addHandler(raw)  # after: no handler filter of its own
    root.setLevel(logging.DEBUG)
    try:
        yield redacted, raw
    finally:
        root.removeHandler(redacted)
        root.removeHandler(raw)
        root.removeFilter(redactor)
        root.setLevel(level)


def settings_at(base: str, db: Database, **extra: object) -> Settings:
    return replace(
        Settings(),
        database_url=db.url,
        telegram_token=TOKEN,
        telegram_api_base_url=f"{base}/bot",
        telegram_file_base_url=f"{base}/file/bot",
        startup_retry=FAST,
        **extra,  # type: ignore[arg-type]
    )


def assert_no_token(*captures: Capture) -> None:
    for capture in captures:
        assert TOKEN not in capture.text and SECRET_HALF not in capture.text, capture.text


async def until(predicate: Callable[[], bool], budget: float) -> None:
    for _ in range(int(budget / 0.02)):
        if predicate():
            return
        await asyncio.sleep(0.02)


async def attempts_then_stop(
    settings: Settings, db: Database, capture: Capture, attempts: int, budget: float
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(telegram_run.start(settings, make_dispatcher(db), stop))
    await until(lambda: len(capture.attempts()) >= attempts or task.done(), budget)
    stop.set()
    with pytest.raises(Stopped):
        await task
    lines = capture.attempts()
    assert len(lines) >= attempts, capture.text
    # One line per attempt: no traceback, the error's class named, a rising delay.
    assert all(r.exc_info is None and r.exc_text is None for r in lines)
    assert all("\n" not in r.getMessage() for r in lines)
    assert "attempt 1:" in lines[0].getMessage()


@pytest.fixture
async def full_backlog() -> AsyncIterator[int]:
    """A listening port that takes no more connections: the kernel drops new SYNs, so a
    connect never completes (what a blocked Telegram looks like)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            s.connect(("127.0.0.1", server.getsockname()[1]))
        fillers.append(s)
    try:
        yield int(server.getsockname()[1])
    finally:
        for s in fillers:
            s.close()
        server.close()


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts, reads the request, never answers."""

    async def _hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(65536)
            await asyncio.sleep(60)
        finally:
            writer.close()

    server = await asyncio.start_server(_hold, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


async def test_connect_timeout_never_logs_the_token(
    seeded: Database,  # noqa: F811
    logs: tuple[Capture, Capture],
    full_backlog: int,
) -> None:
    redacted, raw = logs
    settings = settings_at(f"http://127.0.0.1:{full_backlog}", seeded)
    await attempts_then_stop(settings, seeded, redacted, attempts=1, budget=20)
    assert "NotSent" in redacted.attempts()[0].getMessage() or "TimedOut" in redacted.text
    assert_no_token(redacted, raw)


async def test_read_timeout_never_logs_the_token(
    seeded: Database,  # noqa: F811
    logs: tuple[Capture, Capture],
    silent_server: int,
) -> None:
    redacted, raw = logs
    settings = settings_at(f"http://127.0.0.1:{silent_server}", seeded)
    await attempts_then_stop(settings, seeded, redacted, attempts=1, budget=20)
    assert "AnswerLost" in redacted.attempts()[0].getMessage()
    assert_no_token(redacted, raw)


async def test_dns_failure_never_logs_the_token(
    seeded: Database,  # noqa: F811
    logs: tuple[Capture, Capture],
) -> None:
    redacted, raw = logs
    settings = settings_at("http://telegram.invalid", seeded)
    await attempts_then_stop(settings, seeded, redacted, attempts=3, budget=20)
    assert "NotSent" in redacted.attempts()[0].getMessage()
    assert_no_token(redacted, raw)


async def test_a_rejected_token_stops_with_one_line_and_no_token(
    seeded: Database,  # noqa: F811
    logs: tuple[Capture, Capture],
) -> None:
    redacted, raw = logs
    async with FakeBotApi(valid_token="1:other") as server:
        settings = settings_at(f"http://127.0.0.1:{server.port}", seeded)
        with pytest.raises(ConfigError) as caught:
            await telegram_run.start(settings, make_dispatcher(seeded))
    message = str(caught.value)
    assert "rejected" in message and TOKEN not in message and SECRET_HALF not in message
    assert_no_token(redacted, raw)


async def test_5xx_then_telegram_comes_up_and_the_bot_serves(
    seeded: Database,  # noqa: F811
    logs: tuple[Capture, Capture],
) -> None:
    """Refused connections, then the server comes up answering 502 twice, then it works:
    one line per failed attempt, and then the bot answers a message."""
    redacted, raw = logs
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    settings = settings_at(f"http://127.0.0.1:{port}", seeded)
    stop = asyncio.Event()
    task = asyncio.create_task(telegram_run.start(settings, make_dispatcher(seeded), stop))
    await until(lambda: len(redacted.attempts()) >= 3 or task.done(), 20)
    assert not task.done(), redacted.text
    server = FakeBotApi(max_poll_wait=0.5)
    server.fail_next("getMe", 502, "Bad Gateway", times=2)
    await server.start(port)
    try:
        app, webhook = await asyncio.wait_for(task, 20)
        try:
            server.push_text(USER, "/trogiup")
            sent = await server.wait_sent(USER, 1)
            assert "/hoso" in (sent[0].text or "")
        finally:
            await telegram_run.stop_app(app, webhook)
    finally:
        await server.stop()
    failures = redacted.attempts()
    assert len(failures) >= 5, redacted.text  # 3+ refused, 2 gateway errors
    assert any("GatewayError" in r.getMessage() for r in failures)
    assert all(r.exc_info is None and r.exc_text is None for r in failures)
    assert_no_token(redacted, raw)


def test_the_redactor_covers_message_args_traceback_and_stack() -> None:
    redactor = Redactor([TOKEN, "db-pass-1234"])
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError as exc:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "url %s pw %s", (TOKEN, "db-pass-1234"), None
        )
        record.exc_info = (type(exc), exc, exc.__traceback__)
    record.stack_info = f"stack with {SECRET_HALF}"
    assert redactor.filter(record)
    text = logging.Formatter("%(message)s").format(record)
    assert TOKEN not in text and SECRET_HALF not in text and "db-pass-1234" not in text
    assert "RuntimeError" in text and "***" in text


def test_every_configured_secret_is_in_the_registry() -> None:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_URL": "https://example.org/tg",
            "TELEGRAM_WEBHOOK_SECRET": "w" * 40,
            "ZALO_BOT_TOKEN": "zalo-token-value",
            "ZALO_WEBHOOK_SECRET": "zalo-webhook-secret",
            "LINK_CODE_SECRET": "pepper-value-" + "p" * 32,
            "DATABASE_URL": "postgresql://troly:pg-pass-99@db/troly",
            "ATTENDANCE_CODE_SECRET": "attendance-secret-value",  # check-in codes (#16.3)
        }
    )
    assert set(settings.secrets()) == {
        "attendance-secret-value",
        TOKEN,
        "w" * 40,
        "zalo-token-value",
        "zalo-webhook-secret",
        "pepper-value-" + "p" * 32,
        "pg-pass-99",
    }


async def test_request_errors_chain_nothing(silent_server: int) -> None:
    """No __cause__ and no __context__: a traceback of our errors names no URL."""
    from telegram.error import NetworkError

    request = AiohttpRequest(connect_timeout=0.5, read_timeout=0.3)
    await request.initialize()
    try:
        for url in (
            f"http://127.0.0.1:{silent_server}/bot{TOKEN}/getMe",
            f"http://t.invalid/bot{TOKEN}/x",
        ):
            with pytest.raises(NetworkError) as caught:
                await request.do_request(url, "POST")
            exc = caught.value
            assert exc.__cause__ is None and exc.__context__ is None
            assert TOKEN not in "".join(traceback.format_exception(exc))
    finally:
        await request.shutdown()
