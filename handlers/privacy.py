"""/quyenriengtu: the privacy notice on request; /dulieu: the official's own data."""

from __future__ import annotations

from handlers.context import Context
from handlers.privacy_notice import notice_reply
from handlers.router import Router
from handlers.types import Attachment, Reply
from locales import _
from models.privacy import my_data, notice

# Zalo may not carry personal data as a file (issue #11, point 7): it gets text.
_TEXT_ONLY_CHANNELS = frozenset({"zalo", "zalo_oa"})

router = Router("privacy")
router.describe("quyenriengtu", "What data the assistant holds and why", 90)
router.describe("dulieu", "All my data held by the assistant", 91)


@router.command("quyenriengtu", "privacy")
async def on_privacy(ctx: Context) -> list[Reply]:
    if ctx.official is not None:
        # Read in full on request: it need not be shown again until it changes.
        notice.record_shown(ctx.account, ctx.settings.privacy)
    return [notice_reply(ctx)]


@router.command("dulieu", "mydata", needs_link=True)
async def on_my_data(ctx: Context) -> list[Reply]:
    official = ctx.official
    assert official is not None
    data = await my_data.my_data(ctx.session, official)
    if ctx.account.channel in _TEXT_ONLY_CHANNELS:
        return [Reply(my_data.as_text(data))]
    stamp = ctx.now.astimezone(ctx.tz).strftime("%Y%m%d")
    attachment = Attachment(
        file_name=f"du-lieu-{official.employee_code}-{stamp}.json",
        content=my_data.as_json(data),
        mime_type="application/json",
        summary=_("File: all your data held by the assistant."),
    )
    text = _(
        "📂 Here is all your data held by the assistant, as a file: your record, training "
        "records, registrations, the certificates you sent for verification, linked chats, "
        "the notices sent to you and who read your data. To correct anything, please "
        "contact your HR office."
    )
    return [Reply(text, attachments=(attachment,))]
