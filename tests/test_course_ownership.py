"""A course belongs to its organising unit (issue #11 point 3): a commune admin cannot
cancel or rewrite a province course from a file sent in the chat; they create and change
only their own units' courses; every course written is audited field by field."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.db import Database
from models.audit import AuditEntry
from models.courses.catalogue import Course
from models.imports.courses import COURSE_CHANGED, COURSE_CREATED
from models.org import admins
from models.requirements.store import ensure_default_catalogue
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher

HEADER = (
    "Mã khóa học,Tên khóa học,Loại bồi dưỡng,Đơn vị tổ chức,Địa điểm,Ngày khai giảng,"
    "Ngày bế giảng,Số chỗ,Trạng thái"
)
PROVINCE = (
    HEADER + "\nK-2027-05,Bồi dưỡng QLNN,QLNN,Trường Chính trị tỉnh,Trường Chính trị tỉnh,"
    "08/03/2027,30/03/2027,40,mở\n"
)
# The attack from the issue: the commune admin rewrites the province's course.
ATTACK = (
    HEADER + "\nK-2027-05,Bồi dưỡng QLNN,QLNN,Trường Chính trị tỉnh,Gọi 0999 để nộp lệ phí,"
    "08/03/2027,30/03/2027,5,hủy\n"
    "X-2027-01,Tập huấn cán bộ xã,cập nhật pháp luật,UBND xã Sín Thầu,Hội trường xã,"
    "10/03/2027,11/03/2027,30,mở\n"
)


@pytest.fixture
async def world(db: Database) -> None:
    now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    async with db.transaction() as session:
        units = await small_province(session)
        await ensure_default_catalogue(session, now)
        ha = await make_official(
            session, units["tccb"], employee_code="DB000006", phone="+84912000006"
        )
        tua = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000010",
            phone="+84912000010",
            level="commune",
        )
        await admins.grant(session, ha, units["root"], actor="test", now=now)
        await admins.grant(session, tua, units["sin_thau"], actor="test", now=now)


async def person(db: Database, user: str, phone: str) -> Person:
    p = Person(make_dispatcher(db, Clock()), user)
    await p.link_with_code(db, phone)
    return p


async def _import(admin: Person, content: str, *, rows: str) -> str:
    await admin.send_file("khoa-hoc.csv", content.encode())
    await admin.press(next(v for v in admin.values if v.endswith(":courses")))
    report = admin.text
    apply = next((v for v in admin.values if v.endswith(f":{rows}")), None)
    if apply is not None:
        await admin.press(apply)
    return report


async def _course(db: Database, code: str) -> Course | None:
    async with db.transaction() as session:
        return await session.scalar(select(Course).where(Course.code == code))


async def test_commune_admin_cannot_rewrite_a_province_course(db: Database, world: None) -> None:
    ha = await person(db, "9006", "0912000006")
    await _import(ha, PROVINCE, rows="all")
    before = await _course(db, "K-2027-05")
    assert before is not None and before.capacity == 40

    tua = await person(db, "9010", "0912000010")
    report = await _import(tua, ATTACK, rows="good")
    assert "Dòng 2" in report and "Tỉnh Điện Biên" in report, report
    assert "chỉ được thay đổi khóa học của đơn vị mình" in report
    assert "Dòng 3" not in report  # their own course is fine
    after = await _course(db, "K-2027-05")
    assert after is not None
    assert (after.place, after.status, after.capacity, after.updated_at) == (
        before.place,
        "open",
        40,
        before.updated_at,
    )
    own = await _course(db, "X-2027-01")
    async with db.transaction() as session:
        sin_thau = await session.scalar(
            select(Course.owner_unit_id).where(Course.code == "X-2027-01")
        )
        entries = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action.in_([COURSE_CREATED, COURSE_CHANGED]))
            )
        )
    # Their own course belongs to their commune and is open to it, not to the province.
    assert own is not None and own.owner_unit_id == sin_thau == own.eligible_unit_id
    assert own.owner_unit_id != before.owner_unit_id
    assert [(e.action, e.subject) for e in entries] == [
        (COURSE_CREATED, "K-2027-05"),
        (COURSE_CREATED, "X-2027-01"),
    ]
    assert entries[1].actor == "telegram:9010 (DB000010)"


async def test_commune_admin_cannot_create_for_another_unit(db: Database, world: None) -> None:
    tua = await person(db, "9010", "0912000010")
    other = (
        HEADER + ",Mã đơn vị tổ chức,Mã đơn vị\n"
        "X-2027-02,Tập huấn,cập nhật pháp luật,UBND xã,Hội trường,10/03/2027,11/03/2027,30,"
        "mở,SNV,\n"
        "X-2027-03,Tập huấn,cập nhật pháp luật,UBND xã,Hội trường,10/03/2027,11/03/2027,30,"
        "mở,03158,T11\n"
    )
    report = await _import(tua, other, rows="good")
    assert "Dòng 2" in report and "chỉ được tạo khóa học cho đơn vị mình" in report, report
    assert "Dòng 3" in report and "chỉ được mở khóa học cho đơn vị mình" in report, report
    assert await _course(db, "X-2027-02") is None
    assert await _course(db, "X-2027-03") is None


async def test_province_admin_changes_are_audited_old_to_new(db: Database, world: None) -> None:
    ha = await person(db, "9006", "0912000006")
    await _import(ha, PROVINCE, rows="all")
    changed = PROVINCE.replace("Trường Chính trị tỉnh,08/03", "Hội trường Sở Nội vụ,08/03")
    changed = changed.replace(",40,mở", ",45,hủy")
    await _import(ha, changed, rows="all")
    course = await _course(db, "K-2027-05")
    assert course is not None and course.status == "cancelled" and course.capacity == 45
    async with db.transaction() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == COURSE_CHANGED))
    assert entry is not None and entry.subject == "K-2027-05"
    assert entry.detail["fields"] == {
        "place": ["Trường Chính trị tỉnh", "Hội trường Sở Nội vụ"],
        "capacity": [40, 45],
        "status": ["open", "cancelled"],
    }
