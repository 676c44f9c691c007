"""/ngonngu: switch between Vietnamese and English."""

from __future__ import annotations

from handlers.common import menu_reply
from handlers.context import Context
from handlers.payloads import LANGUAGE, Values
from handlers.router import Router
from handlers.types import Choice, Reply
from locales import _
from locales.i18n import SUPPORTED_LOCALES, set_locale

router = Router("language")
router.describe("ngonngu", "Language: Tiếng Việt / English", 85)
router.menu_item("🌐 Language", "ngonngu", 85, needs_link=False)

# Each language is offered in its own name, so anyone can find theirs.
_NAMES = {"vi": "🇻🇳 Tiếng Việt", "en": "🇬🇧 English"}


@router.command("ngonngu", "language", "lang")
@router.intent("ngôn ngữ", "tiếng anh", "tiếng việt", "english", "language")
async def on_language(ctx: Context) -> list[Reply]:
    return [
        Reply(
            _("Choose your language:"),
            choices=tuple(
                Choice(_NAMES[code], LANGUAGE.pack(code=code)) for code in SUPPORTED_LOCALES
            ),
            columns=2,
        )
    ]


@router.choice(LANGUAGE)
async def on_language_choice(ctx: Context, values: Values) -> list[Reply]:
    code = values.text("code")
    ctx.account.locale = code
    if ctx.official is not None:
        ctx.official.preferred_locale = code
    set_locale(code)
    return [menu_reply(ctx, _("Language set to English."))]
