"""Flows declared with their steps, and routers composed without duplicates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

import handlers
from bot.config import Settings
from handlers.context import Context
from handlers.flows import Flow
from handlers.payloads import (
    REMINDER_CHANNEL,
    REMINDER_LEAD_DAY,
    REMINDER_LEAD_MENU,
    REMINDER_SWITCH,
    Payload,
    Values,
)
from handlers.router import Hook, Router, compose
from handlers.types import Incoming, Reply
from models.chat.accounts import ChatAccount
from models.chat.dialogs import DialogState

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SEARCH = Flow("search", steps=("words", "pick"))


def _ctx() -> Context:
    # Flows only touch the dialog; no database is involved.
    return Context(
        session=cast(AsyncSession, None),
        incoming=Incoming(channel="console", chat_id="1", sender_id="1"),
        account=ChatAccount(),
        official=None,
        dialog=DialogState(channel="console", chat_id="1", data={}, choices=[], updated_at=NOW),
        now=NOW,
        settings=Settings(),
    )


def test_a_mistyped_step_fails_at_declaration() -> None:
    with pytest.raises(ValueError, match="no step 'word'"):
        SEARCH.step("word")
    with pytest.raises(ValueError):
        Flow("x", steps=("a", "a"))
    with pytest.raises(ValueError):
        Flow("x", steps=())


def test_steps_move_the_dialog_and_keep_the_flow_data() -> None:
    ctx = _ctx()
    words, pick = SEARCH.step("words"), SEARCH.step("pick")
    words.enter(ctx, terms="qlnn")
    assert (ctx.dialog.flow, ctx.dialog.step) == ("search", "words")
    assert words.is_current(ctx) and not pick.is_current(ctx)
    pick.enter(ctx, page=2)
    assert SEARCH.data(ctx) == {"terms": "qlnn", "page": 2}
    other = Flow("other", steps=("only",))
    other.step("only").enter(ctx)
    assert SEARCH.data(ctx) == {} and ctx.dialog.data == {}  # a new flow starts empty
    SEARCH.end(ctx)  # not this flow's dialog: left alone
    assert other.is_active(ctx)
    other.end(ctx)
    assert ctx.dialog.flow is None


async def _reply(ctx: Context) -> list[Reply]:
    return [Reply("ok")]


async def _pressed(ctx: Context, values: Values) -> list[Reply]:
    return [Reply(repr(dict(values)))]


def _with_hooks(name: str) -> Router:
    router = Router(name)
    for hook in (Hook.CONTACT, Hook.DOCUMENT, Hook.UNSUPPORTED, Hook.UNKNOWN, Hook.LINK_REQUIRED):
        router.on(hook)(_reply)
    return router


def test_composing_refuses_anything_declared_twice() -> None:
    one, two = Router("one"), Router("two")
    one.command("x")(_reply)
    two.command("x")(_reply)
    with pytest.raises(ValueError, match="/x"):
        compose("all", (_with_hooks("hooks"), one, two))

    one, two = Router("one"), Router("two")
    one.choice(Payload("p", id=int))(_pressed)
    two.choice(Payload("p", n=int))(_pressed)  # the same shape on the wire
    with pytest.raises(ValueError, match="payload"):
        compose("all", (_with_hooks("hooks"), one, two))

    one, two = Router("one"), Router("two")
    one.step(SEARCH.step("words"))(_reply)
    two.step(SEARCH.step("words"))(_reply)
    with pytest.raises(ValueError, match="step"):
        compose("all", (_with_hooks("hooks"), one, two))

    with pytest.raises(ValueError, match="hook"):
        compose("all", (_with_hooks("a"), _with_hooks("b")))


def test_composing_needs_an_answer_for_every_kind_of_update() -> None:
    router = _with_hooks("almost")
    del router.hooks[Hook.UNKNOWN]
    with pytest.raises(ValueError, match="unknown"):
        compose("all", (router,))


def test_a_choice_goes_to_the_payload_it_fits_longest_tag_first() -> None:
    router = Router("rem")
    for payload in (REMINDER_SWITCH, REMINDER_LEAD_MENU, REMINDER_LEAD_DAY, REMINDER_CHANNEL):
        router.choice(payload)(_pressed)

    def matched(value: str) -> Payload | None:
        found = router.match_choice(value)
        return found[0].payload if found else None

    assert matched("rem:on:course_start") is REMINDER_SWITCH
    assert matched("rem:lead") is REMINDER_LEAD_MENU
    assert matched("rem:lead:3") is REMINDER_LEAD_DAY
    assert matched("rem:ch:zalo") is REMINDER_CHANNEL
    assert matched("rem:lead:x") is None
    assert matched("rem:maybe:x") is None
    assert matched("remx:on:x") is None


def test_the_composed_router_has_every_feature() -> None:
    names = [r.name for r in handlers.ROUTERS]
    assert len(names) == len(set(names))
    assert {"start", "courses", "broadcast", "help"} <= set(names)
    assert handlers.ROUTER.commands.keys() >= {"start", "yeucau", "khoahoc", "thongbao"}
