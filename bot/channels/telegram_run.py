"""Starting, serving and stopping the Telegram Application: polling or our own webhook.

PTB's `run_polling`/`run_webhook` exit on the first network error of the start and compare
the webhook secret with `!=`. Here the start is retried until Telegram answers
(bot/channels/startup.py) and the webhook is our own tornado handler that checks the
secret in constant time before handing the update to PTB's queue (issue #11 points 2, 10).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from urllib.parse import urlparse

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from bot import ops_http
from bot.channels import telegram
from bot.channels.startup import until_reachable
from bot.config import ConfigError, Settings
from bot.dispatch import Dispatcher
from bot.metrics import Metrics

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_WEBHOOK_BODY = 1024 * 1024  # an update is a few KB at most


async def start(
    settings: Settings, dispatcher: Dispatcher, stop: asyncio.Event | None = None
) -> tuple[Application, tornado.httpserver.HTTPServer | None]:
    """The running Application (and the webhook server when TELEGRAM_WEBHOOK_URL is set),
    once Telegram has answered."""
    app = telegram.build_application(settings, dispatcher)

    async def _initialize() -> None:
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)

    retry = settings.startup_retry
    try:
        await until_reachable(
            "Telegram", _initialize, retry=retry, transient=(NetworkError,), stop=stop
        )
    except InvalidToken:
        await _close_requests(app)
        # PTB's message names the token; ours does not.
        raise ConfigError("TELEGRAM_BOT_TOKEN was rejected by Telegram (401)") from None
    except BaseException:
        await _close_requests(app)
        raise
    await app.start()
    server = None
    if settings.telegram_webhook_url and settings.telegram_webhook_secret:
        url, secret = settings.telegram_webhook_url, settings.telegram_webhook_secret
        server = start_webhook_server(
            app,
            secret,
            urlparse(url).path,
            settings.telegram_webhook_listen,
            settings.telegram_webhook_port,
        )

        async def _register() -> None:
            await app.bot.set_webhook(
                url, secret_token=secret, allowed_updates=telegram.ALLOWED_UPDATES
            )

        await until_reachable(
            "Telegram setWebhook", _register, retry=retry, transient=(NetworkError,), stop=stop
        )
    else:
        assert app.updater is not None

        async def _poll() -> None:
            assert app.updater is not None
            await app.updater.start_polling(allowed_updates=telegram.ALLOWED_UPDATES)

        await until_reachable(
            "Telegram getUpdates", _poll, retry=retry, transient=(NetworkError,), stop=stop
        )
    return app, server


async def _close_requests(app: Application) -> None:
    for request in app.bot_data.get("requests", ()):
        await request.shutdown()


async def stop_app(app: Application, server: tornado.httpserver.HTTPServer | None) -> None:
    if server is not None:
        server.stop()
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


async def serve(settings: Settings, dispatcher: Dispatcher, stop: asyncio.Event) -> None:
    """Serve Telegram until `stop` is set."""
    app, server = await start(settings, dispatcher, stop)
    try:
        await stop.wait()
    finally:
        await stop_app(app, server)


def run(settings: Settings, dispatcher: Dispatcher) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with ops_http.serving(settings.ops, dispatcher.db, dispatcher_metrics(dispatcher)):
            await serve(settings, dispatcher, stop)

    asyncio.run(main())


def dispatcher_metrics(dispatcher: Dispatcher) -> Metrics:
    if dispatcher.metrics is None:
        dispatcher.metrics = Metrics()
    return dispatcher.metrics


# ---------------------------------------------------------------------- webhook


def secret_matches(given: str | None, secret: str) -> bool:
    """Constant time, whatever the given header's length or content."""
    return hmac.compare_digest((given or "").encode(), secret.encode())


class _WebhookHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)

    def initialize(self, app: Application, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER)
        if not secret_matches(given, self.secret):
            # Never log the body: it is an unauthenticated stranger's input.
            log.warning(
                "refused a Telegram webhook call from %s: %s secret",
                self.request.remote_ip,
                "wrong" if given else "missing",
            )
            self.set_status(403)
            self.finish()
            return
        try:
            data = json.loads(self.request.body or b"null")
            update = Update.de_json(data, self.app.bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, KeyError):
            update = None
        if update is None:
            self.set_status(400)
            self.finish()
            return
        await self.app.update_queue.put(update)
        self.set_status(200)
        self.finish()


def webhook_app(app: Application, secret: str, path: str) -> tornado.web.Application:
    import re

    route = "/" + path.strip("/")
    return tornado.web.Application(
        [(re.escape(route) + "/?", _WebhookHandler, {"app": app, "secret": secret})],
        log_function=lambda handler: log.debug(
            "%s %s", handler.get_status(), handler.request.method
        ),
    )


def start_webhook_server(
    app: Application, secret: str, path: str, listen: str, port: int
) -> tornado.httpserver.HTTPServer:
    server = tornado.httpserver.HTTPServer(
        webhook_app(app, secret, path), max_body_size=MAX_WEBHOOK_BODY
    )
    server.listen(port, address=listen)
    return server
