"""handle(incoming) -> replies: one transaction per update, owned here.

Order of work: open the transaction (BEGIN IMMEDIATE on SQLite), find or create the chat
account, lock the dialog row, pick the locale, route, remember offered choices, commit —
and only then hand the replies to the channel, so the bot never confirms something that
was rolled back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import and_, or_, select

from bot.config import Settings
from bot.db import Database
from bot.logs import chat_ref, log_context
from bot.metrics import Metrics
from handlers import ROUTER
from handlers.context import Context
from handlers.flows import AWAITING_FILE, CERTIFICATE_FILE
from handlers.payloads import UPLOAD_APPLY, UPLOAD_KIND
from handlers.router import Router
from handlers.routing import route
from handlers.types import Incoming, Reply
from locales import _, use_locale
from locales.i18n import normalize_locale
from models.chat import accounts, dialogs
from models.chat import locked_chat as chats
from models.chat.accounts import ChatAccount
from models.chat.dialogs import DialogState
from models.imports import grid, isolated
from models.imports.importer import PreChecked
from models.imports.table import TableError, read_sheets
from models.imports.upload_check import precheck_upload
from models.imports.uploads import MAX_BYTES as MAX_UPLOAD_BYTES
from models.org.admins import scope_of
from models.org.officials import Official

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 4096  # Telegram's own ceiling; longer input is cut, never rejected

# What a channel does while a file is checked: send this reply at once and show its chat
# action ("upload_document" on Telegram, "typing" on Zalo), before the result.
Waiting = Callable[[Reply], Awaitable[None]]


def waiting_reply() -> Reply:
    return Reply(_("Checking the file… please wait a moment."))


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Dispatcher:
    db: Database
    settings: Settings = field(default_factory=Settings)
    clock: Callable[[], datetime] = system_clock
    router: Router = field(default_factory=lambda: ROUTER)
    metrics: Metrics | None = None

    @property
    def default_locale(self) -> str:
        return self.settings.default_locale

    @property
    def bot_username(self) -> str | None:
        return self.settings.telegram_bot_username

    @bot_username.setter
    def bot_username(self, name: str | None) -> None:
        # Telegram tells us the bot's name at start-up (getMe) when TELEGRAM_BOT_USERNAME is
        # unset; the handlers then see it in ctx.settings like any other setting.
        self.settings = replace(self.settings, telegram_bot_username=name)

    async def handle(
        self, incoming: Incoming, waiting: Waiting | None = None, update_id: int | None = None
    ) -> list[Reply]:
        context: dict[str, object] = {"channel": incoming.channel}
        if update_id is not None:
            context["update_id"] = update_id
        context["chat"] = chat_ref(incoming.chat_id)
        started = time.perf_counter()
        try:
            with log_context(**context):
                return await self._handle(incoming, waiting)
        finally:
            if self.metrics is not None:
                self.metrics.update_handled(incoming.channel, time.perf_counter() - started)

    async def _handle(self, incoming: Incoming, waiting: Waiting | None) -> list[Reply]:
        incoming = _bounded(incoming)
        document = incoming.document
        # Parsing costs seconds of CPU: only for the file an admin's open import awaits, on
        # every channel (Telegram also withholds the download itself).
        if (
            document is not None
            and not document.withheld
            and await self._awaited_file(incoming) == AWAITING_FILE.key
        ):
            if waiting is not None and not document.too_large:
                with use_locale(await self._locale_of(incoming)):
                    notice = waiting_reply()
                try:
                    await waiting(notice)
                except Exception:  # a lost "please wait" must not lose the file's result
                    log.warning("the waiting message could not be sent", exc_info=True)
            incoming = await _read_document(incoming)
        ahead = _upload_check(incoming)
        if ahead is None:
            return await self._in_transaction(incoming, None)
        # The rows arrive and are compared with no garbage collection (isolated.py).
        with isolated.collector_paused():
            prechecked = await self._precheck_upload(incoming, *ahead)
            return await self._in_transaction(incoming, prechecked)

    async def _in_transaction(
        self, incoming: Incoming, prechecked: tuple[int, PreChecked] | None
    ) -> list[Reply]:
        now = self.clock()
        if incoming.reachable is not None:
            await self._status_changed(incoming, now)
            return []  # a blocked chat cannot be answered; an unblocked one writes next
        locale = self.settings.default_locale
        try:
            async with self.db.transaction() as session:
                account, dialog, official = await chats.open_chat(
                    session,
                    channel=incoming.channel,
                    user_id=incoming.sender_id,
                    chat_id=incoming.chat_id,
                    now=now,
                )
                # Any channel: a message or a button press proves the chat reaches them.
                accounts.heard_from(account)
                locale = normalize_locale(
                    account.locale
                    or (official.preferred_locale if official else None)
                    or incoming.language_hint,
                    self.settings.default_locale,
                )
                ctx = Context(
                    session=session,
                    incoming=incoming,
                    account=account,
                    official=official,
                    dialog=dialog,
                    now=now,
                    settings=self.settings,
                    prechecked=prechecked,
                )
                with use_locale(locale):
                    replies = await route(self.router, ctx)
                offered = [[c.label, c.value] for r in replies for c in r.choices]
                if offered and offered != dialog.choices:
                    # Unchanged choices (the same menu again) are not written: the commit
                    # then has nothing to flush.
                    dialog.choices = offered
                dialogs.touch(dialog, now)
            return replies
        except Exception:
            # The transaction rolled back: nothing half-done is kept. Say so politely.
            log.exception("update from %s failed", incoming.channel)
            with use_locale(locale):
                return [
                    Reply(
                        _(
                            "Sorry, something went wrong on our side and nothing was changed. "
                            "Please try again in a moment."
                        )
                    )
                ]

    async def _precheck_upload(
        self, incoming: Incoming, upload_id: int, kind: str
    ) -> tuple[int, PreChecked] | None:
        """A pending upload's kind picked or its import confirmed: the file's worker step
        now, before the update's transaction (on SQLite that transaction holds the writer
        lock, and everyone else would wait for it while the rows are parsed)."""
        now = self.clock()
        try:
            return await precheck_upload(
                self.db.transaction,
                channel=incoming.channel,
                user_id=incoming.sender_id,
                chat_id=incoming.chat_id,
                upload_id=upload_id,
                kind=kind,
                now=now,
                today=now.astimezone(self.settings.timezone).date(),
                pepper=self.settings.link_codes.pepper,
            )
        except Exception:  # the handler checks the file itself, inside its transaction
            log.warning("the file could not be checked before the transaction", exc_info=True)
            return None

    async def expects_file(self, incoming: Incoming) -> bool:
        """Whether this sender's document may be downloaded at all: a linked admin whose
        chat is at the import's "send the file" step, or a linked official sending a
        certificate (#16.8). Read without locks or writes, before the channel fetches
        anything, so a stranger's 20 MB costs us nothing (#11 point 4); the handlers check
        the same again inside the update's transaction."""
        return await self._awaited_file(incoming) is not None

    async def _awaited_file(self, incoming: Incoming) -> tuple[str, str] | None:
        """The file step the sender's chat is at (AWAITING_FILE.key, CERTIFICATE_FILE.key)."""
        now = self.clock()
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(
                        ChatAccount.official_id,
                        DialogState.updated_at,
                        DialogState.flow,
                        DialogState.step,
                    )
                    .join(
                        DialogState,
                        and_(
                            DialogState.channel == ChatAccount.channel,
                            DialogState.chat_id == ChatAccount.chat_id,
                        ),
                    )
                    .where(
                        ChatAccount.channel == incoming.channel,
                        ChatAccount.external_user_id == incoming.sender_id,
                        ChatAccount.chat_id == incoming.chat_id,
                        or_(
                            *(
                                and_(DialogState.flow == flow, DialogState.step == step)
                                for flow, step in (AWAITING_FILE.key, CERTIFICATE_FILE.key)
                            )
                        ),
                    )
                )
            ).first()
            if row is None or row.official_id is None:
                return None
            if row.updated_at < now - dialogs.DIALOG_TTL:
                return None
            key = (row.flow, row.step)
            if key == CERTIFICATE_FILE.key:
                return key
            official = await session.get(Official, row.official_id)
            return key if (await scope_of(session, official)).is_admin else None

    async def _locale_of(self, incoming: Incoming) -> str:
        """The locale the result will be in (the chat's, else the official's), read
        without locks: only for the waiting message."""
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(ChatAccount.locale, Official.preferred_locale)
                    .outerjoin(Official, Official.id == ChatAccount.official_id)
                    .where(
                        ChatAccount.channel == incoming.channel,
                        ChatAccount.external_user_id == incoming.sender_id,
                        ChatAccount.chat_id == incoming.chat_id,
                    )
                )
            ).first()
        chosen = (row[0] or row[1]) if row is not None else None
        return normalize_locale(chosen or incoming.language_hint, self.settings.default_locale)

    async def _status_changed(self, incoming: Incoming, now: datetime) -> None:
        assert incoming.reachable is not None
        async with self.db.transaction() as session:
            await accounts.set_reachable(
                session,
                channel=incoming.channel,
                user_id=incoming.sender_id,
                reachable=incoming.reachable,
                now=now,
            )


def _upload_check(incoming: Incoming) -> tuple[int, str] | None:
    """(upload id, kind) when this update is a press that checks a pending upload."""
    if incoming.choice is None or incoming.reachable is not None:
        return None
    values = UPLOAD_APPLY.unpack(incoming.choice) or UPLOAD_KIND.unpack(incoming.choice)
    if values is None or values.text("kind") == "cancel":
        return None
    return values.number("id"), values.text("kind")


async def _read_document(incoming: Incoming) -> Incoming:
    """An uploaded file is read once, in the worker process and before the transaction: a
    20 MB workbook takes seconds of CPU, during which no database lock may be held."""
    document = incoming.document
    assert document is not None
    if document.too_large or len(document.content) > MAX_UPLOAD_BYTES:
        return incoming
    try:
        # In the worker process: reading holds the GIL for seconds, a thread would not
        # leave the event loop free for everyone else.
        sheets = await isolated.run(_read_and_encode, document.file_name, document.content)
    except TableError as exc:
        return replace(incoming, document=replace(document, error=exc))
    except isolated.WorkerCrashed:
        error = isolated.crashed_error(document.file_name)
        return replace(incoming, document=replace(document, error=error))
    return replace(incoming, document=replace(document, sheets=sheets))


def _read_and_encode(file_name: str, content: bytes) -> bytes:
    return grid.encode(read_sheets(file_name, content))


def _bounded(incoming: Incoming) -> Incoming:
    if incoming.text is not None and len(incoming.text) > MAX_INPUT_CHARS:
        return replace(incoming, text=incoming.text[:MAX_INPUT_CHARS])
    return incoming
