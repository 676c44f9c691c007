"""PTB's networking backend on aiohttp instead of httpx.

PTB lets an application bring its own `BaseRequest`; everything above it (methods, error
classes, retries of the rate limiter) stays PTB's. Measured against the fake Bot API
(benchmarks/bench_broadcast.py), httpx's connection pool costs about 2 ms of CPU per request
at 16 requests in flight, aiohttp about 0.5 ms: the sender could not reach 1,000 messages/s
on httpx, and every reply of the interactive bot paid the same toll.

Errors keep the meaning the outbox relies on (bot/channels/telegram_transport.py): a request
that never left raises `NotSent`; a 5xx status line raises `GatewayError` (not processed,
whatever the body); a timeout or a broken connection after it left raises `AnswerLost` or
`ConnectionLost`.

None of them chains the aiohttp error or carries its text: aiohttp's messages quote the
request URL, and Bot API URLs hold the token (`/bot<TOKEN>/`). They are built after the
`except` block, so not even `__context__` keeps it; only the aiohttp class's name is kept
(`reason`), which is all the outbox and the logs need (issue #11 point 2).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, cast

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# Raised before any byte of the request could reach the server (connect failure, no free
# connection within the connect timeout).
NOT_SENT: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
)


class GatewayError(NetworkError):
    """The server answered with a 5xx status line: the Bot API did not process the request.

    PTB cannot tell this apart from a lost answer when the body is not JSON (a gateway's HTML
    page, nothing, a body cut short): it attaches the parse error as the cause, the same
    shape as a connection broken mid-answer. The status line is what reached us, so it is
    decided here, before the body is read.
    """

    def __init__(self, status: int) -> None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Server Error"
        super().__init__(f"{phrase} ({status})")
        self.status = status

    def __reduce__(self) -> tuple[type, tuple[int]]:  # type: ignore[override]
        return type(self), (self.status,)


class NotSent(NetworkError):
    """No byte of the request reached the server (connect failure, DNS, no free connection)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Could not connect: {reason}")
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return type(self), (self.reason,)


class AnswerLost(TimedOut):
    """The request left but no answer came in time: it may have been carried out."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Timed out: {reason}")
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return type(self), (self.reason,)


class ConnectionLost(NetworkError):
    """The connection broke after the request left: it may have been carried out."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"aiohttp: {reason}")
        self.reason = reason

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return type(self), (self.reason,)


def _is_gateway_error(status: int) -> bool:
    return HTTPStatus.INTERNAL_SERVER_ERROR <= status <= 599


class AiohttpRequest(BaseRequest):
    __slots__ = ("_connect_timeout", "_connections", "_read_timeout", "_session", "_write_timeout")

    def __init__(
        self,
        *,
        connections: int = 8,
        connect_timeout: float = 5.0,
        read_timeout: float = 5.0,
        write_timeout: float = 5.0,
    ) -> None:
        self._connections = connections
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                # Bot API answers are JSON we hand to PTB as bytes; cookies are never used.
                cookie_jar=aiohttp.DummyCookieJar(),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = _value(read_timeout, self._read_timeout)
        write = _value(write_timeout, self._write_timeout)
        connect = _value(connect_timeout, self._connect_timeout)
        pool = _value(pool_timeout, self._connect_timeout)
        # aiohttp has no write timeout of its own: sending the body counts towards sock_read's
        # neighbour, so the read allowance covers both (uploads of reports are small).
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=None if read is None else read + (write or 0.0),
        )
        data, headers = _body(request_data)
        failure: NetworkError
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as res:
                if _is_gateway_error(res.status):
                    # Not read: a cut or slow body must not turn "not processed" into
                    # "answer lost" (the connection is dropped, not reused).
                    raise GatewayError(res.status)
                return res.status, await res.read()
        except NOT_SENT as err:
            failure = NotSent(type(err).__name__)
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            failure = AnswerLost(type(err).__name__)
        except GatewayError:
            raise
        except Exception as err:  # any other error would reach PTB as its repr
            failure = ConnectionLost(type(err).__name__)
        # Raised here, outside the except blocks: no __context__ keeps the aiohttp error.
        raise failure


def _value(given: Any, default: float | None) -> float | None:
    return default if isinstance(given, type(BaseRequest.DEFAULT_NONE)) else given


_JSON = {"Content-Type": "application/json"}


class _PreparedJson:
    """A JSON body encoded by the caller, for `BaseRequest.post` on this class only."""

    __slots__ = ("body",)

    def __init__(self, body: bytes) -> None:
        self.body = body


def prepared_json(body: bytes) -> RequestData:
    """A ready JSON body to pass as `request_data` to this class's `post`: PTB's error
    mapping (RetryAfter, Forbidden, BadRequest…) and ours apply, without building PTB's
    request parameters (the outbox's sends: bot/channels/telegram_transport.py)."""
    return cast(RequestData, _PreparedJson(body))


def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
    if request_data is None:
        return None, None
    if isinstance(request_data, _PreparedJson):
        return request_data.body, _JSON
    if not request_data.contains_files:
        # A JSON body, which the Bot API accepts: url-encoding Vietnamese text quotes it byte
        # by byte in Python and cost ~0.9 ms per reply.
        return request_data.json_payload, _JSON
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (file_name, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=file_name, content_type=mime_type)
    return form, None
