"""Attendance in the chat (#16.3): rotating check-in codes (expired, another course's or
day's, a future session's, a non-member's, brute force), "vắng có lý do", closing the roster
into training records and /yeucau, idempotent closing, forged buttons, and the QR photo over
the fake Telegram server. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import segno
from sqlalchemy import func, select
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.config import Settings
from bot.db import Database
from models.audit import AuditEntry
from models.courses import attendance, registrations
from models.courses.attendance import (
    ALPHABET,
    AttendanceMark,
    AttendanceSettings,
    CheckInFailure,
    Close,
    Excuse,
    Reason,
)
from models.courses.registrations import Registration, RegStatus
from models.org import admins
from models.org.officials import Official
from models.requirements.training_records import TrainingRecord
from tests.courses_world import NOW, TODAY, World, build_world, link, make_course, register
from tests.factories import make_official
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_e2e import settings_for
from tests.transcript import make_dispatcher

# The law course (K-2026-03) meets Tue 08/12 – Thu 10/12/2026: three sessions.
FIRST = date(2026, 12, 8)
DAYS = (FIRST, FIRST + timedelta(days=1), FIRST + timedelta(days=2))
CLASS_TIME = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # 09:00 in Việt Nam


def settings() -> AttendanceSettings:
    """What the chat uses: tests/transcript.make_dispatcher's default Settings."""
    return Settings().attendance


@pytest.fixture
async def world(db: Database) -> World:
    """An and Nhung hold seats in the law course; Hà is a province HR admin (not enrolled);
    Tủa is the HR admin of Nhung's commune, which does not organise the course."""
    world = await build_world(db)
    for who in ("an", "nhung"):
        await register(world.person(who), world.courses["law"].id)
    async with db.transaction() as session:
        await admins.grant(
            session, world.people["ha"], world.units["root"], actor="t", now=world.clock()
        )
        tua = await make_official(
            session,
            world.units["sin_thau"],
            employee_code="DB000010",
            full_name="Giàng A Tủa",
            phone="+84912000010",
        )
        await admins.grant(session, tua, world.units["sin_thau"], actor="t", now=world.clock())
        world.chats["tua"] = "3010"
        await link(session, tua, "3010")
        world.people["tua"] = tua
    world.clock.now = CLASS_TIME
    return world


def code_now(world: World, day: date | None = None, course: str = "law") -> str:
    course_id = world.courses[course].id
    return attendance.issue_code(course_id, day or DAYS[0], world.clock(), settings()).code


async def marks(db: Database) -> list[tuple[int, date, str, str | None, int | None]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(
                AttendanceMark.official_id,
                AttendanceMark.day,
                AttendanceMark.status,
                AttendanceMark.reason,
                AttendanceMark.marked_by_official_id,
            ).order_by(AttendanceMark.official_id, AttendanceMark.day)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def failures(db: Database) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(CheckInFailure)) or 0)


# --- codes -------------------------------------------------------------------------------------


def test_codes_are_short_unambiguous_and_bound_to_course_day_and_slot() -> None:
    s = AttendanceSettings(tz=settings().tz, secret=b"k" * 32)
    at = CLASS_TIME
    code = attendance.issue_code(7, FIRST, at, s)
    assert len(code.code) == 6 and set(code.code) <= set(ALPHABET)
    assert not set(code.code) & set("01OIL")
    assert code.shown == f"{code.code[:3]}-{code.code[3:]}"
    assert code.valid_until.strftime("%H:%M") == "09:20"  # this slot and the next
    assert attendance.issue_code(7, FIRST, at + timedelta(minutes=3), s) == code
    others = {
        attendance.issue_code(8, FIRST, at, s).code,
        attendance.issue_code(7, FIRST + timedelta(days=1), at, s).code,
        attendance.issue_code(7, FIRST, at + timedelta(minutes=10), s).code,
        attendance.issue_code(7, FIRST, at, replace(s, secret=b"x" * 32)).code,
    }
    assert code.code not in others and len(others) == 4
    assert attendance.normalize_code(f" {code.code[:3].lower()}-{code.code[3:]} ") == code.code
    assert attendance.normalize_code("O1IL23") is None
    link = attendance.deep_link_arg(7, code.code)
    assert attendance.parse_deep_link_arg(link) == (7, code.code)
    assert attendance.parse_deep_link_arg("ci_x_ABCDEF") is None


async def test_sessions_skip_weekends_and_holidays_but_keep_the_first_and_last_day(
    db: Database,
) -> None:
    async with db.transaction() as session:
        course = await make_course(
            session, "K-T", starts_on=date(2026, 8, 29), ends_on=date(2026, 9, 5)
        )
        # The first (Sat 29/08) and last (Sat 05/09) days always; Sunday 30/08 and the
        # National Day holiday 02/09 never; the weekdays between unless a public holiday.
        days = attendance.sessions_of(course)
        assert days[0] == date(2026, 8, 29) and days[-1] == date(2026, 9, 5)
        assert date(2026, 8, 30) not in days and date(2026, 9, 2) not in days
        assert date(2026, 9, 3) in days and date(2026, 9, 4) in days


# --- checking in ---------------------------------------------------------------------------


async def test_check_in_then_twice_says_when(world: World, db: Database) -> None:
    an = world.person("an")
    code = code_now(world)
    text = await an.say(f"/diemdanh {code[:3]}-{code[3:]}")
    assert text == ("✅ Anh đã điểm danh khóa K-2026-03, buổi học ngày 08/12/2026, lúc 09:00.")
    world.clock.advance(minutes=4)
    text = await an.say(f"/diemdanh {code}")
    assert text == "Anh đã điểm danh khóa K-2026-03 hôm nay lúc 09:00. Không có gì thay đổi."
    assert await marks(db) == [
        (world.people["an"].id, DAYS[0], "present", None, world.people["an"].id)
    ]


async def test_expired_code_is_refused_and_nothing_written(world: World, db: Database) -> None:
    an = world.person("an")
    code = code_now(world)
    world.clock.advance(minutes=21)  # two slots later
    text = await an.say(f"/diemdanh {code}")
    assert "Mã này hiện không dùng được" in text and "còn 4 lần thử" in text
    assert await marks(db) == []
    assert await failures(db) == 1


async def test_codes_of_another_course_another_day_or_a_future_session_are_refused(
    world: World, db: Database
) -> None:
    an = world.person("an")
    for wrong in (
        code_now(world, DAYS[1]),  # tomorrow's session, shown early
        code_now(world, FIRST - timedelta(days=1)),  # yesterday's
    ):
        text = await an.say(f"/diemdanh {wrong}")
        assert "Mã này hiện không dùng được" in text, wrong
    # Today's code of another course (K-2026-14 also meets today): no seat there, and the
    # answer names neither the course nor anyone in it.
    text = await an.say(f"/diemdanh {code_now(world, course='qlnn')}")
    assert text.startswith("Anh không điểm danh được bằng mã này")
    assert "K-2026-14" not in text
    assert await marks(db) == []
    assert await failures(db) == 2


async def test_a_non_member_learns_nothing_and_nothing_is_written(
    world: World, db: Database
) -> None:
    ha = world.person("ha")  # an admin, but holding no seat
    text = await ha.say(f"/diemdanh {code_now(world)}")
    assert text == (
        "Chị không điểm danh được bằng mã này vì chị không có tên trong danh sách lớp "
        "của mã. Nếu chị được cử đi học khóa này, chị vui lòng liên hệ đơn vị tổ chức "
        "hoặc bộ phận tổ chức cán bộ. Chưa có gì được ghi nhận."
    )
    assert "K-2026-03" not in text and "An" not in text
    assert await marks(db) == [] and await failures(db) == 0


async def test_brute_force_is_paused_per_official(world: World, db: Database) -> None:
    an = world.person("an")
    good = code_now(world)
    wrong = [c for c in ("ABCDEF", "BCDEFG", "CDEFGH", "DEFGHJ", "EFGHJK") if c != good]
    for n, guess in enumerate(wrong[:4]):
        text = await an.say(f"/diemdanh {guess}")
        assert f"còn {4 - n} lần thử" in text
    text = await an.say(f"/diemdanh {wrong[4]}")
    assert text.startswith("Anh đã nhập sai mã quá nhiều lần") and "đến 09:15" in text
    text = await an.say(f"/diemdanh {good}")  # even the right code, while paused
    assert text.startswith("Anh đã nhập sai mã quá nhiều lần")
    assert await marks(db) == []
    # Nhung is not affected by An's guesses.
    assert "✅ Chị đã điểm danh" in await world.person("nhung").say(f"/diemdanh {good}")
    world.clock.advance(minutes=16)
    text = await an.say(f"/diemdanh {code_now(world)}")
    assert text.startswith("✅ Anh đã điểm danh")


async def test_typed_code_after_the_button_and_the_deep_link(world: World, db: Database) -> None:
    an = world.person("an")
    await an.say("/cuatoi")
    await an.press_label("Điểm danh")
    text = await an.say("xyz")
    assert "Đây không phải mã điểm danh" in text
    text = await an.say(code_now(world).lower())
    assert text.startswith("✅ Anh đã điểm danh khóa K-2026-03")
    nhung = world.person("nhung")
    arg = attendance.deep_link_arg(world.courses["law"].id, code_now(world))
    assert (await nhung.say(f"/start {arg}")).startswith("✅ Chị đã điểm danh khóa K-2026-03")
    # A deep link naming another course never checks in to this one.
    forged = attendance.deep_link_arg(world.courses["qlnn"].id, code_now(world))
    assert "Mã này hiện không dùng được" in await world.person("ha").say(f"/start {forged}")
    assert len(await marks(db)) == 2


# --- vắng có lý do -------------------------------------------------------------------------


async def test_excused_absence_from_my_courses(world: World, db: Database) -> None:
    nhung = world.person("nhung")
    await nhung.say("/cuatoi")
    text = await nhung.press_label("Vắng có lý do: K-2026-03")
    assert text == "🙋 Khóa K-2026-03: chị vắng buổi học ngày nào?"
    assert nhung.choices == ["08/12/2026", "09/12/2026", "10/12/2026"]
    text = await nhung.press_label("09/12/2026")
    assert text == "Chị vắng ngày 09/12/2026 vì lý do gì?"
    text = await nhung.press_label("Đi công tác")
    assert text.startswith("Đã ghi nhận: chị vắng có lý do (đi công tác) ngày 09/12/2026")
    await nhung.say("/cuatoi")
    await nhung.press_label("Vắng có lý do: K-2026-03")
    await nhung.press_label("10/12/2026")
    await nhung.press_label("Lý do khác")
    text = await nhung.say("Họp Hội đồng nhân dân xã")
    assert "(Họp Hội đồng nhân dân xã) ngày 10/12/2026" in text
    nhung_id = world.people["nhung"].id
    assert await marks(db) == [
        (nhung_id, DAYS[1], "excused", "work", nhung_id),
        (nhung_id, DAYS[2], "excused", "other", nhung_id),
    ]
    # Someone else's seat, a day that is no session: the button changes nothing.
    an = world.person("an")
    law = world.courses["law"].id
    for forged in (f"exc:{world.courses['qlnn'].id}:20261208:sick", f"exc:{law}:20261206:sick"):
        assert "không còn hiệu lực" in await an.press(forged)
    assert len(await marks(db)) == 2


async def test_organiser_marks_excused_and_others_may_not(world: World, db: Database) -> None:
    async with db.transaction() as session:
        ha = await session.get(Official, world.people["ha"].id)
        tua = await session.get(Official, world.people["tua"].id)
        assert ha is not None and tua is not None
        for by, expected in ((tua, Excuse.NOT_ALLOWED), (ha, Excuse.MARKED)):
            outcome = await attendance.mark_excused(
                session,
                course_id=world.courses["law"].id,
                official_id=world.people["an"].id,
                day=DAYS[2],
                reason=Reason.SICK,
                note=None,
                by=by,
                now=world.clock(),
            )
            assert outcome is expected
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == attendance.AUDIT_EXCUSED)
        )
        assert entry is not None and entry.actor_official_id == ha.id
    assert await marks(db) == [(world.people["an"].id, DAYS[2], "excused", "sick", ha.id)]


# --- the organiser and closing -------------------------------------------------------------


async def _attend(world: World, who: str, days: tuple[date, ...]) -> None:
    for day in days:
        world.clock.now = CLASS_TIME.replace(day=day.day)
        text = await world.person(who).say(f"/diemdanh {code_now(world, day)}")
        assert text.startswith("✅"), text


async def test_close_roster_writes_records_and_yeucau_turns_done(
    world: World, db: Database
) -> None:
    ha = world.person("ha")
    await ha.say("/quantri")
    await ha.press_label("Điểm danh")
    text = await ha.press_label("K-2026-03")
    assert "Buổi học ngày 08/12/2026. Mã điểm danh: " in text and "(dùng được đến 09:20)" in text
    assert "Đã điểm danh hôm nay: 0/2 học viên." in text
    assert ha.choices[:3] == ["🔄 Mã mới", "👥 Danh sách điểm danh", "✅ Chốt danh sách"]
    (qr,) = [a for r in ha.last for a in r.attachments]
    assert qr.is_image and qr.mime_type == "image/png" and not qr.personal

    await _attend(world, "an", DAYS)
    await _attend(world, "nhung", DAYS[:2])
    async with db.transaction() as session:
        nhung = await session.get(Official, world.people["nhung"].id)
        assert nhung is not None
        await attendance.mark_excused(
            session,
            course_id=world.courses["law"].id,
            official_id=nhung.id,
            day=DAYS[2],
            reason=Reason.FAMILY,
            note=None,
            by=nhung,
            now=world.clock(),
        )
    law = world.courses["law"].id
    world.clock.now = CLASS_TIME.replace(day=10, hour=9)  # 16:00 on the last day
    text = await ha.press(f"att:roster:{law}")
    assert "3 buổi học, 2 học viên, 1 người có mặt đủ các buổi." in text
    assert (
        "Lò Thị Nhung (DB000002): có mặt 2/3 buổi; vắng có lý do: 10/12/2026 (việc gia đình)"
        in text
    )
    assert "Nguyễn Văn An (DB000001): có mặt 3/3 buổi" in text
    text = await ha.press(f"att:close:{law}")
    assert text.startswith("Chốt danh sách khóa K-2026-03? Học viên có mặt đủ tất cả các buổi (1/2")
    text = await ha.press(f"att:close:{law}:y")
    assert "Đã chốt danh sách: 1 người hoàn thành, 1 người vắng." in text
    text = await ha.press(f"att:close:{law}:y")  # again: the same counts, nothing changes
    assert "1 người hoàn thành, 1 người vắng" in text and "Không có gì thay đổi" in text

    async with db.transaction() as session:
        regs = dict(
            (
                await session.execute(
                    select(Registration.official_id, Registration.status).where(
                        Registration.course_id == law
                    )
                )
            ).all()
        )
        records = list(
            await session.scalars(
                select(TrainingRecord).where(TrainingRecord.program_code == "K-2026-03")
            )
        )
        closes = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == attendance.AUDIT_CLOSE)
        )
    assert regs == {
        world.people["an"].id: RegStatus.COMPLETED,
        world.people["nhung"].id: RegStatus.ABSENT,
    }
    assert [(r.official_id, r.periods, r.completed_on) for r in records] == [
        (world.people["an"].id, 16, DAYS[2])
    ]
    assert closes == 1
    text = await world.person("an").say("/yeucau")
    assert "✅ Cập nhật kiến thức pháp luật hằng năm — hoàn thành 10/12/2026" in text
    # Closed: no more check-ins or excuses for the course.
    nhung_text = await world.person("nhung").say(f"/diemdanh {code_now(world, DAYS[2])}")
    assert not nhung_text.startswith("✅")


async def test_close_before_the_last_day_and_by_others_changes_nothing(
    world: World, db: Database
) -> None:
    law = world.courses["law"].id
    async with db.transaction() as session:
        ha = await session.get(Official, world.people["ha"].id)
        tua = await session.get(Official, world.people["tua"].id)
        assert ha is not None and tua is not None
        early = await attendance.close_roster(
            session, admin=ha, course_id=law, now=world.clock(), tz=settings().tz
        )
        assert early.outcome is Close.NOT_OVER
        other = await attendance.close_roster(
            session,
            admin=tua,
            course_id=law,
            now=world.clock() + timedelta(days=3),
            tz=settings().tz,
        )
        assert other.outcome is Close.NOT_ALLOWED
    async with db.transaction() as session:
        assert await session.get(attendance.RosterClosure, law) is None


async def test_forged_and_foreign_organiser_buttons(world: World, db: Database) -> None:
    law = world.courses["law"].id
    tua, an = world.person("tua"), world.person("an")
    for button in (f"att:code:{law}", f"att:roster:{law}", f"att:close:{law}:y", "att:code:999999"):
        assert "không còn hiệu lực" in await tua.press(button), button
    for button in (f"att:code:{law}", f"att:close:{law}:y", "att:menu"):
        assert "dành cho cán bộ tổ chức" in await an.press(button), button
    world.clock.advance(days=3)
    assert "không còn hiệu lực" in await tua.press(f"att:close:{law}:y")
    async with db.transaction() as session:
        assert await session.get(attendance.RosterClosure, law) is None
        statuses = set(
            await session.scalars(select(Registration.status).where(Registration.course_id == law))
        )
    assert statuses == {RegStatus.CONFIRMED}


# --- over the fake Telegram server ---------------------------------------------------------


@pytest.fixture
async def telegram_app(fake: FakeBotApi, world: World) -> AsyncIterator[Application]:
    dispatcher = make_dispatcher(world.db, world.clock)
    app = build_application(settings_for(fake, world.db), dispatcher)
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_qr_photo_and_check_in_over_telegram(
    fake: FakeBotApi, world: World, telegram_app: Application
) -> None:
    ha_chat, an_chat = int(world.chats["ha"]), int(world.chats["an"])
    fake.push_text(ha_chat, "/quantri")
    (menu,) = await fake.wait_sent(ha_chat, 1)
    fake.push_callback(ha_chat, menu.message_id, f"att:code:{world.courses['law'].id}")
    await fake.wait_for(lambda: any(m.photo for m in fake.sent_to(ha_chat)))
    photo = next(m for m in fake.sent_to(ha_chat) if m.photo)
    assert photo.photo is not None
    code = code_now(world)
    link = f"https://t.me/troly_test_bot?start=ci_{world.courses['law'].id}_{code}"
    expected = io.BytesIO()
    segno.make(link, error="m").save(expected, kind="png", scale=8, border=2)
    assert photo.photo[1] == expected.getvalue()  # the QR encodes the deep link
    fake.push_text(an_chat, f"/start ci_{world.courses['law'].id}_{code}")
    sent = await fake.wait_sent(an_chat, 1)
    assert (sent[0].text or "").startswith("✅ Anh đã điểm danh khóa K-2026-03")


async def test_check_in_by_typing_on_zalo(db: Database) -> None:
    """Zalo has no QR deep link into the chat: the code is typed, after "Điểm danh" (a
    numbered choice) or after /diemdanh."""
    world = await build_world(db, channel="zalo")
    async with db.transaction() as session:
        an_official = await session.get(Official, world.people["an"].id)
        assert an_official is not None
        seat = await registrations.register(
            session, world.courses["law"].id, an_official, today=TODAY, now=NOW
        )
        assert seat.outcome is registrations.Outcome.CONFIRMED
    world.clock.now = CLASS_TIME
    an = world.person("an")
    await an.say("/cuatoi")
    await an.press_label("Điểm danh")
    text = await an.say(code_now(world))
    assert text.startswith("✅ Anh đã điểm danh khóa K-2026-03, buổi học ngày 08/12/2026")
    assert await marks(db) == [
        (world.people["an"].id, DAYS[0], "present", None, world.people["an"].id)
    ]


# --- hostile and careless users --------------------------------------------------------


async def test_stale_excuse_buttons_of_a_cancelled_course_change_nothing(
    world: World, db: Database
) -> None:
    """Nhung keeps the "which day" and "which reason" messages; the course is then
    cancelled (her seat row stays as it was): the old buttons record no absence."""
    from models.courses.catalogue import Course, CourseStatus

    law = world.courses["law"].id
    nhung = world.person("nhung")
    async with db.transaction() as session:
        course = await session.get(Course, law)
        assert course is not None
        course.status = CourseStatus.CANCELLED
    for button in (f"exc:{law}", f"exc:{law}:20261209", f"exc:{law}:20261209:sick"):
        assert "không còn hiệu lực" in await nhung.tap(button), button
    await nhung.tap(f"exc:{law}:20261210:other")
    assert "không còn hiệu lực" in nhung.text
    assert await marks(db) == []


async def test_an_organiser_whose_role_is_revoked_mid_dialog_is_refused(
    world: World, db: Database
) -> None:
    law = world.courses["law"].id
    ha = world.person("ha")
    assert "K-2026-03" in await ha.tap(f"att:code:{law}")
    async with db.transaction() as session:
        official = await session.get(Official, world.people["ha"].id)
        assert official is not None
        await admins.revoke(session, official, world.units["root"], actor="t", now=world.clock())
    for button in (f"att:code:{law}", f"att:roster:{law}", f"att:close:{law}:y", "att:menu"):
        text = await ha.tap(button)
        assert "dành cho cán bộ tổ chức" in text and "K-2026-03" not in text, button
