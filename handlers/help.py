"""Help, and the answers for input the bot cannot use or routes nobody matched."""

from __future__ import annotations

from handlers.common import addressed, link_prompt_replies, main_menu, menu_reply
from handlers.context import Context
from handlers.router import Hook, Router
from handlers.types import Reply
from locales import _

router = Router("help")
router.describe("trogiup", "Help", 95)
router.menu_item("❓ Help", "trogiup", 95, needs_link=False)


@router.command("trogiup", "help")
@router.intent("trợ giúp", "giúp", "hướng dẫn", "help", "cách dùng", "làm sao")
async def on_help(ctx: Context) -> list[Reply]:
    assert ctx.router is not None
    lines = [_("❓ What I can do")]
    for _order, command, description in ctx.router.described:
        lines.append(f"/{command} — {_(description)}")
    lines.append("")
    lines.append(
        _(
            "You can also write in your own words, with or without diacritics, for example "
            "“hồ sơ” or “ho so”."
        )
    )
    if ctx.official is None:
        return [Reply("\n".join(lines)), *link_prompt_replies()]
    return [menu_reply(ctx, "\n".join(lines))]


@router.intent("menu", "xin chào", "chào", "hello", "hi", "bắt đầu", "start")
async def on_hello(ctx: Context) -> list[Reply]:
    return await main_menu(ctx)


@router.on(Hook.UNKNOWN)
async def on_unknown(ctx: Context) -> list[Reply]:
    text = addressed(
        _(
            "Sorry, I did not understand that. Please choose from the menu below or type "
            "/trogiup to see what I can do."
        ),
        ctx.official,
    )
    if ctx.official is None:
        return [Reply(text), *link_prompt_replies()]
    return [menu_reply(ctx, text)]


@router.on(Hook.LINK_REQUIRED)
async def on_link_required(ctx: Context) -> list[Reply]:
    return [
        Reply(_("This information is personal, so this chat must be linked to your record first.")),
        *link_prompt_replies(),
    ]


@router.on(Hook.UNSUPPORTED)
async def on_unsupported(ctx: Context) -> list[Reply]:
    return [
        menu_reply(
            ctx,
            _(
                "I can only read text messages, button presses, a shared phone number and, for "
                "HR officers, Excel or CSV files. Please type your question or choose below."
            ),
        )
    ]
