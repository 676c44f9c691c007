"""Journey 1: first contact, linking (deep-link code, typed code, own phone), unlinking."""

from __future__ import annotations

from handlers.certificate_texts import verification_reply
from handlers.common import (
    greeting,
    link_prompt_replies,
    main_menu,
    menu_reply,
    stale_reply,
    title_cap,
)
from handlers.context import Context
from handlers.flows import Flow
from handlers.payloads import LINK_CODE, UNLINK, Values
from handlers.privacy_notice import shown_at_linking
from handlers.router import Hook, Router
from handlers.types import Choice, Reply
from locales import _, format_datetime
from locales.folding import fold_key
from locales.i18n import set_locale
from models.chat import accounts, link_codes
from models.chat.accounts import PhoneLink
from models.chat.link_codes import Outcome
from models.org import officials
from models.org.phones import normalize_contact_phone

LINK = Flow("link", steps=("await_code",))
AWAIT_CODE = LINK.step("await_code")
UNLINKING = Flow("unlink", steps=("confirm",))
CONFIRM_UNLINK = UNLINKING.step("confirm")

router = Router("start")
router.describe("start", "Start / main menu", 0)
router.describe("huylienket", "Unlink this chat from my record", 80)


@router.command("start", "batdau")
async def on_start(ctx: Context) -> list[Reply]:
    if ctx.args.strip().lower().startswith("xm_"):  # a certificate's QR code (#16.5)
        return [await verification_reply(ctx, ctx.args.strip())]
    code = link_codes.normalize_code(ctx.args) if ctx.args else None
    if code is not None:
        return await _redeem(ctx, code)
    if ctx.official is not None:
        return [await greeting(ctx)]
    intro = _(
        "Hello! I am the Training Assistant (Trợ lý Bồi dưỡng). I tell officials which "
        "training they still need, find courses and remind them of deadlines."
    )
    replies = link_prompt_replies()
    return [Reply(intro), *replies]


@router.command("menu")
async def on_menu(ctx: Context) -> list[Reply]:
    return await main_menu(ctx)


@router.choice(LINK_CODE)
async def on_link_button(ctx: Context, _values: Values) -> list[Reply]:
    return await on_link(ctx)


@router.command("lienket")
async def on_link(ctx: Context) -> list[Reply]:
    if ctx.official is not None:
        return [
            Reply(
                _(
                    "This chat is already linked to {name}. To link another record, use "
                    "/huylienket first."
                ).format(name=ctx.official.full_name)
            )
        ]
    code = link_codes.normalize_code(ctx.args) if ctx.args else None
    if code is not None:
        return await _redeem(ctx, code)
    AWAIT_CODE.enter(ctx)
    return [
        Reply(
            _(
                "Please type the link code HR gave you (8 or 12 letters and digits, for "
                "example ABCD-2345). Capital or small letters and spaces do not matter."
            )
        )
    ]


@router.step(AWAIT_CODE)
async def on_code_typed(ctx: Context) -> list[Reply]:
    code = link_codes.normalize_code(ctx.text)
    if code is None:
        # Only a wrong guess counts towards throttling; a malformed one is just explained.
        return [
            Reply(
                _(
                    "“{text}” is not a link code. A link code has 8 or 12 letters and digits, "
                    "for example ABCD-2345. Please type it again, or press /trogiup for help."
                ).format(text=ctx.text[:40])
            )
        ]
    return await _redeem(ctx, code)


@router.on(Hook.CODE)
async def maybe_code(ctx: Context) -> list[Reply]:
    """An unlinked person who just types their code, without any command first."""
    code = link_codes.normalize_code(ctx.text)
    return await _redeem(ctx, code) if code is not None else []


async def _redeem(ctx: Context, code: str) -> list[Reply]:
    if ctx.official is not None:
        return [
            Reply(
                _(
                    "This chat is already linked to {name}. To link another record, use "
                    "/huylienket first."
                ).format(name=ctx.official.full_name)
            )
        ]
    result = await link_codes.redeem(
        ctx.session,
        ctx.account,
        code,
        now=ctx.now,
        pepper=ctx.settings.link_codes.pepper,
        budget=ctx.settings.link_codes.budget,
    )
    if result.outcome is Outcome.LINKED:
        assert result.official is not None
        ctx.dialog.end()
        return await _linked(ctx, result.official)
    AWAIT_CODE.enter(ctx)
    if result.outcome is Outcome.BLOCKED:
        until = result.blocked_until or ctx.account.link_blocked_until
        assert until is not None
        return [
            Reply(
                _(
                    "Too many wrong codes were entered. For your security, please wait until "
                    "{time} and try again, or contact your HR office."
                ).format(time=format_datetime(until, ctx.tz))
            )
        ]
    if result.outcome is Outcome.CHANNEL_PAUSED:
        assert result.blocked_until is not None
        return [
            Reply(
                _(
                    "Linking by code is paused for a while for everyone's security, because "
                    "many wrong codes were entered recently. Please try again after {time}, "
                    "or contact your HR office."
                ).format(time=format_datetime(result.blocked_until, ctx.tz))
            )
        ]
    if result.outcome is Outcome.EXPIRED:
        text = _("This link code has expired. Please contact your HR office for a new code.")
    elif result.outcome is Outcome.USED:
        text = _(
            "This link code has already been used. Each code works only once. If you did "
            "not use it, please contact your HR office at once for a new code."
        )
    elif result.outcome is Outcome.INACTIVE:
        text = _("This record is no longer active. Please contact your HR office.")
    else:
        text = _(
            "The link code is not correct. Please check it and type it again (8 or 12 letters "
            "and digits, for example ABCD-2345)."
        )
    return [Reply(text)]


async def _linked(ctx: Context, official: officials.Official) -> list[Reply]:
    ctx.official = official
    if official.preferred_locale and not ctx.account.locale:
        set_locale(official.preferred_locale)
    done = Reply(
        _("Linked. {title} can now see your own training information here.").format(
            title=title_cap(official)
        ),
        remove_keyboard=True,
    )
    return [done, shown_at_linking(ctx), await greeting(ctx)]


@router.on(Hook.CONTACT)
async def on_contact(ctx: Context) -> list[Reply]:
    contact = ctx.incoming.contact
    assert contact is not None
    if not contact.is_own:
        return [
            Reply(
                _(
                    "For your security, I can only accept your own phone number. Please press "
                    "the “Share my phone number” button instead of sending someone’s contact."
                )
            )
        ]
    if ctx.official is not None:
        return [
            Reply(_("This chat is already linked to {name}.").format(name=ctx.official.full_name))
        ]
    # A platform's contact always carries its country code: never the roster's rules.
    phone = normalize_contact_phone(contact.phone)
    outcome, official = await accounts.link_by_phone(ctx.session, ctx.account, phone, now=ctx.now)
    if outcome is PhoneLink.LINKED:
        assert official is not None
        return await _linked(ctx, official)
    if outcome is PhoneLink.CODE_ONLY:
        return [
            Reply(
                _(
                    "For the security of HR admin accounts, this record can only be linked "
                    "with the one-time link code HR gave you, not with a phone number. Please "
                    "type that code here, or ask the province HR office for a new one."
                ),
                remove_keyboard=True,
            )
        ]
    if outcome is PhoneLink.AMBIGUOUS:
        return [
            Reply(
                _(
                    "This phone number belongs to more than one record, so I cannot tell which "
                    "one is yours. Please link with the code HR gave you."
                )
            )
        ]
    return [
        Reply(
            _(
                "I could not find this phone number in the HR roster. Please ask your HR "
                "office to update your phone number, or link with the code HR gave you."
            )
        )
    ]


@router.command("huylienket", "unlink")
async def on_unlink(ctx: Context) -> list[Reply]:
    if ctx.official is None:
        return [Reply(_("This chat is not linked to any record."))]
    CONFIRM_UNLINK.enter(ctx)
    return [
        Reply(
            _(
                "Unlink this chat from {name}? After unlinking, this chat will no longer show "
                "your training information or receive reminders."
            ).format(name=ctx.official.full_name),
            choices=(
                Choice(_("Yes, unlink"), UNLINK.pack(answer="yes")),
                Choice(_("No, keep it"), UNLINK.pack(answer="no")),
            ),
            columns=2,
        )
    ]


@router.choice(UNLINK)
async def on_unlink_choice(ctx: Context, values: Values) -> list[Reply]:
    return await _unlink_answer(ctx, values.text("answer"))


async def _unlink_answer(ctx: Context, answer: str) -> list[Reply]:
    if not UNLINKING.is_active(ctx) or ctx.official is None:
        ctx.dialog.end()
        return stale_reply(ctx)
    ctx.dialog.end()
    if answer == "no":
        return [menu_reply(ctx, _("Nothing changed. The chat stays linked."))]
    name = ctx.official.full_name
    await accounts.unlink(ctx.session, ctx.account, now=ctx.now)
    ctx.official = None
    return [
        Reply(_("Unlinked. This chat is no longer connected to {name}.").format(name=name)),
        *link_prompt_replies(),
    ]


@router.step(CONFIRM_UNLINK)
async def on_unlink_typed(ctx: Context) -> list[Reply]:
    key = fold_key(ctx.text)
    if key in ("co", "yes", "dong y", "ok", "huy", "co huy"):
        answer = "yes"
    elif key in ("khong", "no", "thoi", "giu"):
        answer = "no"
    else:
        return [Reply(_("Please answer “Yes, unlink” or “No, keep it”."))]
    ctx.choice = UNLINK.pack(answer=answer)
    return await _unlink_answer(ctx, answer)
