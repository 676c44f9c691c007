"""The Zalo Bot API over httpx: JSON POSTs to `{base}/bot{token}/{method}`, one shared client.

The token is part of every URL path, so nothing here ever puts a URL, a request or a raw
httpx exception into a message or a log line: errors carry only a method name, a code and
a redacted description. Protocol facts are from docs/zalo-bot-api.md (shared); where a fact
is only reported, not documented, the comment says so.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

TEXT_LIMIT = 2000  # characters per sendMessage text and per sendPhoto caption [verified]
POLL_TIMEOUT = 30  # seconds Zalo holds an empty getUpdates (the documented default)
# Zalo answers an empty poll after exactly `timeout` seconds; give it a margin before our
# read timeout fires, as other clients do (+5 to +7 s) [reported].
POLL_READ_MARGIN = 7.0
REQUEST_TIMEOUT = 15.0
REDACTED = "<token>"


class ZaloError(Exception):
    """A failed call; `str()` is safe to log (no URL, no token)."""

    def __init__(
        self,
        method: str,
        description: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        may_have_arrived: bool = False,
    ) -> None:
        super().__init__(f"{method}: {description}" + (f" ({code})" if code is not None else ""))
        self.method = method
        self.description = description
        # error_code from the JSON body when there is one, else the HTTP status; None when
        # no answer came back at all.
        self.code = code
        self.http_status = http_status
        # True when the request left but the answer was lost (read timeout, dropped
        # connection): Zalo may have acted on it, so it must not be repeated blindly.
        self.may_have_arrived = may_have_arrived

    @property
    def rate_limited(self) -> bool:
        return self.code == 429 or self.http_status == 429


class _RedactToken(logging.Filter):
    """httpx logs every request URL (at INFO); the URL holds the token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg, record.args = message.replace(self.token, REDACTED), None
        return True


class Backoff:
    """Exponential pause shared by every call of one bot after a 429.

    Zalo sends no retry_after, and its 429s come from a proxy that counts the whole bot's
    traffic, so one person's reply hitting the limit must slow everyone down.
    """

    def __init__(self, first: float = 1.0, ceiling: float = 60.0) -> None:
        self.first = first
        self.ceiling = ceiling
        self.strikes = 0
        self.until = 0.0

    def hit(self) -> float:
        delay = min(self.first * 2**self.strikes, self.ceiling)
        self.strikes += 1
        self.until = max(self.until, time.monotonic() + delay)
        return delay

    def ok(self) -> None:
        self.strikes = 0

    def remaining(self) -> float:
        return max(0.0, self.until - time.monotonic())

    async def wait(self) -> None:
        pause = self.until - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)


def _int_or_none(value: Any) -> int | None:
    # error_code is a number today; one client also copes with "408" as a string [reported].
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ZaloApi:
    def __init__(
        self,
        token: str,
        base_url: str,
        *,
        timeout: float = REQUEST_TIMEOUT,
        backoff: Backoff | None = None,
    ) -> None:
        if not token:
            raise ValueError("ZALO_BOT_TOKEN is not set")
        self._token = token
        self._base = f"{base_url.rstrip('/')}/bot{token}/"
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
        )
        self._filter = _RedactToken(token)
        logging.getLogger("httpx").addFilter(self._filter)

    def redact(self, text: str) -> str:
        return text.replace(self._token, REDACTED)

    async def close(self) -> None:
        await self._client.aclose()
        logging.getLogger("httpx").removeFilter(self._filter)

    async def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        read_timeout: float | None = None,
    ) -> Any:
        """POST JSON (the form every sample uses) and return `result`, or raise ZaloError."""
        await self.backoff.wait()
        timeout = httpx.Timeout(self.timeout, read=read_timeout or self.timeout)
        failure: ZaloError
        try:
            response = await self._client.post(
                self._base + method, json=params or {}, timeout=timeout
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            failure = ZaloError(method, f"could not connect ({type(exc).__name__})")
        except httpx.HTTPError as exc:
            # A read timeout or a dropped connection: the request may have been carried out.
            failure = ZaloError(method, f"no answer ({type(exc).__name__})", may_have_arrived=True)
        else:
            return self._result(method, response)
        # Raised outside the except blocks, so not even __context__ keeps the httpx
        # exception: it holds the request, whose URL holds the token.
        raise failure

    def _result(self, method: str, response: httpx.Response) -> Any:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # e.g. an nginx HTML page with 429 under bursts [reported]; never echo the body,
            # it may quote the request path and with it the token.
            if status == 429:
                self.backoff.hit()
            raise ZaloError(
                method,
                f"HTTP {status} without a JSON answer",
                code=status,
                http_status=status,
                may_have_arrived=status == 504,
            )
        if body.get("ok") is True:
            self.backoff.ok()
            return body.get("result")
        # Failures usually come as HTTP 200 with ok:false and error_code [reported].
        code = _int_or_none(body.get("error_code")) or (status if status >= 400 else None)
        description = self.redact(str(body.get("description") or "error"))[:200]
        if code == 429 or status == 429:
            self.backoff.hit()
        raise ZaloError(method, description, code=code, http_status=status)

    # ------------------------------------------------------------------ methods

    async def download(self, url: str, max_bytes: int) -> tuple[bytes, bool]:
        """An inbound photo (#16.8): (its bytes, False), or (b"", True) when it is larger than
        `max_bytes` (streamed, so it is never read whole), or (b"", False) when it could not
        be fetched. Only http(s) URLs; the token never goes with them."""
        if not url.startswith(("https://", "http://")):
            return b"", False
        try:
            async with self._client.stream("GET", url) as response:
                if response.status_code != 200:
                    return b"", False
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        return b"", True
                    chunks.append(chunk)
                return b"".join(chunks), False
        except httpx.HTTPError as exc:
            log.warning("a Zalo photo could not be downloaded: %s", type(exc).__name__)
            return b"", False

    async def get_me(self) -> dict[str, Any]:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_update(self, hold_seconds: int = POLL_TIMEOUT) -> list[dict[str, Any]]:
        """One long poll. Zalo returns one update object; a list is accepted too, since some
        clients report seeing one. An empty poll (408) is no update, not an error."""
        try:
            result = await self.call(
                "getUpdates",
                {"timeout": hold_seconds},
                read_timeout=hold_seconds + POLL_READ_MARGIN,
            )
        except ZaloError as exc:
            if exc.code == 408:
                return []
            raise
        items = result if isinstance(result, list) else [result]
        return [u for u in items if isinstance(u, dict) and u.get("event_name")]

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return result if isinstance(result, dict) else {}

    async def send_photo(self, chat_id: str, url: str, caption: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"chat_id": chat_id, "photo": url}
        if caption:
            params["caption"] = caption[:TEXT_LIMIT]
        result = await self.call("sendPhoto", params)
        return result if isinstance(result, dict) else {}

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.call("setWebhook", {"url": url, "secret_token": secret})

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")


@dataclass
class RateCeiling:
    """At most `per_second` calls, evenly spaced, for bulk traffic from this process."""

    per_second: float
    _next: float = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + 1.0 / self.per_second
        if slot > now:
            await asyncio.sleep(slot - now)
