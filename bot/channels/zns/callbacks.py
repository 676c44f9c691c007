"""Zalo's delivery callback for ZNS (`user_received_message`) on the OA's webhook.

The OA channel's webhook (bot/channels/zalo_oa) verifies the signature and hands every
event here; `zns_event` records the ones that are ZNS deliveries and says whether it
took the event. `app` is a stand-alone receiver with the same check, for tests and for an
OA whose webhook points only at ZNS.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.db import Database
from models.notices.zns_store import record_delivery

DELIVERED_EVENT = "user_received_message"
SIGNATURE_HEADER = "X-ZEvent-Signature"


def signature(app_id: str, body: str, timestamp: str, secret: str) -> str:
    """mac = sha256(app_id + body + timestamp + OA secret key), hex (docs/zalo-oa.md, fact
    15, [U])."""
    return "mac=" + hashlib.sha256((app_id + body + timestamp + secret).encode()).hexdigest()


async def zns_event(db: Database, event: dict[str, Any]) -> bool:
    if event.get("event_name") != DELIVERED_EVENT:
        return False
    message = event.get("message") or {}
    raw_time = message.get("delivery_time") or event.get("timestamp")
    try:
        delivered = datetime.fromtimestamp(int(str(raw_time)) / 1000, UTC)
    except (TypeError, ValueError):
        delivered = datetime.now(UTC)
    async with db.transaction() as session:
        return await record_delivery(
            session,
            tracking=message.get("tracking_id"),
            msg_id=message.get("msg_id"),
            delivered_at=delivered,
        )


def app(db: Database, *, secret: str, path: str = "/zalo/events") -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        body = await request.text()
        try:
            event = json.loads(body)
        except ValueError:
            return web.Response(status=400)
        expected = signature(
            str(event.get("app_id", "")), body, str(event.get("timestamp", "")), secret
        )
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(expected.encode(), given.encode()):
            return web.Response(status=403)
        await zns_event(db, event)
        return web.Response(text="ok")

    application = web.Application()
    application.router.add_post(path, receive)
    return application
