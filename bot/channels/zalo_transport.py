"""Sending to Zalo with classified outcomes: proactive sends (`ZaloTransport`, used by the
notice outbox) and the delivery step interactive replies share with it.

Zalo publishes no rate limits and no retry_after, documents no "blocked" error, and has no
idempotency key. So: bulk traffic is held to ZALO_MAX_PER_SECOND per process, a 429 pauses
every call of this bot with exponentially growing delays (`zalo_api.Backoff`), and anything
that may have reached the person is reported UNKNOWN rather than retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.channels.zalo_api import RateCeiling, ZaloApi, ZaloError
from bot.channels.zalo_files import FileStore
from bot.channels.zalo_inbound import CHANNEL
from bot.channels.zalo_render import Outgoing, render
from bot.config import Settings
from bot.transport import Outcome, SendResult
from handlers.types import Reply

log = logging.getLogger(__name__)

# A rejected token is an operator's problem, not the message's: keep the notice and try
# again later instead of failing every pending reminder at once.
TOKEN_REJECTED_RETRY_AFTER = 300.0
# Zalo documents no "blocked by user" error; if one appears its text will most likely say
# so. Unverified, hence only a description hint and never a bare code.
BLOCKED_HINTS = ("block",)


def classify(exc: ZaloError, backoff_remaining: float = 0.0) -> SendResult:
    error = str(exc)[:300]
    if exc.may_have_arrived:
        return SendResult(Outcome.UNKNOWN, error=error)
    if exc.rate_limited:
        # Zalo names no wait; report the bot-wide pause the 429 just started (Backoff).
        return SendResult(Outcome.RETRY, retry_after=max(backoff_remaining, 0.01), error=error)
    if exc.code is None or (exc.http_status or 0) >= 500:
        return SendResult(Outcome.RETRY, error=error)  # no answer, or a 5xx: not delivered
    if exc.code == 403:
        # The docs call 403 "Internal server error" (not "forbidden"): a transient fault.
        return SendResult(Outcome.RETRY, error=error)
    if exc.code == 401:
        return SendResult(Outcome.RETRY, retry_after=TOKEN_REJECTED_RETRY_AFTER, error=error)
    if exc.code == 408:
        # "Request timeout" on a send: Zalo does not say whether the message went out.
        return SendResult(Outcome.UNKNOWN, error=error)
    if any(hint in exc.description.lower() for hint in BLOCKED_HINTS):
        return SendResult(Outcome.BLOCKED, error=error)
    return SendResult(Outcome.FAILED, error=error)  # 400, 404: this message will never go


async def deliver(
    api: ZaloApi,
    chat_id: str,
    message: Outgoing,
    *,
    attempts: int = 1,
    before_each: Callable[[], Awaitable[None]] | None = None,
) -> SendResult:
    """Send one Zalo message, retrying only what is known not to have arrived."""
    result = SendResult(Outcome.FAILED, error="not attempted")
    for attempt in range(max(1, attempts)):
        if before_each is not None:
            await before_each()
        try:
            if message.photo_url is not None:
                sent = await api.send_photo(chat_id, message.photo_url, message.text or None)
            else:
                sent = await api.send_message(chat_id, message.text)
            return SendResult(Outcome.SENT, message_id=str(sent.get("message_id") or "") or None)
        except ZaloError as exc:
            result = classify(exc, api.backoff.remaining())
        if message.photo_url is not None and result.outcome is Outcome.FAILED:
            # Zalo fetches the photo itself and some hosts fail ("The photo URL is invalid"):
            # the link still lets the person open it.
            fallback = Outgoing("\n".join(p for p in (message.text, message.photo_url) if p))
            return await deliver(
                api, chat_id, fallback, attempts=attempts - attempt, before_each=before_each
            )
        if result.outcome is not Outcome.RETRY or attempt + 1 >= attempts:
            break
        await asyncio.sleep(min(result.retry_after or 2.0**attempt, 60.0))
    return result


class ZaloTransport:
    """`bot.transport.Transport` for Zalo. The caller sets the recipient's locale."""

    channel = CHANNEL
    numbered_choices = True

    def __init__(
        self,
        api: ZaloApi,
        *,
        max_per_second: float,
        tz: ZoneInfo,
        files: FileStore | None = None,
        part_attempts: int = 3,
    ) -> None:
        self.api = api
        self.ceiling = RateCeiling(max_per_second)
        self.tz = tz
        self.files = files
        self.part_attempts = part_attempts

    @classmethod
    def from_settings(cls, settings: Settings) -> ZaloTransport:
        if not settings.zalo_token:
            raise ValueError("ZALO_BOT_TOKEN is not set")
        return cls(
            ZaloApi(settings.zalo_token, settings.zalo_api_base_url),
            max_per_second=settings.zalo_max_per_second,
            tz=settings.timezone,
            files=file_store(settings),
        )

    async def close(self) -> None:
        await self.api.close()

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        messages = render([reply], self.tz, self.files)
        if not messages:
            return SendResult(Outcome.FAILED, error="empty reply")
        first: SendResult | None = None
        for index, message in enumerate(messages):
            # The first part is the outbox's to retry; once one part is out, a retry of the
            # whole notice would repeat it, so later parts are retried here.
            attempts = 1 if index == 0 else self.part_attempts
            result = await deliver(
                self.api, chat_id, message, attempts=attempts, before_each=self.ceiling.wait
            )
            if result.outcome is not Outcome.SENT:
                if index == 0:
                    return result
                return SendResult(
                    Outcome.UNKNOWN,
                    error=f"sent {index} of {len(messages)} parts, then: {result.error}",
                )
            first = first or result
        assert first is not None
        return first


def file_store(settings: Settings) -> FileStore | None:
    if not settings.zalo_public_file_base_url:
        return None
    return FileStore(
        settings.zalo_file_dir,
        settings.zalo_public_file_base_url,
        timedelta(hours=settings.zalo_file_ttl_hours),
    )
