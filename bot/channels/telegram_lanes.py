"""One lane per active chat, so a chat that floods (or that Telegram holds back with 429)
waits in its own queue and never in everyone's (issue #17 point 6, issue #11 point 4).

An update goes: its button press is answered at once (answerCallbackQuery is exempt from
flood limits and the spinner must stop), then it waits for its chat's turn, only then for
one of the shared dispatch slots, runs the dispatcher (one transaction) and leaves its
replies in the chat's lane. The lane's own task sends them in order; a 429 for that chat is
slept out by that task alone (`PerChatRetry`), holding no slot and delaying no other chat.

A chat with more than `max_pending` updates not yet answered in full gets the excess
dropped, counted, and one polite notice per episode of flooding.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Bot, Message, Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram_messages import send_reply
from handlers.types import Reply

log = logging.getLogger(__name__)

# A person who waits for the answers never has this many updates open; a script does.
MAX_PENDING_PER_CHAT = 10
# Longer 429 waits (Telegram has asked for hours) give the message up instead of holding
# the chat's lane that long; the chat's later messages fail fast until the wait is over.
MAX_CHAT_WAIT = 60.0
# How often one request is repeated after a 429 before its reply is given up.
MAX_RETRIES = 3
# PTB's own semaphore only has to let updates reach our lanes: the real limit is our slots.
_ADMIT_ALL = 1 << 16


@dataclass(frozen=True, slots=True)
class Batch:
    """The replies to one update, and the message whose button was pressed (to edit)."""

    replies: tuple[Reply, ...]
    edit: Message | None = None


_UPDATE_DONE = object()  # marks in a lane's queue where one update's replies end


@dataclass
class Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one dispatch at a time
    pending: int = 0  # updates admitted whose replies are not all sent yet
    queue: deque[Batch | object] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    warned: bool = False  # the over-the-limit notice went out in this episode


class ChatLanes:
    """The lanes of the chats that have something open; a lane goes once it is idle."""

    def __init__(self, max_pending: int = MAX_PENDING_PER_CHAT) -> None:
        self.max_pending = max_pending
        self.bot: Bot | None = None  # bound once the Application is built
        self.dropped = 0  # updates refused because their chat had too many open
        self._lanes: dict[int, Lane] = {}

    def __len__(self) -> int:
        return len(self._lanes)

    def admit(self, chat_id: int) -> Lane | None:
        """The chat's lane with one more update open, or None when the chat is over its cap."""
        lane = self._lanes.setdefault(chat_id, Lane())
        if lane.pending >= self.max_pending:
            self.dropped += 1
            return None
        lane.pending += 1
        return lane

    def first_refusal(self, chat_id: int) -> bool:
        """True once per episode: whether the chat should now be told it is over the cap."""
        lane = self._lanes[chat_id]
        if lane.warned:
            return False
        lane.warned = True
        return True

    def send(self, chat_id: int, batch: Batch, *, first: bool = False) -> None:
        """Queue replies for the chat, after what is queued (or before it, for a notice)."""
        lane = self._lanes.setdefault(chat_id, Lane())
        if first:
            lane.queue.appendleft(batch)
        else:
            lane.queue.append(batch)
        self._wake(chat_id, lane)

    def update_done(self, chat_id: int) -> None:
        """The update's dispatch is over; its replies (if any) are queued before this mark."""
        lane = self._lanes[chat_id]
        lane.queue.append(_UPDATE_DONE)
        self._wake(chat_id, lane)

    def _wake(self, chat_id: int, lane: Lane) -> None:
        if lane.task is None:
            lane.task = asyncio.create_task(self._drain(chat_id, lane), name=f"lane:{chat_id}")

    async def _drain(self, chat_id: int, lane: Lane) -> None:
        try:
            while lane.queue:
                item = lane.queue.popleft()
                if item is _UPDATE_DONE:
                    lane.pending -= 1
                elif isinstance(item, Batch):
                    await self._deliver(chat_id, item)
        finally:
            lane.task = None
            self._forget_if_idle(chat_id, lane)

    def _forget_if_idle(self, chat_id: int, lane: Lane) -> None:
        idle = lane.pending == 0 and not lane.queue and not lane.lock.locked()
        if idle and self._lanes.get(chat_id) is lane:
            del self._lanes[chat_id]

    async def _deliver(self, chat_id: int, batch: Batch) -> None:
        assert self.bot is not None, "ChatLanes.bot is bound in build_application"
        try:
            await send_replies(self.bot, chat_id, batch.replies, edit=batch.edit)
        except TelegramError as exc:
            # Lost for this chat only (blocked, too long a 429 wait, Telegram unreachable);
            # the lane goes on with the next update's replies.
            log.info("reply to a chat not delivered: %s: %s", type(exc).__name__, exc)
        except Exception:  # a bug in one reply must not end the lane and strand the rest
            log.exception("error while sending a reply")

    async def close(self, grace: float = 5.0) -> None:
        """Let queued replies go out for a little while, then stop the lanes."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        if tasks:
            _done, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._lanes.clear()


async def send_replies(
    bot: Bot, chat_id: int, replies: Sequence[Reply], edit: Message | None = None
) -> None:
    """One update's replies in order; Telegram's errors propagate."""
    for reply in replies:
        async for sent in send_reply(bot, chat_id, reply, edit=edit):
            if sent.edited:
                edit = None  # one pressed message is edited at most once


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Many chats at once, one chat's updates strictly in order, and the chat's turn taken
    before a slot: PTB takes its semaphore first, so updates queued behind one chat's lock
    would sit on slots and starve every other chat. Our own semaphore is taken inside."""

    def __init__(
        self,
        lanes: ChatLanes,
        max_concurrent_updates: int = 8,
        *,
        answer_button: Callable[[Update], Coroutine[Any, Any, None]] | None = None,
        refuse: Callable[[Update], None] | None = None,
    ) -> None:
        super().__init__(_ADMIT_ALL)
        self.lanes = lanes
        self.slots = asyncio.Semaphore(max_concurrent_updates)
        self._answer_button = answer_button
        self._refuse = refuse
        self._side_tasks: set[asyncio.Task[None]] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self.slots:
                await coroutine
            return
        assert isinstance(update, Update)
        if update.callback_query is not None and self._answer_button is not None:
            self._spawn(self._answer_button(update))
        lane = self.lanes.admit(chat.id)
        if lane is None:
            _discard(coroutine)
            if self._refuse is not None and self.lanes.first_refusal(chat.id):
                self._refuse(update)
            return
        try:
            async with lane.lock, self.slots:
                await coroutine
        finally:
            self.lanes.update_done(chat.id)

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coroutine)
        self._side_tasks.add(task)  # a strong reference until it is done
        task.add_done_callback(self._side_tasks.discard)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._side_tasks:
            await asyncio.wait(self._side_tasks, timeout=5.0)
        await self.lanes.close()


def _discard(coroutine: Awaitable[Any]) -> None:
    # PTB handed us the coroutine of a refused update; closing it avoids "never awaited".
    if isinstance(coroutine, Coroutine):
        coroutine.close()


class PerChatRetry(BaseRateLimiter[int]):
    """Honours a 429's retry_after for the chat it was about, not for the whole bot.

    PTB's AIORateLimiter pauses every request of the bot during any retry_after, so one
    flooding chat stalled everyone's replies. Here the waiting request sleeps (in its chat's
    lane, see ChatLanes) and later requests to the same chat wait too; other chats go on.
    Requests without a chat (answerCallbackQuery, getFile, set-up calls) pass untouched.
    `senders` bounds the requests in flight so they never wait for a pooled connection past
    its timeout, and leaves connections free for the unlimited calls.
    """

    def __init__(self, senders: int = 8) -> None:
        self._senders = asyncio.Semaphore(senders)
        self._resume_at: dict[str, float] = {}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        if chat is None:
            return await callback(*args, **kwargs)
        key = str(chat)
        retries = MAX_RETRIES if rate_limit_args is None else rate_limit_args
        for attempt in range(retries + 1):
            await self._wait_turn(key)
            try:
                async with self._senders:
                    result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = _seconds(exc)
                self._resume_at[key] = time.monotonic() + wait
                if attempt == retries or wait > MAX_CHAT_WAIT:
                    raise
                log.info("429 for one chat on %s: waiting %.1f s for it only", endpoint, wait)
            else:
                self._resume_at.pop(key, None)
                return result
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _wait_turn(self, key: str) -> None:
        resume_at = self._resume_at.get(key)
        if resume_at is None:
            return
        wait = resume_at - time.monotonic()
        if wait > MAX_CHAT_WAIT:
            raise RetryAfter(timedelta(seconds=int(wait) + 1))
        if wait > 0:
            await asyncio.sleep(wait)


def _seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB warns that the int will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        wait: Any = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
