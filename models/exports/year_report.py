"""The year-end report (#16.6): results of year Y by training kind × level, "trong đó lãnh
đạo, quản lý", classes held, against the plan and the province's targets of the period.

Where each figure comes from:
- completions: training records completed in Y (models/requirements/training_records.py),
  by the kind of the record and the level of the official's unit (levels are data: the
  report shows whichever levels the units carry — tỉnh/xã, or huyện in older data);
- leaders and managers: officials whose roster row has a leadership post
  (`Official.leadership_tier`, set by the roster import). The roster keeps today's post,
  not its history, so someone appointed after training counts as a leader;
- classes and plan: the courses starting in Y that are open to the scope (no unit limit,
  or a unit within or above it; no level limit, or a level the scope's units have).
  "Held" means not cancelled and started by the report day; the plan counts every course
  of Y with its seats. A course open to one level only is counted on that level's row
  too; others only in the kind's total;
- quota seats: `course_quotas` of the courses of Y given to units within the scope;
- share of the plan: completions ÷ quota seats where the scope's units were given seats,
  else ÷ the courses' seats;
- targets: the province file's targets of the period covering Y (or the last period that
  ended), judged by models/requirements/compliance as /baocao judges them.

The workbook's columns come from a template (models/exports/year_report_template.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from locales import _, format_date
from locales.wording import capitalize_first
from models import audit
from models.courses.catalogue import Course, CourseStatus
from models.exports.sheets import (
    HEADER_COLOR,
    append_row,
    bold_row,
    new_workbook,
    put,
    save,
    set_widths,
    sheet_title,
    solid_fill,
    title_font,
)
from models.exports.year_report_template import Column, ReportTemplate
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit
from models.plan.quotas import CourseQuota
from models.requirements.compliance import TargetCompliance, compliance, evaluation_day
from models.requirements.model import Catalogue
from models.requirements.store import current_catalogue
from models.requirements.training_records import TrainingRecord
from models.vocabulary import LEVELS

AUDIT_ACTION = "report.year"


@dataclass(slots=True)
class Figures:
    """One row's counts; `classes` and the plan are whole courses, the rest people."""

    completions: int = 0  # lượt người: one per training record
    leader_completions: int = 0
    officials: int = 0  # distinct people
    leader_officials: int = 0
    periods: int = 0
    classes: int = 0
    planned_classes: int = 0
    planned_seats: int = 0
    quota_seats: int = 0

    @property
    def plan_share(self) -> float | None:
        basis = self.quota_seats or self.planned_seats
        return self.completions / basis if basis else None

    @property
    def empty(self) -> bool:
        return not any((self.completions, self.planned_classes, self.classes, self.quota_seats))


@dataclass(frozen=True, slots=True)
class KindFigures:
    kind: str
    title: str
    total: Figures
    by_level: tuple[tuple[str, Figures], ...]  # level code, figures; the levels with data


@dataclass(frozen=True)
class YearReport:
    year: int
    as_of: date  # the last day counted: 31/12 of a past year, else today
    province: str
    scope_names: tuple[str, ...]
    kinds: tuple[KindFigures, ...]
    total: Figures
    targets: tuple[TargetCompliance, ...]  # empty: no targets for the year in the province file
    level_titles: dict[str, str] = field(default_factory=dict)

    @property
    def people(self) -> int:
        """Officials whose records the report counts (what its read audit records)."""
        return self.total.officials

    def level_title(self, code: str) -> str:
        return self.level_titles.get(code) or (_(LEVELS[code]) if code in LEVELS else code)


def record_year_report(
    session: AsyncSession,
    report: YearReport,
    scope: Scope,
    *,
    actor: str,
    at: datetime,
    actor_official_id: int | None = None,
) -> None:
    """Audit one year report: who, which year and scope, how many officials it counts."""
    audit.record(
        session,
        actor=actor,
        actor_official_id=actor_official_id,
        action=AUDIT_ACTION,
        subject=f"{'+'.join(u.code for u in scope.units)}:{report.year}",
        affected=report.people,
        detail={"scope": [u.code for u in scope.units], "year": report.year},
        at=at,
    )


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    return or_(*(OrgUnit.path.startswith(u.path, autoescape=True) for u in scope.units))


async def year_report(
    session: AsyncSession,
    *,
    year: int,
    scope: Scope,
    today: date,
    catalogue: Catalogue | None = None,
) -> YearReport:
    """The figures of `year` for the admin's `scope` (the union of its subtrees). A future
    year raises ValueError, as compliance does; a scope without units counts nobody."""
    as_of = evaluation_day(year, today)
    catalogue = catalogue or await current_catalogue(session)
    first, last = date(year, 1, 1), date(year, 12, 31)
    totals: dict[str, Figures] = {}
    cells: dict[tuple[str, str], Figures] = {}

    def cell(kind: str, level: str | None) -> Figures:
        if level is None:
            return totals.setdefault(kind, Figures())
        return cells.setdefault((kind, level), Figures())

    grand = Figures()
    if scope.units:
        units = (
            await session.execute(select(OrgUnit.id, OrgUnit.level).where(_in_scope(scope)))
        ).all()
        present = {level for _id, level in units}
        # The whole tree needs no filter; a subtree is a short list of unit ids, which
        # lets the database start from those units' officials instead of a year's records.
        everywhere = len(units) == await session.scalar(select(func.count()).select_from(OrgUnit))
        ids = None if everywhere else [unit_id for unit_id, _level in units]
        of_officials = true() if ids is None else Official.unit_id.in_(ids)
        leader = case((Official.leadership_tier.is_(None), 0), else_=1)
        rows = await session.execute(
            select(
                TrainingRecord.kind,
                OrgUnit.level,
                leader,
                func.count(),
                func.count(distinct(TrainingRecord.official_id)),
                func.coalesce(func.sum(TrainingRecord.periods), 0),
            )
            .join(Official, Official.id == TrainingRecord.official_id)
            .join(OrgUnit, OrgUnit.id == Official.unit_id)
            .where(TrainingRecord.completed_on.between(first, last), of_officials)
            .group_by(TrainingRecord.kind, OrgUnit.level, leader)
        )
        # Levels and leadership split people into disjoint groups, so sums are distinct
        # counts within a kind; across kinds one person may count twice (asked below).
        for kind, level, is_leader, count, people, periods in rows:
            for target in (cell(kind, level), cell(kind, None)):
                target.completions += count
                target.officials += people
                target.periods += int(periods)
                if is_leader:
                    target.leader_completions += count
                    target.leader_officials += people
            grand.completions += count
            grand.periods += int(periods)
            if is_leader:
                grand.leader_completions += count
        people_rows = await session.execute(
            select(leader, func.count(distinct(TrainingRecord.official_id)))
            .join(Official, Official.id == TrainingRecord.official_id)
            .where(TrainingRecord.completed_on.between(first, last), of_officials)
            .group_by(leader)
        )
        for is_leader, people in people_rows:
            grand.officials += people
            if is_leader:
                grand.leader_officials += people
        await _add_courses(session, scope, present, first, last, as_of, cell, grand)
        of_units = true() if ids is None else CourseQuota.unit_id.in_(ids)
        await _add_quotas(session, of_units, first, last, cell, grand)

    kinds = _ordered(catalogue, totals)
    return YearReport(
        year=year,
        as_of=as_of,
        province=_province_name(catalogue, await _root_name(session)),
        scope_names=tuple(u.name for u in scope.units),
        kinds=tuple(
            KindFigures(
                kind=kind,
                title=catalogue.kind_title(kind),
                total=totals[kind],
                by_level=tuple(
                    (level, cells[(kind, level)])
                    for level in _level_order(catalogue, {lv for k, lv in cells if k == kind})
                    if not cells[(kind, level)].empty
                ),
            )
            for kind in kinds
        ),
        total=grand,
        targets=await _targets(session, scope, year, today, catalogue),
        level_titles={code: text.localized() for code, text in catalogue.levels.items()},
    )


async def _add_courses(
    session: AsyncSession,
    scope: Scope,
    present: set[str],
    first: date,
    last: date,
    as_of: date,
    cell: Callable[[str, str | None], Figures],
    grand: Figures,
) -> None:
    eligible = aliased(OrgUnit)
    rows = await session.execute(
        select(
            Course.kind,
            Course.capacity,
            Course.status,
            Course.starts_on,
            Course.eligible_levels,
            eligible.path,
        )
        .outerjoin(eligible, eligible.id == Course.eligible_unit_id)
        .where(Course.starts_on.between(first, last))
    )
    for kind, capacity, status, starts_on, levels, path in rows:
        # Open to the scope: anyone, a unit inside it, or a unit above it; and, when the
        # course names levels, one the scope's units have.
        if path is not None and not any(
            path.startswith(u.path) or u.path.startswith(path) for u in scope.units
        ):
            continue
        if isinstance(levels, list) and levels and not present.intersection(levels):
            continue
        held = status != CourseStatus.CANCELLED and starts_on <= as_of
        targets = [cell(kind, None), grand]
        if isinstance(levels, list) and len(levels) == 1:
            targets.append(cell(kind, str(levels[0])))
        for target in targets:
            target.planned_classes += 1
            target.planned_seats += capacity
            target.classes += int(held)


async def _add_quotas(
    session: AsyncSession,
    of_units: ColumnElement[bool],
    first: date,
    last: date,
    cell: Callable[[str, str | None], Figures],
    grand: Figures,
) -> None:
    rows = await session.execute(
        select(Course.kind, OrgUnit.level, func.sum(CourseQuota.seats))
        .join(Course, Course.id == CourseQuota.course_id)
        .join(OrgUnit, OrgUnit.id == CourseQuota.unit_id)
        .where(Course.starts_on.between(first, last), of_units)
        .group_by(Course.kind, OrgUnit.level)
    )
    for kind, level, seats in rows:
        for target in (cell(kind, level), cell(kind, None), grand):
            target.quota_seats += int(seats or 0)


async def _targets(
    session: AsyncSession, scope: Scope, year: int, today: date, catalogue: Catalogue
) -> tuple[TargetCompliance, ...]:
    """The targets of the period, summed over the scope's subtrees (disjoint: Scope keeps
    only the outermost units)."""
    summed: dict[str, TargetCompliance] = {}
    order: list[str] = []
    for unit in scope.units:
        report = await compliance(session, year=year, today=today, unit=unit, catalogue=catalogue)
        for item in report.targets:
            seen = summed.get(item.target.id)
            if seen is None:
                summed[item.target.id] = item
                order.append(item.target.id)
            else:
                summed[item.target.id] = TargetCompliance(
                    item.target,
                    seen.applicable + item.applicable,
                    seen.met + item.met,
                    seen.unknown + item.unknown,
                )
    return tuple(summed[i] for i in order)


def _ordered(catalogue: Catalogue, totals: dict[str, Figures]) -> list[str]:
    known = [k for k in catalogue.kinds if k in totals and not totals[k].empty]
    rest = sorted(k for k in totals if k not in catalogue.kinds and not totals[k].empty)
    return known + rest


def _level_order(catalogue: Catalogue, levels: set[str]) -> list[str]:
    known = [lv for lv in catalogue.levels if lv in levels]
    return known + sorted(levels - set(known))


async def _root_name(session: AsyncSession) -> str | None:
    return await session.scalar(
        select(OrgUnit.name).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id).limit(1)
    )


def _province_name(catalogue: Catalogue, root: str | None) -> str:
    if catalogue.province is not None and catalogue.province.name:
        return catalogue.province.name
    return root or ""


# --- the workbook --------------------------------------------------------------------------

NUMBER = "#,##0"  # shown with the reader's separators: 24.150 in a Vietnamese Excel
SHARE = "0.0%"


@dataclass(frozen=True, slots=True)
class _Row:
    number: str
    kind: str
    level: str
    figures: Figures
    strong: bool


def _row_value(measure: str, row: _Row) -> Any:
    f = row.figures
    values: dict[str, Any] = {
        "row_number": row.number,
        "kind": row.kind,
        "level": row.level,
        "classes": f.classes,
        "planned_classes": f.planned_classes,
        "planned_seats": f.planned_seats,
        "quota_seats": f.quota_seats,
        "completions": f.completions,
        "leader_completions": f.leader_completions,
        "officials": f.officials,
        "leader_officials": f.leader_officials,
        "periods": f.periods,
        "plan_share": f.plan_share,
    }
    return values[measure]


def _no_data() -> str:
    return _("no data yet")


def _target_value(measure: str, item: TargetCompliance, as_of: date) -> Any:
    target = item.target
    if measure == "target":
        return capitalize_first(target.title.localized())
    if measure == "period":
        label = target.period_label
        if label is None:
            return _no_data()
        if target.period_to is not None and target.period_to < as_of:
            return _("{period} (ended on {date})").format(
                period=label, date=format_date(target.period_to)
            )
        return label
    if measure == "basis":
        if target.basis is None:
            return _no_data()
        title = target.basis.title.localized()
        if target.basis.verification != "primary":
            title += " " + _("(source not verified)")
        return title
    if measure == "threshold":
        return target.threshold if target.threshold is not None else _no_data()
    if measure == "met":
        return item.met
    if measure == "judged":
        return item.known
    if measure == "unknown":
        return item.unknown
    if measure == "share":
        return item.share if item.share is not None else _no_data()
    # result
    if item.applicable == 0:
        return _("nobody concerned")
    if item.achieved is None:
        return _no_data()
    return _("achieved") if item.achieved else _("not achieved")


_PERCENT_MEASURES = frozenset({"plan_share", "threshold", "share"})


def rows_of(report: YearReport) -> list[_Row]:
    out: list[_Row] = []
    for n, kind in enumerate(report.kinds, start=1):
        out.append(_Row(str(n), kind.title, _("All levels"), kind.total, True))
        for m, (level, figures) in enumerate(kind.by_level, start=1):
            out.append(_Row(f"{n}.{m}", kind.title, report.level_title(level), figures, False))
    out.append(_Row("", _("Total"), "", report.total, True))
    return out


def year_report_workbook(report: YearReport, template: ReportTemplate, *, made_on: date) -> bytes:
    """The report as .xlsx: a title block (province, year, the day it was made), the kind ×
    level table in the template's columns, then the targets of the period."""
    wb = new_workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = sheet_title(_("Year report {year}").format(year=report.year))
    append_row(sheet, [_("Training results of {year}").format(year=report.year).upper()])
    sheet["A1"].font = title_font()
    append_row(sheet, [report.province])
    append_row(sheet, [_("Scope: {scope}").format(scope=", ".join(report.scope_names))])
    append_row(sheet, [_("Made on {date}").format(date=format_date(made_on))])
    append_row(
        sheet,
        [
            _(
                "Completions dated {start} to {end}; leaders and managers as the roster "
                "records their posts today."
            ).format(start=format_date(date(report.year, 1, 1)), end=format_date(report.as_of))
        ],
    )
    append_row(sheet, [])
    rows = rows_of(report)
    _table(
        sheet,
        template.columns,
        [[_row_value(c.measure, r) for c in template.columns] for r in rows],
        strong=[r.strong for r in rows],
    )
    if template.target_columns:
        append_row(sheet, [])
        append_row(sheet, [_("Province targets of the period")])
        sheet.cell(sheet.max_row, 1).font = title_font()
        if not report.targets:
            append_row(
                sheet,
                [_("Province targets for {year}: no data yet.").format(year=report.year)],
            )
        else:
            _table(
                sheet,
                template.target_columns,
                [
                    [_target_value(c.measure, t, report.as_of) for c in template.target_columns]
                    for t in report.targets
                ],
                strong=[False] * len(report.targets),
            )
    set_widths(sheet, [_width(c) for c in template.columns])
    return save(wb)


def _table(
    sheet: Any, columns: Sequence[Column], rows: list[list[Any]], strong: list[bool]
) -> None:
    from openpyxl.styles import Font

    append_row(sheet, [c.header for c in columns])
    bold_row(sheet, sheet.max_row, solid_fill(HEADER_COLOR))
    for values, bold in zip(rows, strong, strict=True):
        sheet.append([None] * len(values))
        row = sheet.max_row
        for col, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            cell = sheet.cell(row=row, column=col)
            if value is None:
                continue
            put(cell, value)
            if isinstance(value, float) and column.measure in _PERCENT_MEASURES:
                cell.number_format = SHARE
            elif isinstance(value, int):
                cell.number_format = NUMBER
            if bold:
                cell.font = Font(bold=True)


def _width(column: Column) -> int:
    if column.measure in ("kind", "target", "basis"):
        return 40
    return max(10, min(24, len(column.header) + 2))
