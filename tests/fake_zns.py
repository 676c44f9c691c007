"""A fake ZNS API as a real HTTP server (aiohttp on 127.0.0.1): POST /message/template with
the documented checks — access token, template id, every parameter present and within its
length, the phone as 84xxxxxxxxx, a daily quota — and, after a success, the delivery
callback `user_received_message` posted to the bot's webhook, signed like the OA's events.
Error codes as docs/zalo-oa.md ("ZNS") lists them.

ZNS is sent with the OA's access token: `token` may be a callable answering the token the
OA accepts right now (e.g. `FakeZaloOa.current_access_token`), so a rotation on the fake
OA is seen here."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.zns.callbacks import SIGNATURE_HEADER, signature

PHONE = re.compile(r"84\d{9,10}")
APP_ID = "4300000000000000001"
OA_SECRET = "fake-oa-secret"
TOKEN = "zns-token"  # the fixed token of a fake without an OA


@dataclass
class FakeZns:
    templates: dict[str, dict[str, int]]  # template id -> parameter name -> max length
    token: str | Callable[[], str | None] = TOKEN
    # Who signs the delivery callbacks: the OA's app and its secret key.
    app_id: str = APP_ID
    secret: str = OA_SECRET
    # When a receipt says it was delivered (seconds since the epoch); unset, a fixed time.
    clock: Callable[[], float] | None = None
    daily_quota: int = 100
    callback_url: str | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    callbacks: list[int] = field(default_factory=list)  # HTTP status of each posted callback
    tokens_seen: list[str] = field(default_factory=list)  # the access token of each call
    base_url: str = ""
    _runner: web.AppRunner | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> FakeZns:
        app = web.Application()
        app.router.add_post("/message/template", self._template)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    async def settle(self) -> None:
        """Wait until every delivery callback has been posted."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _error(self, code: int, message: str, body: dict[str, Any]) -> web.Response:
        self.refused.append((code, body))
        return web.json_response({"error": code, "message": message})

    async def _template(self, request: web.Request) -> web.Response:
        body = await request.json()
        given = request.headers.get("access_token", "")
        self.tokens_seen.append(given)
        current = self.token() if callable(self.token) else self.token
        if current is None or given != current:
            return self._error(-124, "Access token is invalid", body)
        phone = str(body.get("phone", ""))
        if not PHONE.fullmatch(phone):
            return self._error(-108, "Phone number is invalid", body)
        params = self.templates.get(str(body.get("template_id")))
        if params is None:
            return self._error(-109, "Template id is invalid", body)
        data = body.get("template_data") or {}
        for name, limit in params.items():
            value = data.get(name)
            if value in (None, ""):
                return self._error(-112, f"Template data is missing {name}", body)
            if len(str(value)) > limit:
                return self._error(-112, f"Template data {name} is too long", body)
        if len(self.sent) >= self.daily_quota:
            return self._error(-144, "OA has exceeded the daily quota", body)
        msg_id = f"zns{len(self.sent) + 1:06d}"
        self.sent.append(body)
        if self.callback_url:
            task = asyncio.create_task(self._deliver(msg_id, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {
                    "msg_id": msg_id,
                    "sent_time": "1764568800000",
                    "quota": {
                        "dailyQuota": str(self.daily_quota),
                        "remainingQuota": str(self.daily_quota - len(self.sent)),
                    },
                },
            }
        )

    async def _deliver(self, msg_id: str, sent: dict[str, Any]) -> None:
        assert self.callback_url is not None
        timestamp = "1764568805000" if self.clock is None else str(int(self.clock() * 1000))
        event = {
            "app_id": self.app_id,
            "event_name": "user_received_message",
            "sender": {"id": "oa-1"},
            "recipient": {"id": "user-" + sent["phone"]},
            "message": {
                "msg_id": msg_id,
                "tracking_id": sent.get("tracking_id"),
                "delivery_time": timestamp,
            },
            "timestamp": timestamp,
        }
        body = json.dumps(event)
        headers = {SIGNATURE_HEADER: signature(self.app_id, body, timestamp, self.secret)}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.callback_url, data=body, headers=headers) as response,
        ):
            self.callbacks.append(response.status)
