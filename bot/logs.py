"""Logging for every process the bot's command line starts.

Secrets never reach a log line (issue #11 point 2): Vietnamese networks often block
Telegram, and every failed request used to print the bot token (Bot API URLs hold it). The
`Redactor` filter sits on the root logger and on each of its handlers — a logger's own
filters do not see records propagated from child loggers, its handlers' filters do — and
rewrites the message, its arguments, the traceback and the stack of every record.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType
from urllib.parse import quote

MASK = "***"
# Shorter values would mangle ordinary words in every line; the settings that hold real
# secrets (tokens, webhook secrets ≥ 32 characters, peppers) are far longer.
MIN_SECRET_LENGTH = 4
# Personal identification numbers (models/org/id_numbers.py) could reach a line through a
# database error's parameters; no id of ours is exactly 12 digits.
_ID_NUMBER = re.compile(r"(?<![\d+])\d{12}(?!\d)")


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
