"""/baocao → "Báo cáo năm": the year-end report (#16.6) for the admin's scope, as .xlsx in
the province's template, with a short summary in the chat."""

from __future__ import annotations

import logging

from handlers.admin_access import actor_of, admin_scope, audit_read, denied
from handlers.common import stale_reply
from handlers.context import Context
from handlers.payloads import YEAR_REPORT, YEAR_REPORT_MENU, Values
from handlers.router import Router
from handlers.types import XLSX, Attachment, Choice, Reply
from locales import _, format_date, format_number, ngettext
from models.exports.year_report import (
    record_year_report,
    year_report,
    year_report_workbook,
)
from models.exports.year_report_template import TemplateError, load_template
from models.requirements.model import period_label

log = logging.getLogger(__name__)
router = Router("year_report")

FIRST_YEAR = 2000
YEARS_OFFERED = 3


@router.choice(YEAR_REPORT_MENU, needs_link=True)
async def on_menu(ctx: Context, values: Values) -> list[Reply]:
    if await admin_scope(ctx, "yr:menu") is None:
        return denied(ctx)
    years = [ctx.today.year - n for n in range(YEARS_OFFERED)]
    return [
        Reply(
            _("📅 Year-end report: which year, please?"),
            choices=tuple(
                Choice(_("Year {year}").format(year=y), YEAR_REPORT.pack(year=y)) for y in years
            ),
        )
    ]


@router.choice(YEAR_REPORT, needs_link=True)
async def on_year(ctx: Context, values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, "yr")
    if scope is None:
        return denied(ctx)
    year = values.number("year")
    if not FIRST_YEAR <= year <= ctx.today.year:
        return stale_reply(ctx)
    try:
        template = load_template(ctx.settings.year_report_template)
    except TemplateError as exc:  # the file changed after the start, which checked it
        log.error("%s", exc)  # the server's path stays out of the chat
        return [
            Reply(
                _(
                    "The year-end report's template has an error, so no report was made. "
                    "Please tell the system administrator; the details are in the bot's log."
                )
            )
        ]
    assert ctx.official is not None
    report = await year_report(ctx.session, year=year, scope=scope, today=ctx.today)
    record_year_report(
        ctx.session,
        report,
        scope,
        actor=actor_of(ctx),
        actor_official_id=ctx.official.id,
        at=ctx.now,
    )
    # Counts by unit level and post: about people, if no names; small units make them personal.
    audit_read(
        ctx,
        "year_report",
        scope,
        report.people,
        f"{scope.widest.code if scope.widest else ''}:{year}",
    )
    total = report.total
    lines = [
        _("📅 Year-end report {year} — {province}").format(year=year, province=report.province),
        _("Scope: {scope}. Figures up to {date}.").format(
            scope=", ".join(report.scope_names), date=format_date(report.as_of)
        ),
        "",
        ngettext(
            "• {n} completion ({people} officials); of which leaders and managers: {leaders}.",
            "• {n} completions ({people} officials); of which leaders and managers: {leaders}.",
            total.completions,
        ).format(
            n=format_number(total.completions),
            people=format_number(total.officials),
            leaders=format_number(total.leader_completions),
        ),
        _("• Classes held: {held} of {planned} in the plan.").format(
            held=format_number(total.classes), planned=format_number(total.planned_classes)
        ),
    ]
    if report.targets:
        periods = sorted({period_label(t.target.period) or "" for t in report.targets} - {""})
        lines.append(
            ngettext(
                "• {n} province target of the period {period}: see the workbook.",
                "• {n} province targets of the period {period}: see the workbook.",
                len(report.targets),
            ).format(n=format_number(len(report.targets)), period=", ".join(periods) or "…")
        )
    else:
        lines.append(_("Province targets for {year}: no data yet.").format(year=year))
    stamp = f"{scope.widest.code if scope.widest else ''}-{year}"
    return [
        Reply(
            "\n".join(lines),
            attachments=(
                Attachment(
                    file_name=f"bao-cao-nam-{stamp}.xlsx",
                    content=year_report_workbook(report, template, made_on=ctx.today),
                    mime_type=XLSX,
                    summary=_("Workbook: results by kind and level, and the targets."),
                ),
            ),
        )
    ]
