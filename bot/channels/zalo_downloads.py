"""The one-time download endpoint for files with personal data sent to Zalo admins.

`GET {ZALO_DOWNLOAD_BASE_URL}/<token>` serves the file once (models/chat/file_links.py);
a second click, an expired link or a made-up token gets a short Vietnamese page, never the
file. Answers are marked no-store, so no proxy or browser cache keeps a copy.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import quote

import tornado.httpserver
import tornado.web

from bot.db import Database
from handlers.types import Attachment
from locales import _, use_locale
from models.chat import file_links

log = logging.getLogger(__name__)


class Downloads:
    """Issues links (after a reply is built) and redeems them (in the endpoint)."""

    def __init__(
        self,
        db: Database,
        base_url: str,
        ttl: timedelta,
        clock: Callable[[], datetime],
        locale: str = "vi",
    ) -> None:
        self.db = db
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl
        self.clock = clock
        self.locale = locale

    async def link(
        self, channel: str, user_id: str, attachment: Attachment
    ) -> tuple[str, datetime]:
        now = self.clock()
        async with self.db.transaction() as session:
            token = await file_links.issue(
                session,
                channel=channel,
                user_id=user_id,
                file_name=attachment.file_name,
                mime_type=attachment.mime_type,
                content=attachment.content,
                now=now,
                ttl=self.ttl,
            )
        return f"{self.base_url}/{token}", now + self.ttl

    def app(self) -> tornado.web.Application:
        return tornado.web.Application(
            [(r"/([A-Za-z0-9_-]{16,64})/?", _DownloadHandler, {"downloads": self})],
            default_handler_class=_NotFound,
            default_handler_args={"downloads": self},
            log_function=lambda handler: log.debug("download %s", handler.get_status()),
        )

    def refusal_page(self, reason: str) -> str:
        with use_locale(self.locale):
            text = {
                "used": _(
                    "This download link has already been used. Links for files with personal "
                    "data open only once: please ask the bot for the file again."
                ),
                "expired": _(
                    "This download link has expired. Please ask the bot for the file again."
                ),
            }.get(reason) or _("This download link is not valid.")
        return f"<!doctype html><meta charset=utf-8><p>{html.escape(text)}</p>"


class _DownloadHandler(tornado.web.RequestHandler):
    def initialize(self, downloads: Downloads) -> None:
        self.downloads = downloads

    async def get(self, token: str) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        async with self.downloads.db.transaction() as session:
            found = await file_links.redeem(session, token, self.downloads.clock())
        if isinstance(found, str):
            log.info("download refused: %s link", found)
            self.set_status(404 if found == "unknown" else 410)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(self.downloads.refusal_page(found))
            return
        log.info("file downloaded by %s:%s", found.channel, found.user_id)
        self.set_header("Content-Type", found.mime_type)
        self.set_header(
            "Content-Disposition", f"attachment; filename*=UTF-8''{quote(found.file_name)}"
        )
        self.finish(found.content)


class _NotFound(tornado.web.RequestHandler):
    def initialize(self, downloads: Downloads) -> None:
        self.downloads = downloads

    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(self.downloads.refusal_page("unknown"))


def start_server(downloads: Downloads, listen: str, port: int) -> tornado.httpserver.HTTPServer:
    server = tornado.httpserver.HTTPServer(downloads.app())
    server.listen(port, address=listen)
    return server
