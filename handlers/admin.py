"""/quantri: the HR admin menu, and granting admin roles in the chat (province admins)."""

from __future__ import annotations

from handlers.admin_access import actor_of, admin_scope, denied
from handlers.common import addressed, command_choice, stale_reply
from handlers.context import Context
from handlers.flows import AWAITING_FILE, Flow
from handlers.payloads import (
    ADMIN_GRANT,
    ADMIN_IMPORT,
    ADMIN_KIT,
    ADMIN_NOMINATE,
    ADMIN_REISSUE,
    ADMIN_UNLINKED,
    ATTENDANCE_MENU,  # attendance (#16.3)
    EVAL_SUMMARY_ASK,
    EXPORT_ASK,
    GRANT,
    PLAN_MENU,  # the year's plan (#16.1)
    REVIEW_OPEN,
    TEMPLATE_ASK,
    UNREACHED_LIST,
    Payload,
    Values,
)
from handlers.router import Router
from handlers.types import Choice, Reply
from locales import _, format_number, ngettext
from models.imports.kinds import IMPORTERS
from models.notices import unreached
from models.org import admins, officials
from models.org import units as org_units
from models.org.admins import Scope
from models.requirements import self_reported

GRANTING = Flow("admin_grant", steps=("codes", "confirm"))
TYPE_CODES = GRANTING.step("codes")
CONFIRM_GRANT = GRANTING.step("confirm")

router = Router("admin")
router.describe("quantri", "HR admin tools (HR officers only)", 70)


@router.command("quantri", "admin", needs_link=True)
async def on_admin(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "quantri")
    if scope is None:
        return denied(ctx)
    names = ", ".join(u.name for u in scope.units)
    choices = [
        command_choice(_("📣 Send an announcement"), "thongbao"),
        Choice(_("📥 Import an Excel/CSV file"), ADMIN_IMPORT.pack()),
        command_choice(_("📊 Compliance report"), "baocao"),
        # --- the year's plan (#16.1) ---
        Choice(_("🗓 Year's plan"), PLAN_MENU.pack()),
        Choice(_("📋 Course registrations (Excel)"), EXPORT_ASK.pack()),
        Choice(_("🔑 Link codes for my unit"), ADMIN_KIT.pack()),
        Choice(_("🔁 New link code for one official"), ADMIN_REISSUE.pack()),
        Choice(_("👥 Not linked yet"), ADMIN_UNLINKED.pack()),
        Choice(_("📝 Nominate for a course"), ADMIN_NOMINATE.pack()),  # nominations (#16.2)
        # --- attendance (#16.3) ---
        Choice(_("🧾 Attendance"), ATTENDANCE_MENU.pack()),
        # --- course evaluation (#16.4) ---
        Choice(_("📊 Evaluation results"), EVAL_SUMMARY_ASK.pack()),
    ]
    if scope.is_province:
        choices.append(Choice(_("🔑 Grant admin rights"), ADMIN_GRANT.pack()))
    # --- self-reported certificates (#16.8) ---
    assert ctx.official is not None
    waiting = await self_reported.pending_count(ctx.session, scope, reviewer_id=ctx.official.id)
    if waiting:
        label = _("🗂 Certificates awaiting review ({n})").format(n=format_number(waiting))
        choices.append(Choice(label, REVIEW_OPEN.pack()))
    text = addressed(_("🛠 HR admin tools. {Title} manages: {units}."), ctx.official, units=names)
    missed = await unreached.count_unreached(ctx.session, scope, now=ctx.now, policy=ctx.routing)
    if missed:
        # Notices no channel could carry (#14.3): HR phones them or fixes the roster.
        text += "\n" + ngettext(
            "Not reached: {n} official", "Not reached: {n} officials", missed
        ).format(n=format_number(missed))
        choices.append(Choice(_("📵 Officials not reached (Excel)"), UNREACHED_LIST.pack()))
    return [Reply(text, choices=tuple(choices))]


@router.choice(ADMIN_IMPORT, needs_link=True)
async def on_import_button(ctx: Context, _values: Values) -> list[Reply]:
    if await _scope_for(ctx, ADMIN_IMPORT) is None:
        return denied(ctx)
    AWAITING_FILE.enter(ctx)
    return [
        Reply(
            _(
                "Send me the file (.xlsx or .csv) as a document in this chat. I will check "
                "every row first and show you a summary; nothing is written until you "
                "confirm. Accepted: {kinds}."
            ).format(kinds=", ".join(_(k.label).lower() for k in IMPORTERS.values())),
            choices=(Choice(_("📄 Download a template"), TEMPLATE_ASK.pack()),),
        )
    ]


@router.choice(ADMIN_GRANT, needs_link=True)
async def on_grant_button(ctx: Context, _values: Values) -> list[Reply]:
    scope = await _scope_for(ctx, ADMIN_GRANT)
    if scope is None:
        return denied(ctx)
    if not scope.is_province:
        return stale_reply(ctx)
    TYPE_CODES.enter(ctx)
    return [
        Reply(
            _(
                "Type the employee code of the new admin and the code of the unit they "
                "will manage, separated by a space. Example: CB000123 T99-X01"
            )
        )
    ]


async def _scope_for(ctx: Context, button: Payload) -> Scope | None:
    return await admin_scope(ctx, button.pack())


@router.step(TYPE_CODES)
async def on_grant_codes(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "grant")
    if scope is None or not scope.is_province:
        ctx.dialog.end()
        return denied(ctx)
    parts = ctx.text.split()
    if len(parts) != 2:
        return [Reply(_("Please type two codes separated by a space, e.g. CB000123 T99-X01."))]
    official = await officials.by_employee_code(ctx.session, parts[0].upper())
    unit = await org_units.by_code(ctx.session, parts[1])
    if official is None:
        return [Reply(_("No official with employee code {code}.").format(code=parts[0][:40]))]
    if unit is None:
        return [Reply(_("No unit with code {code}.").format(code=parts[1][:40]))]
    CONFIRM_GRANT.enter(ctx, official_id=official.id, unit_id=unit.id)
    return [
        Reply(
            _("Make {name} ({code}) an HR admin of {unit} and everything under it?").format(
                name=official.full_name, code=official.employee_code, unit=unit.name
            ),
            choices=(
                Choice(_("✅ Confirm"), GRANT.pack(answer="yes")),
                Choice(_("❌ Cancel"), GRANT.pack(answer="no")),
            ),
            columns=2,
        )
    ]


@router.choice(GRANT, needs_link=True)
async def on_grant_confirm(ctx: Context, values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, "grant")
    if scope is None or not scope.is_province:
        ctx.dialog.end()
        return denied(ctx)
    data = GRANTING.data(ctx)
    answer = values.text("answer")
    ctx.dialog.end()
    if answer != "yes" or "official_id" not in data:
        return [Reply(_("Cancelled. Nothing was changed."))]
    official = await ctx.session.get(officials.Official, data["official_id"])
    unit = await ctx.session.get(org_units.OrgUnit, data["unit_id"])
    if official is None or unit is None:
        return stale_reply(ctx)
    assert ctx.official is not None
    created = await admins.grant(
        ctx.session,
        official,
        unit,
        actor=actor_of(ctx),
        now=ctx.now,
        actor_official_id=ctx.official.id,
    )
    if not created:
        return [
            Reply(
                _("{name} is already an admin of {unit}.").format(
                    name=official.full_name, unit=unit.name
                )
            )
        ]
    return [
        Reply(
            _("Done: {name} is now an HR admin of {unit}.").format(
                name=official.full_name, unit=unit.name
            )
        )
    ]
