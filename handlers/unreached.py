"""📵 The officials no channel could reach (#14.3), as an .xlsx for HR, limited to the
admin's scope; offered in /quantri when there are any."""

from __future__ import annotations

from handlers.admin_access import admin_scope, audit_read, denied
from handlers.common import addressed
from handlers.context import Context
from handlers.payloads import UNREACHED_LIST, Values
from handlers.router import Router
from handlers.types import XLSX, Attachment, Reply
from locales import _, format_number, ngettext
from models.exports.unreached import unreached_workbook
from models.notices import unreached

router = Router("unreached")


@router.choice(UNREACHED_LIST, needs_link=True)
async def on_list(ctx: Context, _values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, "unreached")
    if scope is None:
        return denied(ctx)
    found = await unreached.unreached(ctx.session, scope, now=ctx.now, policy=ctx.routing)
    if not found:
        return [
            Reply(addressed(_("Everyone in {title}'s scope can be reached now."), ctx.official))
        ]
    audit_read(ctx, "unreached", scope, len(found), "unreached")
    stamp = ctx.now.astimezone(ctx.tz).strftime("%Y%m%d-%H%M")
    attachment = Attachment(
        file_name=f"chua-lien-lac-duoc-{stamp}.xlsx",
        content=unreached_workbook(found, tz=ctx.tz),
        mime_type=XLSX,
        summary=_("Workbook: the officials not reached, with what they were not told and why."),
    )
    text = ngettext(
        "📵 {n} official could not be reached in the last 30 days on any channel.",
        "📵 {n} officials could not be reached in the last 30 days on any channel.",
        len(found),
    ).format(n=format_number(len(found)))
    return [Reply(text, attachments=(attachment,))]
