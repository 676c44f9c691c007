"""/baocao: compliance with the province's training targets for my admin scope — a text
table, a bar chart and an .xlsx workbook."""

from __future__ import annotations

from handlers.admin_access import admin_scope, denied
from handlers.common import stale_reply
from handlers.context import Context
from handlers.payloads import REPORT_YEAR, Values
from handlers.router import Router
from handlers.types import XLSX, Attachment, Choice, Reply
from locales import _, format_number
from locales.i18n import format_percent
from models import audit
from models.exports.compliance import compliance_chart, compliance_workbook
from models.requirements.compliance import ComplianceReport
from models.requirements.compliance_breakdown import breakdown
from models.vocabulary import LEVELS

router = Router("reports")
router.describe("baocao", "Compliance report (HR officers only)", 75)

SHOWN_UNITS = 8


@router.command("baocao", "report", needs_link=True)
async def on_report(ctx: Context) -> list[Reply]:
    return await _report(ctx, ctx.args)


@router.choice(REPORT_YEAR, needs_link=True)
async def on_report_year(ctx: Context, values: Values) -> list[Reply]:
    return await _report(ctx, str(values.number("year")))


async def _report(ctx: Context, picked: str) -> list[Reply]:
    scope = await admin_scope(ctx, "baocao")
    if scope is None:
        return denied(ctx)
    year = ctx.today.year
    if picked:
        if not picked.isdigit() or not 2000 <= int(picked) <= ctx.today.year:
            return stale_reply(ctx)
        year = int(picked)
    unit = scope.widest
    assert unit is not None and ctx.official is not None
    data = await breakdown(ctx.session, scope=unit, year=year, today=ctx.today)
    audit.record(
        ctx.session,
        actor=f"{ctx.account.channel}:{ctx.official.employee_code}",
        actor_official_id=ctx.official.id,
        action="report.compliance",
        subject=f"{unit.code}:{year}",
        affected=data.scope.officials,
        at=ctx.now,
    )
    lines = [
        _("📊 Training targets {year} — {scope}").format(year=year, scope=unit.name),
        _("{n} officials; as of {date}.").format(
            n=format_number(data.scope.officials), date=data.scope.as_of.strftime("%d/%m/%Y")
        ),
        "",
        *_target_lines(data.scope),
    ]
    worst = sorted(
        (
            (item.share, child.name, item)
            for child, report in data.by_unit
            for item in report.targets
            if item.achieved is False and item.share is not None
        ),
        key=lambda row: row[0],
    )[:SHOWN_UNITS]
    if worst:
        lines += ["", _("Furthest from a target:")]
        lines += [
            f"⚠️ {name}: {item.target.title.localized()} — {format_percent(share)}"
            for share, name, item in worst
        ]
    if data.by_level:
        lines += ["", _("By level:")]
        for level, report in data.by_level:
            label = _(LEVELS[level]) if level in LEVELS else level
            lines.append(f"• {label} — {format_number(report.officials)}")
            lines += [
                f"   {'✅' if t.achieved else '⚠️'} {t.target.title.localized()}: "
                f"{format_percent(t.share)}"
                for t in report.targets
                if t.share is not None
            ]
    stamp = f"{unit.code}-{year}"
    attachments = (
        Attachment(
            file_name=f"bieu-do-{stamp}.png",
            content=compliance_chart(data.scope, unit.name),
            mime_type="image/png",
            is_image=True,
            summary=_("Chart of the shares above."),
            personal=False,  # shares by unit, no names
        ),
        Attachment(
            file_name=f"bao-cao-boi-duong-{stamp}.xlsx",
            content=compliance_workbook(data, unit.name),
            mime_type=XLSX,
            summary=_("Workbook: summary, by unit and by level."),
        ),
    )
    other = year - 1 if year == ctx.today.year else ctx.today.year
    return [
        Reply(
            "\n".join(lines),
            choices=(Choice(_("Year {year}").format(year=other), REPORT_YEAR.pack(year=other)),),
            attachments=attachments,
        )
    ]


def _target_lines(report: ComplianceReport) -> list[str]:
    lines = []
    for item in report.targets:
        title = item.target.title.localized()
        goal = format_percent(item.target.threshold)
        if item.share is None:
            lines.append(
                _("➖ {title}: nobody concerned (target {goal})").format(title=title, goal=goal)
            )
            continue
        icon = "✅" if item.achieved else "⚠️"
        lines.append(
            _("{icon} {title}: {share} ({met}/{total}; target {goal})").format(
                icon=icon,
                title=title,
                share=format_percent(item.share),
                met=format_number(item.met),
                total=format_number(item.applicable),
                goal=goal,
            )
        )
    return lines
