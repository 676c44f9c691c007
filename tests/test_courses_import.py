"""The course catalogue import (validation, idempotency, capacity and the waitlist), the
attendance import that turns registrations into training records, the demo catalogue and
search folding."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db import Database
from locales import use_locale
from models.courses import registrations
from models.courses.catalogue import Course, build_search_text, query_terms, upcoming
from models.demo.courses import seed_demo_courses
from models.demo.province import seed_demo_province
from models.imports.attendance import ATTENDANCE as attendance_import
from models.imports.courses import COURSES as courses_import
from models.imports.importer import Importer
from models.requirements.training_records import TrainingRecord
from tests.courses_world import NOW, TODAY, World, build_world, register

VN = ZoneInfo("Asia/Ho_Chi_Minh")

HEADER = (
    "Mã khóa học,Tên khóa học,Loại bồi dưỡng,Đơn vị tổ chức,Hình thức,Địa điểm,"
    "Ngày khai giảng,Ngày bế giảng,Số tiết,Số chỗ,Hạn đăng ký,Đối tượng,Ngạch,Mã đơn vị\n"
)
GOOD = (
    HEADER
    + "K-2027-05,Bồi dưỡng QLNN ngạch chuyên viên chính,QLNN,Trường Chính trị tỉnh Điện Biên,"
    "trực tiếp,Trường Chính trị tỉnh,08/03/2027,30/03/2027,320,40,01/03/2027,công chức,"
    '"CV, CVC",\n'
    + "K-2027-06,Cập nhật pháp luật (trực tuyến),cập nhật pháp luật,Sở Tư pháp,trực tuyến,,"
    "15/03/2027,16/03/2027,16,300,,,,SNV\n"
)


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)


async def _import(
    db: Database, kind: Importer[Any, Any], name: str, content: bytes, skip: bool = False
) -> tuple[Any, Any]:
    async with db.transaction() as session:
        with use_locale("vi"):
            plan = await kind.plan(session, name, content, today=TODAY)
            result = await kind.apply(
                session,
                plan,
                actor="test",
                now=NOW,
                skip_bad_rows=skip,
            )
    return plan, result


async def test_import_courses_then_again_changes_nothing(world: World, db: Database) -> None:
    plan, result = await _import(db, courses_import, "khoa-hoc.csv", GOOD.encode())
    assert plan.ok and (result.created, result.updated) == (2, 0)
    course = await world.course("K-2027-05")
    assert course.kind == "quan_ly_nha_nuoc" and course.capacity == 40
    assert course.eligible_ranks == ["chuyen_vien", "chuyen_vien_chinh"]
    assert course.eligible_categories == ["cong_chuc"]
    online = await world.course("K-2027-06")
    assert online.mode == "online" and online.eligible_unit_id == world.units["noi_vu"].id
    assert online.registration_closes_on == online.starts_on - timedelta(days=1)
    plan, result = await _import(db, courses_import, "khoa-hoc.csv", GOOD.encode())
    assert plan.unchanged == 2 and result.unchanged == 2
    with use_locale("vi"):
        assert courses_import.format_result(result).startswith(
            "Đã nhập khóa học từ “khoa-hoc.csv”: 0 mới, 0 cập nhật, 2 không đổi"
        )


async def test_bad_course_rows_are_reported_and_nothing_is_written(
    world: World, db: Database
) -> None:
    bad = (
        HEADER
        + "K-2027-07,Lớp ngược ngày,QLNN,Sở Nội vụ,,,10/03/2027,01/03/2027,16,30,,,,\n"
        + "K-2027-08,Lớp không chỗ,QLNN,Sở Nội vụ,,,10/03/2027,12/03/2027,16,0,,,,\n"
        + "K-2027-09,Lớp loại lạ,Nấu ăn,Sở Nội vụ,,,10/03/2027,12/03/2027,16,10,,,,\n"
        + "K-2027-10,Lớp tốt,tin học,Sở Nội vụ,,,10/03/2027,12/03/2027,16,10,,,,\n"
    )
    plan, result = await _import(db, courses_import, "loi.csv", bad.encode())
    with use_locale("vi"):
        report = courses_import.format_plan_report(plan)
    assert (
        "Dòng 2, cột “Ngày bế giảng”: ngày bế giảng 01/03/2027 trước ngày khai giảng "
        "(10/03/2027); anh/chị vui lòng kiểm tra lại ngày."
    ) in report
    assert (
        "Dòng 3, cột “Số chỗ”: “0” không phải số chỗ hợp lệ; anh/chị vui lòng ghi số nguyên "
        "từ 1 trở lên."
    ) in report
    assert "Dòng 4, cột “Loại bồi dưỡng”: “Nấu ăn” không phải" in report
    assert not result.applied
    async with db.transaction() as session:
        assert (
            await session.scalar(
                select(func.count())
                .select_from(Course)
                .where(Course.code.in_(["K-2027-07", "K-2027-08", "K-2027-09", "K-2027-10"]))
            )
            == 0
        )
    _plan, result = await _import(db, courses_import, "loi.csv", bad.encode(), skip=True)
    assert result.created == 1


async def test_raising_capacity_promotes_and_lowering_below_taken_is_refused(
    world: World, db: Database
) -> None:
    law = world.courses["law"]  # two seats
    for who in ("ha", "nhung", "an"):
        await register(world.person(who), law.id)
    row = (
        "K-2026-03,Cập nhật kiến thức pháp luật năm 2026,cập nhật pháp luật,Sở Tư pháp,,,"
        "08/12/2026,10/12/2026,16,{n},01/12/2026,,,\n"
    )
    plan, _ = await _import(db, courses_import, "a.csv", (HEADER + row.format(n=1)).encode())
    assert "ít hơn số 2 người đã được xếp chỗ" in courses_import.format_plan_report(plan)
    _plan, result = await _import(db, courses_import, "b.csv", (HEADER + row.format(n=3)).encode())
    assert [r.official_id for r in result.promoted] == [world.people["an"].id]
    assert (await world.course("K-2026-03")).seats_taken == 3


async def test_attendance_turns_registration_into_a_record(world: World, db: Database) -> None:
    law = world.courses["law"]
    an = world.person("an")
    await register(an, law.id)
    sheet = (
        "Mã khóa học,Mã cán bộ,Kết quả,Số chứng chỉ\n"
        "K-2026-03,DB000001,Hoàn thành,CC-2026-001\n"
        "K-2026-03,DB000002,hoàn thành,\n"
    )
    plan, _ = await _import(db, attendance_import, "kq.csv", sheet.encode())
    report = attendance_import.format_plan_report(plan)
    assert "khóa K-2026-03 bế giảng ngày 10/12/2026" in report
    world.clock.advance(days=20)
    async with db.transaction() as session:
        with use_locale("vi"):
            plan = await attendance_import.plan(
                session, "kq.csv", sheet.encode(), today=TODAY + timedelta(days=20)
            )
    assert [e.row for e in plan.errors] == [3]  # Nhung holds no seat
    assert "Lò Thị Nhung không có chỗ trong khóa K-2026-03" in plan.errors[0].message()
    async with db.transaction() as session:
        result = await attendance_import.apply(
            session, plan, actor="t", now=NOW, skip_bad_rows=True
        )
        assert result.created == 1
        records = list(
            await session.scalars(
                select(TrainingRecord).where(TrainingRecord.official_id == world.people["an"].id)
            )
        )
    assert [(r.kind, r.program_code, r.certificate_no, r.periods) for r in records] == [
        ("cap_nhat_phap_luat_ky_nang", "K-2026-03", "CC-2026-001", 16)
    ]
    async with db.transaction() as session:
        again = await attendance_import.plan(
            session, "kq.csv", sheet.encode(), today=TODAY + timedelta(days=20)
        )
        assert again.unchanged == 1
    text = await an.say("/yeucau")
    assert "✅ Cập nhật kiến thức pháp luật hằng năm — hoàn thành 10/12/2026" in text


async def test_demo_catalogue_is_deterministic(db: Database) -> None:
    async with db.transaction() as session:
        from models.requirements.store import ensure_default_catalogue

        await ensure_default_catalogue(session, NOW)
        await seed_demo_province(session, size=600, today=TODAY)
        assert await seed_demo_courses(session, seed=2026, today=TODAY, tz=VN) == 33
        assert await seed_demo_courses(session, seed=2026, today=TODAY, tz=VN) == 0
        shown = await upcoming(session, TODAY)
        assert 25 <= len(shown) <= 40
        assert any(c.online for c in shown)
        assert any(c.seats_left == 0 for c in shown)
        assert any(c.registration_closes_on <= TODAY + timedelta(days=2) for c in shown)
        assert max(c.starts_on for c in shown) <= TODAY + timedelta(days=183)
        organisers = {c.organiser for c in shown}
        assert {
            "Trường Chính trị tỉnh Điện Biên",
            "Sở Tư pháp tỉnh Điện Biên",
            "Bộ Chỉ huy Quân sự tỉnh Điện Biên",
        } <= organisers
        full = next(c for c in shown if c.seats_left == 0)
        waiting = await registrations.waitlist_length(session, full.id)
        assert waiting == 3


# i/y after a consonant fold to "i" (locales/folding.same_spelling): "quản lí" = "quản lý".
@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("QLNN", ["quan", "li", "nha", "nuoc"]),
        ("quản lý nhà nước", ["quan", "li", "nha", "nuoc"]),
        (unicodedata.normalize("NFD", "Quản lý nhà nước"), ["quan", "li", "nha", "nuoc"]),
        ("tìm khóa học QP-AN", ["quoc", "phong", "an", "ninh"]),
        ("khoá học tin học", ["tin", "hoc"]),
        ("lớp bồi dưỡng CNTT", ["cong", "nghe", "thong", "tin"]),
        ("khóa học", []),
    ],
)
def test_query_terms_fold_and_expand(query: str, terms: list[str]) -> None:
    assert query_terms(query) == terms


def test_search_text_keeps_abbreviation_and_expansion() -> None:
    text = build_search_text(["Bồi dưỡng QLNN ngạch CVC", "Đoàn\u200b"])
    assert " qlnn quan li nha nuoc " in text
    assert " cvc chuyen vien chinh " in text and text.endswith(" doan ")
