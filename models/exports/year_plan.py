"""The year's plan as one workbook: "Nhu cầu" (who will owe what, unit × kind), "Kế hoạch"
(the year's courses with one column per unit holding a quota) and "Cân đối" (per kind:
demand against planned and quota'd seats). Cells go through `models.exports.sheets`.

Counts are number cells shown with a thousands separator ("#,##0": 24.150 in a Vietnamese
Excel), dates date cells shown dd/mm/yyyy; a unit nobody on the roster works in reads
"no data yet" rather than a zero that would look like "nobody owes".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from locales import _
from models.exports.sheets import (
    DATE_FORMAT,
    HEADER_COLOR,
    append_row,
    bold_row,
    new_workbook,
    save,
    set_widths,
    solid_fill,
    title_font,
)
from models.org.admins import Scope
from models.plan.demand import Demand, DemandCell, demand
from models.plan.year_plan import YearPlan, capacity_total, kinds_of, quota_total, year_plan
from models.requirements.model import Catalogue
from models.requirements.store import current_catalogue
from models.vocabulary import N_

COUNT_FORMAT = "#,##0"
SHEET_DEMAND = N_("Demand")
SHEET_PLAN = N_("Plan")
SHEET_BALANCE = N_("Balance")
NO_DATA = N_("no data yet")


@dataclass(frozen=True)
class BalanceRow:
    kind: str
    demand: int  # officials who will owe the kind in the year
    planned: int  # seats of the year's courses of the kind
    quota: int  # of those, seats given to units in scope

    @property
    def gap(self) -> int:
        """Officials owing beyond the planned seats (0: the plan covers the demand)."""
        return max(self.demand - self.planned, 0)


def balance(demand: Demand, plan: YearPlan) -> list[BalanceRow]:
    kinds = tuple(dict.fromkeys((*demand.kinds, *kinds_of(plan))))
    return [
        BalanceRow(k, demand.total(k).officials, capacity_total(plan, k), quota_total(plan, k))
        for k in kinds
    ]


def _counts(sheet: Any, row: int, columns: range) -> None:
    for col in columns:
        cell = sheet.cell(row=row, column=col)
        if isinstance(cell.value, int):
            cell.number_format = COUNT_FORMAT


def _header(sheet: Any, row: int, values: list[Any]) -> None:
    append_row(sheet, values)
    bold_row(sheet, row, solid_fill(HEADER_COLOR))


def _title(sheet: Any, text: str) -> None:
    append_row(sheet, [text])
    sheet["A1"].font = title_font()


def year_plan_workbook(
    demand: Demand, plan: YearPlan, catalogue: Catalogue, scope_name: str
) -> bytes:
    wb = new_workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = _(SHEET_DEMAND)[:31]
    _title(
        sheet,
        _("Training demand {year} — {scope}").format(year=demand.year, scope=scope_name),
    )
    append_row(
        sheet,
        [
            _(
                "Officials who will owe each kind of training in {year} (overdue, or due by "
                "31/12/{year}), as of {date}."
            ).format(year=demand.year, date=demand.as_of.strftime("%d/%m/%Y"))
        ],
    )
    _header(
        sheet,
        3,
        [
            _("Unit code"),
            _("Unit"),
            _("Training kind"),
            _("Officials who will owe"),
            _("Periods owed"),
            _("Officials without data"),
        ],
    )
    for row in demand.rows:
        name = row.unit.name
        if row.own_only and any(not r.own_only for r in demand.rows):
            name = _("{unit} (its own officials)").format(unit=name)
        if not row.has_data:
            append_row(sheet, [row.unit.code, name, _(NO_DATA)])
            continue
        if not row.by_kind:
            append_row(sheet, [row.unit.code, name, _("nobody will owe training"), 0])
            _counts(sheet, sheet.max_row, range(4, 5))
            continue
        for kind, cell in row.by_kind.items():
            _demand_row(sheet, [row.unit.code, name, catalogue.kind_title(kind)], cell)
    for kind in demand.kinds:
        _demand_row(sheet, ["", _("Total"), catalogue.kind_title(kind)], demand.total(kind))
        bold_row(sheet, sheet.max_row)
    set_widths(sheet, [14, 40, 44, 18, 14, 18])
    sheet.freeze_panes = "A4"

    sheet = wb.create_sheet(_(SHEET_PLAN)[:31])
    _title(sheet, _("Course plan {year} — {scope}").format(year=plan.year, scope=scope_name))
    fixed = [
        _("Course code"),
        _("Title"),
        _("Training kind"),
        _("Starts"),
        _("Ends"),
        _("Place"),
        _("Capacity"),
        _("Seats taken"),
        _("Seats given as quotas"),
    ]
    _header(sheet, 2, [*fixed, *(f"{u.code} — {u.name}" for u in plan.quota_units)])
    for planned in plan.courses:
        course = planned.course
        append_row(
            sheet,
            [
                course.code,
                course.title,
                catalogue.kind_title(course.kind),
                course.starts_on,
                course.ends_on,
                course.place or (_("online") if course.online else ""),
                course.capacity,
                course.seats_taken,
                planned.quota_seats,
                *(planned.quotas.get(u.id) for u in plan.quota_units),
            ],
        )
        _counts(sheet, sheet.max_row, range(7, len(fixed) + len(plan.quota_units) + 1))
        for col in (4, 5):
            sheet.cell(row=sheet.max_row, column=col).number_format = DATE_FORMAT
    if not plan.courses:
        append_row(sheet, [_("No course starts in {year} yet.").format(year=plan.year)])
    set_widths(sheet, [14, 50, 36, 12, 12, 30, 10, 10, 14, *([18] * len(plan.quota_units))])
    sheet.freeze_panes = "C3"

    sheet = wb.create_sheet(_(SHEET_BALANCE)[:31])
    _title(sheet, _("Demand and seats {year} — {scope}").format(year=plan.year, scope=scope_name))
    _header(
        sheet,
        2,
        [
            _("Training kind"),
            _("Officials who will owe"),
            _("Planned seats"),
            _("Seats given as quotas"),
            _("Gap (officials beyond the planned seats)"),
        ],
    )
    for item in balance(demand, plan):
        append_row(
            sheet,
            [catalogue.kind_title(item.kind), item.demand, item.planned, item.quota, item.gap],
        )
        _counts(sheet, sheet.max_row, range(2, 6))
    set_widths(sheet, [44, 18, 14, 18, 24])
    return save(wb)


def _demand_row(sheet: Any, head: list[Any], cell: DemandCell) -> None:
    periods: Any = cell.periods if cell.periods is not None else ""
    append_row(sheet, [*head, cell.officials, periods, cell.unknown or None])
    _counts(sheet, sheet.max_row, range(4, 7))


@dataclass(frozen=True)
class YearPlanFile:
    demand: Demand
    plan: YearPlan
    content: bytes
    file_name: str

    @property
    def people(self) -> int:
        """Officials the demand counted: what the read audit records."""
        return sum(r.officials for r in self.demand.rows)


async def year_plan_file(
    session: AsyncSession, *, year: int, today: date, scope: Scope, scope_name: str
) -> YearPlanFile:
    """Demand, plan and the workbook for an admin's scope (the command line passes the
    whole province's)."""
    catalogue = await current_catalogue(session)
    found = await demand(session, year=year, today=today, scope=scope, catalogue=catalogue)
    plan = await year_plan(session, year, scope)
    content = year_plan_workbook(found, plan, catalogue, scope_name)
    codes = "-".join(u.code for u in scope.units)[:40]
    return YearPlanFile(found, plan, content, f"ke-hoach-{year}-{codes}.xlsx")
