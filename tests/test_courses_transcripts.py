"""Journey 3 as transcripts through the real dispatcher, on SQLite and PostgreSQL:
browse → search → card → register (.ics) → /cuatoi → cancel → waitlist promotion, and the
bad inputs (stale, forged, ineligible, twice)."""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, update

from bot.db import Database
from models.courses import registrations
from models.courses.catalogue import Course
from models.courses.registrations import Registration
from tests.courses_world import NOW, TODAY, World, build_world, register
from tests.transcript import telegram_only


@pytest.fixture
async def world(db: Database, channel: str) -> World:
    return await build_world(db, channel)


async def test_browse_pages_in_place_and_filters(world: World) -> None:
    an = world.person("an")
    text = await an.say("/khoahoc")
    assert text.startswith("📚 Khóa học sắp mở — 6 khóa, trang 1/1")
    assert "K-2026-14 · Bồi dưỡng kiến thức quản lý nhà nước ngạch chuyên viên" in text
    assert "🗓 08/12/2026 · Trường Chính trị tỉnh Điện Biên · còn 30 chỗ" in text
    assert "K-2026-23" not in text  # cancelled courses are not listed
    assert an.choices[-3:] == ["🔎 Tìm kiếm", "🗂 Theo loại", "⭐ Phù hợp với tôi"]
    await an.press("kinds")
    assert an.last[0].replace
    assert "Quản lý nhà nước (QLNN)" in an.choices
    text = await an.press_label("Quản lý nhà nước")
    assert an.last[0].replace
    assert text.startswith("📚 Khóa học sắp mở: Quản lý nhà nước (QLNN) — 1 khóa")
    # "Phù hợp với tôi": An owes this year's law update, not political theory.
    text = await an.press("page:fit:1")
    assert "K-2026-03" in text and "K-2027-01" not in text
    assert "⭐ K-2026-03" in text


async def test_pagination_edits_the_list(world: World) -> None:
    an = world.person("an")
    from handlers import courses as handler

    handler.PAGE_SIZE, old = 2, handler.PAGE_SIZE
    try:
        text = await an.say("/khoahoc")
        assert "trang 1/3" in text and "Trang sau ▶️" in an.choices
        text = await an.press_label("Trang sau")
        assert "trang 2/3" in text and an.last[0].replace
        assert "Trang trước" in " ".join(an.choices)
    finally:
        handler.PAGE_SIZE = old


@pytest.mark.parametrize(
    "query",
    [
        "quan ly nha nuoc",
        "QLNN",
        "Quản lý nhà nước",
        "quản lý nhà nước",
        unicodedata.normalize("NFD", "Quản lý nhà nước"),
        "khoa hoc quan ly nha nuoc",
        "tìm lớp QLNN",
    ],
)
async def test_free_text_search_finds_state_management(world: World, query: str) -> None:
    text = await world.person("an").say(query)
    assert "K-2026-14" in text
    assert "K-2026-03" not in text


async def test_search_dialog_and_abbreviations(world: World) -> None:
    an = world.person("an")
    text = await an.say("tìm khóa học")
    assert "gõ vài từ trong tên khóa học" in text
    text = await an.say("QP-AN")
    assert "K-2026-20" in text and "K-2026-14" not in text
    # The same courses; only the header differs, showing each query as typed.
    assert (await an.say("qpan")).splitlines()[1:] == text.splitlines()[1:]
    text = await an.say("/khoahoc LLCT")
    assert "K-2027-01" in text
    text = await an.say("/khoahoc khong co khoa nay")
    assert "Chưa có khóa học sắp mở nào khớp" in text


async def test_register_cancel_and_calendar(world: World, db: Database) -> None:
    an = world.person("an")
    course = world.courses["qlnn"]
    await an.say("/khoahoc")
    text = await an.press(f"crs:{course.id}")
    assert "📚 K-2026-14 · Bồi dưỡng kiến thức quản lý nhà nước ngạch chuyên viên" in text
    assert "🗓 Thời gian: 08/12/2026 – 19/12/2026 (280 tiết)" in text
    assert "⏰ Hạn đăng ký: 01/12/2026" in text
    assert "👥 Đối tượng: công chức" in text
    text = await an.press_label("Đăng ký")
    assert text == (
        "Anh xác nhận đăng ký khóa K-2026-14 · Bồi dưỡng kiến thức quản lý nhà "
        "nước ngạch chuyên viên, khai giảng 08/12/2026?"
    )
    confirm = next(v for v in an.values if v.startswith("reg:"))
    text = await an.press_label("Xác nhận")
    assert text.startswith(
        "Anh đã đăng ký khóa K-2026-14. Khóa khai giảng ngày 08/12/2026; "
        "anh có thể hủy đăng ký đến hết ngày 01/12/2026."
    )
    attachment = an.last[0].attachments[0]
    assert attachment.mime_type == "text/calendar"
    assert attachment.summary is not None and "08/12/2026" in attachment.summary
    event = Calendar.from_ical(attachment.content).walk("VEVENT")[0]
    assert str(event["UID"]).startswith(f"course-{course.id}-reg-")
    # The course gives no daily hours: all-day, never an invented 07:30–17:00 (issue #12).
    assert event.decoded("DTSTART") == date(2026, 12, 8)
    assert event.decoded("DTEND") == date(2026, 12, 20)
    assert "K-2026-14" in str(event["SUMMARY"])
    if an.channel == "telegram":
        # Pressing "Xác nhận" again (an old message, a second phone) changes nothing. Zalo
        # has no old buttons: only the numbers of the last answer count.
        text = await an.tap(confirm)
        assert "không còn hiệu lực" in text
    text = await an.say("/cuatoi")
    assert "✅ đã đăng ký · khai giảng 08/12/2026 · hủy được đến 01/12/2026" in text
    text = await an.press_label("Hủy K-2026-14")
    assert "muốn hủy đăng ký khóa K-2026-14?" in text
    text = await an.press_label("Đồng ý hủy")
    assert text.startswith("Anh đã hủy đăng ký khóa K-2026-14.")
    assert (await world.course("K-2026-14")).seats_taken == 0
    async with db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(Registration))
    assert count == 1  # the cancelled row stays, for re-registration and history


@telegram_only  # presses buttons it was never shown, as shortcuts
async def test_waitlist_and_promotion(world: World, db: Database) -> None:
    law = world.courses["law"]  # two seats
    an, nhung, ha = world.person("an"), world.person("nhung"), world.person("ha")
    await register(ha, law.id)
    await register(nhung, law.id)
    text = await an.press(f"crs:{law.id}")
    assert "🪑 Số chỗ: đã đủ chỗ (tổng 2)" in text and "⏳ Vào danh sách chờ" in an.choices
    text = await an.press_label("Vào danh sách chờ")
    assert "Khóa K-2026-03 · Cập nhật kiến thức pháp luật năm 2026 đã đủ chỗ." in text
    text = await an.press_label("Xác nhận")
    assert text.startswith("Khóa K-2026-03 đã đủ chỗ nên anh đã vào danh sách chờ, vị trí 1.")
    assert (await an.say("/cuatoi")).count("⏳ danh sách chờ, vị trí 1") == 1
    text = await nhung.press(f"unreg:{law.id}:y")
    assert text.startswith("Chị đã hủy đăng ký khóa K-2026-03.")
    assert "🟢 Anh đã đăng ký khóa học này." in await an.press(f"crs:{law.id}")
    async with db.transaction() as session:
        pending = await registrations.pending_promotions(session)
        assert [(o.employee_code, c.code) for _r, c, o in pending] == [("DB000001", "K-2026-03")]
        await registrations.mark_promotion_notified(session, [pending[0][0].id], world.clock())
    async with db.transaction() as session:
        assert await registrations.pending_promotions(session) == []


@telegram_only  # presses buttons it was never shown, as shortcuts
async def test_requirements_show_in_progress_registration(world: World) -> None:
    an = world.person("an")
    assert "⏳" not in await an.say("/yeucau")
    await register(an, world.courses["law"].id)
    text = await an.say("/yeucau")
    assert (
        "⏳ Cập nhật kiến thức pháp luật hằng năm — đã đăng ký khóa K-2026-03, khai giảng "
        "08/12/2026"
    ) in text


@telegram_only
async def test_bad_buttons_change_nothing(world: World, db: Database) -> None:
    an, nhung = world.person("an"), world.person("nhung")
    c = world.courses
    assert "không còn hiệu lực" in await an.press("reg:999999:y")
    assert "không còn hiệu lực" in await an.press("reg:abc")
    assert "không còn hiệu lực" in await an.press("crs:1:2:3:4x")
    text = await register(an, c["cancelled"].id)
    assert text == "Khóa K-2026-23 đã bị hủy. Không có gì thay đổi."
    text = await an.press(f"reg:{c['closed'].id}")
    assert text == "Khóa K-2026-22 đã hết hạn đăng ký (hạn 25/11/2026). Không có gì thay đổi."
    text = await register(an, c["commune"].id)
    assert text == (
        "Khóa K-2026-21 không dành cho anh: khóa dành cho CBCCVC cấp "
        "xã, còn anh làm việc ở cấp tỉnh. Không có gì thay đổi."
    )
    text = await register(nhung, c["qpan"].id)
    assert text.startswith("Khóa K-2026-20 không dành cho chị:")
    text = await an.press(f"unreg:{c['qlnn'].id}:y")
    assert text == "Anh chưa đăng ký khóa K-2026-14, nên không có gì để hủy."
    # After the deadline a seat can no longer be given back from the chat.
    await register(an, c["qlnn"].id)
    world.clock.advance(days=6)
    text = await an.press(f"unreg:{c['qlnn'].id}")
    assert text.startswith("Khóa K-2026-14 đã hết hạn hủy đăng ký (hạn 01/12/2026)")
    async with db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(Registration))
    assert count == 1


@telegram_only
async def test_unlinked_sender_sees_nothing(world: World) -> None:
    from tests.transcript import Person, make_dispatcher

    stranger = Person(make_dispatcher(world.db, world.clock), "999")
    text = await register(stranger, world.courses["qlnn"].id)
    assert "phải liên kết" in text or "liên kết" in text
    assert "K-2026-14" not in text


@telegram_only  # presses buttons it was never shown, as shortcuts
async def test_no_promotion_after_registration_closes(world: World, db: Database) -> None:
    law = world.courses["law"]
    for who in ("ha", "nhung", "an"):
        await register(world.person(who), law.id)
    async with db.transaction() as session:
        await session.execute(update(Course).where(Course.id == law.id).values(capacity=3))
        late = await registrations.promote_waitlist(
            session, law.id, today=TODAY + timedelta(days=6), now=NOW
        )
        started = await registrations.promote_waitlist(
            session, law.id, today=law.starts_on, now=NOW
        )
        in_time = await registrations.promote_waitlist(session, law.id, today=TODAY, now=NOW)
    assert late == [] and started == []
    assert [r.official_id for r in in_time] == [world.people["an"].id]
