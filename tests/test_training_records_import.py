"""Importing completions from CSV/XLSX: checked first, all-or-nothing unless asked,
idempotent on re-import; and the deterministic demo records."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from bot.db import Database
from locales import use_locale
from models.imports.training import TRAINING
from models.requirements.training_records import TrainingRecord, seed_demo_training
from tests.factories import make_official, small_province

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 26)

GOOD = (
    "DANH SÁCH KẾT QUẢ BỒI DƯỠNG NĂM 2026\n"
    "\n"
    "Mã cán bộ,Loại bồi dưỡng,Tên khóa học,Số tiết,Ngày hoàn thành,Số chứng chỉ,Cơ sở đào tạo\n"
    "DB000001,Cập nhật kiến thức pháp luật,Luật CBCC 2025,16,15/06/2026,CC-1,Sở Nội vụ\n"
    "DB000001,QP-AN,Đối tượng 3,96,2024-05-10,QP-7,Bộ CHQS tỉnh\n"
    "db000002,dao_duc_cong_vu,Đạo đức công vụ,8 tiết,01/03/2026,,Trường Chính trị tỉnh\n"
)


@pytest.fixture
async def world(db: Database) -> dict[str, Any]:
    async with db.transaction() as session:
        units = await small_province(session)
        an = await make_official(session, units["tccb"])
        nhung = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000002",
            full_name="Lò Thị Nhung",
            gender="female",
            phone="+84912000002",
        )
    return {"units": units, "an": an, "nhung": nhung}


async def _records(db: Database) -> list[tuple[Any, ...]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(
                TrainingRecord.official_id,
                TrainingRecord.kind,
                TrainingRecord.periods,
                TrainingRecord.completed_on,
                TrainingRecord.certificate_no,
            ).order_by(TrainingRecord.official_id, TrainingRecord.completed_on)
        )
        return [tuple(r) for r in rows]


async def _import(db: Database, name: str, content: bytes, **kw: Any) -> tuple[Any, Any]:
    async with db.transaction() as session:
        plan = await TRAINING.plan(
            session, name, content, scope_unit=kw.pop("scope_unit", None), today=TODAY
        )
        result = await TRAINING.apply(session, plan, actor="test", now=NOW, **kw)
    return plan, result


async def test_import_then_reimport_changes_nothing(db: Database, world: dict) -> None:
    plan, result = await _import(db, "ket-qua.csv", GOOD.encode())
    assert plan.ok and (plan.to_create, plan.unchanged) == (3, 0)
    assert (result.applied, result.created) == (True, 3)
    an, nhung = world["an"].id, world["nhung"].id
    assert await _records(db) == [
        (an, "quoc_phong_an_ninh", 96, date(2024, 5, 10), "QP-7"),
        (an, "cap_nhat_phap_luat_ky_nang", 16, date(2026, 6, 15), "CC-1"),
        (nhung, "dao_duc_cong_vu", 8, date(2026, 3, 1), None),
    ]
    plan, result = await _import(db, "ket-qua.csv", GOOD.encode())
    assert (plan.to_create, plan.to_update, plan.unchanged) == (0, 0, 3)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    with use_locale("vi"):
        assert TRAINING.format_result(result) == (
            "Đã nhập kết quả bồi dưỡng từ “ket-qua.csv”: 0 mới, 0 cập nhật, 3 không đổi, bỏ qua "
            "0 dòng có lỗi."
        )
    assert len(await _records(db)) == 3


async def test_corrected_file_updates_in_place(db: Database, world: dict) -> None:
    await _import(db, "ket-qua.csv", GOOD.encode())
    corrected = GOOD.replace("8 tiết,01/03/2026,,", "12,01/03/2026,DD-5,")
    plan, result = await _import(db, "ket-qua.csv", corrected.encode())
    assert (plan.to_create, plan.to_update, plan.unchanged) == (0, 1, 2)
    assert (result.created, result.updated) == (0, 1)
    assert (world["nhung"].id, "dao_duc_cong_vu", 12, date(2026, 3, 1), "DD-5") in (
        await _records(db)
    )


BAD = GOOD + (
    "DB999999,Cập nhật kiến thức pháp luật,,8,01/02/2026,,\n"
    "DB000001,Yoga,,8,01/02/2026,,\n"
    "DB000002,tin học,,8,01/02/2027,,\n"
    "DB000002,Tin học,,nhiều,01/02/2026,,\n"
    "DB000001,cập nhật pháp luật,Luật CBCC 2025,16,15/06/2026,CC-1,Sở Nội vụ\n"
)


async def test_bad_rows_are_reported_and_nothing_is_written(db: Database, world: dict) -> None:
    plan, result = await _import(db, "loi.csv", BAD.encode())
    assert not plan.ok and not result.applied
    assert await _records(db) == []
    with use_locale("vi"):
        report = TRAINING.format_plan_report(plan)
    assert "Số dòng dữ liệu: 8; hợp lệ: 3; có lỗi: 5." in report
    assert (
        "Dòng 7, cột “Mã cán bộ”: không có cán bộ nào mang mã “DB999999”; anh/chị vui lòng "
        "kiểm tra lại mã."
    ) in report
    assert "Dòng 8, cột “Loại bồi dưỡng”: “Yoga” không phải loại bồi dưỡng có trong danh mục" in (
        report
    )
    assert "Dòng 9, cột “Ngày hoàn thành”: “01/02/2027” là ngày trong tương lai" in report
    assert "Dòng 10, cột “Số tiết”: “nhiều” không phải số tiết" in report
    assert "Dòng 11, cột “Ngày hoàn thành”: trùng với khóa bồi dưỡng ở dòng 4" in report


async def test_skip_bad_rows_imports_the_good_ones(db: Database, world: dict) -> None:
    _plan, result = await _import(db, "loi.csv", BAD.encode(), skip_bad_rows=True)
    assert (result.applied, result.created, result.skipped) == (True, 3, 5)
    assert len(await _records(db)) == 3


async def test_scope_limits_an_admin_to_their_unit(db: Database, world: dict) -> None:
    plan, result = await _import(db, "xa.csv", GOOD.encode(), scope_unit=world["units"]["sin_thau"])
    assert [e.row for e in plan.errors] == [4, 5]
    assert not result.applied


async def test_xlsx_with_real_date_and_number_cells(db: Database, world: dict) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        [
            "Mã CB",
            "Nội dung bồi dưỡng",
            "Mã khóa học",
            "Thời lượng (tiết)",
            "Ngày bế giảng",
            "Số GCN",
        ]
    )
    sheet.append(
        ["DB000001", "Lý luận chính trị", "TC-LLCT-24", 480.0, datetime(2024, 6, 15), "LL-3"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan, result = await _import(db, "ket-qua.xlsx", buffer.getvalue())
    assert plan.ok and result.created == 1
    assert await _records(db) == [
        (world["an"].id, "ly_luan_chinh_tri", 480, date(2024, 6, 15), "LL-3")
    ]


async def test_unreadable_file_is_a_file_error(db: Database, world: dict) -> None:
    plan, result = await _import(db, "ket-qua.xls", b"\xd0\xcf\x11\xe0 old excel")
    assert plan.file_error is not None and not result.applied
    with use_locale("vi"):
        text = TRAINING.format_result(result)
    assert text.splitlines()[0] == "Chưa nhập dữ liệu nào vì không đọc được tệp."
    assert "ket-qua.xls" in text


async def test_demo_training_is_deterministic_and_idempotent(db: Database, world: dict) -> None:
    async with db.transaction() as session:
        units = world["units"]
        for n in range(20):
            await make_official(
                session,
                units["tccb"] if n % 2 else units["sin_thau"],
                employee_code=f"D{n:04d}",
                phone=f"+849130000{n:02d}",
                category="vien_chuc" if n % 5 == 0 else "cong_chuc",
                leadership_tier="truong_phong" if n % 7 == 0 else None,
                leadership_appointed_on=date(2024, 1, 1),
            )
        added = await seed_demo_training(session, seed=7, today=TODAY)
        assert await seed_demo_training(session, seed=7, today=TODAY) == 0
    first = await _records(db)
    assert len(first) == added
    assert 2 * 22 <= added <= 6 * 22  # about four per official
    assert max(r[3] for r in first) <= TODAY
    async with db.transaction() as session:
        await session.execute(delete(TrainingRecord))
        assert await seed_demo_training(session, seed=7, today=TODAY) == added
        count = await session.scalar(select(func.count()).select_from(TrainingRecord))
    assert count == added
    assert await _records(db) == first
