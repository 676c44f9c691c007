"""/baocao: compliance with the province's training targets for my admin scope — a text
table, a bar chart and an .xlsx workbook."""

from __future__ import annotations

from handlers.admin_access import actor_of, admin_scope, audit_read, denied
from handlers.common import stale_reply
from handlers.context import Context
from handlers.payloads import REPORT_YEAR, YEAR_REPORT_MENU, Values
from handlers.router import Router
from handlers.types import XLSX, Attachment, Choice, Reply
from locales import _, format_date, format_number, ngettext
from locales.i18n import format_percent
from locales.wording import capitalize_first
from models import audit
from models.exports.compliance import compliance_chart, compliance_workbook
from models.requirements.compliance import ComplianceReport, TargetCompliance
from models.requirements.compliance_breakdown import breakdown
from models.requirements.model import Target, period_label
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
        actor=actor_of(ctx),
        actor_official_id=ctx.official.id,
        action="report.compliance",
        subject=f"{unit.code}:{year}",
        affected=data.scope.officials,
        at=ctx.now,
    )
    # Shares by unit and level: about people, if no names; small units make them personal.
    audit_read(ctx, "compliance", scope, data.scope.officials, f"{unit.code}:{year}")
    lines = [
        _("📊 Training targets {year} — {scope}").format(year=year, scope=unit.name),
        ngettext(
            "{n} official; as of {date}.", "{n} officials; as of {date}.", data.scope.officials
        ).format(n=format_number(data.scope.officials), date=data.scope.as_of.strftime("%d/%m/%Y")),
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
                f"   {_icon(t)} {capitalize_first(t.target.title.localized())}: "
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
            choices=(
                Choice(_("Year {year}").format(year=other), REPORT_YEAR.pack(year=other)),
                Choice(_("📅 Year-end report"), YEAR_REPORT_MENU.pack()),
            ),
            attachments=attachments,
        )
    ]


def _icon(item: TargetCompliance) -> str:
    return "➖" if item.achieved is None else ("✅" if item.achieved else "⚠️")


def period_header(target: Target, report: ComplianceReport) -> str | None:
    """ "Chỉ tiêu giai đoạn 2021–2025", saying so when the period ended before the day the
    report is judged on (the next period's targets not loaded yet)."""
    label = period_label(target.period)
    if label is None:
        return None
    if target.period_to is not None and target.period_to < report.as_of:
        return _(
            "Targets for {period} (this period ended on {date}; no targets for the next "
            "period are loaded yet):"
        ).format(period=label, date=format_date(target.period_to))
    return _("Targets for {period}:").format(period=label)


def _target_lines(report: ComplianceReport) -> list[str]:
    if not report.targets:  # no province file, or none of its periods covers the year
        return [_("Province targets for {year}: no data yet.").format(year=report.year)]
    lines = []
    period: object = ()
    for item in report.targets:
        if item.target.period != period:
            period = item.target.period
            header = period_header(item.target, report)
            if header is not None:
                lines.append(header)
        title = capitalize_first(item.target.title.localized())
        threshold = item.target.threshold
        goal = _("no data yet") if threshold is None else format_percent(threshold)
        if item.applicable == 0:
            lines.append(
                _("➖ {title}: nobody concerned (target {goal})").format(title=title, goal=goal)
            )
            continue
        if item.share is None:
            line = _("{icon} {title}: no data yet (target {goal})").format(
                icon=_icon(item), title=title, goal=goal
            )
        else:
            line = _("{icon} {title}: {share} ({met}/{total}; target {goal})").format(
                icon=_icon(item),
                title=title,
                share=format_percent(item.share),
                met=format_number(item.met),
                total=format_number(item.known),
                goal=goal,
            )
        if item.unknown:
            line += " — " + ngettext(
                "{n} official without data", "{n} officials without data", item.unknown
            ).format(n=format_number(item.unknown))
        lines.append(line)
    return lines
