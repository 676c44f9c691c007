"""The year's plan (#16.1): demand by unit × kind from the requirements engine, the year's
courses with seat quotas per unit (set in the chat or by the "quotas" import), and the
workbook /kehoach and `troly plan YEAR` write."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import select

from bot.db import Database
from models.audit import AuditEntry
from models.org import admins
from models.org.admins import Scope, scope_of
from models.org.officials import Official
from models.org.units import OrgUnit, add_unit
from models.plan.demand import demand
from models.plan.quotas import quota_for, quotas_of
from models.plan.year_plan import Allocation, allocate, year_plan
from models.requirements.store import ensure_default_catalogue
from tests.courses_world import add_record
from tests.factories import make_official
from tests.plan_world import JOB, LAW, NOW, TODAY, Province, build_province, scope_for


async def test_demand_two_levels_province_admin_sees_each_top_unit(db: Database) -> None:
    world = await build_province(db)
    scope = await scope_for(db, world.people["hr"])
    async with db.transaction() as session:
        found = await demand(session, year=2026, today=TODAY, scope=scope)
    rows = {r.unit.code: r for r in found.rows}
    assert list(rows) == ["SNV", "03158"]  # by name: Sở Nội vụ, Xã Sín Thầu; no root row
    assert found.as_of == TODAY
    law, job = rows["SNV"].by_kind[LAW], rows["SNV"].by_kind[JOB]
    assert (rows["SNV"].officials, law.officials, law.periods) == (3, 1, 8)  # An
    assert (job.officials, job.periods) == (1, 4)  # Hà, closest by her job's training
    assert rows["03158"].has_data and not rows["03158"].by_kind  # both did their 8
    assert found.total(LAW).officials == 1 and found.total(JOB).officials == 1


async def test_demand_next_year_everyone_owes_again(db: Database) -> None:
    world = await build_province(db)
    scope = await scope_for(db, world.people["hr"])
    async with db.transaction() as session:
        found = await demand(session, year=2027, today=TODAY, scope=scope)
    assert found.as_of == date(2027, 1, 1)
    assert found.total(LAW).officials == 5  # a new year: nothing of it done yet
    assert found.total(LAW).periods == 5 * 8


async def test_demand_unit_admin_sees_own_unit_and_missing_data(db: Database) -> None:
    world = await build_province(db)
    async with db.transaction() as session:
        # A hamlet under the commune with nobody on the roster yet.
        await add_unit(
            session,
            code="03158-B1",
            name="Bản Sín Thầu",
            level="hamlet",
            parent=await session.get(OrgUnit, world.units["sin_thau"].id),
        )
    scope = await scope_for(db, world.people["xa"])
    async with db.transaction() as session:
        found = await demand(session, year=2026, today=TODAY, scope=scope)
    rows = [(r.unit.code, r.own_only, r.has_data) for r in found.rows]
    assert rows == [("03158-B1", False, False), ("03158", True, True)]
    # Nobody of Sở Nội vụ appears in the commune admin's demand.
    assert sum(r.officials for r in found.rows) == 2
    from locales import use_locale
    from models.exports.year_plan import year_plan_file

    with use_locale("vi"):
        async with db.transaction() as session:
            found_file = await year_plan_file(
                session, year=2026, today=TODAY, scope=scope, scope_name="Xã Sín Thầu"
            )
    rows_read = _sheet_rows(found_file.content, "Nhu cầu")
    assert ("03158-B1", "Bản Sín Thầu", "chưa có dữ liệu") in [r[:3] for r in rows_read]


async def test_demand_on_an_old_three_level_tree(db: Database) -> None:
    """Province → district → commune, as before July 2025: the province admin's rows are
    the districts, with their communes' officials; a district admin's are the communes."""
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        root = await add_unit(session, code="T12", name="Tỉnh Lai Châu", level="province")
        district = await add_unit(
            session, code="H01", name="Huyện Mường Tè", level="district", parent=root
        )
        commune = await add_unit(
            session, code="H01-X01", name="Xã Ka Lăng", level="commune", parent=district
        )
        other = await add_unit(
            session, code="H02", name="Huyện Sìn Hồ", level="district", parent=root
        )
        hr = await make_official(session, root, employee_code="DB000090", phone="+84912000090")
        await add_record(session, hr, LAW, date(2026, 2, 1), periods=8)
        boss = await make_official(
            session, district, employee_code="DB000091", phone="+84912000091", level="district"
        )
        await add_record(session, boss, LAW, date(2026, 2, 1), periods=8)
        for n, unit in enumerate((commune, commune, other)):
            await make_official(
                session,
                unit,
                employee_code=f"DB00010{n}",
                phone=f"+8491200010{n}",
                level=unit.level,
            )
        await admins.grant(session, hr, root, actor="test", now=NOW)
        await admins.grant(session, boss, district, actor="test", now=NOW)
        province, district_scope = await scope_of(session, hr), await scope_of(session, boss)
        wide = await demand(session, year=2026, today=TODAY, scope=province)
        narrow = await demand(session, year=2026, today=TODAY, scope=district_scope)
    wide_rows = {r.unit.code: (r.own_only, r.officials, r.by_kind.get(LAW)) for r in wide.rows}
    assert set(wide_rows) == {"H01", "H02", "T12"}
    assert wide_rows["H01"][1] == 3 and wide_rows["H01"][2].officials == 2  # type: ignore[union-attr]
    assert wide_rows["H02"][2].officials == 1  # type: ignore[union-attr]
    assert wide_rows["T12"][0] is True and LAW not in wide.rows[-1].by_kind
    narrow_rows = [(r.unit.code, r.own_only, r.officials) for r in narrow.rows]
    assert narrow_rows == [("H01-X01", False, 2), ("H01", True, 1)]


async def test_quota_over_capacity_foreign_unit_and_foreign_course_are_refused(
    db: Database,
) -> None:
    world = await build_province(db)
    province, commune = (
        await scope_for(db, world.people["hr"]),
        await scope_for(db, world.people["xa"]),
    )
    course = world.courses["province"]
    units = world.units
    async with db.transaction() as session:
        hr = await session.get(Official, world.people["hr"].id)
        xa = await session.get(Official, world.people["xa"].id)
        assert hr is not None and xa is not None

        async def give(scope: Scope, by: Official, course_id: int, unit: str, seats: int) -> object:
            result = await allocate(
                session,
                scope=scope,
                course_id=course_id,
                unit_id=units[unit].id,
                seats=seats,
                by=by,
                actor="test",
                now=NOW,
            )
            return result.outcome

        assert await give(province, hr, course, "noi_vu", 30) is Allocation.SET
        assert await give(province, hr, course, "sin_thau", 11) is Allocation.OVER_CAPACITY
        assert await give(province, hr, course, "sin_thau", 10) is Allocation.SET
        # The commune admin: not the province's course, not another branch's unit.
        assert await give(commune, xa, course, "sin_thau", 5) is Allocation.COURSE_NOT_YOURS
        own = world.courses["commune"]
        assert await give(commune, xa, own, "noi_vu", 5) is Allocation.UNIT_NOT_YOURS
        assert await give(commune, xa, own, "sin_thau", 10) is Allocation.SET
        assert await give(commune, xa, own, "sin_thau", 11) is Allocation.OVER_CAPACITY
        assert [(q.unit_id, q.seats) for q in await quotas_of(session, course)] == sorted(
            [(units["noi_vu"].id, 30), (units["sin_thau"].id, 10)]
        )
        assert await quota_for(session, own, units["sin_thau"].id) == 10
        audited = (
            await session.scalars(
                select(AuditEntry.subject).where(AuditEntry.action == "quota.set")
            )
        ).all()
        assert sorted(str(a) for a in audited) == [
            "K-2027-01@03158",
            "K-2027-01@SNV",
            "X-2027-01@03158",
        ]


async def test_year_plan_is_scoped(db: Database) -> None:
    world = await build_province(db)
    province, commune = (
        await scope_for(db, world.people["hr"]),
        await scope_for(db, world.people["xa"]),
    )
    async with db.transaction() as session:
        hr = await session.get(Official, world.people["hr"].id)
        assert hr is not None
        for unit, seats in (("noi_vu", 25), ("sin_thau", 15)):
            await allocate(
                session,
                scope=province,
                course_id=world.courses["province"],
                unit_id=world.units[unit].id,
                seats=seats,
                by=hr,
                actor="test",
                now=NOW,
            )
        wide = await year_plan(session, 2027, province)
        narrow = await year_plan(session, 2027, commune)
    assert [p.course.code for p in wide.courses] == ["K-2027-01", "X-2027-01"]
    assert [u.code for u in wide.quota_units] == ["SNV", "03158"]
    assert [u.code for u in narrow.quota_units] == ["03158"]  # never Sở Nội vụ's 25
    assert narrow.courses[0].quotas == {world.units["sin_thau"].id: 15}


# --- the workbook --------------------------------------------------------------------------


def _sheet_rows(content: bytes, title: str) -> list[tuple[object, ...]]:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content))[title]
    return [tuple(c.value for c in row) for row in sheet.iter_rows()]


async def _give(db: Database, world: Province, course: str, unit: str, seats: int) -> None:
    async with db.transaction() as session:
        hr = await session.get(Official, world.people["hr"].id)
        assert hr is not None
        result = await allocate(
            session,
            scope=await scope_of(session, hr),
            course_id=world.courses[course],
            unit_id=world.units[unit].id,
            seats=seats,
            by=hr,
            actor="test",
            now=NOW,
        )
        assert result.outcome is Allocation.SET


async def test_workbook_sheets_and_figures(db: Database) -> None:
    from openpyxl import load_workbook

    from locales import use_locale
    from models.exports.year_plan import year_plan_file

    world = await build_province(db)
    await _give(db, world, "this_year", "noi_vu", 20)
    await _give(db, world, "this_year", "sin_thau", 6)
    province, commune = (
        await scope_for(db, world.people["hr"]),
        await scope_for(db, world.people["xa"]),
    )
    with use_locale("vi"):
        async with db.transaction() as session:
            wide = await year_plan_file(
                session, year=2026, today=TODAY, scope=province, scope_name="Tỉnh Điện Biên"
            )
            narrow = await year_plan_file(
                session, year=2026, today=TODAY, scope=commune, scope_name="Xã Sín Thầu"
            )
    book = load_workbook(io.BytesIO(wide.content))
    assert book.sheetnames == ["Nhu cầu", "Kế hoạch", "Cân đối"]
    demand_rows = _sheet_rows(wide.content, "Nhu cầu")
    assert demand_rows[2][:4] == (
        "Mã đơn vị",
        "Đơn vị",
        "Loại bồi dưỡng",
        "Số người phải bồi dưỡng",
    )
    snv = [r for r in demand_rows if r[0] == "SNV"]
    assert sorted((r[3], r[4]) for r in snv) == [(1, 4), (1, 8)]  # Hà 4 periods; An 8
    assert demand_rows[5][:4] == ("03158", "Xã Sín Thầu", "không ai phải bồi dưỡng", 0)
    plan_rows = _sheet_rows(wide.content, "Kế hoạch")
    header = plan_rows[1]
    assert header[:9] == (
        "Mã khóa học",
        "Tên khóa học",
        "Loại bồi dưỡng",
        "Ngày khai giảng",
        "Ngày bế giảng",
        "Địa điểm",
        "Số chỗ",
        "Số chỗ đã đăng ký",
        "Chỉ tiêu đã phân bổ",
    )
    assert header[9:] == ("SNV — Sở Nội vụ", "03158 — Xã Sín Thầu")
    assert plan_rows[2][0] == "K-2026-30" and plan_rows[2][6:] == (30, 0, 26, 20, 6)
    cells = book["Kế hoạch"]
    assert cells["D3"].number_format == "dd/mm/yyyy" and cells["G3"].number_format == "#,##0"
    balance_rows = _sheet_rows(wide.content, "Cân đối")
    law = next(r for r in balance_rows if r[0] and "pháp luật" in str(r[0]))
    assert law[1:] == (1, 30, 26, 0)  # An owes; 30 seats planned, 26 given
    # The commune admin's file: their own unit only, never Sở Nội vụ's numbers.
    narrow_plan = _sheet_rows(narrow.content, "Kế hoạch")
    assert narrow_plan[1][9:] == ("03158 — Xã Sín Thầu",)
    assert narrow_plan[2][6:] == (30, 0, 6, 6)
    narrow_demand = _sheet_rows(narrow.content, "Nhu cầu")
    assert not any(r[0] == "SNV" for r in narrow_demand)
