"""The files a province's rollout needs, from /quantri: the empty template of each import
kind ("📄 Download a template" in the import prompt) and the link-code kit for the admin's
units ("🔑 Link codes for my unit"), with the list of who has not linked yet."""

from __future__ import annotations

from handlers.admin_access import actor_of, admin_scope, denied
from handlers.common import stale_reply
from handlers.context import Context
from handlers.payloads import ADMIN_KIT, TEMPLATE_ASK, TEMPLATE_KIND, Values
from handlers.router import Router
from handlers.types import XLSX, Attachment, Choice, Reply
from locales import _, format_number
from models.chat.rollout_kit import issue_kit, unlinked_by_unit
from models.imports.kinds import IMPORTERS
from models.imports.templates import importer_template, template_file_name, units_in_scope

router = Router("rollout")
PDF = "application/pdf"
_NAMES_SHOWN = 30  # per unit, in the "not linked yet" list


@router.choice(TEMPLATE_ASK, needs_link=True)
async def on_template_ask(ctx: Context, _values: Values) -> list[Reply]:
    if await admin_scope(ctx, TEMPLATE_ASK.pack()) is None:
        return denied(ctx)
    return [
        Reply(
            _("Which template do you need?"),
            choices=tuple(
                Choice(_(k.label), TEMPLATE_KIND.pack(kind=k.kind)) for k in IMPORTERS.values()
            ),
        )
    ]


@router.choice(TEMPLATE_KIND, needs_link=True)
async def on_template(ctx: Context, values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, "template")
    if scope is None:
        return denied(ctx)
    importer = IMPORTERS.get(values.text("kind"))
    if importer is None:
        return stale_reply(ctx)
    units = await units_in_scope(ctx.session, [u.path for u in scope.units])
    return [
        Reply(
            _(
                "Here is the template for “{kind}”. Fill in the first sheet (one row per "
                "line, keep the header row), then send it back here after choosing “📥 "
                "Import an Excel/CSV file”. The sheet “Hướng dẫn” explains every column; "
                "the sheet “Đơn vị” lists your unit codes."
            ).format(kind=_(importer.label)),
            attachments=(
                Attachment(
                    file_name=template_file_name(importer.kind),
                    content=importer_template(importer, units),
                    mime_type=XLSX,
                    summary=_("The template is an Excel file."),
                    personal=False,  # headers and unit names only
                ),
            ),
        )
    ]


@router.choice(ADMIN_KIT, needs_link=True)
async def on_kit(ctx: Context, _values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, ADMIN_KIT.pack())
    if scope is None or scope.widest is None:
        return denied(ctx)
    assert ctx.official is not None
    unit = scope.widest
    kit = await issue_kit(
        ctx.session,
        unit,
        now=ctx.now,
        actor=actor_of(ctx),
        actor_official_id=ctx.official.id,
        pepper=ctx.settings.link_codes.pepper,
        bot_username=ctx.bot_username,
    )
    lines = [
        _(
            "🔑 {n} new link codes for the officials of {unit} who have not linked a chat yet."
            " Their earlier unused codes no longer work. Please hand each official their slip;"
            " the codes are in these two files only."
        ).format(n=format_number(len(kit.slips)), unit=unit.name)
    ]
    for unit_name, names in await unlinked_by_unit(ctx.session, [u.path for u in scope.units]):
        shown = ", ".join(names[:_NAMES_SHOWN]) + (" …" if len(names) > _NAMES_SHOWN else "")
        lines.append(
            _("Not linked yet in {unit}: {n} ({names})").format(
                unit=unit_name, n=format_number(len(names)), names=shown
            )
        )
    if not kit.slips:
        return [Reply(_("Every official of {unit} has linked a chat.").format(unit=unit.name))]
    stem = f"ma-lien-ket-{unit.code}"
    return [
        Reply(
            "\n".join(lines),
            attachments=(
                Attachment(file_name=f"{stem}.xlsx", content=kit.xlsx, mime_type=XLSX),
                Attachment(file_name=f"{stem}.pdf", content=kit.pdf, mime_type=PDF),
            ),
        )
    ]
