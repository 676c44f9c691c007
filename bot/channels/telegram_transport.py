"""Telegram's outbound side for proactive sends (notices, broadcasts): one reply (text,
buttons, attachments) to one chat, classified so the outbox knows whether it may try again.
Rendering and sending are the chat replies' own (bot/channels/telegram_messages.py).

A PTB `Bot` with its own connection pool (aiohttp: bot/channels/aiohttp_request.py),
separate from the interactive Application, so a broadcast can never exhaust the connections
that answer people. No rate limiter here: the
sender (bot/sender.py) paces sends and honours retry_after for everyone.

Classification (platform facts T11–T13, T22, D7):
- RetryAfter (429) → RETRY with retry_after; a 5xx status line (GatewayError, whatever its
  body: JSON, HTML, empty, truncated) and connect errors → RETRY (not processed), except
  504 Gateway Timeout → UNKNOWN (the gateway may have passed the request on);
- Forbidden (403), "chat not found" → BLOCKED; other BadRequest → FAILED;
- a timeout or broken connection after the request left → UNKNOWN: Telegram has no
  idempotency key, so repeating it could deliver the message twice.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta
from http import HTTPStatus

import httpx
from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import MessageLimit
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.aiohttp_request import (
    AiohttpRequest,
    AnswerLost,
    ConnectionLost,
    GatewayError,
    NotSent,
    prepared_json,
)
from bot.channels.telegram_messages import PARSE_MODE, markup, render, send_reply
from bot.transport import Outcome, SendResult
from handlers.types import Reply

CHANNEL = "telegram"
# Causes (PTB's own httpx backend) raised before any byte of the request reached Telegram.
_NOT_SENT: tuple[type[BaseException], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)


def token_identity(channel: str, token: str) -> str:
    """A stable, non-reversible name for a bot token: lock keys and logs, never the token."""
    return f"{channel}:{hashlib.sha256(token.encode()).hexdigest()[:16]}"


def classify(exc: TelegramError) -> SendResult:
    error = f"{type(exc).__name__}: {exc.message}"[:300]
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # PTB warns that the int will become a timedelta
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return SendResult(Outcome.RETRY, retry_after=seconds, error=error)
    if isinstance(exc, Forbidden):
        return SendResult(Outcome.BLOCKED, error=error)
    if isinstance(exc, BadRequest):
        if "chat not found" in exc.message.lower():
            return SendResult(Outcome.BLOCKED, error=error)
        return SendResult(Outcome.FAILED, error=error)
    if isinstance(exc, InvalidToken):
        return SendResult(Outcome.FAILED, error="InvalidToken")  # the message names the token
    if isinstance(exc, GatewayError):
        if exc.status == HTTPStatus.GATEWAY_TIMEOUT:
            # A gateway that timed out waiting for the Bot API may already have handed the
            # request on: a second copy is worse than an "answer lost" that HR can resend.
            return SendResult(Outcome.UNKNOWN, error=error)
        return SendResult(Outcome.RETRY, error=error)  # 500, 502, 503: not processed
    if isinstance(exc, NotSent):
        return SendResult(Outcome.RETRY, error=error)
    if isinstance(exc, AnswerLost | ConnectionLost):
        # Our backend names the aiohttp error in the message and chains nothing.
        return SendResult(Outcome.UNKNOWN, error=error)
    if isinstance(exc, TimedOut | NetworkError):
        cause = exc.__cause__
        if cause is None or isinstance(cause, _NOT_SENT):
            # No cause: PTB raised it for a non-2xx answer it could parse (a status it has
            # no class for), so the request was answered, not lost.
            return SendResult(Outcome.RETRY, error=error)
        return SendResult(Outcome.UNKNOWN, error=f"{error} ({type(cause).__name__})"[:300])
    return SendResult(Outcome.FAILED, error=error)


class TelegramTransport:
    channel = CHANNEL
    numbered_choices = False

    def __init__(
        self,
        token: str,
        *,
        base_url: str = "https://api.telegram.org/bot",
        connections: int = 8,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
    ) -> None:
        self.identity = token_identity(CHANNEL, token)
        self._request = AiohttpRequest(
            connections=connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            write_timeout=read_timeout,
        )
        self._bot = Bot(token, base_url=base_url, request=self._request)
        self._send_message_url = f"{base_url}{token}/sendMessage"
        self._started = False

    async def start(self) -> None:
        # Only the HTTP client: Bot.initialize() would call getMe, and its error message
        # contains the token.
        if not self._started:
            await self._request.initialize()
            self._started = True

    async def close(self) -> None:
        if self._started:
            await self._request.shutdown()
            self._started = False

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        await self.start()
        message_id: str | None = None
        delivered = 0
        try:
            if reply.attachments:
                async for sent in send_reply(self._bot, chat_id, reply):
                    delivered += 1
                    if sent.text:
                        message_id = str(sent.message_id)
            else:
                async for sent_id in self._send_text(chat_id, reply):
                    delivered += 1
                    message_id = sent_id
        except TelegramError as exc:
            result = classify(exc)
            if delivered and result.outcome is Outcome.RETRY:
                # Part of the notice already arrived: repeating would duplicate it.
                error = f"after part {delivered}: {result.error}"[:300]
                return SendResult(Outcome.UNKNOWN, error=error)
            return result
        return SendResult(Outcome.SENT, message_id=message_id)

    async def _send_text(self, chat_id: str, reply: Reply) -> AsyncIterator[str]:
        """The pieces of a text reply as sendMessage calls with the body PTB's Bot would
        send, through PTB's request layer (its error mapping: RetryAfter, Forbidden, …),
        without building PTB's objects: `Bot.send_message` and the `Message` it parses cost
        ~0.4 ms of CPU per notice, more than everything else the sender does for it."""
        rendered = render(reply)
        # Encoded as RequestData.json_payload encodes them: objects as JSON strings.
        keyboard = None if rendered.markup is None else json.dumps(rendered.markup.to_dict())
        last = len(rendered.pieces) - 1
        for n, piece in enumerate(rendered.pieces):
            params: dict[str, str] = {"chat_id": chat_id, "text": piece}
            if rendered.parse_mode is not None:
                params["parse_mode"] = rendered.parse_mode
            if keyboard is not None and n == last:
                params["reply_markup"] = keyboard
            body = prepared_json(json.dumps(params).encode())
            answer = await self._request.post(self._send_message_url, request_data=body)
            yield str(answer["message_id"]) if isinstance(answer, dict) else ""

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> SendResult:
        """Replace a message the bot sent (a broadcast's progress line)."""
        await self.start()
        keyboard = markup(reply)
        try:
            await self._bot.edit_message_text(
                reply.text[: MessageLimit.MAX_TEXT_LENGTH],
                chat_id=chat_id,
                message_id=int(message_id),
                parse_mode=PARSE_MODE,
                reply_markup=keyboard if isinstance(keyboard, InlineKeyboardMarkup) else None,
            )
        except TelegramError as exc:
            if "not modified" in str(exc).lower():
                return SendResult(Outcome.SENT, message_id=message_id)
            return classify(exc)
        return SendResult(Outcome.SENT, message_id=message_id)
