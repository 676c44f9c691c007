"""A fake Zalo Bot API server over real HTTP, for driving the real Zalo adapter.

It implements what /work/shared/docs/zalo-bot-api.md marks verified, plus the reported
behaviour the adapter must survive:

* ``POST``/``GET {base}/bot{token}/{method}``; parameters from the query string, a JSON body
  or a form body; method names are case-sensitive ("sendmessage" is 404 Not Found);
* failures are HTTP 200 with ``{"ok": false, "error_code", "description"}``; an unknown
  token is error_code 401;
* ``getUpdates`` holds the request up to ``timeout`` seconds (capped by ``max_poll_wait``),
  hands out exactly one update object (no list, no update_id, no offset) and removes it from
  the queue; an empty poll is ``{"ok": false, "error_code": 408, "description": "Request
  timeout"}``; while a webhook is set it answers 400;
* ``sendMessage`` checks ``chat_id`` and 1–2000 characters of ``text``; ``sendPhoto`` needs an
  http(s) URL; sends return ``{"message_id": <20 hex>, "date": <ms>}``;
* ``setWebhook`` needs an ``url`` and an 8–256 character ``secret_token``; webhook delivery
  posts the update with ``X-Bot-Api-Secret-Token``, wrapped (documented) or bare (observed);
* dates are milliseconds; users have ``id``, ``display_name`` and ``is_bot`` only.

Test hooks: push text/image/sticker/voice/unsupported events, re-deliver an update, echo the
bot's own messages back as updates, fail the next calls (JSON errors, or HTML pages with any
HTTP status, like the nginx 429 in front of Zalo), and delay answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.web

BOT_ID = "2718281828459045235"
BOT_NAME = "Bot Trợ lý Bồi dưỡng"
DEFAULT_MAX_POLL_WAIT = 2.0
TEXT_LIMIT = 2000
NGINX_429 = (
    "<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n"
    "<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def hex_id() -> str:
    return secrets.token_hex(10)  # 20 hex characters, like Zalo's ids


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Recorded:
    method: str
    params: dict[str, Any]
    token: str
    status: int = 200
    error_code: int | None = None


@dataclass
class SentMessage:
    message_id: str
    chat_id: str
    text: str | None
    method: str
    photo: str | None = None
    date: int = field(default_factory=now_ms)


@dataclass
class _Fault:
    method: str
    status: int
    error_code: int | None
    description: str
    html: str | None
    remaining: int
    skip: int = 0


@dataclass
class _Delay:
    seconds: float
    remaining: int | None


class ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


class FakeZaloApi:
    """In-process fake of bot-api.zaloplatforms.com, served by tornado on the test's loop."""

    def __init__(
        self,
        *,
        token: str = f"{BOT_ID}:fake-secret-T0KEN",
        max_poll_wait: float = DEFAULT_MAX_POLL_WAIT,
    ) -> None:
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.port = 0
        self.requests: list[Recorded] = []
        self.sent: list[SentMessage] = []
        self.webhook: dict[str, Any] | None = None
        self.echo_own_messages = False
        self.internal_errors: list[BaseException] = []
        self._updates: list[dict[str, Any]] = []
        self.photos: dict[str, bytes] = {}  # served at /cdn/<name>, like Zalo's image CDN
        self._faults: list[_Fault] = []
        self._delays: dict[str, _Delay] = {}
        self._changed = asyncio.Event()
        self._server: tornado.httpserver.HTTPServer | None = None
        self._inflight = 0
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendChatAction": self._send_chat_action,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> FakeZaloApi:
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/([^/]+)/?", _Handler, {"fake": self}),
                (r"/cdn/([^/]+)", _Photo, {"fake": self}),
                (r".*", _NotFound),
            ],
            log_function=lambda _handler: None,
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = int(sockets[0].getsockname()[1])
        self._server = tornado.httpserver.HTTPServer(app)
        self._server.add_sockets(sockets)
        return self

    async def stop(self) -> None:
        self._notify()
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        await server.close_all_connections()
        deadline = time.monotonic() + 2.0
        while self._inflight and time.monotonic() < deadline:
            await self._wait_change(deadline - time.monotonic())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ----------------------------------------------------------------- fault injection

    def fail_next(
        self,
        method: str,
        *,
        error_code: int | None = None,
        description: str = "error",
        status: int = 200,
        html: str | None = None,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """After `skip` good calls, the next `times` calls of `method` ("*" for any) fail:
        with a JSON error body (`error_code`), or with `html` as the body (a proxy's error
        page) and `status`."""
        self._faults.append(_Fault(method, status, error_code, description, html, times, skip))

    def rate_limit_next(self, method: str = "*", *, times: int = 1) -> None:
        """nginx in front of Zalo answering a burst: HTTP 429 with an HTML page."""
        self.fail_next(method, status=429, html=NGINX_429, times=times)

    def delay(self, method: str, seconds: float, *, times: int | None = None) -> None:
        """Answer late, after the call took effect (as when a reply is lost on the way)."""
        self._delays[method] = _Delay(seconds, times)

    # ----------------------------------------------------------------- simulated users

    def user_message(
        self,
        user_id: str,
        *,
        display_name: str = "An",
        chat_type: str = "PRIVATE",
        chat_id: str | None = None,
    ) -> dict[str, Any]:
        return {
            "from": {"id": user_id, "display_name": display_name, "is_bot": False},
            "chat": {"id": chat_id or user_id, "chat_type": chat_type},
            "message_id": hex_id(),
            "date": now_ms(),
        }

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        self._updates.append(update)
        self._notify()
        return update

    def push_text(self, user_id: str, text: str, **kwargs: Any) -> dict[str, Any]:
        message = self.user_message(user_id, **kwargs)
        message["text"] = text
        return self.push_update({"event_name": "message.text.received", "message": message})

    def push_image(
        self, user_id: str, caption: str | None = None, *, content: bytes | None = None
    ) -> dict[str, Any]:
        """With `content`, the photo is served by this fake (as Zalo's CDN serves it), at a
        URL the bot may download once it asked for a photo (#16.8)."""
        message = self.user_message(user_id)
        message["photo_url"] = "https://photo-zinstant.example/abc.jpg"
        if content is not None:
            name = f"{hex_id()}.jpg"
            self.photos[name] = content
            message["photo_url"] = f"{self.base_url}/cdn/{name}"
        if caption:
            message["caption"] = caption
        return self.push_update({"event_name": "message.image.received", "message": message})

    def push_sticker(self, user_id: str) -> dict[str, Any]:
        message = self.user_message(user_id)
        message.update(sticker="bfe458bf64fa8da4d4eb", url="https://zalo-api.example/sticker")
        return self.push_update({"event_name": "message.sticker.received", "message": message})

    def push_voice(self, user_id: str) -> dict[str, Any]:
        message = self.user_message(user_id)
        message["voice_url"] = "https://voice.example/a.aac"
        return self.push_update({"event_name": "message.voice.received", "message": message})

    def push_unsupported(self, user_id: str) -> dict[str, Any]:
        """What Zalo sends instead of the content for protected senders."""
        message = self.user_message(user_id)
        return self.push_update({"event_name": "message.unsupported.received", "message": message})

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        return self.push_update(copy.deepcopy(update))

    @property
    def pending(self) -> int:
        return len(self._updates)

    # ----------------------------------------------------------------- webhook delivery

    async def post_webhook(
        self,
        url: str | None,
        update: dict[str, Any],
        *,
        secret: str | None = None,
        wrapped: bool = True,
        use_registered_secret: bool = True,
    ) -> httpx.Response:
        """POST an update as Zalo does: documented wrapped in {"ok", "result"}, or bare."""
        if url is None:
            assert self.webhook, "no webhook registered"
            url = str(self.webhook["url"])
        if secret is None and use_registered_secret and self.webhook:
            secret = str(self.webhook["secret_token"])
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Bot-Api-Secret-Token"] = secret
        body = {"ok": True, "result": update} if wrapped else update
        async with httpx.AsyncClient(timeout=5.0) as client:
            return await client.post(url, content=json.dumps(body).encode(), headers=headers)

    # ----------------------------------------------------------------- inspection

    def sent_to(self, chat_id: str) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    async def wait_sent(
        self,
        chat_id: str,
        n: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - reads better
    ) -> list[SentMessage]:
        await self.wait_for(
            lambda: len(self.sent_to(chat_id)) >= n, timeout, f"{n} messages to {chat_id}"
        )
        return self.sent_to(chat_id)

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - reads better than a cancel scope in tests
        what: str = "condition",
    ) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                texts = [f"{m.chat_id}: {m.text!r}" for m in self.sent[-6:]]
                calls = [f"{r.method}->{r.status}/{r.error_code}" for r in self.requests[-10:]]
                raise AssertionError(f"timed out waiting for {what}; sent {texts}; calls {calls}")
            await self._wait_change(remaining)

    async def _wait_change(self, budget: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), budget)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # ----------------------------------------------------------------- the API

    async def handle(self, handler: _Handler, token: str, method: str) -> None:
        self._inflight += 1
        try:
            await self._handle(handler, token, method)
        except Exception as exc:  # a bug in the fake must fail the test, not hang it
            self.internal_errors.append(exc)
            handler.reply(500, {"ok": False, "error_code": 500, "description": "fake error"})
        finally:
            self._inflight -= 1
            self._notify()

    async def _handle(self, handler: _Handler, token: str, method: str) -> None:
        params = handler.params()
        record = Recorded(method, params, token)
        self.requests.append(record)
        self._notify()
        fault = self._take_fault(method)
        if fault is not None:
            record.status, record.error_code = fault.status, fault.error_code
            if fault.html is not None:
                handler.reply_raw(fault.status, fault.html, "text/html")
            else:
                code = fault.error_code or fault.status
                handler.reply(
                    fault.status,
                    {"ok": False, "error_code": code, "description": fault.description},
                )
            return
        try:
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            fn = self._methods.get(method)
            if fn is None:
                raise ApiError(404, "Not Found")
            result = fn(params)
            if asyncio.iscoroutine(result):
                result = await result
            body: dict[str, Any] = {"ok": True}
            if result is not None:
                body["result"] = result
        except ApiError as exc:
            record.error_code = exc.code
            body = {"ok": False, "error_code": exc.code, "description": exc.description}
        delay = self._delays.get(method)
        if delay is not None and delay.remaining != 0:
            if delay.remaining is not None:
                delay.remaining -= 1
            await asyncio.sleep(delay.seconds)
        handler.reply(200, body)

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.method in (method, "*"):
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.remaining -= 1
                return fault
        return None

    def _get_me(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "account_name": BOT_NAME,
            "account_type": "BASIC",
            "can_join_groups": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.webhook:
            raise ApiError(400, "Bad request: webhook is active")
        try:
            hold = float(params.get("timeout", 30))
        except (TypeError, ValueError):
            hold = 30.0
        deadline = time.monotonic() + min(hold, self.max_poll_wait)
        while not self._updates:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._server is None:
                raise ApiError(408, "Request timeout")
            await self._wait_change(remaining)
        return self._updates.pop(0)

    def _record_send(
        self, method: str, chat_id: str, text: str | None, photo: str | None = None
    ) -> dict[str, Any]:
        sent = SentMessage(hex_id(), chat_id, text, method, photo)
        self.sent.append(sent)
        if self.echo_own_messages:
            # Reported: Zalo re-delivers the bot's own messages; only from.id tells.
            self._updates.append(
                {
                    "event_name": "message.text.received",
                    "message": {
                        "from": {"id": BOT_ID, "display_name": BOT_NAME, "is_bot": False},
                        "chat": {"id": chat_id, "chat_type": "PRIVATE"},
                        "message_id": sent.message_id,
                        "date": sent.date,
                        "text": text or "",
                    },
                }
            )
        return {"message_id": sent.message_id, "date": sent.date}

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, text = params.get("chat_id"), params.get("text")
        if not chat_id:
            raise ApiError(400, "Bad request: The chat_id must not be empty")
        if not text:
            raise ApiError(400, "Bad request: The text must not be empty")
        if len(str(text)) > TEXT_LIMIT:
            raise ApiError(400, "Bad request: The text must not exceed 2000 characters")
        return self._record_send("sendMessage", str(chat_id), str(text))

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id, photo = params.get("chat_id"), str(params.get("photo") or "")
        if not chat_id:
            raise ApiError(400, "Bad request: The chat_id must not be empty")
        if not photo:
            raise ApiError(400, "The photo must not be empty")
        if not photo.startswith(("http://", "https://")):
            raise ApiError(400, "The photo must start with http:// or https://")
        caption = params.get("caption")
        if caption is not None and len(str(caption)) > TEXT_LIMIT:
            raise ApiError(400, "Bad request: The caption must not exceed 2000 characters")
        return self._record_send("sendPhoto", str(chat_id), caption, photo)

    def _send_chat_action(self, params: dict[str, Any]) -> None:
        if not params.get("chat_id"):
            raise ApiError(400, "Bad request: The chat_id must not be empty")

    def _set_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
        if not url:
            raise ApiError(400, "Bad request: The url must not be empty")
        if not 8 <= len(secret) <= 256:
            raise ApiError(400, "Bad request: The secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret_token": secret, "updated_at": now_ms()}
        return {"url": url, "updated_at": self.webhook["updated_at"]}

    def _delete_webhook(self, _params: dict[str, Any]) -> dict[str, Any]:
        self.webhook = None
        return {"url": "", "updated_at": now_ms()}

    def _get_webhook_info(self, _params: dict[str, Any]) -> dict[str, Any]:
        if not self.webhook:
            return {"url": "", "updated_at": now_ms()}
        return {"url": self.webhook["url"], "updated_at": self.webhook["updated_at"]}


class _Photo(tornado.web.RequestHandler):
    def initialize(self, fake: FakeZaloApi) -> None:
        self.fake = fake

    def get(self, name: str) -> None:
        content = self.fake.photos.get(name)
        if content is None:
            self.set_status(404)
            return
        self.fake.requests.append(Recorded("cdn", {"name": name}, token=""))
        self.set_header("Content-Type", "image/jpeg")
        self.write(content)


class _Handler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "POST")

    def initialize(self, fake: FakeZaloApi) -> None:
        self.fake = fake
        self.closed = False

    def on_connection_close(self) -> None:
        self.closed = True
        self.fake._notify()

    async def get(self, token: str, method: str) -> None:
        await self.fake.handle(self, token, method)

    async def post(self, token: str, method: str) -> None:
        await self.fake.handle(self, token, method)

    def params(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: raw[-1].decode("utf-8", "replace")
            for name, raw in self.request.query_arguments.items()
        }
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            with contextlib.suppress(ValueError):
                body = json.loads(self.request.body or b"{}")
                if isinstance(body, dict):
                    values.update(body)
        else:
            for name, raw in self.request.body_arguments.items():
                values[name] = raw[-1].decode("utf-8", "replace")
        return values

    def reply(self, status: int, body: dict[str, Any]) -> None:
        self.reply_raw(status, json.dumps(body, ensure_ascii=False), "application/json")

    def reply_raw(self, status: int, text: str, content_type: str) -> None:
        if self.closed or self._finished:
            return
        self.set_status(status)
        self.set_header("Content-Type", content_type)
        with contextlib.suppress(tornado.iostream.StreamClosedError):
            self.finish(text.encode())


class _NotFound(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.finish(json.dumps({"ok": False, "error_code": 404, "description": "Not Found"}))
