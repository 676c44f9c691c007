"""Imports from the chat: an admin sends an .xlsx/.csv, picks what it is, sees the check,
and confirms. The same importers as the command line; scope-checked by the importer."""

from __future__ import annotations

from typing import Any

from handlers.admin_access import actor_of, admin_scope
from handlers.common import menu_reply, stale_reply
from handlers.context import Context
from handlers.flows import AWAITING_FILE, IMPORT_UPLOAD
from handlers.payloads import UPLOAD_APPLY, UPLOAD_KIND, Values
from handlers.router import Hook, Router
from handlers.types import XLSX, Attachment, Choice, Reply
from locales import _, format_number, ngettext
from models.imports import uploads
from models.imports.importer import Importer
from models.imports.kinds import IMPORTERS, after_import
from models.imports.plan import Plan
from models.imports.table import EncodedSheets

router = Router("admin_files")


@router.on(Hook.DOCUMENT)
async def on_document(ctx: Context) -> list[Reply]:
    document = ctx.incoming.document
    assert document is not None
    scope = await admin_scope(ctx, "upload") if ctx.official is not None else None
    if scope is None:
        return [
            menu_reply(
                ctx,
                _(
                    "Thank you, but I cannot use this file. Only HR officers can send roster, "
                    "course or training files."
                ),
            )
        ]
    if document.withheld or not AWAITING_FILE.is_current(ctx):
        return [
            Reply(
                _(
                    "To import a file, please open /quantri and choose “📥 Import an "
                    "Excel/CSV file” first, then send the file again."
                )
            )
        ]
    if document.too_large or len(document.content) > uploads.MAX_BYTES:
        return [Reply(_("The file is too large (over 20 MB). Please split it and send again."))]
    if document.error is not None:
        # Nothing kept: the file as a whole cannot be used, whatever it holds.
        return [Reply(document.error.message())]
    assert ctx.official is not None
    upload = await uploads.keep(
        ctx.session,
        official_id=ctx.official.id,
        file_name=document.file_name,
        # The sheets read before the transaction, not the file: confirming reads no file.
        content=b"" if document.sheets is not None else document.content,
        parsed=document.sheets,
        now=ctx.now,
    )
    IMPORT_UPLOAD.end(ctx)  # one file per "Import" press
    return [
        Reply(
            _("I received “{file}”. What does it contain?").format(file=document.file_name),
            choices=(
                *(
                    Choice(_(k.label), UPLOAD_KIND.pack(id=upload.id, kind=k.kind))
                    for k in IMPORTERS.values()
                ),
                Choice(_("❌ Cancel"), UPLOAD_KIND.pack(id=upload.id, kind=_CANCEL)),
            ),
        )
    ]


_CANCEL = "cancel"  # in place of a kind: drop the upload


@router.choice(UPLOAD_KIND, UPLOAD_APPLY, needs_link=True)
async def on_upload_choice(ctx: Context, values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, "upload")
    if scope is None:
        return [
            menu_reply(ctx, _("This function is for HR officers only. Here is what you can do:"))
        ]
    upload_id, what = values.number("id"), values.text("kind")
    step = values.text("rows") if "rows" in values else ""
    assert ctx.official is not None
    upload = await uploads.owned(ctx.session, upload_id, ctx.official.id, ctx.now)
    if upload is None:
        return [Reply(_("This file is no longer waiting for import. Please send it again."))]
    if what == _CANCEL:
        uploads.consume(upload, ctx.now)
        return [Reply(_("Cancelled. Nothing was imported."))]
    importer = IMPORTERS.get(what)
    if importer is None or (upload.kind is not None and upload.kind != what):
        return stale_reply(ctx)
    # Decoded, read and validated in the worker process: the event loop stays free; that
    # step ran before this transaction when the dispatcher could (models.imports.upload_check).
    content = upload.content if upload.parsed is None else EncodedSheets(upload.parsed)
    ahead = ctx.prechecked
    plan = await importer.plan(
        ctx.session,
        upload.file_name,
        content,
        today=ctx.today,
        scope_unit=scope.widest,
        pepper=ctx.settings.link_codes.pepper,
        isolated=True,
        prechecked=ahead[1] if ahead is not None and ahead[0] == upload.id else None,
    )
    if step == "":
        upload.kind = what
        return [_plan_reply(importer, plan, upload.id, what)]
    if step == "all" and not plan.ok:
        return [_plan_reply(importer, plan, upload.id, what)]  # the file changed meaning: recheck
    assert ctx.official is not None
    result = await importer.apply(
        ctx.session,
        plan,
        actor=actor_of(ctx),
        actor_official_id=ctx.official.id,
        now=ctx.now,
        skip_bad_rows=step == "good",
    )
    uploads.consume(upload, ctx.now)
    await after_import(ctx.session, what, result, ctx.now, planning=ctx.settings.planning)
    return [Reply(importer.format_result(result))]


def _plan_reply(importer: Importer[Any, Any], plan: Plan[Any], upload_id: int, what: str) -> Reply:
    text = importer.format_plan_report(plan)
    choices: list[Choice] = []
    if plan.ok:
        choices.append(
            Choice(_("✅ Import"), UPLOAD_APPLY.pack(id=upload_id, kind=what, rows="all"))
        )
    elif plan.rows and plan.file_error is None:
        choices.append(
            Choice(
                ngettext(
                    "Import only the {n} valid row",
                    "Import only the {n} valid rows",
                    len(plan.rows),
                ).format(n=format_number(len(plan.rows))),
                UPLOAD_APPLY.pack(id=upload_id, kind=what, rows="good"),
            )
        )
    choices.append(Choice(_("❌ Cancel"), UPLOAD_KIND.pack(id=upload_id, kind=_CANCEL)))
    attachments: tuple[Attachment, ...] = ()
    if plan.errors:
        attachments = (
            Attachment(
                file_name="loi-" + plan.file_name.rsplit(".", 1)[0][:60] + ".xlsx",
                content=importer.write_error_file(plan),
                mime_type=XLSX,
                summary=_("The rows with errors are listed above."),
            ),
        )
    return Reply(text, choices=tuple(choices), attachments=attachments)
