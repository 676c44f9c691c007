"""A class's evaluation summary as files: an .xlsx (figures, the free-text answers and the
chart embedded) and a bar chart of the means (PNG). Cells go through models.exports.sheets:
free-text answers are typed by officials and may start like a formula.

No names anywhere: the summary holds none (models/courses/evaluation_summary.py).
"""

from __future__ import annotations

import io
import textwrap
from decimal import Decimal

from locales import _, format_date, format_number
from models.courses.evaluation import question_text
from models.courses.evaluation_summary import MIN_FOR_MEANS, EvaluationSummary, format_mean
from models.exports.sheets import (
    append_row,
    bold_row,
    new_workbook,
    save,
    set_widths,
    sheet_title,
    title_font,
)


def response_rate(summary: EvaluationSummary) -> str:
    """ "18/24 học viên" """
    return _("{answered}/{total} participants").format(
        answered=format_number(summary.responses), total=format_number(summary.participants)
    )


def withheld_note() -> str:
    return _(
        "Fewer than {n} answers: the means and the written answers are withheld to protect "
        "the anonymity of those who answered. Only the counts are shown."
    ).format(n=MIN_FOR_MEANS)


def chart_bars(summary: EvaluationSummary) -> list[tuple[str, Decimal]]:
    """(label, mean) of each scaled question with a mean: exactly what the chart draws."""
    return [(s.question.heading.localized(), s.mean) for s in summary.scales if s.mean is not None]


def evaluation_chart(summary: EvaluationSummary) -> bytes | None:
    """Bars of the means on the questionnaire's scale, or None when no mean may be shown."""
    bars = chart_bars(summary)
    if not bars:
        return None
    # Imported here: matplotlib takes ~0.35 s to import, paid only when a chart is drawn.
    from matplotlib.figure import Figure

    form = summary.form
    fig = Figure(figsize=(8, 4.2), dpi=110)
    ax = fig.add_subplot()
    positions = list(range(len(bars)))
    ax.bar(positions, [float(m) for _l, m in bars], color="#1565c0", width=0.6)
    for x, (_label, mean) in zip(positions, bars, strict=True):
        ax.text(x, float(mean) + 0.08, format_mean(mean), ha="center", fontsize=10)
    ax.set_xticks(positions, [textwrap.fill(label, 14) for label, _m in bars], fontsize=8)
    ax.set_ylim(0, form.high + 0.5)
    ax.set_ylabel(_("Mean ({low} to {high})").format(low=form.low, high=form.high))
    ax.set_title(
        _("Course evaluation {code} — {rate} answered").format(
            code=summary.course.code, rate=response_rate(summary)
        ),
        fontsize=11,
    )
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def evaluation_workbook(summary: EvaluationSummary, chart: bytes | None = None) -> bytes:
    course, form = summary.course, summary.form
    wb = new_workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = sheet_title(_("Summary"))
    append_row(
        sheet,
        [_("Course evaluation: {code} · {title}").format(code=course.code, title=course.title)],
    )
    sheet["A1"].font = title_font()
    append_row(
        sheet,
        [
            _("From {start} to {end} · {organiser}").format(
                start=format_date(course.starts_on),
                end=format_date(course.ends_on),
                organiser=course.organiser,
            )
        ],
    )
    append_row(sheet, [_("Response rate"), response_rate(summary)])
    append_row(sheet, [_("Questionnaire"), form.id])
    header = [_("Question"), _("Answers"), _("Mean")]
    header += [str(point) for point in range(form.low, form.high + 1)]
    append_row(sheet, header)
    header_row = sheet.max_row
    bold_row(sheet, header_row)
    for s in summary.scales:
        append_row(
            sheet,
            [
                f"{s.question.heading.localized()}: {question_text(s.question)}",
                s.count,
                None if s.mean is None else float(s.mean),
            ]
            + [s.counts[point] for point in range(form.low, form.high + 1)],
        )
        sheet.cell(sheet.max_row, 3).number_format = "0.0"
    for c in summary.comments:
        append_row(
            sheet, [f"{c.question.heading.localized()}: {question_text(c.question)}", c.count]
        )
    if summary.withheld:
        append_row(sheet, [])
        append_row(sheet, [withheld_note()])
    if summary.other_versions:
        append_row(
            sheet,
            [
                _("{n} answers to an older questionnaire are not counted here.").format(
                    n=format_number(summary.other_versions)
                )
            ],
        )
    append_row(sheet, [])
    append_row(
        sheet, [_("Answers are anonymous: the file names nobody; written answers are sorted.")]
    )
    set_widths(sheet, [70, 10, 10] + [6] * (form.high - form.low + 1))
    if chart is not None:
        from openpyxl.drawing.image import Image

        picture = Image(io.BytesIO(chart))
        picture.width, picture.height = 660, 346
        sheet.add_image(picture, f"A{sheet.max_row + 2}")

    written = wb.create_sheet(sheet_title(_("Written answers")))
    append_row(written, [_("Question"), _("Answer")])
    bold_row(written, 1)
    for c in summary.comments:
        for text in c.answers:
            append_row(written, [c.question.heading.localized(), text])
    if summary.withheld:
        append_row(written, [withheld_note()])
    set_widths(written, [28, 100])
    return save(wb)
