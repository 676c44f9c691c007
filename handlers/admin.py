"""/quantri: the HR admin menu, and granting admin roles in the chat (province admins)."""

from __future__ import annotations

from handlers.admin_access import actor_of, admin_scope, denied
from handlers.common import addressed
from handlers.context import Context
from handlers.router import router
from handlers.types import Choice, Reply
from locales import _
from models.imports.kinds import IMPORTERS
from models.org import admins, officials
from models.org import units as org_units

router.describe("quantri", "HR admin tools (HR officers only)", 70)


@router.command("quantri", "admin", needs_link=True)
async def on_admin(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "quantri")
    if scope is None:
        return denied(ctx)
    names = ", ".join(u.name for u in scope.units)
    choices = [
        Choice(_("📣 Send an announcement"), "cmd:thongbao"),
        Choice(_("📥 Import an Excel/CSV file"), "adm:import"),
        Choice(_("📊 Compliance report"), "cmd:baocao"),
        Choice(_("📋 Course registrations (Excel)"), "regx:ask"),
    ]
    if scope.is_province:
        choices.append(Choice(_("🔑 Grant admin rights"), "adm:grant"))
    text = addressed(_("🛠 HR admin tools. {Title} manages: {units}."), ctx.official, units=names)
    return [Reply(text, choices=tuple(choices))]


@router.choice("adm", needs_link=True)
async def on_admin_choice(ctx: Context) -> list[Reply]:
    action = (ctx.choice or "").partition(":")[2]
    scope = await admin_scope(ctx, f"adm:{action}")
    if scope is None:
        return denied(ctx)
    if action == "import":
        return [
            Reply(
                _(
                    "Send me the file (.xlsx or .csv) as a document in this chat. I will check "
                    "every row first and show you a summary; nothing is written until you "
                    "confirm. Accepted: {kinds}."
                ).format(kinds=", ".join(_(k.label).lower() for k in IMPORTERS.values()))
            )
        ]
    if action == "grant" and scope.is_province:
        ctx.dialog.go("admin_grant", "codes")
        return [
            Reply(
                _(
                    "Type the employee code of the new admin and the code of the unit they "
                    "will manage, separated by a space. Example: DB000123 03158"
                )
            )
        ]
    return await router.special["stale"](ctx)


@router.step("admin_grant", "codes")
async def on_grant_codes(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "grant")
    if scope is None or not scope.is_province:
        ctx.dialog.end()
        return denied(ctx)
    parts = ctx.text.split()
    if len(parts) != 2:
        return [Reply(_("Please type two codes separated by a space, e.g. DB000123 03158."))]
    official = await officials.by_employee_code(ctx.session, parts[0].upper())
    unit = await org_units.by_code(ctx.session, parts[1])
    if official is None:
        return [Reply(_("No official with employee code {code}.").format(code=parts[0][:40]))]
    if unit is None:
        return [Reply(_("No unit with code {code}.").format(code=parts[1][:40]))]
    ctx.dialog.go("admin_grant", "confirm", official_id=official.id, unit_id=unit.id)
    return [
        Reply(
            _("Make {name} ({code}) an HR admin of {unit} and everything under it?").format(
                name=official.full_name, code=official.employee_code, unit=unit.name
            ),
            choices=(Choice(_("✅ Confirm"), "grant:yes"), Choice(_("❌ Cancel"), "grant:no")),
            columns=2,
        )
    ]


@router.choice("grant", needs_link=True)
async def on_grant_confirm(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "grant")
    if scope is None or not scope.is_province:
        ctx.dialog.end()
        return denied(ctx)
    data = ctx.dialog.data if ctx.dialog.flow == "admin_grant" else {}
    answer = (ctx.choice or "").partition(":")[2]
    ctx.dialog.end()
    if answer != "yes" or "official_id" not in data:
        return [Reply(_("Cancelled. Nothing was changed."))]
    official = await ctx.session.get(officials.Official, data["official_id"])
    unit = await ctx.session.get(org_units.OrgUnit, data["unit_id"])
    if official is None or unit is None:
        return await router.special["stale"](ctx)
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
