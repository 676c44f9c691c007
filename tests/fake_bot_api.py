"""A fake Telegram Bot API server over real HTTP, for driving the real python-telegram-bot.

Tests point ``ApplicationBuilder().base_url(fake.base_url).base_file_url(fake.base_file_url)``
at this server, so every byte goes through PTB's own request encoding, HTTP client, response
parsing and error mapping. Nothing in the library is patched; only Telegram is replaced.

How PTB talks to the Bot API (v22, HTTPXRequest), which this server mirrors:

* every call is ``POST {base_url}{token}/{method}``; without files the body is
  ``application/x-www-form-urlencoded``, with files it is ``multipart/form-data``;
* string parameters are sent raw, everything else is ``json.dumps``-ed: ``chat_id=123``,
  ``show_alert=true``, ``reply_markup={"inline_keyboard": ...}``. A raw value therefore cannot
  be told apart from a JSON one without knowing the parameter, so decoding is per parameter name;
* an uploaded file has no form field of its own: it is the multipart part named after the
  parameter (``document``, ``photo``), unless the value is a file_id/URL string;
* file downloads are ``GET {base_file_url}{token}/{file_path}``, where PTB builds the URL itself
  from the ``file_path`` that getFile returned;
* errors are mapped from the HTTP status (403 Forbidden, 400 BadRequest, 401/404 InvalidToken,
  409 Conflict, other NetworkError) and ``parameters.retry_after`` becomes RetryAfter.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

__all__ = [
    "BOT_FIRST_NAME",
    "BOT_ID",
    "BOT_USERNAME",
    "FakeBotApi",
    "Recorded",
    "SentMessage",
    "StoredFile",
]

BOT_ID = 777000111
BOT_USERNAME = "troly_test_bot"
BOT_FIRST_NAME = "Trợ lý"

# Long polls never wait longer than this, whatever timeout the client asked for, so a test
# that forgets to stop polling cannot hang the suite.
DEFAULT_MAX_POLL_WAIT = 2.0

# Parameters whose form value is JSON text (PTB json.dumps everything that is not a str).
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
        "options",
        "menu_button",
        "rights",
        "permissions",
        "explanation_entities",
        "question_entities",
        "input_message_content",
        "button",
    }
)
_INT_PARAMS = frozenset(
    {
        "offset",
        "limit",
        "message_id",
        "reply_to_message_id",
        "cache_time",
        "max_connections",
        "user_id",
        "message_thread_id",
    }
)
_FLOAT_PARAMS = frozenset({"timeout"})
_BOOL_PARAMS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
        "allow_paid_broadcast",
        "show_caption_above_media",
    }
)
# Methods that produce or change a visible message: these count against the flood limiter.
_FLOOD_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "editmessagetext",
        "editmessagereplymarkup",
        "editmessagecaption",
    }
)

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)

# How long a test waits for the bot before it fails (see wait_for).
WAIT_BUDGET = 20.0


@dataclass
class Recorded:
    """One HTTP call the bot made, as the fake understood it."""

    time: float
    method: str
    chat_id: str | None
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    status: int = 200
    token: str = ""


@dataclass
class SentMessage:
    """A message the bot sent; edits update it in place (previous versions go to history)."""

    message_id: int
    chat_id: str
    text: str | None
    reply_markup: dict[str, Any] | None
    document: tuple[str, bytes] | None
    method: str
    time: float
    caption: str | None = None
    photo: tuple[str, bytes] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    history: list[tuple[str | None, dict[str, Any] | None]] = field(default_factory=list)
    deleted: bool = False
    file_id: str | None = None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """All inline buttons, row by row, for quick lookups in tests."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def callback_data(self, text: str) -> str:
        """The callback_data of the inline button whose text contains ``text``."""
        for button in self.buttons:
            if text in button.get("text", "") and "callback_data" in button:
                return str(button["callback_data"])
        raise KeyError(f"no inline button containing {text!r} in {self.buttons!r}")


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    content: bytes
    mime_type: str


# How an error answer's body is shaped. Telegram itself answers JSON; the gateways in front
# of it answer 502/504 with an HTML page, or nothing, or a body cut short:
# "json" the Bot API's error object; "html" a gateway's page; "empty" no body at all;
# "truncated" half of the JSON object (a complete HTTP message); "cut" the JSON announced
# in full by Content-Length but the connection closed half way through it.
BODY_SHAPES = ("json", "html", "empty", "truncated", "cut")


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: str | None
    body: str = "json"


@dataclass
class _ErrorRate:
    rate: float
    status: int
    description: str
    rng: random.Random
    body: str = "json"


@dataclass
class _Bucket:
    """A token bucket: `rate` messages a second on average, `burst` at once."""

    rate: float
    burst: float
    tokens: float
    at: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def wait(self) -> float:
        """Seconds until one token is there (0 when one is there now)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class _Limits:
    per_chat: float
    chat_burst: float
    overall: float
    overall_burst: float
    chats: dict[str, _Bucket] = field(default_factory=dict)
    total: _Bucket | None = None


@dataclass
class _Delay:
    seconds: float
    remaining: int | None


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        description: str,
        retry_after: int | None = None,
        body: str = "json",
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.body = body


@dataclass
class _Call:
    method: str
    params: dict[str, Any]
    files: dict[str, tuple[str, bytes, str]]
    chat_id: str | None
    handler: _ApiHandler


_Handler = Callable[[_Call], Awaitable[Any]]


def _utf16_len(text: str) -> int:
    # Telegram measures entity offsets and lengths in UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _decode_value(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _INT_PARAMS:
        with contextlib.suppress(ValueError):
            return int(value)
    if name in _FLOAT_PARAMS:
        with contextlib.suppress(ValueError):
            return float(value)
    if name in _BOOL_PARAMS and value in ("true", "false"):
        return value == "true"
    return value


def _status_phrase(status: int) -> str:
    return {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        409: "Conflict",
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(status, "Error")


class FakeBotApi:
    """In-process fake of api.telegram.org, served by tornado on the caller's event loop."""

    def __init__(
        self,
        *,
        max_poll_wait: float = DEFAULT_MAX_POLL_WAIT,
        valid_token: str | None = None,
    ) -> None:
        self.max_poll_wait = max_poll_wait
        # When set, any other token gets 401 Unauthorized like the real API.
        self.valid_token = valid_token
        self.port: int = 0

        self.requests: list[Recorded] = []
        self.sent: list[SentMessage] = []
        self.edits: list[SentMessage] = []
        self.answered_callbacks: list[dict[str, Any]] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.files: dict[str, StoredFile] = {}
        # Exceptions raised inside the fake itself; a test can assert this stays empty.
        self.internal_errors: list[BaseException] = []

        # Fault injection state; see fail_next / set_error_rate / delay.
        self.blocked_chats: set[str] = set()
        self.max_per_second: float | None = None
        self.max_per_chat_per_second: float | None = None
        self.flood_retry_after: int = 1
        self.flood_429_count = 0
        self._faults: list[_Fault] = []
        self._error_rates: dict[str, _ErrorRate] = {}
        self._delays: dict[str, _Delay] = {}
        self._cut_answers: dict[str, int] = {}
        self._flood_window: deque[float] = deque()
        self._chat_flood_windows: dict[str, deque[float]] = {}
        self._limits: _Limits | None = None

        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(500_001)
        self._message_ids = itertools.count(1001)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._messages: dict[int, SentMessage] = {}
        self._open_callbacks: set[str] = set()
        self._users: dict[int, dict[str, Any]] = {}
        self._changed = asyncio.Event()
        self._closing = False
        self._inflight = 0
        self._server: tornado.httpserver.HTTPServer | None = None
        self._handlers: dict[str, tuple[str, _Handler]] = {}
        for name, handler in self._method_table().items():
            self._handlers[name.lower()] = (name, handler)

    # ----------------------------------------------------------------- lifecycle

    async def start(self, port: int = 0) -> FakeBotApi:
        """Serve on `port` (0: any free one); a fixed port lets a test bring "Telegram"
        up at an address the bot is already trying to reach."""
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/([^/]+)/?", _ApiHandler, {"fake": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"fake": self}),
                (r".*", _NotFoundHandler),
            ],
            # The access log would only add noise to test output.
            log_function=lambda _handler: None,
        )
        sockets = tornado.netutil.bind_sockets(port, "127.0.0.1")
        self.port = int(sockets[0].getsockname()[1])
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        self._closing = False
        return self

    async def stop(self) -> None:
        self._closing = True
        self._notify()  # releases long polls at once
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        await server.close_all_connections()
        # Handlers still waiting (delays, polls) have been told to finish; let them, so no
        # task outlives the test's event loop.
        deadline = time.monotonic() + 2.0
        while self._inflight and time.monotonic() < deadline:
            await self._wait_change(deadline - time.monotonic())

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ----------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | str | None = None,
        body: str = "json",
    ) -> None:
        """The next ``times`` calls of ``method`` ("*" for any) fail with this error; ``body``
        is one of BODY_SHAPES. The call is not carried out (nothing is delivered)."""
        if body not in BODY_SHAPES:
            raise ValueError(f"body must be one of {BODY_SHAPES}")
        self._faults.append(
            _Fault(
                method=method.lower(),
                status=status,
                description=description,
                retry_after=retry_after,
                remaining=times,
                chat_id=None if chat_id is None else str(chat_id),
                body=body,
            )
        )

    def set_error_rate(
        self,
        method: str,
        rate: float,
        status: int = 502,
        *,
        seed: int = 0,
        description: str | None = None,
        body: str = "json",
    ) -> None:
        """A seeded fraction of ``method`` calls ("*" for any) fail; rate 0 switches it off.
        ``body`` is one of BODY_SHAPES."""
        if body not in BODY_SHAPES:
            raise ValueError(f"body must be one of {BODY_SHAPES}")
        key = method.lower()
        if rate <= 0:
            self._error_rates.pop(key, None)
            return
        self._error_rates[key] = _ErrorRate(
            rate=rate,
            status=status,
            description=description or _status_phrase(status),
            rng=random.Random(seed),
            body=body,
        )

    def enforce_telegram_limits(
        self,
        *,
        per_chat: float = 1.0,
        chat_burst: float = 3,
        overall: float = 30.0,
        overall_burst: float = 30,
    ) -> None:
        """Answer 429 like Telegram does past its flood limits (platform facts T1, T2, T11):
        about `per_chat` messages a second to one chat with short bursts of `chat_burst`, and
        `overall` a second in all. Token buckets, so a bot that keeps to the pace is never
        refused; a refused call uses no allowance, and its retry_after (whole seconds, at
        least 1) is the time until the bucket has room again. answerCallbackQuery and other
        non-message methods are exempt, as with Telegram."""
        self._limits = _Limits(per_chat, chat_burst, overall, overall_burst)

    def delay(self, method: str, seconds: float, *, times: int | None = None) -> None:
        """Answer ``method`` calls late; 0 switches it off.

        The call is carried out first and only the response is held back, as when Telegram
        delivered a message but the reply was lost: a client that times out and retries then
        produces a duplicate, which is exactly what reliability tests need to see.
        """
        key = method.lower()
        if seconds <= 0:
            self._delays.pop(key, None)
            return
        self._delays[key] = _Delay(seconds=seconds, remaining=times)

    def cut_answer(self, method: str, *, times: int = 1) -> None:
        """The next ``times`` calls of ``method`` are carried out (the message is delivered),
        but the connection drops half way through the answer: the client saw a 200 status
        line and cannot know more. Repeating such a send would deliver it twice."""
        self._cut_answers[method.lower()] = times

    def errors_given(self, status: int | None = None) -> list[Recorded]:
        return [
            r for r in self.requests if r.status >= 400 and (status is None or r.status == status)
        ]

    # ----------------------------------------------------------------- simulated users

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queues a raw update for getUpdates; assigns update_id when missing."""
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._notify()
        return update

    def push_text(
        self, user_id: int, text: str, *, first_name: str = "An", language_code: str = "vi"
    ) -> dict[str, Any]:
        message = self._user_message(user_id, first_name=first_name, language_code=language_code)
        message["text"] = text
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command)}
            ]
        return self.push_update({"message": message})

    def push_callback(
        self, user_id: int, message_id: int, data: str, *, first_name: str | None = None
    ) -> dict[str, Any]:
        """A tap on an inline button of a message the bot sent."""
        sent = self.message(message_id)
        query_id = f"{user_id}{next(self._callback_ids):06d}"
        self._open_callbacks.add(query_id)
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self._user(user_id, first_name=first_name),
                    "message": self._message_dict(sent),
                    "chat_instance": f"ci{sent.chat_id}",
                    "data": data,
                }
            }
        )

    def push_contact(
        self,
        user_id: int,
        phone: str,
        contact_user_id: int | None,
        *,
        first_name: str = "An",
        language_code: str = "vi",
    ) -> dict[str, Any]:
        """A shared contact; contact_user_id None is a contact that is not on Telegram."""
        message = self._user_message(user_id, first_name=first_name, language_code=language_code)
        contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        message["contact"] = contact
        return self.push_update({"message": message})

    def push_document(
        self,
        user_id: int,
        file_name: str,
        content: bytes,
        mime_type: str,
        *,
        caption: str | None = None,
    ) -> dict[str, Any]:
        stored = self._store_file(file_name, content, mime_type, folder="documents")
        message = self._user_message(user_id)
        message["document"] = self._document_dict(stored)
        if caption is not None:
            message["caption"] = caption
        return self.push_update({"message": message})

    def push_photo(
        self, user_id: int, content: bytes, *, caption: str | None = None
    ) -> dict[str, Any]:
        """A photo as Telegram sends it: several sizes, smallest first; only the last (the
        largest) holds `content`, the others are thumbnails of a few bytes."""
        thumb = self._store_file("thumb.jpg", b"\xff\xd8\xffthumb", "image/jpeg", folder="photos")
        stored = self._store_file("photo.jpg", content, "image/jpeg", folder="photos")
        message = self._user_message(user_id)
        message["photo"] = [
            {
                "file_id": f.file_id,
                "file_unique_id": f.file_unique_id,
                "width": width,
                "height": width * 3 // 4,
                "file_size": len(f.content),
            }
            for f, width in ((thumb, 90), (stored, 1280))
        ]
        if caption is not None:
            message["caption"] = caption
        return self.push_update({"message": message})

    def push_sticker(self, user_id: int, *, emoji: str = "👍") -> dict[str, Any]:
        n = next(self._file_ids)
        message = self._user_message(user_id)
        message["sticker"] = {
            "file_id": f"FAKE-STICKER-{n}",
            "file_unique_id": f"ust{n}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.push_update({"message": message})

    def push_my_chat_member(
        self, user_id: int, status: str, *, old: str | None = None
    ) -> dict[str, Any]:
        """The user changed the bot's status in their private chat: "kicked" when they
        block it, "member" when they unblock (or first start) it."""
        if old is None:
            old = "member" if status == "kicked" else "kicked"
        user = self._user(user_id)

        def member(state: str) -> dict[str, Any]:
            entry: dict[str, Any] = {"user": self._bot_user(), "status": state}
            if state == "kicked":
                entry["until_date"] = 0  # for ever, as Telegram reports a block
            return entry

        return self.push_update(
            {
                "my_chat_member": {
                    "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
                    "from": user,
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(status),
                }
            }
        )

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return list(self._updates)

    # ----------------------------------------------------------------- inspection / waiting

    def message(self, message_id: int) -> SentMessage:
        try:
            return self._messages[int(message_id)]
        except KeyError:
            raise KeyError(f"the bot sent no message with id {message_id}") from None

    def sent_to(self, chat_id: int | str) -> list[SentMessage]:
        key = str(chat_id)
        return [m for m in self.sent if m.chat_id == key]

    def last_sent(self, chat_id: int | str) -> SentMessage:
        messages = self.sent_to(chat_id)
        if not messages:
            raise AssertionError(f"nothing was sent to chat {chat_id}; {self._summary()}")
        return messages[-1]

    def calls(self, method: str) -> list[Recorded]:
        key = method.lower()
        return [r for r in self.requests if r.method.lower() == key]

    def get_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        return list(self.commands.get((self._scope_key(scope), language_code), []))

    async def wait_for(
        self,
        condition: Callable[[], bool] | int,
        # A plain timeout argument reads better in tests than wrapping every call. Generous:
        # a passing wait returns as soon as the condition holds, and parallel workers on a
        # loaded 2-core machine can take several seconds for a reply that normally takes ms.
        timeout: float = WAIT_BUDGET,  # noqa: ASYNC109
    ) -> None:
        """Waits until ``condition()`` holds, or until ``len(sent)`` reaches an int condition."""
        if isinstance(condition, int):
            target = condition

            def predicate() -> bool:
                return len(self.sent) >= target

            description = f"{target} sent messages"
        else:
            predicate = condition
            description = getattr(condition, "__name__", "condition")
        await self._wait(predicate, timeout, description)

    async def wait_sent(
        self,
        chat_id: int | str,
        n: int,
        timeout: float = WAIT_BUDGET,  # noqa: ASYNC109 - see wait_for
    ) -> list[SentMessage]:
        """Waits until at least n messages went to chat_id; returns all of them."""
        await self._wait(
            lambda: len(self.sent_to(chat_id)) >= n,
            timeout,
            f"{n} messages to chat {chat_id}",
        )
        return self.sent_to(chat_id)

    async def wait_requests(
        self,
        method: str,
        n: int = 1,
        timeout: float = WAIT_BUDGET,  # noqa: ASYNC109 - see wait_for
    ) -> list[Recorded]:
        await self._wait(lambda: len(self.calls(method)) >= n, timeout, f"{n} {method} calls")
        return self.calls(method)

    async def _wait(self, predicate: Callable[[], bool], budget: float, what: str) -> None:
        deadline = time.monotonic() + budget
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"timed out after {budget}s waiting for {what}; {self._summary()}"
                )
            await self._wait_change(remaining)

    def _summary(self) -> str:
        sent = [
            f"#{m.message_id} to {m.chat_id} via {m.method}: {m.text or m.caption!r}"
            for m in self.sent
        ]
        calls = [f"{r.method}({r.chat_id})->{r.status}" for r in self.requests[-15:]]
        errors = [repr(e) for e in self.internal_errors]
        return f"sent so far: {sent or 'nothing'}; last requests: {calls or 'none'}" + (
            f"; fake internal errors: {errors}" if errors else ""
        )

    async def _wait_change(self, budget: float) -> None:
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), budget)

    def _notify(self) -> None:
        # Swapping in a fresh Event wakes everyone waiting on the old one exactly once.
        self._changed.set()
        self._changed = asyncio.Event()

    # ----------------------------------------------------------------- webhook delivery

    async def post_webhook(
        self,
        url: str | None,
        update: dict[str, Any],
        secret_token: str | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 - it is httpx's timeout, not a cancel scope
    ) -> httpx.Response:
        """Delivers one update the way Telegram does to a bot in webhook mode.

        ``url``/``secret_token`` default to what the bot registered with setWebhook. A 2xx
        answer takes the update off the getUpdates queue, as Telegram would.
        """
        if url is None:
            if not self.webhook:
                raise AssertionError("no webhook registered and no url given")
            url = str(self.webhook["url"])
            if secret_token is None:
                secret_token = self.webhook.get("secret_token")
        update.setdefault("update_id", next(self._update_ids))
        headers = {"Content-Type": "application/json"}
        if secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, content=json.dumps(update).encode(), headers=headers)
        if response.is_success:
            self._updates = [u for u in self._updates if u is not update]
        return response

    # ----------------------------------------------------------------- request processing

    async def _dispatch(self, handler: _ApiHandler, token: str, method_name: str) -> None:
        self._inflight += 1
        try:
            await self._process(handler, token, method_name)
        finally:
            self._inflight -= 1
            self._notify()

    async def _process(self, handler: _ApiHandler, token: str, method_name: str) -> None:
        try:
            params, files = handler.decoded_arguments()
        except _ApiError as exc:
            params, files = {}, {}
            bad_body: _ApiError | None = exc
        else:
            bad_body = None
        chat_id = None if params.get("chat_id") is None else str(params["chat_id"])
        recorded = Recorded(
            time=time.monotonic(),
            method=method_name,
            chat_id=chat_id,
            params=dict(params),
            files={name: (f[0], f[1]) for name, f in files.items()},
            token=token,
        )
        entry = self._handlers.get(method_name.lower())
        if entry is not None:
            recorded.method = entry[0]
        self.requests.append(recorded)
        self._notify()

        status = 200
        body: dict[str, Any]
        shape = "json"
        try:
            if self.valid_token is not None and token != self.valid_token:
                raise _ApiError(401, "Unauthorized")
            if entry is None:
                raise _ApiError(404, "Not Found: method not found")
            if bad_body is not None:
                raise bad_body
            canonical, fn = entry
            self._inject_faults(canonical.lower(), chat_id)
            result = await fn(_Call(canonical, params, files, chat_id, handler))
            body = {"ok": True, "result": result}
            shape = self._take_cut(canonical.lower())
        except _ApiError as exc:
            status = exc.status
            shape = exc.body
            body = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.retry_after is not None:
                body["parameters"] = {"retry_after": exc.retry_after}
        except Exception as exc:  # a bug in the fake must reach the test as a response
            self.internal_errors.append(exc)
            status = 500
            body = {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: fake Bot API failed: {exc!r}",
            }
        recorded.status = status
        await self._maybe_delay(method_name.lower(), handler)
        if shape == "json":
            handler.respond(status, body)
        else:
            await handler.respond_shaped(status, body, shape)

    def _inject_faults(self, method: str, chat_id: str | None) -> None:
        for fault in self._faults:
            if fault.method not in (method, "*"):
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            raise _ApiError(fault.status, fault.description, fault.retry_after, fault.body)

        if (
            chat_id is not None
            and chat_id in {str(c) for c in self.blocked_chats}
            and method.startswith(("send", "edit", "delete", "forward", "copy"))
        ):
            raise _ApiError(403, "Forbidden: bot was blocked by the user")

        if method in _FLOOD_METHODS:
            self._check_flood(chat_id)

        for key in (method, "*"):
            rate = self._error_rates.get(key)
            if rate is not None and rate.rng.random() < rate.rate:
                raise _ApiError(rate.status, rate.description, body=rate.body)

    def _take_cut(self, method: str) -> str:
        left = self._cut_answers.get(method, 0)
        if left <= 0:
            return "json"
        self._cut_answers[method] = left - 1
        return "cut"

    def _check_flood(self, chat_id: str | None) -> None:
        now = time.monotonic()
        self._check_buckets(chat_id, now)
        limits: list[tuple[float, deque[float]]] = []
        if self.max_per_second is not None:
            limits.append((self.max_per_second, self._flood_window))
        if self.max_per_chat_per_second is not None and chat_id is not None:
            window = self._chat_flood_windows.setdefault(chat_id, deque())
            limits.append((self.max_per_chat_per_second, window))
        for limit, window in limits:
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= limit:
                self.flood_429_count += 1
                raise _ApiError(
                    429,
                    f"Too Many Requests: retry after {self.flood_retry_after}",
                    self.flood_retry_after,
                )
        # Only accepted calls use up the allowance, as with Telegram's own limiter.
        for _limit, window in limits:
            window.append(now)

    def _check_buckets(self, chat_id: str | None, now: float) -> None:
        limits = self._limits
        if limits is None:
            return
        if limits.total is None:
            limits.total = _Bucket(limits.overall, limits.overall_burst, limits.overall_burst, now)
        buckets = [limits.total]
        if chat_id is not None:
            chat = limits.chats.get(chat_id)
            if chat is None:
                chat = limits.chats[chat_id] = _Bucket(
                    limits.per_chat, limits.chat_burst, limits.chat_burst, now
                )
            buckets.append(chat)
        for bucket in buckets:
            bucket.refill(now)
        wait = max(bucket.wait() for bucket in buckets)
        if wait > 0:
            self.flood_429_count += 1
            retry_after = max(1, math.ceil(wait))
            raise _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for bucket in buckets:
            bucket.tokens -= 1

    async def _maybe_delay(self, method: str, handler: _ApiHandler) -> None:
        entry = self._delays.get(method) or self._delays.get("*")
        if entry is None:
            return
        if entry.remaining is not None:
            entry.remaining -= 1
            if entry.remaining <= 0:
                self._delays = {k: v for k, v in self._delays.items() if v is not entry}
        deadline = time.monotonic() + entry.seconds
        # Nobody is left to answer once the client hung up or the server is stopping.
        while not self._closing and not handler.closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._wait_change(remaining)

    # ----------------------------------------------------------------- API methods

    def _method_table(self) -> dict[str, _Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageCaption": self._edit_message_caption,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._true,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getFile": self._get_file,
            "logOut": self._true,
            "close": self._true,
            # Cosmetic setup calls a bot may make at start-up; accepting them keeps such bots
            # testable without the fake having to model their effect.
            "setMyDescription": self._true,
            "setMyShortDescription": self._true,
            "setMyName": self._true,
            "setChatMenuButton": self._true,
        }

    async def _true(self, _call: _Call) -> bool:
        return True

    async def _get_me(self, _call: _Call) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, call: _Call) -> list[dict[str, Any]]:
        if self.webhook:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(call.params.get("offset") or 0)
        limit = max(1, min(100, int(call.params.get("limit") or 100)))
        timeout = float(call.params.get("timeout") or 0)
        self._confirm(offset)
        deadline = time.monotonic() + min(max(timeout, 0.0), self.max_poll_wait)
        while not self._updates and not self._closing and not call.handler.closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._wait_change(remaining)
            # A push during the wait cannot be below the offset, but a concurrent poll with a
            # higher offset may have confirmed some; re-apply ours.
            self._confirm(offset)
        return self._updates[:limit]

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            # Telegram: a negative offset keeps only the last -offset updates.
            self._updates = self._updates[offset:]

    async def _send_message(self, call: _Call) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        text = call.params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        sent = self._record_sent(call, chat_id, text=text)
        return self._message_dict(sent)

    async def _send_document(self, call: _Call) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        file_name, content, mime = self._input_file(call, "document")
        stored = self._store_file(file_name, content, mime, folder="documents")
        sent = self._record_sent(
            call, chat_id, document=(file_name, content), file_id=stored.file_id
        )
        result = self._message_dict(sent)
        result["document"] = self._document_dict(stored)
        return result

    async def _send_photo(self, call: _Call) -> dict[str, Any]:
        chat_id = self._require_chat(call)
        file_name, content, mime = self._input_file(call, "photo")
        stored = self._store_file(file_name, content, mime, folder="photos")
        sent = self._record_sent(call, chat_id, photo=(file_name, content), file_id=stored.file_id)
        result = self._message_dict(sent)
        result["photo"] = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 640,
                "height": 480,
                "file_size": len(content),
            }
        ]
        return result

    async def _edit_message_text(self, call: _Call) -> dict[str, Any] | bool:
        sent = self._message_to_edit(call)
        text = call.params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        # Like Telegram, an edit without reply_markup drops the inline keyboard.
        markup = self._inline_markup(call.params.get("reply_markup"))
        if text == sent.text and markup == sent.reply_markup:
            raise _ApiError(400, _NOT_MODIFIED)
        return self._apply_edit(sent, call, text=text, caption=sent.caption, markup=markup)

    async def _edit_message_caption(self, call: _Call) -> dict[str, Any] | bool:
        sent = self._message_to_edit(call)
        caption = call.params.get("caption")
        markup = self._inline_markup(call.params.get("reply_markup"))
        if caption == sent.caption and markup == sent.reply_markup:
            raise _ApiError(400, _NOT_MODIFIED)
        return self._apply_edit(sent, call, text=sent.text, caption=caption, markup=markup)

    async def _edit_message_reply_markup(self, call: _Call) -> dict[str, Any] | bool:
        sent = self._message_to_edit(call)
        markup = self._inline_markup(call.params.get("reply_markup"))
        if markup == sent.reply_markup:
            raise _ApiError(400, _NOT_MODIFIED)
        return self._apply_edit(sent, call, text=sent.text, caption=sent.caption, markup=markup)

    async def _delete_message(self, call: _Call) -> bool:
        chat_id = self._require_chat(call)
        sent = self._messages.get(int(call.params.get("message_id") or 0))
        if sent is None or sent.chat_id != chat_id or sent.deleted:
            raise _ApiError(400, "Bad Request: message to delete not found")
        sent.deleted = True
        return True

    async def _answer_callback_query(self, call: _Call) -> bool:
        query_id = str(call.params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise _ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_callbacks.discard(query_id)
        self.answered_callbacks.append(dict(call.params))
        return True

    async def _set_my_commands(self, call: _Call) -> bool:
        commands = call.params.get("commands")
        if not isinstance(commands, list):
            raise _ApiError(400, "Bad Request: can't parse commands JSON object")
        key = (self._scope_key(call.params.get("scope")), call.params.get("language_code") or "")
        self.commands[key] = commands
        return True

    async def _get_my_commands(self, call: _Call) -> list[dict[str, Any]]:
        key = (self._scope_key(call.params.get("scope")), call.params.get("language_code") or "")
        return list(self.commands.get(key, []))

    async def _delete_my_commands(self, call: _Call) -> bool:
        key = (self._scope_key(call.params.get("scope")), call.params.get("language_code") or "")
        self.commands.pop(key, None)
        return True

    async def _set_webhook(self, call: _Call) -> bool:
        url = call.params.get("url") or ""
        if not url:
            # Telegram treats an empty URL as "remove the webhook".
            self.webhook = None
            return True
        self.webhook = {
            "url": url,
            "secret_token": call.params.get("secret_token"),
            "allowed_updates": call.params.get("allowed_updates"),
            "max_connections": call.params.get("max_connections", 40),
            "ip_address": call.params.get("ip_address"),
        }
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _delete_webhook(self, call: _Call) -> bool:
        self.webhook = None
        if call.params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, _call: _Call) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook.get("allowed_updates") is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _get_file(self, call: _Call) -> dict[str, Any]:
        stored = self.files.get(str(call.params.get("file_id") or ""))
        if stored is None:
            raise _ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    # ----------------------------------------------------------------- helpers

    def _require_chat(self, call: _Call) -> str:
        if call.chat_id is None or call.chat_id == "":
            raise _ApiError(400, "Bad Request: chat_id is empty")
        return call.chat_id

    def _input_file(self, call: _Call, name: str) -> tuple[str, bytes, str]:
        if name in call.files:
            return call.files[name]
        value = call.params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            attached = call.files.get(value.removeprefix("attach://"))
            if attached is not None:
                return attached
        if isinstance(value, str) and value in self.files:
            stored = self.files[value]
            return stored.file_name, stored.content, stored.mime_type
        raise _ApiError(400, f"Bad Request: there is no {name} in the request")

    def _record_sent(
        self,
        call: _Call,
        chat_id: str,
        *,
        text: str | None = None,
        document: tuple[str, bytes] | None = None,
        photo: tuple[str, bytes] | None = None,
        file_id: str | None = None,
    ) -> SentMessage:
        sent = SentMessage(
            message_id=next(self._message_ids),
            chat_id=chat_id,
            text=text,
            reply_markup=self._inline_markup(call.params.get("reply_markup"), keep_other=True),
            document=document,
            method=call.method,
            time=time.monotonic(),
            caption=call.params.get("caption"),
            photo=photo,
            params=dict(call.params),
            file_id=file_id,
        )
        self.sent.append(sent)
        self._messages[sent.message_id] = sent
        return sent

    def _message_to_edit(self, call: _Call) -> SentMessage:
        if call.params.get("inline_message_id"):
            raise _ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._require_chat(call)
        sent = self._messages.get(int(call.params.get("message_id") or 0))
        if sent is None or sent.chat_id != chat_id or sent.deleted:
            raise _ApiError(400, "Bad Request: message to edit not found")
        return sent

    def _apply_edit(
        self,
        sent: SentMessage,
        call: _Call,
        *,
        text: str | None,
        caption: str | None,
        markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        sent.history.append(
            (sent.text if sent.text is not None else sent.caption, sent.reply_markup)
        )
        sent.text, sent.caption, sent.reply_markup = text, caption, markup
        self.edits.append(
            SentMessage(
                message_id=sent.message_id,
                chat_id=sent.chat_id,
                text=text,
                reply_markup=markup,
                document=None,
                method=call.method,
                time=time.monotonic(),
                caption=caption,
                params=dict(call.params),
            )
        )
        result = self._message_dict(sent)
        result["edit_date"] = int(time.time())
        return result

    @staticmethod
    def _inline_markup(value: Any, *, keep_other: bool = False) -> dict[str, Any] | None:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise _ApiError(
                    400, "Bad Request: can't parse reply keyboard markup JSON object"
                ) from None
        if not isinstance(value, dict):
            return None
        # Only inline keyboards belong to a message; reply keyboards are kept on the record so
        # tests can inspect them, but never echoed back (PTB would fail to parse them).
        if "inline_keyboard" in value or keep_other:
            return value
        return None

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if isinstance(scope, str):
            with contextlib.suppress(ValueError):
                scope = json.loads(scope)
        if not scope:
            scope = {"type": "default"}
        return json.dumps(scope, sort_keys=True)

    def _store_file(
        self, file_name: str, content: bytes, mime_type: str, *, folder: str
    ) -> StoredFile:
        n = next(self._file_ids)
        # file_path ends up in a URL PTB builds itself; keep it ASCII whatever the upload name.
        suffix = (
            re.sub(r"[^A-Za-z0-9]", "", file_name.rpartition(".")[2]) if "." in file_name else ""
        )
        stored = StoredFile(
            file_id=f"FAKE-{folder.upper()}-{n}",
            file_unique_id=f"u{folder[:3]}{n}",
            file_path=f"{folder}/file_{n}" + (f".{suffix}" if suffix else ""),
            file_name=file_name,
            content=content,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    @staticmethod
    def _document_dict(stored: StoredFile) -> dict[str, Any]:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "file_size": len(stored.content),
        }

    def _file_by_path(self, path: str) -> StoredFile | None:
        for stored in self.files.values():
            if stored.file_path == path:
                return stored
        return None

    @staticmethod
    def _bot_user() -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
        }

    def _user(
        self, user_id: int, *, first_name: str | None = None, language_code: str | None = None
    ) -> dict[str, Any]:
        user = self._users.setdefault(
            user_id,
            {"id": user_id, "is_bot": False, "first_name": "An", "language_code": "vi"},
        )
        if first_name is not None:
            user["first_name"] = first_name
        if language_code is not None:
            user["language_code"] = language_code
        return dict(user)

    def _user_message(
        self, user_id: int, *, first_name: str | None = None, language_code: str | None = None
    ) -> dict[str, Any]:
        user = self._user(user_id, first_name=first_name, language_code=language_code)
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": user["first_name"]},
            "from": user,
        }

    def _chat_dict(self, chat_id: str) -> dict[str, Any]:
        try:
            numeric = int(chat_id)
        except ValueError:
            # "@channelname": give it a stable negative id, as a channel would have.
            name = chat_id.lstrip("@")
            return {
                "id": -1001000000000 - (sum(map(ord, name)) % 10**9),
                "type": "channel",
                "title": name,
                "username": name,
            }
        if numeric > 0:
            user = self._users.get(numeric)
            return {
                "id": numeric,
                "type": "private",
                "first_name": user["first_name"] if user else "An",
            }
        kind = "supergroup" if str(numeric).startswith("-100") else "group"
        return {"id": numeric, "type": kind, "title": "Nhóm thử"}

    def _message_dict(self, sent: SentMessage) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": sent.message_id,
            "date": int(time.time()),
            "chat": self._chat_dict(sent.chat_id),
            "from": self._bot_user(),
        }
        if sent.text is not None:
            message["text"] = sent.text
            entities = sent.params.get("entities")
            if isinstance(entities, list):
                message["entities"] = entities
        if sent.caption is not None:
            message["caption"] = sent.caption
        markup = self._inline_markup(sent.reply_markup)
        if markup is not None:
            message["reply_markup"] = markup
        if sent.document is not None and sent.file_id is not None:
            stored = self.files.get(sent.file_id)
            if stored is not None:
                message["document"] = self._document_dict(stored)
        return message


class _ApiHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "POST")

    def initialize(self, fake: FakeBotApi) -> None:
        self.fake = fake
        self.closed = False

    def on_connection_close(self) -> None:
        # The client gave up (timeout or cancelled long poll): stop waiting on its behalf.
        self.closed = True
        self.fake._notify()

    async def get(self, token: str, method: str) -> None:
        await self.fake._dispatch(self, token, method)

    async def post(self, token: str, method: str) -> None:
        await self.fake._dispatch(self, token, method)

    def decoded_arguments(self) -> tuple[dict[str, Any], dict[str, tuple[str, bytes, str]]]:
        raw: dict[str, Any] = {}
        for name, values in self.request.query_arguments.items():
            raw[name] = values[-1].decode("utf-8", "replace")
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.startswith("application/json") and self.request.body:
            try:
                body = json.loads(self.request.body)
            except ValueError:
                raise _ApiError(400, "Bad Request: can't parse JSON request body") from None
            if isinstance(body, dict):
                raw.update(body)
        else:
            # tornado has already parsed urlencoded and multipart bodies into these.
            for name, values in self.request.body_arguments.items():
                raw[name] = values[-1].decode("utf-8", "replace")
        files = {
            name: (
                parts[-1].filename or name,
                bytes(parts[-1].body),
                parts[-1].content_type or "application/octet-stream",
            )
            for name, parts in self.request.files.items()
            if parts
        }
        params = {name: _decode_value(name, value) for name, value in raw.items()}
        return params, files

    def respond(self, status: int, body: dict[str, Any]) -> None:
        if self.closed:
            return
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        with contextlib.suppress(tornado.iostream.StreamClosedError):
            self.finish(json.dumps(body, ensure_ascii=False).encode())

    async def respond_shaped(self, status: int, body: dict[str, Any], shape: str) -> None:
        """An error answer that is not the Bot API's JSON (see BODY_SHAPES)."""
        if self.closed:
            return
        self.set_status(status)
        encoded = json.dumps(body, ensure_ascii=False).encode()
        with contextlib.suppress(tornado.iostream.StreamClosedError):
            if shape == "html":
                phrase = _status_phrase(status)
                self.set_header("Content-Type", "text/html")
                self.finish(
                    f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
                    f"<center><h1>{status} {phrase}</h1></center>\r\n"
                    "<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
                )
            elif shape == "empty":
                self.finish()
            elif shape == "truncated":
                self.set_header("Content-Type", "application/json")
                self.finish(encoded[: len(encoded) // 2])
            else:  # "cut": the status line and half the body arrive, then the line drops
                self.set_header("Content-Type", "application/json")
                self.set_header("Content-Length", str(len(encoded)))
                self.write(encoded[: len(encoded) // 2])
                await self.flush()
                self.request.connection.stream.close()  # type: ignore[union-attr]


class _FileHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET",)

    def initialize(self, fake: FakeBotApi) -> None:
        self.fake = fake

    async def get(self, token: str, path: str) -> None:
        self.fake.requests.append(
            Recorded(
                time=time.monotonic(),
                method="file",
                chat_id=None,
                params={"file_path": path},
                token=token,
            )
        )
        stored = self.fake._file_by_path(path)
        if stored is None:
            self.fake.requests[-1].status = 404
            self.set_status(404)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))
            return
        self.set_header("Content-Type", stored.mime_type)
        self.finish(stored.content)


class _NotFoundHandler(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))
