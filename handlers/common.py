"""Pieces every feature uses: how to address the official, the main menu, link prompts."""

from __future__ import annotations

from handlers.context import Context
from handlers.router import router
from handlers.types import Choice, Reply
from locales import _
from models.org.officials import Official


def title_of(official: Official | None) -> str:
    """ "anh" or "chị" from the roster's gender; "anh/chị" when unknown."""
    if official is not None and official.gender == "male":
        return _("sir")
    if official is not None and official.gender == "female":
        return _("madam")
    return _("sir/madam")


def title_cap(official: Official | None) -> str:
    title = title_of(official)
    return title[:1].upper() + title[1:]


def menu_choices(ctx: Context) -> tuple[Choice, ...]:
    linked = ctx.official is not None
    items = [m for m in router.menu if linked or not m.needs_link]
    return tuple(Choice(_(m.label), f"cmd:{m.command}") for m in items)


def unlinked_choices() -> tuple[Choice, ...]:
    return (
        Choice(_("🔑 Enter my link code"), "link:code"),
        Choice(_("❓ Help"), "cmd:trogiup"),
    )


def addressed(message: str, official: Official | None, **values: object) -> str:
    """Fill {title}/{Title} ("anh", "Chị", "anh/chị") and any other placeholders."""
    return message.format(title=title_of(official), Title=title_cap(official), **values)


def what_next(official: Official | None) -> str:
    return addressed(_("What would you like to do?"), official)


def menu_reply(ctx: Context, text: str | None = None) -> Reply:
    if ctx.official is None:
        return Reply(text or what_next(None), choices=unlinked_choices())
    return Reply(text or what_next(ctx.official), choices=menu_choices(ctx), columns=2)


def link_prompt_replies() -> list[Reply]:
    """How to prove who you are: the phone button (where the channel has one) or a code."""
    return [
        Reply(
            _(
                "To see your own training information, please link this chat to your HR "
                "record. Press “Share my phone number” below (it must be your own "
                "number registered with HR), or type the link code HR gave you."
            ),
            request_contact=_("📱 Share my phone number"),
        ),
        Reply(_("Or choose:"), choices=unlinked_choices()),
    ]
