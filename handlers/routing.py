"""Routing one update: buttons, commands, offered choices, dialog steps, codes, intents."""

from __future__ import annotations

from handlers.context import Context
from handlers.router import Route, Router, pick_offered_choice
from handlers.types import Reply


async def route(router: Router, ctx: Context) -> list[Reply]:
    incoming = ctx.incoming
    if incoming.contact is not None:
        return await router.special["contact"](ctx)
    if incoming.document is not None:
        return await router.special["document"](ctx)
    if incoming.unsupported is not None:
        return await router.special["unsupported"](ctx)
    if incoming.choice is not None:
        return await _choice(router, ctx, incoming.choice)

    text = (incoming.text or "").strip()
    if not text:
        return await router.special["unsupported"](ctx)

    command = router.parse_command(text)
    if command is not None:
        name, ctx.args = command
        # A command always starts afresh: it abandons whatever dialog was under way.
        ctx.dialog.end()
        found = router.commands.get(name)
        if found is None:
            return await router.special["unknown"](ctx)
        return await _run(router, ctx, found)

    offered = pick_offered_choice(text, ctx.dialog.choices or [])
    if offered is not None:
        return await _choice(router, ctx, offered)

    if ctx.dialog.flow and ctx.dialog.step:
        step = router.steps.get((ctx.dialog.flow, ctx.dialog.step))
        if step is not None:
            return await step(ctx)
        ctx.dialog.end()  # a step that no longer exists (older release): start over

    if ctx.official is None and "code" in router.special:
        replies = await router.special["code"](ctx)
        if replies:
            return replies

    intent = router.match_intent(text)
    if intent is not None:
        return await _run(router, ctx, intent)
    return await router.special["unknown"](ctx)


async def _choice(router: Router, ctx: Context, value: str) -> list[Reply]:
    ctx.choice = value
    prefix = value.split(":", 1)[0]
    found = router.choices.get(prefix)
    if found is None:
        return await router.special["stale"](ctx)
    return await _run(router, ctx, found)


async def _run(router: Router, ctx: Context, found: Route) -> list[Reply]:
    if found.needs_link and ctx.official is None:
        return await router.special["link_required"](ctx)
    return await found.handler(ctx)
