"""A fake Zalo Official Account platform over real HTTP (aiohttp): the OAuth v4 token
endpoint, the OpenAPI v3 consultation-message endpoint, and webhook calls to the bot.

Behaviour, as recorded in docs/zalo-oa.md (with each fact's source and verification state):

* ``POST /v4/oa/access_token`` (form: app_id, grant_type, refresh_token | code; header
  ``secret_key``): a wrong secret or app is ``{"error": -14002}``; a refresh token works once
  (rotation: the old one is refused afterwards, ``{"error": -14014}``); answers
  ``{"access_token", "refresh_token", "expires_in": "<seconds as a string>"}``;
* access tokens expire after ``token_ttl`` seconds on the fake's clock;
* ``POST /v3.0/oa/message/cs`` (header ``access_token``; JSON ``recipient.user_id`` and
  ``message``): an unknown token is ``-216``, an expired one ``-124``; a user who has not
  interacted within ``window`` is ``-230``; text over 2,000 characters or more than 5 buttons
  is ``-201``; success is ``{"error": 0, "data": {"message_id", "user_id"}}``;
* webhook calls: JSON events signed ``X-ZEvent-Signature: mac=sha256(app_id + body +
  timestamp + oa_secret_key)`` (the official Java SDK's MacUtils.buildMac), ``timestamp`` in
  milliseconds as a string; a button with ``oa.query.hide`` comes back as ``user_send_text``
  whose text is the payload; ``user_submit_info`` carries ``info.phone`` and ``info.name``.

Test hooks: advance the clock, hold the next refresh (to kill a process mid-way), echo the
OA's own messages back as ``oa_send_text`` events, re-deliver an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

APP_ID = "1234567890123456789"
SECRET_KEY = "app-secret-key-ABCDEFGHIJ"
OA_SECRET_KEY = "oa-secret-key-KLMNOPQRST"
OA_ID = "579745863508352884"
TEXT_LIMIT = 2000
MAX_BUTTONS = 5

ERR_BAD_APP = -14002
ERR_BAD_REFRESH = -14014
ERR_TOKEN_INVALID = -216
ERR_TOKEN_EXPIRED = -124
ERR_PARAMS = -201
ERR_OUTSIDE_WINDOW = -230


def mac(app_id: str, body: str, timestamp: str, secret: str) -> str:
    return hashlib.sha256((app_id + body + timestamp + secret).encode()).hexdigest()


@dataclass
class SentMessage:
    user_id: str
    text: str
    buttons: list[dict[str, Any]] = field(default_factory=list)
    template_type: str | None = None
    message_id: str = ""


class FakeZaloOa:
    def __init__(self, *, token_ttl: float = 3600, window_hours: float = 48) -> None:
        self.token_ttl = token_ttl
        self.window = window_hours * 3600
        self.clock_offset = 0.0
        self.access_tokens: dict[str, float] = {}  # token -> expires at (fake clock)
        self.current_access: str | None = None  # the newest pair's access token
        self.refresh_tokens: set[str] = set()
        self.spent_refresh_tokens: set[str] = set()
        self.codes: set[str] = set()
        self.refresh_calls = 0
        self.hold_refresh: asyncio.Event | None = None
        self.refresh_arrived = asyncio.Event()
        self._held: list[asyncio.Event] = []
        self.sent: list[SentMessage] = []
        self.refused: list[int] = []
        self.last_interaction: dict[str, float] = {}
        self.webhook_url: str | None = None
        self.echo = False
        self.events_posted: list[dict[str, Any]] = []
        self.webhook_statuses: list[int] = []
        self._sent_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0

    # ------------------------------------------------------------------ life cycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        self.clock_offset += seconds

    async def start(self) -> FakeZaloOa:
        app = web.Application()
        app.router.add_post("/v4/oa/access_token", self._token)
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._session = aiohttp.ClientSession()
        return self

    async def stop(self) -> None:
        for held in self._held:
            held.set()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def issue_pair(self) -> tuple[str, str]:
        """A pair as the OA's authorisation would give it, for seeding the bot."""
        access, refresh = "AT-" + secrets.token_urlsafe(24), "RT-" + secrets.token_urlsafe(24)
        self.access_tokens[access] = self.now() + self.token_ttl
        self.current_access = access
        self.refresh_tokens.add(refresh)
        return access, refresh

    def current_access_token(self) -> str | None:
        """The access token of the newest pair while it has not expired: what the OA's other
        APIs (ZNS) accept now."""
        access = self.current_access
        if access is None or self.access_tokens[access] <= self.now():
            return None
        return access

    # ------------------------------------------------------------------ OAuth v4

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.headers.get("secret_key") != SECRET_KEY or form.get("app_id") != APP_ID:
            return web.json_response({"error": ERR_BAD_APP, "error_name": "Invalid app_id"})
        grant = form.get("grant_type")
        if grant == "refresh_token":
            self.refresh_calls += 1
            self.refresh_arrived.set()
            if self.hold_refresh is not None:
                held = self.hold_refresh
                self._held.append(held)
                await held.wait()
                if request.transport is None or request.transport.is_closing():
                    # The caller died waiting: like Zalo, nothing was processed for it.
                    return web.json_response({"error": -1, "error_name": "gone"})
            old = str(form.get("refresh_token") or "")
            if old not in self.refresh_tokens:
                return web.json_response(
                    {"error": ERR_BAD_REFRESH, "error_name": "Invalid refresh token"}
                )
            self.refresh_tokens.discard(old)
            self.spent_refresh_tokens.add(old)
        elif grant == "authorization_code":
            code = str(form.get("code") or "")
            if code not in self.codes:
                return web.json_response({"error": -14019, "error_name": "Invalid code"})
            self.codes.discard(code)
        else:
            return web.json_response({"error": -14003, "error_name": "Invalid grant_type"})
        access, refresh = self.issue_pair()
        return web.json_response(
            {
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": str(int(self.token_ttl)),
            }
        )

    # ------------------------------------------------------------------ messages

    def _error(self, code: int, message: str) -> web.Response:
        self.refused.append(code)
        return web.json_response({"error": code, "message": message})

    async def _cs(self, request: web.Request) -> web.Response:
        token = request.headers.get("access_token", "")
        if token not in self.access_tokens:
            return self._error(ERR_TOKEN_INVALID, "Access token is invalid")
        if self.access_tokens[token] <= self.now():
            return self._error(ERR_TOKEN_EXPIRED, "Access token has expired")
        body = await request.json()
        user_id = str((body.get("recipient") or {}).get("user_id") or "")
        message = body.get("message") or {}
        last = self.last_interaction.get(user_id)
        if last is None or self.now() - last > self.window:
            return self._error(ERR_OUTSIDE_WINDOW, "User has not interacted with the OA recently")
        text = str(message.get("text") or "")
        attachment = message.get("attachment") or {}
        payload = attachment.get("payload") or {}
        buttons = list(payload.get("buttons") or [])
        template = payload.get("template_type")
        if len(text) > TEXT_LIMIT or len(buttons) > MAX_BUTTONS or not (text or template):
            return self._error(ERR_PARAMS, "Parameters are invalid")
        for button in buttons:
            if button.get("type") not in ("oa.query.show", "oa.query.hide", "oa.open.url"):
                return self._error(ERR_PARAMS, "Button type is invalid")
        if template == "request_user_info":
            element = (payload.get("elements") or [{}])[0]
            text = str(element.get("title") or "") + "\n" + str(element.get("subtitle") or "")
        sent = SentMessage(user_id, text, buttons, template, secrets.token_hex(16))
        self.sent.append(sent)
        self._sent_event.set()
        if self.echo:
            asyncio.get_running_loop().create_task(
                self.post_event(
                    "oa_send_text",
                    sender=OA_ID,
                    recipient=user_id,
                    message={"text": text, "msg_id": sent.message_id},
                )
            )
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {"message_id": sent.message_id, "user_id": user_id},
            }
        )

    def sent_to(self, user_id: str) -> list[SentMessage]:
        return [m for m in self.sent if m.user_id == user_id]

    async def wait_for(self, predicate: Callable[[], bool], seconds: float = 5.0) -> None:
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting on the fake OA")
            self._sent_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sent_event.wait(), 0.05)

    # ------------------------------------------------------------------ webhook

    async def post_raw(self, body: str, signature: str | None) -> int:
        assert self._session is not None and self.webhook_url is not None
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-ZEvent-Signature"] = signature
        async with self._session.post(self.webhook_url, data=body, headers=headers) as response:
            self.webhook_statuses.append(response.status)
            return response.status

    async def post_event(
        self, event_name: str, *, sender: str, recipient: str = OA_ID, **extra: Any
    ) -> dict[str, Any]:
        timestamp = str(int(self.now() * 1000))
        event: dict[str, Any] = {
            "app_id": APP_ID,
            "event_name": event_name,
            "sender": {"id": sender},
            "recipient": {"id": recipient},
            "timestamp": timestamp,
            **extra,
        }
        if event_name in ("follow", "unfollow"):
            event["oa_id"] = OA_ID
            event["follower"] = {"id": sender}
            del event["sender"], event["recipient"]
        if not event_name.startswith("oa_"):
            self.last_interaction[sender] = self.now()
        body = json.dumps(event, ensure_ascii=False)
        self.events_posted.append(event)
        await self.post_raw(body, "mac=" + mac(APP_ID, body, timestamp, OA_SECRET_KEY))
        return event

    async def user_text(self, user_id: str, text: str) -> dict[str, Any]:
        return await self.post_event(
            "user_send_text",
            sender=user_id,
            message={"text": text, "msg_id": secrets.token_hex(16)},
        )

    async def tap(self, user_id: str, button: dict[str, Any]) -> dict[str, Any]:
        """What the Zalo app does when the user taps an oa.query.* button."""
        return await self.user_text(user_id, str(button["payload"]))

    async def submit_info(self, user_id: str, phone: str, name: str) -> dict[str, Any]:
        return await self.post_event(
            "user_submit_info", sender=user_id, info={"name": name, "phone": phone}
        )
