"""📋 A course's registrations as an .xlsx, for HR admins, limited to their scope.

Reached from /quantri. Every update re-reads the sender's admin scope from the database;
a button carries only a course id, which is looked up again (unknown → stale):
  regx:ask      offer recent and upcoming courses with registrations in my scope,
                or type a course code
  regx:<id>     export that course's registrations inside my scope
  regx:cancel   leave the dialog
"""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.admin_access import actor_of, admin_scope, audit_read, denied
from handlers.common import addressed, stale_reply
from handlers.context import Context
from handlers.flows import Flow
from handlers.payloads import EXPORT_ASK, EXPORT_CANCEL, EXPORT_COURSE, Values
from handlers.router import Router
from handlers.types import XLSX, Attachment, Choice, Reply
from locales import _, format_number, ngettext
from locales.wording import shorten
from models.courses import catalogue as courses
from models.courses.catalogue import Course
from models.exports.registrations import (
    course_registrations,
    courses_with_registrations,
    record_export,
    registrations_workbook,
)
from models.org.admins import Scope

EXPORTING = Flow("reg_export", steps=("code",))
TYPE_CODE = EXPORTING.step("code")
SHOWN = 10
RECENT = timedelta(days=60)  # courses that ended within this are still offered

router = Router("admin_export")


async def _scope(ctx: Context) -> Scope | None:
    scope = await admin_scope(ctx, "regx")
    if scope is None:
        EXPORTING.end(ctx)
    return scope


@router.choice(EXPORT_ASK, needs_link=True)
async def on_ask(ctx: Context, _values: Values) -> list[Reply]:
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    TYPE_CODE.enter(ctx)
    return await _ask(
        ctx,
        scope,
        addressed(
            _("📋 Registrations for which course? {Title} can type the course code."),
            ctx.official,
        ),
    )


@router.choice(EXPORT_CANCEL, needs_link=True)
async def on_cancel(ctx: Context, _values: Values) -> list[Reply]:
    if await _scope(ctx) is None:
        return denied(ctx)
    ctx.dialog.end()
    return [Reply(_("Cancelled. Nothing was changed."))]


@router.choice(EXPORT_COURSE, needs_link=True)
async def on_course(ctx: Context, values: Values) -> list[Reply]:
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    course = await courses.get(ctx.session, values.number("id"))
    if course is None:
        return stale_reply(ctx)
    return await _export(ctx, scope, course)


@router.step(TYPE_CODE)
async def on_code_typed(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "regx")
    if scope is None:
        ctx.dialog.end()
        return denied(ctx)
    typed = ctx.text.strip()
    course = await courses.by_code(ctx.session, typed.upper()[:40])
    if course is None:
        return await _ask(
            ctx,
            scope,
            _("No course has the code “{code}”.").format(code=typed[:40])
            + " "
            + _("Please type the code again."),
        )
    return await _export(ctx, scope, course)


async def _ask(ctx: Context, scope: Scope, prompt: str) -> list[Reply]:
    offered = await courses_with_registrations(
        ctx.session, scope, since=ctx.today - RECENT, limit=SHOWN
    )
    lines = [prompt]
    if offered:
        hint = _(
            "Or choose one of the recent and upcoming courses with registrations in "
            "{title}'s scope:"
        )
    else:
        hint = _("No recent or upcoming course has registrations in {title}'s scope yet.")
    lines.append(addressed(hint, ctx.official))
    choices = [
        Choice(shorten(f"{c.code} — {c.title}", 60), EXPORT_COURSE.pack(id=c.id)) for c in offered
    ]
    choices.append(Choice(_("❌ Cancel"), EXPORT_CANCEL.pack()))
    return [Reply("\n".join(lines), choices=tuple(choices))]


async def _export(ctx: Context, scope: Scope, course: Course) -> list[Reply]:
    assert ctx.official is not None
    ctx.dialog.end()
    data = await course_registrations(ctx.session, course, scope)
    record_export(
        ctx.session,
        data,
        scope,
        actor=actor_of(ctx),
        actor_official_id=ctx.official.id,
        at=ctx.now,
    )
    if data.rows:
        audit_read(ctx, "registrations", scope, len(data.rows), course.code)
    heading = f"📋 {course.code} · {course.title}"
    if not data.rows:
        text = addressed(
            _(
                "Nobody in {title}'s scope has registered for this course, so there is no file "
                "to send."
            ),
            ctx.official,
        )
        return [Reply(f"{heading}\n{text}")]
    registered = len(data.rows) - data.cancelled
    summary = addressed(
        ngettext(
            "{n} person registered within {title}'s scope: {confirmed} confirmed, {waiting} "
            "on the waitlist.",
            "{n} people registered within {title}'s scope: {confirmed} confirmed, {waiting} "
            "on the waitlist.",
            registered,
        ),
        ctx.official,
        n=format_number(registered),
        confirmed=format_number(data.seated),
        waiting=format_number(data.waitlisted),
    )
    if data.cancelled:
        summary += " " + ngettext(
            "{n} cancelled registration is listed too.",
            "{n} cancelled registrations are listed too.",
            data.cancelled,
        ).format(n=format_number(data.cancelled))
    scope_name = ", ".join(u.name for u in scope.units)
    stamp = ctx.now.astimezone(ctx.tz).strftime("%Y%m%d-%H%M")
    safe_code = re.sub(r"[^A-Za-z0-9_-]+", "-", course.code)
    attachment = Attachment(
        file_name=f"dang-ky-{safe_code}-{stamp}.xlsx",
        content=registrations_workbook(data, scope_name=scope_name, tz=ctx.tz, now=ctx.now),
        mime_type=XLSX,
        summary=_("Workbook: the registrations for course {code}.").format(code=course.code),
    )
    return [Reply(f"{heading}\n{summary}", attachments=(attachment,))]
