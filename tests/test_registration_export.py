"""A course's registrations as an .xlsx for HR admins (issue #6 item 4): the workbook
itself, scope filtering, the chat flow from /quantri, and what non-admins and forged
buttons get (nothing, logged). On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select, update

from bot.__main__ import export_registrations
from bot.config import Settings
from bot.db import Database
from handlers.reports import XLSX
from locales import use_locale
from models.audit import AuditEntry
from models.courses import registrations
from models.courses.catalogue import Course
from models.courses.registrations import DUE_THIS_YEAR, OTHER, OVERDUE, Registration
from models.exports.registrations import (
    course_registrations,
    registrations_workbook,
    whole_province,
)
from models.org import admins
from models.org.admins import Scope, scope_of
from models.org.officials import Official, by_employee_code
from models.requirements.store import ensure_default_catalogue
from tests.courses_world import NOW, TODAY, link, make_course
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HEADERS_VI = [
    "STT",
    "Mã cán bộ",
    "Họ và tên",
    "Đơn vị",
    "Chức vụ/ngạch",
    "Số điện thoại",
    "Trạng thái",
    "Ngày đăng ký",
]
# (employee code, full name, unit key, minutes after NOW at which they register)
PEOPLE = [
    ("DB000011", "Lê Văn Nam", "tccb", 0),  # seat 1
    ("DB000020", "Lò Thị Nhung", "sin_thau", 5),  # seat 2
    ("DB000021", "Giàng A Páo", "sin_thau", 10),  # waitlist, then overtaken by both
    ("DB000012", "Trần Thị Mai", "tccb", 15),  # waitlist, due this year: ahead of Páo
    ("DB000022", "Sùng A Hùng", "sin_thau", 20),  # waitlist, overdue: goes first
    ("DB000023", "Lò Văn Lan", "sin_thau", 25),  # waitlist, then cancels
]


@pytest.fixture
async def world(db: Database) -> dict[str, object]:
    async with db.transaction() as session:
        units = await small_province(session)
        await ensure_default_catalogue(session, NOW)
        ha = await make_official(
            session,
            units["tccb"],
            employee_code="DB000006",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912000006",
        )
        tua = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000010",
            full_name="Giàng A Tủa",
            phone="+84912000010",
            level="commune",
            post_title="Công chức Văn phòng - Thống kê",
        )
        await admins.grant(session, ha, units["root"], actor="test", now=NOW)
        await admins.grant(session, tua, units["sin_thau"], actor="test", now=NOW)
        await link(session, ha, "9006")
        await link(session, tua, "9010")
        law = await make_course(
            session, "K-2026-03", title="Cập nhật kiến thức pháp luật năm 2026", capacity=2
        )
        other = await make_course(session, "K-2026-30", title="Kỹ năng soạn thảo văn bản")
        await make_course(session, "K-2026-40", title="Khóa chưa ai đăng ký")
        people: dict[str, Official] = {}
        for n, (code, name, unit, minutes) in enumerate(PEOPLE):
            official = await make_official(
                session,
                units[unit],
                employee_code=code,
                full_name=name,
                phone=f"+8491200{n:04d}",
                level=units[unit].level,
            )
            people[code] = official
            result = await registrations.register(
                session, law.id, official, today=TODAY, now=NOW + timedelta(minutes=minutes)
            )
            assert result.outcome in (
                registrations.Outcome.CONFIRMED,
                registrations.Outcome.WAITLISTED,
            )
        await link(session, people["DB000011"], "9011")
        # Waitlist order is priority first: Hùng (overdue), Mai (due this year), then Páo,
        # although Páo asked first.
        await session.execute(update(Registration).values(priority=OTHER))
        for code, priority in (("DB000022", OVERDUE), ("DB000012", DUE_THIS_YEAR)):
            await session.execute(
                update(Registration)
                .where(Registration.official_id == people[code].id)
                .values(priority=priority)
            )
        cancelled = await registrations.cancel(
            session, law.id, people["DB000023"], today=TODAY, now=NOW + timedelta(minutes=40)
        )
        assert cancelled.outcome is registrations.Outcome.CANCELLED
        # Only Nam (province) is registered for the other course.
        await registrations.register(
            session, other.id, people["DB000011"], today=TODAY, now=NOW + timedelta(hours=1)
        )
    return {"units": units, "law_id": law.id, "other_id": other.id}


async def _export(
    db: Database, employee_code: str, course_id: int, locale: str = "vi"
) -> tuple[list[list[object]], Worksheet, int]:
    async with db.transaction() as session:
        official = await by_employee_code(session, employee_code)
        scope = await scope_of(session, official)
        course = await session.get(Course, course_id)
        assert course is not None
        data = await course_registrations(session, course, scope)
        with use_locale(locale):
            content = registrations_workbook(
                data,
                scope_name=", ".join(u.name for u in scope.units),
                tz=TZ,
                now=NOW,
            )
    sheet = load_workbook(io.BytesIO(content)).active
    assert isinstance(sheet, Worksheet)
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(values, start=1) if row[0] in ("STT", "No."))
    return values, sheet, header


def _rows(values: list[list[object]], header: int) -> list[tuple[object, ...]]:
    return [tuple(row[:7]) for row in values[header:]]


async def test_workbook_headers_rows_statuses_and_dates(db: Database, world: dict) -> None:
    values, sheet, header = await _export(db, "DB000006", world["law_id"])
    assert sheet.title == "Danh sách đăng ký"
    block = [row[0] for row in values[: header - 1] if row[0]]
    assert block[0] == "Danh sách đăng ký khóa K-2026-03"
    assert "Khóa học: Cập nhật kiến thức pháp luật năm 2026" in block
    assert "Thời gian: 08/12/2026 – 10/12/2026" in block
    assert "Địa điểm: Hội trường Sở Tư pháp" in block
    assert "Đơn vị tổ chức: Sở Tư pháp tỉnh Điện Biên" in block
    assert "Số chỗ: đã xếp 2/2 chỗ; 3 người trong danh sách chờ (toàn khóa)" in block
    assert "Phạm vi: Tỉnh Điện Biên" in block
    assert ("Trong phạm vi: 6 lượt đăng ký — 2 chính thức, 3 chờ, 1 đã hủy") in block
    assert "Xuất lúc 10:00 26/11/2026" in block
    assert values[header - 1] == HEADERS_VI
    assert _rows(values, header) == [
        (
            1,
            "DB000011",
            "Lê Văn Nam",
            "Phòng Tổ chức cán bộ, Sở Nội vụ",
            "Chuyên viên",
            "0912000000",
            "Chính thức",
        ),
        (2, "DB000020", "Lò Thị Nhung", "Xã Sín Thầu", "Chuyên viên", "0912000001", "Chính thức"),
        (3, "DB000022", "Sùng A Hùng", "Xã Sín Thầu", "Chuyên viên", "0912000004", "Chờ, vị trí 1"),
        (
            4,
            "DB000012",
            "Trần Thị Mai",
            "Phòng Tổ chức cán bộ, Sở Nội vụ",
            "Chuyên viên",
            "0912000003",
            "Chờ, vị trí 2",
        ),
        (5, "DB000021", "Giàng A Páo", "Xã Sín Thầu", "Chuyên viên", "0912000002", "Chờ, vị trí 3"),
        (6, "DB000023", "Lò Văn Lan", "Xã Sín Thầu", "Chuyên viên", "0912000005", "Đã hủy"),
    ]
    # Registration times: real date cells, local wall-clock time (UTC+7), dd/mm/yyyy hh:mm.
    times = [row[7] for row in values[header:]]
    assert times == [datetime(2026, 11, 26, 10, m) for m in (0, 5, 20, 15, 10, 25)]
    first = sheet.cell(header + 1, 8)
    assert first.is_date and first.number_format == "dd/mm/yyyy hh:mm"
    # Readable: bold shaded header, frozen under it, filterable, wide columns.
    assert all(sheet.cell(header, c).font.bold for c in range(1, 9))
    assert sheet.cell(header, 1).fill.fgColor.rgb.endswith("DDEBF7")
    assert sheet.freeze_panes == f"A{header + 1}"
    assert sheet.auto_filter.ref == f"A{header}:H{header + 6}"
    assert sheet.column_dimensions["C"].width >= 25 and sheet.column_dimensions["D"].width >= 40


async def test_waitlist_positions_match_what_people_are_told(db: Database, world: dict) -> None:
    values, _sheet, header = await _export(db, "DB000006", world["law_id"])
    shown = {row[1]: row[6] for row in values[header:]}
    async with db.transaction() as session:
        regs = await session.execute(
            select(Registration, Official)
            .join(Official, Official.id == Registration.official_id)
            .where(Registration.course_id == world["law_id"], Registration.status == "waitlisted")
        )
        for reg, official in regs.unique():
            n = await registrations.position(session, reg)
            assert shown[official.employee_code] == f"Chờ, vị trí {n}"


async def test_commune_admin_sees_only_the_commune(db: Database, world: dict) -> None:
    values, _sheet, header = await _export(db, "DB000010", world["law_id"])
    rows = _rows(values, header)
    assert [r[1] for r in rows] == ["DB000020", "DB000022", "DB000021", "DB000023"]
    # Positions stay those on the whole course's waitlist (Mai, outside, is number 2).
    assert [r[6] for r in rows] == ["Chính thức", "Chờ, vị trí 1", "Chờ, vị trí 3", "Đã hủy"]
    block = [row[0] for row in values[: header - 1] if row[0]]
    assert "Phạm vi: Xã Sín Thầu" in block
    assert "Trong phạm vi: 4 lượt đăng ký — 1 chính thức, 2 chờ, 1 đã hủy" in block
    assert not any("DB000011" in str(v) or "DB000012" in str(v) for row in values for v in row)


async def test_no_scope_sees_nobody(db: Database, world: dict) -> None:
    async with db.transaction() as session:
        course = await session.get(Course, world["law_id"])
        assert course is not None
        assert (await course_registrations(session, course, Scope(()))).rows == ()
        province = await course_registrations(session, course, await whole_province(session))
        assert len(province.rows) == 6 and province.waitlist_total == 3


async def test_english_workbook(db: Database, world: dict) -> None:
    values, sheet, header = await _export(db, "DB000010", world["law_id"], locale="en")
    assert sheet.title == "Registrations"
    assert values[header - 1] == [
        "No.",
        "Employee code",
        "Full name",
        "Unit",
        "Post / rank",
        "Phone",
        "Status",
        "Registered at",
    ]
    assert [r[6] for r in _rows(values, header)] == [
        "Confirmed",
        "On the waitlist, no. 1",
        "On the waitlist, no. 3",
        "Cancelled",
    ]
    assert values[0][0] == "Registrations for course K-2026-03"


# --- through the chat ----------------------------------------------------------------------


def person(db: Database, chat: str) -> Person:
    return Person(make_dispatcher(db, Clock(NOW)), chat)


def workbook_of(p: Person) -> tuple[list[list[object]], int]:
    files = [a for r in p.last for a in r.attachments]
    assert len(files) == 1
    assert files[0].mime_type == XLSX and files[0].file_name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(files[0].content)).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(values, start=1) if row[0] == "STT")
    return values, header


async def audits(db: Database, action: str) -> list[AuditEntry]:
    async with db.transaction() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


async def test_commune_admin_exports_from_the_menu(db: Database, world: dict) -> None:
    tua = person(db, "9010")
    await tua.say("/quantri")
    assert "📋 Danh sách đăng ký khóa học (Excel)" in tua.choices
    text = await tua.press("regx:ask")
    assert "Xuất danh sách đăng ký của khóa học nào? Anh vui lòng nhập mã khóa học." in text
    # Offered: courses with registrations in the commune only.
    assert f"regx:{world['law_id']}" in tua.values
    assert f"regx:{world['other_id']}" not in tua.values
    text = await tua.press_label("K-2026-03")
    assert text == (
        "📋 K-2026-03 · Cập nhật kiến thức pháp luật năm 2026\n"
        "3 người đăng ký trong phạm vi của anh: 1 chính thức, 2 chờ. "
        "Tệp cũng liệt kê 1 lượt đăng ký đã hủy."
    )
    values, header = workbook_of(tua)
    assert [row[1] for row in values[header:]] == ["DB000020", "DB000022", "DB000021", "DB000023"]
    (entry,) = await audits(db, "export.registrations")
    async with db.transaction() as session:
        tua_official = await by_employee_code(session, "DB000010")
    assert tua_official is not None
    assert entry.actor_official_id == tua_official.id
    assert entry.actor == "telegram:9010 (DB000010)"
    assert entry.subject == "K-2026-03" and entry.affected == 4
    assert entry.detail["scope"] == ["03158"] and entry.detail["waitlisted"] == 2
    assert entry.at == NOW


async def test_typed_course_codes(db: Database, world: dict) -> None:
    ha = person(db, "9006")
    await ha.press("regx:ask")
    text = await ha.say("K-9999")
    assert "Không có khóa học nào mang mã “K-9999”. Anh/chị vui lòng nhập lại mã" in text
    assert not any(r.attachments for r in ha.last)
    # Still in the dialog: the code typed in lower case with spaces works.
    text = await ha.say("  k-2026-03 ")
    assert "5 người đăng ký trong phạm vi của chị: 2 chính thức, 3 chờ." in text
    values, header = workbook_of(ha)
    assert len(values) - header == 6
    # A course with registrations, none of them in the commune: said politely, no file.
    tua = person(db, "9010")
    await tua.press("regx:ask")
    text = await tua.say("K-2026-30")
    assert "Chưa có ai trong phạm vi của anh đăng ký khóa học này" in text
    assert not any(r.attachments for r in tua.last)
    # The dialog ended: free text is no longer read as a course code.
    assert "Không có khóa học nào mang mã" not in await tua.say("K-2026-03")
    entries = await audits(db, "export.registrations")
    assert [(e.subject, e.affected) for e in entries] == [("K-2026-03", 6), ("K-2026-30", 0)]


async def test_cancel_leaves_the_dialog(db: Database, world: dict) -> None:
    ha = person(db, "9006")
    await ha.press("regx:ask")
    assert "Đã hủy" in await ha.press_label("Hủy")
    assert "Không có khóa học nào mang mã" not in await ha.say("K-9999")
    assert await audits(db, "export.registrations") == []


async def test_non_admin_and_forged_buttons_get_nothing(db: Database, world: dict) -> None:
    nam = person(db, "9011")
    await nam.say("/quantri")
    assert not any(v.startswith("regx:") for v in nam.values)
    for value in ("regx:ask", f"regx:{world['law_id']}", "regx:cancel"):
        text = await nam.press(value)
        assert "chỉ dành cho cán bộ tổ chức" in text
        assert not any(r.attachments for r in nam.last)
        assert "DB0000" not in text
    denied = await audits(db, "admin.denied")
    assert [e.subject for e in denied] == ["quantri", "regx", "regx", "regx"]
    assert denied[1].detail["choice"] == "regx:ask"
    # An admin's forged or stale ids: the stale answer, nothing exported.
    ha = person(db, "9006")
    for forged in (
        "regx:999999",
        "regx:abc",
        "regx:",
        "regx:²",
        "regx:99999999999999999999",
        f"regx:{world['law_id']}:x",
    ):
        text = await ha.press(forged)
        assert "Nút này không còn hiệu lực" in text, forged
        assert not any(r.attachments for r in ha.last)
    assert await audits(db, "export.registrations") == []


async def test_revoked_admin_mid_dialog_is_refused(db: Database, world: dict) -> None:
    tua = person(db, "9010")
    await tua.press("regx:ask")
    async with db.transaction() as session:
        official = await by_employee_code(session, "DB000010")
        unit = world["units"]["sin_thau"]
        assert official is not None
        assert await admins.revoke(session, official, unit, actor="test", now=NOW)
    text = await tua.say("K-2026-03")
    assert "chỉ dành cho cán bộ tổ chức" in text
    assert not any(r.attachments for r in tua.last)
    assert await audits(db, "export.registrations") == []
    assert [e.subject for e in await audits(db, "admin.denied")] == ["regx"]


async def test_command_line_export(db: Database, world: dict, tmp_path: Path) -> None:
    out = tmp_path / "ds.xlsx"
    assert await export_registrations(Settings(database_url=db.url), "k-2026-03", out) == 0
    sheet = load_workbook(out).active
    assert sheet is not None
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = next(i for i, row in enumerate(values, start=1) if row[0] == "STT")
    assert len(values) - header == 6  # the whole province
    assert await export_registrations(Settings(database_url=db.url), "K-0", out) == 1
    async with db.transaction() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "export.registrations", AuditEntry.actor == "cli")
        )
    assert count == 1
