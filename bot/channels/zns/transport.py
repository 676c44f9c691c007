"""Sending one ZNS: POST {base}/message/template with the OA access token in the
`access_token` header and {phone, template_id, template_data, tracking_id} as JSON. The
outbox row's text already is that request (models/notices/zns_store.py).

Zalo answers HTTP 200 with `error` 0 on success, or a negative error code. How each code
is treated (docs/zalo-oa.md "ZNS protocol facts" lists them with their sources): a rejected
token or an exhausted quota is the operator's problem, not the message's, so the row waits; a bad
phone, a template problem or a person who cannot receive ZNS is final for this message.
"""

from __future__ import annotations

import json
import logging

import aiohttp

from bot.channels.zns.tokens import AccessTokenSource
from bot.transport import Outcome, SendResult
from handlers.types import Reply
from models.notices.zns import CHANNEL

log = logging.getLogger(__name__)

TOKEN_INVALID = -124
QUOTA_CODES = frozenset({-115, -144})  # out of quota / daily quota reached
RETRY_CODES = frozenset({-100})  # Zalo's own application error: transient
TOKEN_RETRY_AFTER = 300.0
QUOTA_RETRY_AFTER = 3600.0


def classify(code: int, message: str) -> SendResult:
    error = f"ZNS {code}: {message}"[:300]
    if code == TOKEN_INVALID:
        return SendResult(Outcome.RETRY, retry_after=TOKEN_RETRY_AFTER, error=error)
    if code in QUOTA_CODES:
        return SendResult(Outcome.RETRY, retry_after=QUOTA_RETRY_AFTER, error=error)
    if code in RETRY_CODES:
        return SendResult(Outcome.RETRY, error=error)
    return SendResult(Outcome.FAILED, error=error)


class ZnsTransport:
    channel = CHANNEL
    numbered_choices = False
    identity = "zns"

    def __init__(self, tokens: AccessTokenSource, *, base_url: str, timeout: float = 15.0) -> None:
        self.tokens = tokens
        self.url = base_url.rstrip("/") + "/message/template"
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        try:
            request = json.loads(reply.text)
        except ValueError:
            return SendResult(Outcome.FAILED, error="not a ZNS request")
        if request.get("phone") != chat_id:
            return SendResult(Outcome.FAILED, error="ZNS request and row disagree on the phone")
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        try:
            token = await self.tokens.access_token()
        except Exception as exc:  # the token source's failure is an alert, not a lost row
            log.error("ZNS: no OA access token (%s)", type(exc).__name__)
            return SendResult(Outcome.RETRY, retry_after=TOKEN_RETRY_AFTER, error="no token")
        try:
            async with self._session.post(
                self.url, json=request, headers={"access_token": token}
            ) as response:
                if response.status >= 500:
                    return SendResult(Outcome.RETRY, error=f"HTTP {response.status}")
                body = await response.json(content_type=None)
        except aiohttp.ClientConnectorError as exc:
            return SendResult(Outcome.RETRY, error=f"connect: {type(exc).__name__}")
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            # The request left: ZNS has no idempotency key, and a repeat is paid twice.
            return SendResult(Outcome.UNKNOWN, error=f"no answer: {type(exc).__name__}")
        code = int(body.get("error", -1)) if isinstance(body, dict) else -1
        if code == 0:
            msg_id = (body.get("data") or {}).get("msg_id")
            return SendResult(Outcome.SENT, message_id=str(msg_id) if msg_id else None)
        return classify(code, str(body.get("message", "")))

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
