"""Pieces every feature uses: how to address the official, the main menu, link prompts,
and the answer to a button that is no longer (or never was) valid."""

from __future__ import annotations

from handlers.context import Context
from handlers.payloads import LINK_CODE, MENU_COMMAND
from handlers.types import Choice, Reply
from locales import _
from models.org import units as org_units
from models.org.officials import Official
from models.requirements.model import Catalogue
from models.requirements.store import CATALOGUE_TTL_SECONDS, current_catalogue


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


def command_choice(label: str, command: str) -> Choice:
    """A button that behaves exactly like typing /command."""
    return Choice(label, MENU_COMMAND.pack(name=command))


def menu_choices(ctx: Context) -> tuple[Choice, ...]:
    assert ctx.router is not None  # set by routing before any handler runs
    linked = ctx.official is not None
    items = [m for m in ctx.router.menu if linked or not m.needs_link]
    return tuple(command_choice(_(m.label), m.command) for m in items)


def unlinked_choices() -> tuple[Choice, ...]:
    return (
        Choice(_("🔑 Enter my link code"), LINK_CODE.pack()),
        command_choice(_("❓ Help"), "trogiup"),
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


async def greeting(ctx: Context) -> Reply:
    official = ctx.official
    assert official is not None
    place = await org_units.unit_label(ctx.session, official.unit)
    who = ", ".join(part for part in (official.post_title, place) if part)
    text = _("Hello {title} {name} — {who}.").format(
        title=title_of(official), name=official.full_name, who=who
    )
    return menu_reply(ctx, text + "\n" + what_next(official))


async def main_menu(ctx: Context) -> list[Reply]:
    """/menu, "xin chào": the greeting with the menu, or how to link first."""
    if ctx.official is None:
        return link_prompt_replies()
    return [await greeting(ctx)]


def stale_reply(ctx: Context) -> list[Reply]:
    """A forged, malformed or outdated button: nothing changes, the menu is shown again."""
    return [
        menu_reply(
            ctx,
            _("This button is no longer valid. Nothing was changed. Please choose again below."),
        )
    ]


async def chat_catalogue(ctx: Context) -> Catalogue:
    """The catalogue in force, as this process read it a moment ago (chats need no fresher)."""
    return await current_catalogue(ctx.session, max_age=CATALOGUE_TTL_SECONDS)


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
