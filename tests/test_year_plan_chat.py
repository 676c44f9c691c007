"""The year's plan in the chat and on the command line (#16.1): quotas set from the admin
menu (over capacity, a foreign unit, a forged button: refused, nothing changed), the
"quotas" import kind with its checks, /kehoach over the fake Telegram server, `troly plan
YEAR` and `troly import quotas FILE`."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db import Database
from handlers.payloads import (
    PLAN_ALLOCATE,
    PLAN_COURSE,
    PLAN_MENU,
    PLAN_UNIT,
    PLAN_YEAR,
)
from models.audit import AuditEntry
from models.courses.catalogue import Course
from models.imports.quotas import QUOTAS
from models.org.units import OrgUnit
from models.plan.quotas import CourseQuota, quota_for
from tests.fake_bot_api import FakeBotApi
from tests.plan_world import NOW, TODAY, build_province
from tests.transcript import Clock, Person, make_dispatcher, telegram_only


async def _person(db: Database, user: str, phone: str, channel: str = "telegram") -> Person:
    person = Person(make_dispatcher(db, Clock(NOW)), user, channel=channel)
    await person.link_with_code(db, phone)
    return person


async def _quotas(db: Database) -> list[tuple[int, int, int]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(CourseQuota.course_id, CourseQuota.unit_id, CourseQuota.seats).order_by(
                CourseQuota.id
            )
        )
        return [(c, u, s) for c, u, s in rows]


async def test_province_admin_sets_a_quota_from_the_menu(db: Database, channel: str) -> None:
    world = await build_province(db)
    hr = await _person(db, "9006", "0912000006", channel)
    await hr.say("/quantri")
    await hr.press(PLAN_MENU.pack())
    assert "Kế hoạch bồi dưỡng năm" in hr.text
    await hr.press(PLAN_YEAR.pack(year=2027))
    assert "🗓 Kế hoạch bồi dưỡng năm 2027" in hr.text, hr.text
    if channel == "telegram":  # Zalo sends files as links; the workbook is tested below
        assert any(a.file_name.endswith(".xlsx") for r in hr.last for a in r.attachments)
    course = world.courses["province"]
    await hr.press(PLAN_COURSE.pack(id=course))
    assert "K-2027-01" in hr.text and "Chưa phân bổ chỉ tiêu" in hr.text
    await hr.press(PLAN_ALLOCATE.pack(id=course))
    await hr.press(PLAN_UNIT.pack(id=course, unit=world.units["noi_vu"].id))
    assert "tối đa 40" in hr.text, hr.text
    await hr.say("41")
    assert "tối đa 40 chỗ" in hr.text and "Không có gì thay đổi" in hr.text, hr.text
    assert await _quotas(db) == []
    await hr.say("30")
    assert "Sở Nội vụ có 30 chỉ tiêu khóa K-2027-01" in hr.text, hr.text
    assert "30/40" in hr.text
    await hr.press(PLAN_ALLOCATE.pack(id=course))
    await hr.press(PLAN_UNIT.pack(id=course, unit=world.units["sin_thau"].id))
    await hr.say("11")  # 30 + 11 > 40
    assert "tối đa 10 chỗ" in hr.text, hr.text
    await hr.say("10")
    assert "40/40" in hr.text
    assert await _quotas(db) == [
        (course, world.units["noi_vu"].id, 30),
        (course, world.units["sin_thau"].id, 10),
    ]
    async with db.transaction() as session:
        actors = (
            await session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "quota.set"))
        ).all()
    assert len(actors) == 2 and all("(DB000006)" in a for a in actors)


@telegram_only
async def test_foreign_forged_and_stale_buttons_change_nothing(db: Database, channel: str) -> None:
    world = await build_province(db)
    province, commune = world.courses["province"], world.courses["commune"]
    noi_vu, sin_thau = world.units["noi_vu"].id, world.units["sin_thau"].id
    xa = await _person(db, "9010", "0912000010")
    # Their year lists their commune's course to plan, never the province's.
    await xa.tap(PLAN_YEAR.pack(year=2027))
    assert PLAN_COURSE.pack(id=commune) in xa.values
    assert PLAN_COURSE.pack(id=province) not in xa.values
    # The commune admin cannot give seats of the province's course, not even to themselves.
    await xa.tap(PLAN_UNIT.pack(id=province, unit=sin_thau))
    assert "do Tỉnh Điện Biên tổ chức" in xa.text and "Không có gì thay đổi" in xa.text
    await xa.tap(PLAN_ALLOCATE.pack(id=province))
    assert "Không có gì thay đổi" in xa.text
    # Their own course, but another branch's unit.
    await xa.tap(PLAN_UNIT.pack(id=commune, unit=noi_vu))
    assert "Sở Nội vụ không thuộc các đơn vị" in xa.text, xa.text
    # Unknown ids and a year outside the chooser.
    await xa.tap(PLAN_UNIT.pack(id=999_999, unit=sin_thau))
    assert "không còn hiệu lực" in xa.text
    await xa.tap(PLAN_YEAR.pack(year=2031))
    assert "không còn hiệu lực" in xa.text
    # A dialog left pointing at a course whose owner is not theirs any more is re-checked.
    await xa.tap(PLAN_UNIT.pack(id=commune, unit=sin_thau))
    async with db.transaction() as session:
        course = await session.get(Course, commune)
        assert course is not None
        course.owner_unit_id = noi_vu
    await xa.say("5")
    assert "Không có gì thay đổi" in xa.text, xa.text
    # A non-admin official gets the ordinary menu.
    an = Person(make_dispatcher(db, Clock(NOW)), "9001")
    await an.share_contact("+84912000001")
    await an.tap(PLAN_UNIT.pack(id=commune, unit=sin_thau))
    assert "dành cho cán bộ tổ chức" in an.text
    assert await _quotas(db) == []


def _quota_file(rows: list[str]) -> bytes:
    return ("Mã khóa học,Mã đơn vị,Số chỉ tiêu\n" + "\n".join(rows) + "\n").encode()


async def test_quota_import_checks_every_row_first(db: Database) -> None:
    world = await build_province(db)
    content = _quota_file(
        [
            "K-2027-99,03158,5",  # 2: unknown course
            "X-2027-01,ZZZ,5",  # 3: unknown unit
            "X-2027-01,SNV,5",  # 4: another branch's unit
            "K-2027-01,03158,5",  # 5: the province's course
            "X-2027-01,03158,năm",  # 6: not a number
            "X-2027-01,03158-B9,4",  # 7: unknown unit
            "x-2027-01,03158,11",  # 8: over the course's 10 seats
            "X-2027-01,03158,2",  # 9: the same course and unit again
        ]
    )
    async with db.transaction() as session:
        scope = await session.get(OrgUnit, world.units["sin_thau"].id)
        plan = await QUOTAS.plan(session, "chi-tieu.csv", content, today=TODAY, scope_unit=scope)
    from locales import use_locale

    with use_locale("vi"):
        report = QUOTAS.format_plan_report(plan)
        messages = [e.message() for e in plan.errors]
    assert not plan.rows and plan.bad_row_count == 8, report
    assert "không có khóa học nào có mã “K-2027-99”" in messages[0]
    assert "không có đơn vị nào có mã “ZZZ”" in messages[1]
    assert "đơn vị “SNV” không thuộc Xã Sín Thầu" in messages[2]
    assert "khóa K-2027-01 do Tỉnh Điện Biên tổ chức" in messages[3]
    assert "“năm” không phải số chỉ tiêu" in messages[4]
    assert "tổng chỉ tiêu khóa X-2027-01 sẽ là 11" in messages[6], messages
    assert "đã có ở dòng 8" in messages[7]
    assert QUOTAS.write_error_file(plan).startswith(b"PK")
    async with db.transaction() as session:
        result = await QUOTAS.apply(session, plan, actor="test", now=NOW)
    assert not result.applied and await _quotas(db) == []


async def test_quota_import_from_the_chat_is_scoped_and_audited(db: Database) -> None:
    world = await build_province(db)
    hr = await _person(db, "9006", "0912000006")
    await hr.send_file("chi-tieu.csv", _quota_file(["K-2027-01,SNV,25", "K-2027-01,03158,15"]))
    await hr.press(next(v for v in hr.values if v.endswith(":quotas")))
    assert "Tệp phân bổ chỉ tiêu" in hr.text and "hợp lệ: 2" in hr.text, hr.text
    await hr.press(next(v for v in hr.values if v.endswith(":all")))
    assert "thêm mới 2" in hr.text, hr.text
    async with db.transaction() as session:
        course = world.courses["province"]
        assert await quota_for(session, course, world.units["noi_vu"].id) == 25
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "quotas.import"))
        assert entry is not None and entry.actor == "telegram:9006 (DB000006)"
        assert entry.detail is not None and len(entry.detail["changes"]) == 2


async def test_cli_plan_year_and_import_quotas(
    db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from openpyxl import load_workbook

    from bot.__main__ import main

    world = await build_province(db)
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("DEFAULT_LOCALE", "vi")
    quotas = tmp_path / "chi-tieu.csv"
    quotas.write_bytes(_quota_file(["K-2027-01,SNV,25", "X-2027-01,03158,4"]))
    # main() runs its own event loop: in a thread, beside the test's.
    assert await asyncio.to_thread(main, ["import", "quotas", str(quotas)]) == 0
    capsys.readouterr()
    out = tmp_path / "ke-hoach.xlsx"
    assert await asyncio.to_thread(main, ["plan", "2027", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 khóa học" in printed and "29 chỉ tiêu" in printed, printed
    book = load_workbook(io.BytesIO(out.read_bytes()))
    assert book.sheetnames == ["Nhu cầu", "Kế hoạch", "Cân đối"]
    plan = [tuple(c.value for c in row) for row in book["Kế hoạch"].iter_rows()]
    assert [r[0] for r in plan[2:]] == ["K-2027-01", "X-2027-01"]
    assert plan[2][8:] == (25, 25, None) and plan[3][8:] == (4, None, 4)
    async with db.transaction() as session:
        audited = await session.scalar(
            select(func.count()).where(AuditEntry.action == "report.year_plan")
        )
    assert audited == 1
    assert world.courses


async def test_kehoach_over_the_fake_telegram_server(fake: FakeBotApi, db: Database) -> None:
    """/kehoach through the real python-telegram-bot stack: the year chooser, a tap, and
    the workbook uploaded as a document."""
    from openpyxl import load_workbook

    from bot.channels.telegram import build_application
    from models.chat import link_codes
    from models.org.officials import Official
    from tests.test_telegram_e2e import settings_for

    world = await build_province(db)
    async with db.transaction() as session:
        hr = await session.get(Official, world.people["hr"].id)
        assert hr is not None
        code = await link_codes.issue(session, hr, now=NOW, created_by="test", pepper=b"")
    user = 5550006
    app = build_application(settings_for(fake, db), make_dispatcher(db, Clock(NOW)))
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.push_text(user, f"/start {code}")
            await fake.wait_for(
                lambda: any("Đỗ Minh Hoa" in (m.text or "") for m in fake.sent_to(user))
            )
            count = len(fake.sent_to(user))
            fake.push_text(user, "/kehoach")
            await fake.wait_for(lambda: len(fake.sent_to(user)) > count)
            chooser = fake.last_sent(user)
            assert "Kế hoạch bồi dưỡng năm" in (chooser.text or "")
            count = len(fake.sent_to(user))
            fake.push_callback(user, chooser.message_id, chooser.callback_data("Năm 2027"))
            await fake.wait_for(
                lambda: any(m.document for m in fake.sent_to(user)[count:]), timeout=30
            )
        finally:
            await app.updater.stop()
            await app.stop()
    sent = fake.sent_to(user)[count:]
    assert any("🗓 Kế hoạch bồi dưỡng năm 2027" in (m.text or m.caption or "") for m in sent)
    document = next(m for m in sent if m.document)
    assert document.document is not None
    name, content = document.document
    assert name == "ke-hoach-2027-T11.xlsx"
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Nhu cầu", "Kế hoạch", "Cân đối"]
    assert [r[0].value for r in book["Kế hoạch"].iter_rows(min_row=3)] == [
        "K-2027-01",
        "X-2027-01",
    ]
