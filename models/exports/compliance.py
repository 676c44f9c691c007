"""Files HR takes away: a compliance report's .xlsx workbook and bar chart (PNG). Cells go
through `models.exports.sheets` (unit names and rule titles are data, never formulas).

Rendered server-side (matplotlib's Agg canvas, no display, no global pyplot state), with
Vietnamese labels; DejaVu Sans, bundled with matplotlib, has every Vietnamese glyph.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING

from locales import _
from locales.i18n import format_percent
from locales.wording import capitalize_first
from models.exports.sheets import (
    BAD_COLOR,
    GOOD_COLOR,
    append_row,
    bold_row,
    new_workbook,
    save,
    set_widths,
    solid_fill,
    title_font,
)
from models.requirements.compliance import ComplianceReport, TargetCompliance
from models.requirements.compliance_breakdown import Breakdown
from models.requirements.model import period_label

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet


# --- compliance ----------------------------------------------------------------------------


def _share(item: TargetCompliance) -> float | None:
    return item.share


def compliance_workbook(data: Breakdown, scope_name: str) -> bytes:
    wb = new_workbook()
    summary = wb.active
    assert summary is not None
    summary.title = _("Summary")[:31]
    append_row(
        summary,
        [
            _("Compliance with training targets, {year} — {scope}").format(
                year=data.scope.year, scope=scope_name
            )
        ],
    )
    summary["A1"].font = title_font()
    append_row(summary, [_("As of {date}").format(date=data.scope.as_of.strftime("%d/%m/%Y"))])
    append_row(summary, [_period_line(data.scope)])
    header = [
        _("Target"),
        _("Target share"),
        _("Officials concerned"),
        _("Officials meeting"),
        _("Share"),
        _("Achieved"),
    ]
    append_row(summary, header)
    bold_row(summary, 4)
    for item in data.scope.targets:
        _target_row(summary, item)
    set_widths(summary, [60, 14, 18, 18, 10, 10])

    for title, rows in (
        (_("By unit"), [(unit.name, report) for unit, report in data.by_unit]),
        (_("By level"), [(level, report) for level, report in data.by_level]),
    ):
        sheet = wb.create_sheet(title[:31])
        targets = data.scope.targets
        append_row(
            sheet,
            [_("Group"), _("Officials")]
            + [capitalize_first(t.target.title.localized()) for t in targets],
        )
        bold_row(sheet, 1)
        for name, report in rows:
            _group_row(sheet, name, report)
        set_widths(sheet, [40, 12] + [24] * len(targets))
    return save(wb)


def _period_line(report: ComplianceReport) -> str | None:
    """Which plan period the targets measure, e.g. "Chỉ tiêu giai đoạn 2021–2025"."""
    labels = [label for label in map(period_label, report.periods) if label]
    if not labels:
        return None
    return _("Targets for {period}").format(period=", ".join(labels))


def _target_row(sheet: Worksheet, item: TargetCompliance) -> None:
    share = _share(item)
    achieved = item.achieved
    append_row(
        sheet,
        [
            capitalize_first(item.target.title.localized()),
            item.target.threshold,
            item.applicable,
            item.met,
            share,
            "" if achieved is None else (_("yes") if achieved else _("no")),
        ],
    )
    row = sheet.max_row
    sheet.cell(row, 2).number_format = "0%"
    sheet.cell(row, 5).number_format = "0.0%"
    if achieved is not None:
        sheet.cell(row, 6).fill = solid_fill(GOOD_COLOR if achieved else BAD_COLOR)


def _group_row(sheet: Worksheet, name: str, report: ComplianceReport) -> None:
    append_row(sheet, [name, report.officials] + [t.share for t in report.targets])
    row = sheet.max_row
    for col, item in enumerate(report.targets, start=3):
        cell = sheet.cell(row, col)
        cell.number_format = "0.0%"
        if item.achieved is not None:
            cell.fill = solid_fill(GOOD_COLOR if item.achieved else BAD_COLOR)


def compliance_chart(report: ComplianceReport, scope_name: str) -> bytes:
    """Horizontal bars: the share achieved per target, with the target as a marker."""
    # Imported here: matplotlib takes ~0.35 s to import, and every bot process would pay
    # it at start-up for a report only admins ask for.
    from matplotlib.figure import Figure

    items = [t for t in report.targets if t.share is not None]
    height = 1.6 + 0.75 * max(1, len(items))
    fig = Figure(figsize=(9, height), dpi=110)
    ax = fig.add_subplot()
    labels = [textwrap.fill(capitalize_first(t.target.title.localized()), 48) for t in items]
    shares = [100 * (t.share or 0.0) for t in items]
    colors = [
        "#9e9e9e" if t.achieved is None else ("#2e7d32" if t.achieved else "#c62828") for t in items
    ]
    positions = list(range(len(items)))
    ax.barh(positions, shares, color=colors, height=0.55)
    for y, item, share in zip(positions, items, shares, strict=True):
        if item.target.threshold is not None:  # no marker for a value not set yet
            goal = 100 * item.target.threshold
            ax.plot([goal, goal], [y - 0.38, y + 0.38], color="#212121", linewidth=2)
        label = format_percent(item.share or 0.0)
        if share > 85:  # no room to the right of a long bar: write inside it
            ax.text(share - 1, y, label, va="center", ha="right", fontsize=9, color="white")
        else:
            ax.text(share + 1, y, label, va="center", fontsize=9)
    ax.set_yticks(positions, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(_("Share of officials concerned (%) — black line: the province's target"))
    ax.set_title(
        _("Training targets {year} — {scope}").format(year=report.year, scope=scope_name),
        fontsize=11,
    )
    if not items:
        ax.text(50, 0, _("No official in this scope is concerned by a target."), ha="center")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
