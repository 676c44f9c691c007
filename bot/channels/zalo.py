"""Zalo through the Zalo Bot Platform API (httpx), by long polling or by webhook.

Each update becomes an `Incoming`, the dispatcher does the work in one transaction, and the
replies are rendered as plain text with numbered choices (bot/channels/zalo_render.py).
Updates from different chats are handled concurrently, one chat's strictly in order.

Zalo has no update_id and may deliver an event twice, so every message id is recorded in
the database (`models.chat.inbound_dedup`) before it is handled: across processes, a duplicate
is dropped. Recording first means a crash mid-update loses that message rather than
answering it twice; Zalo's own delivery is at-most-once anyway [reported].
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import signal
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import tornado.httpserver
import tornado.web

from bot.channels.chat_lanes import ChatLanes
from bot.channels.zalo_api import POLL_TIMEOUT, ZaloApi, ZaloError
from bot.channels.zalo_downloads import Downloads
from bot.channels.zalo_downloads import start_server as start_download_server
from bot.channels.zalo_files import FileStore
from bot.channels.zalo_inbound import CHANNEL, Inbound, parse, unwrap
from bot.channels.zalo_render import Outgoing, render
from bot.channels.zalo_transport import deliver, file_store
from bot.config import ConfigError, Settings
from bot.dispatch import Dispatcher
from bot.transport import Outcome
from handlers.types import Document, Incoming, Reply
from locales import _, use_locale
from models.chat import inbound_dedup

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_WEBHOOK_BODY = 1024 * 1024  # updates are a few hundred bytes
REPLY_ATTEMPTS = 3
PRUNE_EVERY = timedelta(hours=1)
ECHO_MEMORY = 2000  # message ids of our own recent sends, to spot echoes


class ZaloBot:
    """The inbound side: accepts raw updates from polling or the webhook and answers them."""

    def __init__(
        self,
        api: ZaloApi,
        dispatcher: Dispatcher,
        *,
        tz: ZoneInfo,
        files: FileStore | None = None,
        downloads: Downloads | None = None,
        max_concurrent: int = 8,
        poll_hold_seconds: int = POLL_TIMEOUT,
        poll_retry_delay: float = 1.0,
    ) -> None:
        self.api = api
        self.dispatcher = dispatcher
        self.tz = tz
        self.files = files
        self.downloads = downloads
        self.poll_hold_seconds = poll_hold_seconds
        self.poll_retry_delay = poll_retry_delay
        self.bot_id: str | None = None
        self._lanes = ChatLanes(max_concurrent, failure="Zalo update failed")
        self._sent_ids: deque[str] = deque(maxlen=ECHO_MEMORY)
        self._pruned_at: datetime | None = None

    async def start(self) -> None:
        """Learn our own id, so echoes of our messages can be told apart."""
        try:
            me = await self.api.get_me()
        except ZaloError as exc:
            if exc.code == 401:
                raise ConfigError("ZALO_BOT_TOKEN was rejected by Zalo (401)") from None
            log.warning("getMe failed, own messages are recognised by is_bot only: %s", exc)
            return
        self.bot_id = str(me.get("id") or "") or None
        log.info("Zalo bot %s (%s) is up", me.get("account_name"), self.bot_id)

    # ------------------------------------------------------------------ inbound

    def accept(self, update: dict[str, Any]) -> bool:
        """Schedule one update; False when it needs no answer. Never waits, so a webhook can
        acknowledge at once and the poll loop can fetch the next update."""
        inbound = parse(update, self.bot_id)
        if inbound is None:
            return False
        message = update.get("message") or {}
        if str(message.get("message_id") or "") in self._sent_ids:
            return False  # our own message echoed back
        # The chat's place in line is taken now, so its messages are answered in sequence.
        self._lanes.submit(inbound.incoming.chat_id, lambda: self._handle(inbound))
        return True

    async def _handle(self, inbound: Inbound) -> None:
        if inbound.dedup_key is not None and not await self._first_sighting(inbound.dedup_key):
            log.info("duplicate Zalo update dropped")
            return
        incoming = inbound.incoming
        if not inbound.private:
            # Personal data never goes to a group: point commands to a private chat.
            if (incoming.text or "").startswith("/"):
                with use_locale(self.dispatcher.default_locale):
                    text = _("Please talk to me in a private chat: your information is personal.")
                await self.send(incoming.chat_id, [Reply(text)])
            return
        if inbound.photo_url is not None and await self.dispatcher.expects_file(incoming):
            incoming = await self._with_photo(incoming, inbound.photo_url)
        replies = await self.dispatcher.handle(incoming)
        await self.send(incoming.chat_id, replies, user_id=incoming.sender_id)

    async def _with_photo(self, incoming: Incoming, url: str) -> Incoming:
        """A photo the sender was asked for (a certificate, #16.8), fetched now: Zalo's URLs
        are said to expire, and there is no file id to fetch it by later. Zalo sends no
        documents at all, so a PDF cannot come this way."""
        limit = self.dispatcher.settings.self_reports.max_bytes
        content, too_large = await self.api.download(url, limit)
        document = Document(
            file_name="photo.jpg", content=content, mime_type="image/jpeg", too_large=too_large
        )
        return replace(incoming, unsupported=None, document=document)

    async def _first_sighting(self, key: str) -> bool:
        now = self.dispatcher.clock()
        async with self.dispatcher.db.transaction() as session:
            fresh = await inbound_dedup.first_sighting(session, CHANNEL, key, now)
            if self._pruned_at is None or now - self._pruned_at > PRUNE_EVERY:
                self._pruned_at = now
                await inbound_dedup.prune(session, now)
        return fresh

    # ------------------------------------------------------------------ outbound

    async def send(
        self, chat_id: str, replies: Sequence[Reply], *, user_id: str | None = None
    ) -> None:
        links: dict[int, tuple[str, datetime]] = {}
        if self.downloads is not None and user_id is not None:
            # Files with personal data: a one-time link issued to this account only.
            for reply in replies:
                for attachment in reply.attachments:
                    if attachment.personal and not attachment.is_image:
                        links[id(attachment)] = await self.downloads.link(
                            CHANNEL, user_id, attachment
                        )
        # The dispatcher does not tell us the person's locale; the few words added for Zalo
        # follow the default one, as on the console.
        with use_locale(self.dispatcher.default_locale):
            messages = render(replies, self.tz, self.files, links)
        for message in messages:
            await self._deliver(chat_id, message)

    async def _deliver(self, chat_id: str, message: Outgoing) -> None:
        result = await deliver(self.api, chat_id, message, attempts=REPLY_ATTEMPTS)
        if result.outcome is Outcome.SENT:
            if result.message_id:
                self._sent_ids.append(result.message_id)
            return
        log.warning("Zalo reply not sent (%s): %s", result.outcome.value, result.error)

    # ------------------------------------------------------------------ polling

    async def poll(self, stop: asyncio.Event) -> None:
        """Long-poll until `stop` is set. A poll in progress is allowed to finish: Zalo
        removes an update from its queue when it hands it out, so cancelling the request
        could lose a message."""
        delay = self.poll_retry_delay
        while not stop.is_set():
            try:
                updates = await self.api.get_update(self.poll_hold_seconds)
            except ZaloError as exc:
                log.warning("Zalo getUpdates failed, retrying in %.0f s: %s", delay, exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                delay = min(delay * 2, 60.0)
                continue
            delay = self.poll_retry_delay
            for update in updates:
                self.accept(update)

    async def drain(self) -> None:
        """Wait for updates already accepted, e.g. before shutting down."""
        await self._lanes.drain()


# ---------------------------------------------------------------------- webhook


class _WebhookHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET", "POST")

    def initialize(self, bot: ZaloBot, secret: str) -> None:
        self.bot = bot
        self.secret = secret.encode()

    def get(self) -> None:
        # Zalo is reported to check the URL when it is saved; answering costs nothing.
        self.finish({"ok": True})

    def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            # Never log the body: it is an unauthenticated stranger's input.
            log.warning(
                "refused a Zalo webhook call from %s: %s secret",
                self.request.remote_ip,
                "wrong" if given else "missing",
            )
            self.set_status(403)
            self.finish({"ok": False})
            return
        try:
            body = json.loads(self.request.body or b"null")
        except ValueError:
            self.set_status(400)
            self.finish({"ok": False})
            return
        update = unwrap(body)
        if update is not None:
            self.bot.accept(update)
        # Answer at once: the update is handled in the background.
        self.finish({"message": "Success"})


def webhook_app(bot: ZaloBot, secret: str, path: str) -> tornado.web.Application:
    route = "/" + path.strip("/")
    return tornado.web.Application(
        [
            (
                re.escape(route) + "/?",
                _WebhookHandler,
                {"bot": bot, "secret": secret},
            )
        ],
        log_function=_log_request,
    )


def _log_request(handler: tornado.web.RequestHandler) -> None:
    # tornado's default access log is fine (no tokens in our paths); keep it at debug.
    log.debug("%s %s %s", handler.get_status(), handler.request.method, handler.request.path)


def start_webhook_server(
    bot: ZaloBot, secret: str, path: str, listen: str, port: int
) -> tornado.httpserver.HTTPServer:
    server = tornado.httpserver.HTTPServer(
        webhook_app(bot, secret, path), max_body_size=MAX_WEBHOOK_BODY
    )
    server.listen(port, address=listen)
    return server


# ---------------------------------------------------------------------- running


async def serve(settings: Settings, dispatcher: Dispatcher, stop: asyncio.Event) -> None:
    """Serve Zalo until `stop` is set: webhook when ZALO_WEBHOOK_URL is set, else polling."""
    if not settings.zalo_token:
        raise ConfigError("ZALO_BOT_TOKEN is not set")
    api = ZaloApi(settings.zalo_token, settings.zalo_api_base_url)
    downloads = download_links(settings, dispatcher)
    bot = ZaloBot(
        api, dispatcher, tz=settings.timezone, files=file_store(settings), downloads=downloads
    )
    download_server = (
        start_download_server(downloads, settings.zalo_download_listen, settings.zalo_download_port)
        if downloads is not None
        else None
    )
    try:
        await bot.start()
        if settings.zalo_webhook_url and settings.zalo_webhook_secret:
            server = start_webhook_server(
                bot,
                settings.zalo_webhook_secret,
                urlparse(settings.zalo_webhook_url).path,
                settings.zalo_webhook_listen,
                settings.zalo_webhook_port,
            )
            try:
                await api.set_webhook(settings.zalo_webhook_url, settings.zalo_webhook_secret)
                await stop.wait()
            finally:
                server.stop()
        else:
            # Polling and a webhook exclude each other: getUpdates fails while one is set.
            await api.delete_webhook()
            await bot.poll(stop)
        await bot.drain()
    finally:
        if download_server is not None:
            download_server.stop()
        await api.close()


def download_links(settings: Settings, dispatcher: Dispatcher) -> Downloads | None:
    """One-time links when ZALO_DOWNLOAD_BASE_URL is set; else personal files are refused
    with a pointer to Telegram or the CLI (bot/channels/zalo_render.py)."""
    if not settings.zalo_download_base_url:
        return None
    return Downloads(
        dispatcher.db,
        settings.zalo_download_base_url,
        timedelta(minutes=settings.zalo_download_ttl_minutes),
        dispatcher.clock,
        settings.default_locale,
    )


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(sig, stop.set)


def run(settings: Settings, dispatcher: Dispatcher) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop)
        await serve(settings, dispatcher, stop)

    asyncio.run(main())
