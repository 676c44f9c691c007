"""The Zalo OA channel: webhook in, consultation messages out.

Each webhook call is checked (mac, constant time), answered 200 at once and handled in the
background: Zalo waits about two seconds [U] and a handler may take longer. Events are
recorded in the database before they are handled (models.chat.inbound_dedup), so a
re-delivery, or the same event reaching two processes, is answered once. Every event from a
person (an unfollow aside) also moves their interaction window (models.notices.oa_window,
the one record the delivery planner and this transport share), which decides whether the
outbox may send them a free consultation message.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.channels.chat_lanes import ChatLanes
from bot.channels.zalo_downloads import Downloads
from bot.channels.zalo_oa.api import OUTSIDE_WINDOW, TOKEN_ERRORS, OaApi, OaError
from bot.channels.zalo_oa.buttons import button_key
from bot.channels.zalo_oa.inbound import CHANNEL, Inbound, parse
from bot.channels.zalo_oa.render import render
from bot.channels.zalo_oa.tokens import OaTokens, TokenUnavailable
from bot.channels.zns import callbacks as zns_callbacks
from bot.config import ConfigError, Settings, ZaloOaSettings
from bot.db import Database
from bot.dispatch import Dispatcher
from bot.transport import Outcome, SendResult
from handlers.types import Reply
from locales import use_locale
from models.chat import inbound_dedup
from models.notices import oa_window

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_WEBHOOK_BODY = 256 * 1024
PRUNE_EVERY = timedelta(hours=1)


def expected_mac(app_id: str, body: str, timestamp: str, secret: str) -> str:
    """sha256 hex of app_id + body + timestamp + secret: the official Java SDK's
    MacUtils.buildMac (a plain hash, not an HMAC)."""
    return hashlib.sha256((app_id + body + timestamp + secret).encode()).hexdigest()


def signature_ok(header: str, app_id: str, raw: str, timestamp: str, secret: str) -> bool:
    given = header.strip()
    if given.lower().startswith("mac="):
        given = given[4:]
    expected = expected_mac(app_id, raw, timestamp, secret)
    return hmac.compare_digest(given.lower().encode(), expected.encode())


class ZaloOaBot:
    def __init__(
        self,
        api: OaApi,
        dispatcher: Dispatcher,
        settings: ZaloOaSettings,
        *,
        tz: ZoneInfo,
        downloads: Downloads | None = None,
        max_concurrent: int = 8,
    ) -> None:
        self.api = api
        self.dispatcher = dispatcher
        self.settings = settings
        self.tz = tz
        self.downloads = downloads
        self.key = button_key(settings.secret_key or "")
        self._lanes = ChatLanes(max_concurrent, failure="Zalo OA event failed")
        self._pruned_at: datetime | None = None

    # ------------------------------------------------------------------ inbound

    def accept(self, event: dict[str, Any]) -> bool:
        """Schedule one verified event; never waits, so the webhook answers at once."""
        if event.get("event_name") == zns_callbacks.DELIVERED_EVENT:
            # A ZNS delivery receipt comes to the OA's webhook: recorded on its notice.
            self._lanes.spawn(self._record_receipt(event))
            return True
        inbound = parse(event, self.key)
        if inbound is None:
            return False
        self._lanes.submit(inbound.user_id, lambda: self._handle(inbound))
        return True

    async def _record_receipt(self, event: dict[str, Any]) -> None:
        try:
            await zns_callbacks.zns_event(self.dispatcher.db, event)
        except Exception:
            log.exception("a ZNS delivery receipt could not be recorded")

    async def _handle(self, inbound: Inbound) -> None:
        now = self.dispatcher.clock()
        async with self.dispatcher.db.transaction() as session:
            fresh = await inbound_dedup.first_sighting(session, CHANNEL, inbound.dedup_key, now)
            if fresh and inbound.incoming.reachable is None:
                # Committed before the handler runs, so a handler that fails still leaves
                # the window the person opened; an unfollow opens none.
                await oa_window.record_inbound(
                    session, channel=CHANNEL, chat_id=inbound.user_id, now=now
                )
            if self._pruned_at is None or now - self._pruned_at > PRUNE_EVERY:
                self._pruned_at = now
                await inbound_dedup.prune(session, now)
        if not fresh:
            log.info("duplicate Zalo OA event dropped")
            return
        replies = await self.dispatcher.handle(inbound.incoming)
        if replies:
            await self.send(inbound.user_id, replies)

    # ------------------------------------------------------------------ outbound

    async def send(self, user_id: str, replies: Sequence[Reply]) -> None:
        links: dict[int, tuple[str, datetime]] = {}
        if self.downloads is not None:
            for reply in replies:
                for attachment in reply.attachments:
                    if attachment.personal:
                        links[id(attachment)] = await self.downloads.link(
                            CHANNEL, user_id, attachment
                        )
        with use_locale(self.dispatcher.default_locale):
            messages = render(replies, key=self.key, user_id=user_id, tz=self.tz, links=links)
        for message in messages:
            try:
                await self.api.send_cs(user_id, message)
            except (OaError, TokenUnavailable) as exc:
                log.warning("Zalo OA reply not sent: %s", exc)
                return  # the rest would arrive without its beginning

    async def drain(self) -> None:
        await self._lanes.drain()


# ---------------------------------------------------------------------- webhook


def _stale(timestamp: str, now: datetime) -> bool:
    try:
        sent_at = datetime.fromtimestamp(int(timestamp) / 1000, tz=now.tzinfo)
    except (ValueError, OverflowError, OSError):
        return True  # a signed event without a usable timestamp is no event Zalo sends
    return sent_at < now - inbound_dedup.KEEP_FOR


def webhook_app(bot: ZaloOaBot, settings: ZaloOaSettings) -> web.Application:
    secret = settings.webhook_secret_key or settings.secret_key or ""
    app_id = settings.app_id or ""

    async def receive(request: web.Request) -> web.Response:
        raw = (await request.read()).decode("utf-8", errors="replace")
        try:
            event = json.loads(raw)
        except ValueError:
            return web.json_response({"error": "bad json"}, status=400)
        if not isinstance(event, dict):
            return web.json_response({"error": "bad event"}, status=400)
        header = request.headers.get(SIGNATURE_HEADER, "")
        timestamp = str(event.get("timestamp") or "")
        if not header or not signature_ok(header, app_id, raw, timestamp, secret):
            # Never log the body: it is an unauthenticated stranger's input.
            log.warning(
                "refused a Zalo OA webhook call from %s: %s signature",
                request.remote,
                "wrong" if header else "missing",
            )
            return web.json_response({"error": "signature"}, status=401)
        if _stale(timestamp, bot.dispatcher.clock()):
            # Older than de-duplication remembers: a replay of a captured event, not Zalo's
            # retry (those come within the hour). Acknowledged, so it is not sent again.
            log.warning("ignored a Zalo OA webhook event older than a day")
            return web.json_response({"message": "Success"})
        bot.accept(event)
        return web.json_response({"message": "Success"})

    async def check(_request: web.Request) -> web.Response:
        # The console checks the URL when it is saved [U]; answering costs nothing.
        return web.json_response({"message": "Success"})

    app = web.Application(client_max_size=MAX_WEBHOOK_BODY)
    app.router.add_post(settings.webhook_path, receive)
    app.router.add_get(settings.webhook_path, check)
    return app


async def start_webhook(
    bot: ZaloOaBot, settings: ZaloOaSettings, *, port: int | None = None
) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(webhook_app(bot, settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(
        runner, settings.webhook_listen, settings.webhook_port if port is None else port
    )
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else settings.webhook_port
    return runner, int(bound)


# ---------------------------------------------------------------------- outbox


class ZaloOaTransport:
    """`bot.transport.Transport` for the OA: consultation messages inside the person's
    interaction window only; outside it the notice is FAILED for this channel (the delivery
    planner then picks another one: ZNS, Zalo Bot, Telegram)."""

    channel = CHANNEL
    numbered_choices = False

    def __init__(
        self,
        api: OaApi,
        db: Database,
        settings: ZaloOaSettings,
        *,
        tz: ZoneInfo,
        clock: Any,
    ) -> None:
        self.api = api
        self.db = db
        self.settings = settings
        self.tz = tz
        self.clock = clock
        self.key = button_key(settings.secret_key or "")

    @classmethod
    def from_settings(cls, settings: Settings) -> ZaloOaTransport:
        """For the outbox sender, which opens its own database for the outbox: this one
        reads tokens and interaction windows (a small pool is plenty)."""
        from bot.dispatch import system_clock

        db = Database(settings.database_url)
        api = OaApi(tokens_for(settings, db, system_clock), settings.zalo_oa.api_base_url)
        transport = cls(api, db, settings.zalo_oa, tz=settings.timezone, clock=system_clock)
        transport._own_db = True
        return transport

    _own_db = False

    async def close(self) -> None:
        await self.api.close()
        await self.api.tokens.close()
        if self._own_db:
            await self.db.dispose()

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        window = timedelta(hours=self.settings.interaction_window_hours)
        async with self.db.transaction() as session:
            last = await oa_window.last_inbound(session, chat_id)
        if not oa_window.inside_window(last, self.clock(), window):
            return SendResult(Outcome.FAILED, error="outside the OA interaction window")
        messages = render([reply], key=self.key, user_id=chat_id, tz=self.tz)
        first: str | None = None
        for index, message in enumerate(messages):
            try:
                message_id = await self.api.send_cs(chat_id, message)
            except TokenUnavailable as exc:
                if index == 0:
                    return SendResult(Outcome.RETRY, retry_after=exc.retry_after, error=str(exc))
                return SendResult(Outcome.UNKNOWN, error=f"sent {index} parts, then: {exc}")
            except OaError as exc:
                result = classify(exc)
                if index == 0:
                    return result
                return SendResult(Outcome.UNKNOWN, error=f"sent {index} parts, then: {exc}")
            first = first or message_id
        return SendResult(Outcome.SENT, message_id=first)


def classify(exc: OaError) -> SendResult:
    error = str(exc)[:300]
    if exc.may_have_arrived:
        return SendResult(Outcome.UNKNOWN, error=error)
    if exc.code is None or exc.code in TOKEN_ERRORS:
        return SendResult(Outcome.RETRY, retry_after=60.0, error=error)
    if exc.code == OUTSIDE_WINDOW:
        return SendResult(Outcome.FAILED, error=error)
    return SendResult(Outcome.FAILED, error=error)


# ---------------------------------------------------------------------- running


def tokens_for(settings: Settings, db: Database, clock: Any) -> OaTokens:
    oa = settings.zalo_oa
    if not oa.configured:
        raise ConfigError("ZALO_OA_APP_ID and ZALO_OA_SECRET_KEY must be set for the Zalo OA")
    return OaTokens(db, oa, clock)


async def serve(
    settings: Settings,
    dispatcher: Dispatcher,
    stop: asyncio.Event,
    *,
    serve_downloads: bool = True,
) -> None:
    """Serve the OA webhook until `stop`. `serve_downloads=False` when the Zalo Bot channel
    in the same process already serves the one-time links (one port, links of both)."""
    from bot.channels.zalo import download_links
    from bot.channels.zalo_downloads import start_server as start_download_server

    tokens = tokens_for(settings, dispatcher.db, dispatcher.clock)
    api = OaApi(tokens, settings.zalo_oa.api_base_url)
    bot = ZaloOaBot(
        api,
        dispatcher,
        settings.zalo_oa,
        tz=settings.timezone,
        downloads=download_links(settings, dispatcher),
    )
    try:
        await tokens.access_token()
    except TokenUnavailable as exc:
        # Serve anyway: events are still recorded, and replies resume once a token is set.
        log.error("Zalo OA has no usable token: %s", exc)
    downloads = bot.downloads
    download_server = (
        start_download_server(downloads, settings.zalo_download_listen, settings.zalo_download_port)
        if downloads is not None and serve_downloads
        else None
    )
    runner, port = await start_webhook(bot, settings.zalo_oa)
    log.info("Zalo OA webhook listening on port %d at %s", port, settings.zalo_oa.webhook_path)
    try:
        await stop.wait()
        await bot.drain()
    finally:
        await runner.cleanup()
        if download_server is not None:
            download_server.stop()
        await api.close()
        await tokens.close()
