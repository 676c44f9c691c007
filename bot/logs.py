"""Logging for every process the bot's command line starts.

Secrets never reach a log line (issue #11 point 2): Vietnamese networks often block
Telegram, and every failed request used to print the bot token (Bot API URLs hold it). The
`Redactor` filter sits on the root logger and on each of its handlers — a logger's own
filters do not see records propagated from child loggers, its handlers' filters do — and
rewrites the message, its arguments, the traceback and the stack of every record.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from bot.config import OpsSettings

MASK = "***"
# Shorter values would mangle ordinary words in every line; the settings that hold real
# secrets (tokens, webhook secrets ≥ 32 characters, peppers) are far longer.
MIN_SECRET_LENGTH = 4
# Personal identification numbers (models/org/id_numbers.py) could reach a line through a
# database error's parameters; no id of ours is exactly 12 digits.
_ID_NUMBER = re.compile(r"(?<![\d+])\d{12}(?!\d)")


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# What the current update or send is about (set by bot/dispatch.py and bot/sender.py):
# JSON lines carry it, so one chat's or one notice's story can be followed across lines.
LOG_CONTEXT: ContextVar[dict[str, Any] | None] = ContextVar("troly_log_context", default=None)
# Without LOG_CHAT_KEY or LINK_CODE_SECRET (the console, the demo) a fixed key: those
# installs have no real chats to protect.
_chat_key = b"troly-log-chat"


@contextlib.contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields (update_id, chat, notice_id, channel) to every line logged inside."""
    token = LOG_CONTEXT.set({**(LOG_CONTEXT.get() or {}), **fields})
    try:
        yield
    finally:
        LOG_CONTEXT.reset(token)


@functools.lru_cache(maxsize=65_536)
def chat_ref(chat_id: str) -> str:
    """A chat id as logs show it: a keyed hash (BLAKE2b keyed with LOG_CHAT_KEY, else
    LINK_CODE_SECRET), never the id itself. Chat ids are personal data (Decree 13/2023);
    the hash still lets an operator follow one chat's lines, and recompute it for a chat a
    person complains about (docs/deployment.md, "Logs"). Cached: it runs on every update."""
    return hashlib.blake2b(chat_id.encode(), key=_chat_key, digest_size=8).hexdigest()


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601 with zone), level, logger, message, the
    log context and, for an error, the traceback. The Redactor has already rewritten the
    message and traceback by the time this runs (it is a handler filter)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(LOG_CONTEXT.get() or {})
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return _redactor.redact(json.dumps(entry, ensure_ascii=False, default=str))


_handler: logging.Handler | None = None


def configure_logging(ops: OpsSettings | None = None) -> None:
    """Text lines at INFO until the settings are read; then LOG_LEVEL and LOG_FORMAT. The
    stderr handler is added once and only to a root logger without handlers (a test
    runner's capture stays as it is)."""
    global _chat_key, _handler
    root = logging.getLogger()
    if _handler is None and not root.handlers:
        _handler = logging.StreamHandler()
        _handler.setFormatter(logging.Formatter(TEXT_FORMAT))
        root.addHandler(_handler)
    if ops is None:
        if _handler is not None:
            root.setLevel(logging.INFO)
    else:
        root.setLevel(ops.log_level)
        if _handler is not None:
            _handler.setFormatter(
                JsonFormatter() if ops.log_json else logging.Formatter(TEXT_FORMAT)
            )
        if ops.log_chat_key:
            # BLAKE2b takes a key of at most 64 bytes: longer ones are hashed down first.
            key = ops.log_chat_key
            _chat_key = key if len(key) <= 64 else hashlib.sha256(key).digest()
            chat_ref.cache_clear()
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _forms(secret: str) -> set[str]:
    """The ways a secret shows up in text: as is, percent-encoded in a URL, and a bot
    token's secret half on its own (`123456:SECRET`)."""
    forms = {secret, quote(secret, safe="")}
    _bot_id, colon, rest = secret.partition(":")
    if colon and len(rest) >= 16:
        forms.add(rest)
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


class Redactor(logging.Filter):
    """Replaces every configured secret in a record by ***; never drops a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        found = set(self._secrets)
        for secret in secrets:
            found |= _forms(secret)
        # Longest first: a secret that contains another is masked whole.
        self._secrets = tuple(sorted(found, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return _ID_NUMBER.sub(MASK, text)

    def filter(self, record: logging.LogRecord) -> bool:
        # Formatted once here, so no handler formats the raw arguments again.
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_info = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_redactor = Redactor()


def redact_secrets(secrets: Iterable[str]) -> Redactor:
    """Hide `secrets` in every record from now on: on the root logger, on every handler it
    has now (call again after adding one), and in uncaught exceptions of the process and
    its threads, which Python would otherwise print to stderr unfiltered."""
    _redactor.add(secrets)
    root = logging.getLogger()
    for holder in (root, *root.handlers):
        if _redactor not in holder.filters:
            holder.addFilter(_redactor)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    return _redactor


def _log_uncaught(
    kind: type[BaseException], value: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, tb)
        return
    logging.getLogger("bot").critical("uncaught exception", exc_info=(kind, value, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    logging.getLogger("bot").critical(
        "uncaught exception in thread %s",
        args.thread.name if args.thread else "?",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
