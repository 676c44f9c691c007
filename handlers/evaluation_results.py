"""📊 A class's evaluation results for its organiser and HR (issue #16.4): the figures in the
chat, the chart as a picture and the workbook.

Reached from /quantri. Every update re-reads the sender's admin scope; a button carries only
a course id, and a course whose owner the scope does not reach is answered like an unknown
one (no hint that it exists):
  evs:ask     offer recent courses with participants in my scope
  evs:<id>    that course's results
"""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.admin_access import admin_scope, audit_read, denied
from handlers.common import addressed, stale_reply
from handlers.context import Context
from handlers.payloads import EVAL_SUMMARY, EVAL_SUMMARY_ASK, Values
from handlers.router import Router
from handlers.types import XLSX, Attachment, Choice, Reply
from locales import _, format_number
from locales.wording import shorten
from models.courses.evaluation_summary import (
    EvaluationSummary,
    courses_to_summarise,
    format_mean,
    summary_for,
)
from models.exports.evaluation import (
    evaluation_chart,
    evaluation_workbook,
    response_rate,
    withheld_note,
)

router = Router("evaluation_results")
SHOWN = 10
RECENT = timedelta(days=120)  # courses that ended within this are offered


@router.choice(EVAL_SUMMARY_ASK, needs_link=True)
async def on_ask(ctx: Context, _values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, "evs")
    if scope is None:
        return denied(ctx)
    offered = await courses_to_summarise(ctx.session, scope, since=ctx.today - RECENT, limit=SHOWN)
    if not offered:
        return [
            Reply(
                addressed(
                    _("No recent course in {title}'s scope has participants to evaluate it."),
                    ctx.official,
                )
            )
        ]
    return [
        Reply(
            addressed(_("📊 Evaluation results of which course?"), ctx.official),
            choices=tuple(
                Choice(shorten(f"{c.code} — {c.title}", 60), EVAL_SUMMARY.pack(id=c.id))
                for c in offered
            ),
        )
    ]


@router.choice(EVAL_SUMMARY, needs_link=True)
async def on_course(ctx: Context, values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, "evs")
    if scope is None:
        return denied(ctx)
    summary = await summary_for(ctx.session, scope, values.number("id"))
    if summary is None:
        return stale_reply(ctx)
    course = summary.course
    # Free-text answers may say something about a person: reading them is a read.
    audit_read(ctx, "evaluation_summary", scope, summary.responses, course.code)
    chart = evaluation_chart(summary)
    safe_code = re.sub(r"[^A-Za-z0-9_-]+", "-", course.code)
    files = [
        Attachment(
            file_name=f"danh-gia-{safe_code}.xlsx",
            content=evaluation_workbook(summary, chart),
            mime_type=XLSX,
            summary=_("Workbook: the evaluation results of course {code}.").format(
                code=course.code
            ),
        )
    ]
    if chart is not None:
        files.insert(
            0,
            Attachment(
                file_name=f"danh-gia-{safe_code}.png",
                content=chart,
                mime_type="image/png",
                is_image=True,
                summary=_("Chart: the mean of each question."),
                personal=False,
            ),
        )
    return [Reply(summary_text(summary), attachments=tuple(files))]


def summary_text(summary: EvaluationSummary) -> str:
    course = summary.course
    lines = [
        _("📊 Evaluation results · {code} · {title}").format(code=course.code, title=course.title),
        _("Answered: {rate}").format(rate=response_rate(summary)),
    ]
    for s in summary.scales:
        heading = s.question.heading.localized()
        if s.mean is None:
            lines.append(
                _("• {question}: {n} answers").format(question=heading, n=format_number(s.count))
            )
        else:
            lines.append(
                _("• {question}: {mean} ({n} answers)").format(
                    question=heading, mean=format_mean(s.mean), n=format_number(s.count)
                )
            )
    for c in summary.comments:
        lines.append(
            _("💬 {question}: {n} written answers").format(
                question=c.question.heading.localized(), n=format_number(c.count)
            )
        )
        lines.extend(f"    – {shorten(text, 200)}" for text in c.answers[:5])
        if len(c.answers) > 5:
            lines.append("    " + _("(all of them in the workbook)"))
    if summary.withheld:
        lines.append(withheld_note())
    return "\n".join(lines)
