"""The files a province's rollout needs, from /quantri: the empty template of each import
kind ("📄 Download a template" in the import prompt) and the link-code kit for the admin's
units ("🔑 Link codes for my unit"), with the list of who has not linked yet."""

from __future__ import annotations

from handlers.admin_access import (
    actor_of,
    admin_scope,
    audit_read,
    cancel_admin_flow,
    denied,
    nobody_matches,
    search_typed_official,
)
from handlers.common import addressed, stale_reply
from handlers.context import Context
from handlers.flows import Flow
from handlers.payloads import (
    ADMIN_KIT,
    ADMIN_REISSUE,
    ADMIN_UNLINKED,
    REISSUE_CANCEL,
    REISSUE_PICK,
    TEMPLATE_ASK,
    TEMPLATE_KIND,
    Values,
)
from handlers.router import Router
from handlers.types import XLSX, Attachment, Choice, Reply
from locales import _, format_number, ngettext
from locales.wording import shorten
from models.chat.rollout_kit import (
    beyond_scope,
    issue_kit,
    refuse_reissue,
    reissue,
    unlinked_by_unit,
    unlinked_units,
    unlinked_xlsx,
)
from models.imports.kinds import IMPORTERS
from models.imports.templates import importer_template, template_file_name, units_in_scope
from models.org.officials import Official

router = Router("rollout")
PDF = "application/pdf"
_NAMES_SHOWN = 30  # per unit, in the "not linked yet" list
_UNITS_SHOWN = 20  # in the "👥 Not linked yet" summary; the file has them all

# "🔁 New link code for one official": the admin types a name or code, then picks.
REISSUING = Flow("reissue", steps=("search",), free_text=("search",))
SEARCH = REISSUING.step("search")


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
        scope_paths=[u.path for u in scope.units],
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


@router.choice(ADMIN_UNLINKED, needs_link=True)
async def on_unlinked(ctx: Context, _values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, ADMIN_UNLINKED.pack())
    if scope is None:
        return denied(ctx)
    units = await unlinked_units(ctx.session, [u.path for u in scope.units])
    total = sum(len(u.officials) for u in units)
    if not total:
        return [
            Reply(
                addressed(_("Every official in {title}'s units has linked a chat."), ctx.official)
            )
        ]
    audit_read(ctx, "unlinked", scope, total, "unlinked")
    lines = [
        addressed(
            ngettext(
                "👥 {n} official in {title}'s units has not linked a chat yet:",
                "👥 {n} officials in {title}'s units have not linked a chat yet:",
                total,
            ),
            ctx.official,
            n=format_number(total),
        )
    ]
    lines.extend(
        _("- {unit}: {n}").format(unit=u.name, n=format_number(len(u.officials)))
        for u in units[:_UNITS_SHOWN]
    )
    if len(units) > _UNITS_SHOWN:
        lines.append(
            ngettext(
                "… and {n} more unit, in the file.",
                "… and {n} more units, in the file.",
                len(units) - _UNITS_SHOWN,
            ).format(n=format_number(len(units) - _UNITS_SHOWN))
        )
    lines.append(
        _(
            "The attached file lists every one of them with their unit. “🔑 Link codes for"
            " my unit” makes their codes and slips."
        )
    )
    stamp = ctx.now.astimezone(ctx.tz).strftime("%Y%m%d")
    return [
        Reply(
            "\n".join(lines),
            attachments=(
                Attachment(
                    file_name=f"chua-lien-ket-{stamp}.xlsx",
                    content=unlinked_xlsx(units),
                    mime_type=XLSX,
                    summary=_("Workbook: the officials who have not linked a chat yet."),
                ),
            ),
            choices=(Choice(_("🔑 Link codes for my unit"), ADMIN_KIT.pack()),),
        )
    ]


@router.choice(ADMIN_REISSUE, needs_link=True)
async def on_reissue_ask(ctx: Context, _values: Values) -> list[Reply]:
    if await admin_scope(ctx, ADMIN_REISSUE.pack()) is None:
        return denied(ctx)
    SEARCH.enter(ctx)
    return [
        Reply(
            addressed(
                _(
                    "🔁 Whose link code should be renewed? {Title} can type part of the name"
                    " (with or without diacritics) or the employee code."
                ),
                ctx.official,
            ),
            choices=(Choice(_("❌ Cancel"), REISSUE_CANCEL.pack()),),
        )
    ]


@router.choice(REISSUE_CANCEL, needs_link=True)
async def on_reissue_cancel(ctx: Context, _values: Values) -> list[Reply]:
    return await cancel_admin_flow(ctx, REISSUE_CANCEL.pack(), REISSUING)


@router.step(SEARCH)
async def on_reissue_search(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "reissue")
    if scope is None:
        ctx.dialog.end()
        return denied(ctx)
    typed, found = await search_typed_official(ctx, scope)
    cancel = Choice(_("❌ Cancel"), REISSUE_CANCEL.pack())
    if not found:
        return nobody_matches(ctx, typed, cancel)
    choices = [
        Choice(
            shorten(f"{o.full_name} · {o.employee_code} · {o.unit.name}", 60),
            REISSUE_PICK.pack(id=o.id),
        )
        for o in found
    ]
    return [
        Reply(
            _("Choose the official (type again to search again):"),
            choices=(*choices, cancel),
        )
    ]


@router.choice(REISSUE_PICK, needs_link=True)
async def on_reissue_pick(ctx: Context, values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, REISSUE_PICK.pack(id=values.number("id")))
    if scope is None:
        return denied(ctx)
    assert ctx.official is not None
    official = await ctx.session.get(Official, values.number("id"))
    if official is not None and not official.active:
        official = None
    paths = [u.path for u in scope.units]
    if (
        official is None
        or not scope.reaches(official.unit.path)
        or await beyond_scope(ctx.session, [official], paths)
    ):
        refuse_reissue(
            ctx.session,
            actor=actor_of(ctx),
            actor_official_id=ctx.official.id,
            official_id=values.number("id"),
            now=ctx.now,
        )
        REISSUING.end(ctx)
        return [
            Reply(
                addressed(
                    _(
                        "Sorry, {title} cannot issue a code for this official: they are not"
                        " in {title}'s units (or they hold wider admin rights). Nothing was"
                        " changed."
                    ),
                    ctx.official,
                )
            )
        ]
    REISSUING.end(ctx)
    kit = await reissue(
        ctx.session,
        official,
        now=ctx.now,
        actor=actor_of(ctx),
        actor_official_id=ctx.official.id,
        pepper=ctx.settings.link_codes.pepper,
        bot_username=ctx.bot_username,
    )
    [slip] = kit.slips
    lines = [
        _(
            "🔑 New link code for {name} ({code}, {unit}): {link_code}. Their earlier unused"
            " codes no longer work."
        ).format(
            name=slip.full_name, code=slip.employee_code, unit=slip.unit_name, link_code=slip.code
        )
    ]
    if slip.deep_link:
        lines.append(_("Link for Telegram: {link}").format(link=slip.deep_link))
    lines.append(
        _(
            "On Zalo, they send the code to the assistant. The printable slip with the QR"
            " code is attached; please hand it to them in person."
        )
    )
    return [
        Reply(
            "\n".join(lines),
            attachments=(
                Attachment(
                    file_name=f"ma-lien-ket-{slip.employee_code}.pdf",
                    content=kit.pdf,
                    mime_type=PDF,
                    summary=_("The slip is a PDF file."),
                ),
            ),
        )
    ]
