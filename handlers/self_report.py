"""An official sends a certificate earned elsewhere (#16.8): the file, what kind of training
it was, its title, the completion date and the periods, then it waits in HR's queue
(handlers/self_report_review.py). The rules are in models/requirements/self_reported.py."""

from __future__ import annotations

from datetime import date

from handlers.common import addressed, chat_catalogue, stale_reply
from handlers.context import Context
from handlers.flows import CERTIFICATE_FILE, SELF_REPORT
from handlers.payloads import (
    SELF_REPORT_CANCEL,
    SELF_REPORT_KIND,
    SELF_REPORT_NO_PERIODS,
    SELF_REPORT_START,
    Values,
)
from handlers.router import Router
from handlers.types import Choice, Reply
from locales import _, format_date, format_number
from locales.folding import clean
from models.imports.cells import CellError, date_value
from models.requirements import self_reported
from models.requirements.self_reported import SelfReport

router = Router("self_report")

CHOOSE_KIND = SELF_REPORT.step("kind")
TYPE_TITLE = SELF_REPORT.step("title")
TYPE_DATE = SELF_REPORT.step("date")
TYPE_PERIODS = SELF_REPORT.step("periods")

MAX_PERIODS = 5000  # beyond any programme in the catalogue: a typing slip


def _cancel_choice() -> Choice:
    return Choice(_("❌ Cancel"), SELF_REPORT_CANCEL.pack())


@router.choice(SELF_REPORT_START, needs_link=True)
async def on_start(ctx: Context, _values: Values) -> list[Reply]:
    CERTIFICATE_FILE.enter(ctx)
    megabytes = ctx.settings.self_reports.max_bytes // 1_000_000
    text = addressed(
        _(
            "Please send a photo or a PDF of the certificate {title} earned outside the "
            "province's courses (JPEG, PNG or PDF, up to {mb} MB). The HR office will check "
            "it before it counts in {title}'s training records."
        ),
        ctx.official,
        mb=format_number(megabytes),
    )
    return [Reply(text, choices=(_cancel_choice(),))]


@router.step(CERTIFICATE_FILE)
async def on_file(ctx: Context) -> list[Reply]:
    """Documents at this step are routed here (handlers/routing.py), and so is text."""
    official = ctx.official
    document = ctx.incoming.document
    if official is None or document is None or document.withheld:
        return [
            Reply(
                _("Please send the certificate as a photo or a PDF file, or press “Cancel”."),
                choices=(_cancel_choice(),),
            )
        ]
    limit = ctx.settings.self_reports.max_bytes
    checked = self_reported.check_file(
        document.content, too_large=document.too_large, max_bytes=limit
    )
    if checked == "too_large":
        text = _("The file is too large (over {mb} MB). Please send a smaller photo or PDF.")
        return [
            Reply(text.format(mb=format_number(limit // 1_000_000)), choices=(_cancel_choice(),))
        ]
    if checked in ("wrong_type", "empty"):
        return [
            Reply(
                _(
                    "This file is not a JPEG or PNG photo or a PDF, so I cannot accept it. "
                    "Please send a photo of the certificate or its PDF."
                ),
                choices=(_cancel_choice(),),
            )
        ]
    report = await self_reported.start_draft(
        ctx.session,
        official=official,
        channel=ctx.account.channel,
        file_ref=document.file_id,
        content=document.content,
        mime_type=checked,
        now=ctx.now,
    )
    CHOOSE_KIND.enter(ctx, report_id=report.id)
    catalogue = await chat_catalogue(ctx)
    choices = [
        Choice(kind.title.localized(), SELF_REPORT_KIND.pack(id=report.id, kind=code))
        for code, kind in catalogue.kinds.items()
    ]
    choices.append(_cancel_choice())
    return [Reply(_("I received the file. What kind of training is it?"), choices=tuple(choices))]


@router.choice(SELF_REPORT_KIND, needs_link=True)
async def on_kind(ctx: Context, values: Values) -> list[Reply]:
    report = await _draft(ctx, values.number("id"))
    catalogue = await chat_catalogue(ctx)
    kind = values.text("kind")
    if report is None or not CHOOSE_KIND.is_current(ctx) or kind not in catalogue.kinds:
        return stale_reply(ctx)
    TYPE_TITLE.enter(ctx, kind=kind)
    return [
        Reply(
            _(
                "{kind}. What is the name of the course or certificate? For example: "
                "“Bồi dưỡng kỹ năng lãnh đạo cấp phòng”."
            ).format(kind=catalogue.kind_title(kind)),
            choices=(_cancel_choice(),),
        )
    ]


@router.step(TYPE_TITLE)
async def on_title(ctx: Context) -> list[Reply]:
    title = clean(ctx.text)
    if not 3 <= len(title) <= 300:
        return [
            Reply(
                _("Please type the name of the course (3 to 300 characters)."),
                choices=(_cancel_choice(),),
            )
        ]
    TYPE_DATE.enter(ctx, title=title)
    return [
        Reply(
            _("On which date was it completed? Please type it as dd/mm/yyyy, e.g. 15/06/2026."),
            choices=(_cancel_choice(),),
        )
    ]


@router.step(TYPE_DATE)
async def on_date(ctx: Context) -> list[Reply]:
    try:
        done = date_value(ctx.text.strip())
    except CellError:
        done = None
    if done is None or done > ctx.today:
        return [
            Reply(
                _(
                    "Please type a completion date as dd/mm/yyyy (e.g. 15/06/2026), no later "
                    "than today."
                ),
                choices=(_cancel_choice(),),
            )
        ]
    TYPE_PERIODS.enter(ctx, completed_on=done.isoformat())
    text = _("How many periods (tiết) did it last? Type a number, or press “Not known”.")
    return [Reply(text, choices=_periods_choices(ctx), columns=2)]


def _periods_choices(ctx: Context) -> tuple[Choice, ...]:
    report_id = int(SELF_REPORT.data(ctx).get("report_id", 0))
    return (Choice(_("Not known"), SELF_REPORT_NO_PERIODS.pack(id=report_id)), _cancel_choice())


@router.step(TYPE_PERIODS)
async def on_periods(ctx: Context) -> list[Reply]:
    typed = ctx.text.strip().replace(".", "")
    if not typed.isdigit() or not 1 <= int(typed) <= MAX_PERIODS:
        return [
            Reply(
                _("Please type the number of periods as a whole number, e.g. 40."),
                choices=_periods_choices(ctx),
                columns=2,
            )
        ]
    return await _send(ctx, int(typed))


@router.choice(SELF_REPORT_NO_PERIODS, needs_link=True)
async def on_no_periods(ctx: Context, values: Values) -> list[Reply]:
    if not TYPE_PERIODS.is_current(ctx) or SELF_REPORT.data(ctx).get("report_id") != values.number(
        "id"
    ):
        return stale_reply(ctx)
    return await _send(ctx, None)


@router.choice(SELF_REPORT_CANCEL, needs_link=True)
async def on_cancel(ctx: Context, _values: Values) -> list[Reply]:
    report_id = SELF_REPORT.data(ctx).get("report_id")
    if isinstance(report_id, int) and ctx.official is not None:
        await self_reported.discard_draft(ctx.session, ctx.official, report_id)
    SELF_REPORT.end(ctx)
    return [Reply(_("Cancelled. Nothing was sent."))]


async def _send(ctx: Context, periods: int | None) -> list[Reply]:
    data = SELF_REPORT.data(ctx)
    report = await _draft(ctx, int(data.get("report_id", 0)))
    if report is None or "completed_on" not in data:
        SELF_REPORT.end(ctx)
        return stale_reply(ctx)
    done = date.fromisoformat(data["completed_on"])
    self_reported.submit(
        report,
        kind=data["kind"],
        title=data["title"],
        completed_on=done,
        periods=periods,
        now=ctx.now,
    )
    SELF_REPORT.end(ctx)
    catalogue = await chat_catalogue(ctx)
    lines = [
        _("📤 Sent. It is waiting for the HR office to verify it."),
        f"• {catalogue.kind_title(data['kind'])}: {data['title']}",
        "• " + _("Completed on {date}").format(date=format_date(done)),
    ]
    if periods is not None:
        lines.append("• " + _("{n} periods").format(n=format_number(periods)))
    lines.append(
        addressed(_("{Title} will get a message as soon as it has been checked."), ctx.official)
    )
    return [Reply("\n".join(lines))]


async def _draft(ctx: Context, report_id: int) -> SelfReport | None:
    """The sender's own draft of this dialog; anything else is a stale or forged button."""
    if ctx.official is None or SELF_REPORT.data(ctx).get("report_id") != report_id:
        return None
    return await self_reported.draft_of(ctx.session, ctx.official, report_id)
