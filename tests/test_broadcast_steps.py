"""Issue #17, point 8: the broadcast steps — the real quiet hours in the preview, free-text
steps that ignore earlier choices, a course typed by code or words, numbers on buttons."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.db import Database
from bot.dispatch import Dispatcher
from locales import use_locale
from models.courses.catalogue import Course, build_search_text
from models.notices import broadcasts
from models.notices.send_window import SendWindow
from tests.test_broadcast_e2e import DAY, setup
from tests.transcript import Clock, Person

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _admin(db: Database, window: SendWindow) -> Person:
    settings = Settings(telegram_bot_username="troly_test_bot", send_window=window)
    return Person(Dispatcher(db=db, settings=settings, clock=Clock(now=DAY)), "6006")


async def _to_preview(admin: Person, *, urgent: bool = False) -> str:
    await admin.say("/thongbao")
    await admin.press("bc:aud:all")
    await admin.say("Họp giao ban.")
    await admin.press("bc:course:none")
    if urgent:
        await admin.press("bc:urgent")
    return admin.text


async def test_preview_states_the_configured_quiet_hours_or_none(db: Database) -> None:
    await setup(db)
    late = _admin(db, SendWindow(tz=TZ, quiet=(time(22), time(6))))
    text = await _to_preview(late)
    assert "không gửi từ 22:00 đến 06:00" in text, text
    assert "21:00" not in text
    assert "22:00–06:00" in await _to_preview(late, urgent=True)
    off = _admin(db, SendWindow(tz=TZ, quiet=None))
    text = await _to_preview(off)
    assert "Không đặt giờ nghỉ" in text, text
    assert "21:00" not in text


async def test_a_typed_number_at_a_free_text_step_is_not_an_old_choice(db: Database) -> None:
    admin, _staff = await setup(db)
    await admin.say("/thongbao")
    assert admin.values[0] == "bc:aud:all"  # "1" would have been "everyone"
    await admin.press("bc:aud:unit")
    reply = await admin.say("1")
    assert "Không có đơn vị nào" in reply and "“1”" in reply, reply
    # Choices the step itself offers can still be picked by number (Zalo, console).
    reply = await admin.say("n")  # a letter of every unit's name
    assert "Có nhiều đơn vị khớp" in reply, reply
    second = admin.choices[1]
    reply = await admin.say("2")
    assert f"Người nhận: {second}." in reply, reply
    # The announcement text "1" is the announcement, not the earlier list's first unit.
    await admin.say("1")
    assert "Đính kèm một khóa học" in admin.text, admin.text


async def test_course_step_takes_a_typed_code_or_words(db: Database) -> None:
    admin, _staff = await setup(db)
    async with db.transaction() as session:
        for i in range(12):  # later than the ten soonest shown as buttons
            session.add(
                Course(
                    code=f"K-2027-{i:02}",
                    title=f"Bồi dưỡng chuyên đề số {i}" if i < 11 else "Kỹ năng lãnh đạo cấp xã",
                    kind="chuyen_de",
                    organiser="Sở Nội vụ",
                    place="Hội trường",
                    starts_on=date(2027, 1, 5) + timedelta(days=i),
                    ends_on=date(2027, 1, 6) + timedelta(days=i),
                    periods=8,
                    capacity=50,
                    registration_closes_on=date(2026, 12, 30),
                    # what the course import writes, so /khoahoc's search finds it
                    search_text=build_search_text([f"K-2027-{i:02}", "Kỹ năng lãnh đạo cấp xã"])
                    if i == 11
                    else "",
                )
            )
    await admin.say("/thongbao")
    await admin.press("bc:aud:all")
    await admin.say("Mời đăng ký.")
    assert not any("K-2027-10" in c for c in admin.choices)  # not among the soonest
    reply = await admin.say("k-2027-10")
    assert "Xem trước" in reply and "K-2027-10" in reply, reply
    await admin.say("/thongbao")
    await admin.press("bc:aud:all")
    await admin.say("Mời đăng ký.")
    reply = await admin.say("ky nang lanh dao")  # words, without diacritics
    assert "Xem trước" in reply and "K-2027-11" in reply, reply


def test_numbers_on_the_report_buttons_are_formatted_like_the_text() -> None:
    from bot.broadcast_progress import _choices  # here: the module's other tests need none

    broadcast = broadcasts.Broadcast(id=7, state=broadcasts.DONE)
    progress = broadcasts.Progress(
        total=5000, pending=0, sent=1, stopped=0, failed=4999, blocked=0, not_linked=0
    )
    with use_locale("vi"):
        labels = [c.label for c in _choices(broadcast, progress)]
    assert "Gửi lại cho 4.999 người chưa nhận được" in labels, labels
