"""Routing one update: buttons, commands, offered choices, dialog steps, codes, intents."""

from __future__ import annotations

from handlers.common import stale_reply
from handlers.context import Context
from handlers.flows import CERTIFICATE_FILE
from handlers.payloads import MENU_COMMAND
from handlers.privacy_notice import changed_notice
from handlers.router import Hook, Route, Router, pick_offered_choice
from handlers.types import Reply

# /start arguments that belong to a feature's command: (prefix, command), routed there before
# /start could read them as a link code.
DEEP_LINK_COMMANDS: tuple[tuple[str, str], ...] = (("ci_", "diemdanh"),)  # check-in (#16.3)


async def route(router: Router, ctx: Context) -> list[Reply]:
    replies = await _route(router, ctx)
    # After the answer: a chat linked in this very update has just been shown the notice.
    return [*replies, *changed_notice(ctx)]


async def _route(router: Router, ctx: Context) -> list[Reply]:
    ctx.router = router
    incoming = ctx.incoming
    if incoming.contact is not None:
        return await router.hooks[Hook.CONTACT](ctx)
    if incoming.document is not None:
        if CERTIFICATE_FILE.is_current(ctx) and CERTIFICATE_FILE.key in router.steps:
            return await router.steps[CERTIFICATE_FILE.key](ctx)  # a certificate, not an import
        return await router.hooks[Hook.DOCUMENT](ctx)
    if incoming.unsupported is not None:
        return await router.hooks[Hook.UNSUPPORTED](ctx)
    if incoming.choice is not None:
        return await _choice(router, ctx, incoming.choice)

    text = (incoming.text or "").strip()
    if not text:
        return await router.hooks[Hook.UNSUPPORTED](ctx)

    command = router.parse_command(text)
    if command is not None:
        name, ctx.args = command
        # A deep link only ever opens /start; its argument says which feature it is for.
        if name == "start":
            name = next((c for p, c in DEEP_LINK_COMMANDS if ctx.args.startswith(p)), name)
        # A command always starts afresh: it abandons whatever dialog was under way.
        ctx.dialog.end()
        found = router.commands.get(name)
        if found is None:
            return await router.hooks[Hook.UNKNOWN](ctx)
        return await _run(router, ctx, found)

    # At a step that waits for a number, a typed number is the answer (Flow.numbers).
    number_typed = text.isdigit() and (ctx.dialog.flow, ctx.dialog.step) in router.number_steps
    offered = None if number_typed else pick_offered_choice(text, ctx.dialog.choices or [])
    if offered is not None:
        return await _choice(router, ctx, offered)

    if ctx.dialog.flow and ctx.dialog.step:
        step = router.steps.get((ctx.dialog.flow, ctx.dialog.step))
        if step is not None:
            return await step(ctx)
        ctx.dialog.end()  # a step that no longer exists (older release): start over

    code = router.hooks.get(Hook.CODE)
    if ctx.official is None and code is not None:
        replies = await code(ctx)
        if replies:
            return replies

    intent = router.match_intent(text)
    if intent is not None:
        return await _run(router, ctx, intent)
    return await router.hooks[Hook.UNKNOWN](ctx)


async def _choice(router: Router, ctx: Context, value: str) -> list[Reply]:
    ctx.choice = value
    menu = MENU_COMMAND.unpack(value)
    if menu is not None:
        # Menu buttons carry a command name; they behave exactly like typing the command.
        command = router.commands.get(menu.text("name"))
        if command is None:
            return stale_reply(ctx)
        ctx.dialog.end()
        return await _run(router, ctx, command)
    found = router.match_choice(value)
    if found is None:
        return stale_reply(ctx)
    choice, values = found
    if choice.needs_link and ctx.official is None:
        return await router.hooks[Hook.LINK_REQUIRED](ctx)
    return await choice.handler(ctx, values)


async def _run(router: Router, ctx: Context, found: Route) -> list[Reply]:
    if found.needs_link and ctx.official is None:
        return await router.hooks[Hook.LINK_REQUIRED](ctx)
    return await found.handler(ctx)
