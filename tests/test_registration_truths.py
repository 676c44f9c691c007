"""What the bot tells an official about a registration is true (issue #12, point 9).

The race: 60 officials press "Xác nhận" at once for 30 seats, each update on its own
transaction, with a real (ticking) clock, so the moment each update starts is not the order
in which it gets the course row. The waitlist positions they are told must be exactly
1..30, each once, on SQLite (several engines, as several processes) and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component
from sqlalchemy import select

from bot.config import DEFAULT_TIMEZONE
from bot.db import Database
from handlers.types import Attachment, safe_file_name
from models.courses.calendar import course_ics
from models.courses.catalogue import Course
from models.notices import outbox
from models.notices.outbox import Notice
from models.notices.planning import PlanningSettings, plan_course_notices
from models.org.officials import Official
from models.requirements.store import ensure_default_catalogue
from tests.courses_world import NOW, build_world, link, make_course, register
from tests.factories import small_province
from tests.transcript import Person, make_dispatcher

SEATS = 30
PEOPLE = 60
TZ = ZoneInfo(DEFAULT_TIMEZONE)


@dataclass
class TickingClock:
    """Every read is a microsecond later than the one before, like the system clock."""

    now: datetime = NOW
    _ticks: itertools.count[int] = field(default_factory=itertools.count)

    def __call__(self) -> datetime:
        return self.now + timedelta(microseconds=next(self._ticks))


async def _crowd(db: Database) -> tuple[int, list[str]]:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        course = await make_course(session, "K-2026-60", capacity=SEATS)
        session.add_all(
            Official(
                employee_code=f"R{n:05d}",
                full_name=f"Trần Văn {n}",
                category="cong_chuc",
                unit_id=units["tccb"].id,
                level="province",
                languages=[],
            )
            for n in range(PEOPLE)
        )
        await session.flush()
        chats = []
        for official in await session.scalars(
            select(Official).where(Official.employee_code.like("R%")).order_by(Official.id)
        ):
            chats.append(f"r{official.id}")
            await link(session, official, chats[-1])
    return course.id, chats


async def test_sixty_for_thirty_are_told_distinct_positions(db: Database) -> None:
    course_id, chats = await _crowd(db)
    clock = TickingClock()
    extra = [Database(db.url) for _ in range(3)] if db.dialect == "sqlite" else []
    dispatchers = [make_dispatcher(d, clock) for d in (db, *extra)]  # type: ignore[arg-type]
    try:
        people = [Person(dispatchers[n % len(dispatchers)], c) for n, c in enumerate(chats)]
        for p in people:
            await p.press(f"reg:{course_id}")
        confirms = [next(v for v in p.values if v.startswith(f"reg:{course_id}:y")) for p in people]
        await asyncio.gather(*(p.press(v) for p, v in zip(people, confirms, strict=True)))
        texts = [p.text for p in people]
    finally:
        for d in extra:
            await d.dispose()
    seated = [t for t in texts if t.startswith("Anh/chị đã đăng ký khóa K-2026-60.")]
    waiting = [t for t in texts if "danh sách chờ" in t]
    assert len(seated) == SEATS and len(waiting) == PEOPLE - SEATS
    told = sorted(int(t.split("vị trí ")[1].split(" ")[0].rstrip(".,")) for t in waiting)
    assert told == list(range(1, PEOPLE - SEATS + 1))


# --- the calendar file says only what the course says --------------------------------------


def _course(**fields: object) -> Course:
    values: dict[str, object] = {
        "id": 7,
        "code": "K/2026 14",
        "status": "open",
        "starts_on": date(2026, 12, 14),
        "ends_on": date(2026, 12, 18),
        "daily_starts_at": None,
        "daily_ends_at": None,
    }
    values.update(fields)
    return Course(**values)


def _events(course: Course) -> list[Component]:
    raw = course_ics(
        course, 3, now=NOW, tz=TZ, summary="K · Khóa", location="Hội trường", description="…"
    )
    return list(Calendar.from_ical(raw).walk("VEVENT"))


def test_a_five_day_course_with_hours_has_one_event_per_day() -> None:
    events = _events(_course(daily_starts_at=time(7, 30), daily_ends_at=time(11, 30)))
    assert len(events) == 5
    for n, event in enumerate(events):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        assert start == datetime(2026, 12, 14 + n, 7, 30, tzinfo=TZ)
        assert end == datetime(2026, 12, 14 + n, 11, 30, tzinfo=TZ)
    assert len({str(e["uid"]) for e in events}) == 5


def test_a_course_without_hours_is_all_day_never_running_through_nights() -> None:
    (event,) = _events(_course())
    assert event.decoded("dtstart") == date(2026, 12, 14)  # a DATE, not a datetime
    assert not isinstance(event.decoded("dtstart"), datetime)
    assert event.decoded("dtend") == date(2026, 12, 19)  # exclusive: the 18th included


def test_attachment_names_carry_no_unsafe_characters() -> None:
    assert safe_file_name("K/2026 14.ics") == "K-2026-14.ics"
    assert safe_file_name("Khóa Đặc biệt.xlsx") == "Khoa-Dac-biet.xlsx"
    assert "/" not in safe_file_name("../../etc/passwd")
    assert not safe_file_name(".ics").startswith(".")
    shown = Attachment(file_name="a\\b:c*d?.ics", content=b"", mime_type="text/calendar")
    assert shown.file_name == "a-b-c-d.ics"


# --- the list and the promoted waitlister -----------------------------------------------


async def test_a_closed_course_is_marked_closed_in_the_list(db: Database) -> None:
    world = await build_world(db)
    text = await world.person("an").say("/khoahoc")
    closed = next(line for line in text.splitlines() if "K-2026-22" in line)
    following = text.splitlines()[text.splitlines().index(closed) + 1]
    assert "đã hết hạn đăng ký" in following
    law = text.splitlines()[
        text.splitlines().index(next(x for x in text.splitlines() if "K-2026-03" in x)) + 1
    ]
    assert "hết hạn" not in law


async def test_the_promoted_waitlister_gets_the_calendar_file(db: Database) -> None:
    world = await build_world(db)
    law = world.courses["law"]  # two seats
    an, nhung, ha = (world.person(p) for p in ("an", "nhung", "ha"))
    for p in (an, ha):
        await register(p, law.id)
    waiting = await register(nhung, law.id)
    assert "vị trí 1" in waiting and "tính đến hôm nay (26/11/2026)" in waiting
    assert "người còn nợ yêu cầu bồi dưỡng này được xếp trước" in waiting
    await an.tap(f"unreg:{law.id}")
    await an.press_label("Đồng ý hủy")
    async with db.transaction() as session:
        await plan_course_notices(session, now=NOW, settings=PlanningSettings(tz=TZ))
        notice = await session.scalar(select(Notice).where(Notice.kind == outbox.WAITLIST_PROMOTED))
    assert notice is not None and notice.choices == [["📅 Tệp lịch", f"ics:{law.id}"]]
    await nhung.press(f"ics:{law.id}")
    (attachment,) = nhung.last[0].attachments
    assert attachment.file_name == "K-2026-03.ics"
    assert b"BEGIN:VEVENT" in attachment.content
    # Someone without a seat gets no calendar for it.
    await an.press(f"ics:{law.id}")
    assert not an.last[0].attachments


# --- one transcript through the real python-telegram-bot stack --------------------------

TELEGRAM_USER = 5550077


async def test_search_register_and_calendar_over_telegram(db: Database) -> None:
    """Search with the other spelling, the official's words in the header, register, and
    the .ics as a sendDocument upload: safe name, one event per day at the course's hours."""
    from dataclasses import replace as replaced

    from bot.channels.telegram import build_application
    from bot.config import Settings
    from tests.factories import make_official
    from tests.fake_bot_api import FakeBotApi
    from tests.transcript import make_dispatcher

    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        await make_official(session, units["tccb"])
        await make_course(
            session,
            "K/2026 30",
            title="Bồi dưỡng kiến thức quản lý nhà nước",
            kind="quan_ly_nha_nuoc",
            starts_on=date(2026, 12, 14),
            ends_on=date(2026, 12, 16),
            daily_starts_at=time(7, 30),
            daily_ends_at=time(11, 0),
        )
    fake = await FakeBotApi(max_poll_wait=1.0).start()
    settings = replaced(
        Settings(),
        database_url=db.url,
        telegram_token="123456:TEST-TOKEN",
        telegram_api_base_url=fake.base_url,
        telegram_file_base_url=fake.base_file_url,
    )
    app = build_application(settings, make_dispatcher(db))
    user = TELEGRAM_USER

    def texts() -> str:
        return "\n".join(m.text or "" for m in fake.sent_to(user))

    try:
        async with app:
            await app.post_init(app)  # type: ignore[misc]
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=1)
            try:
                fake.push_contact(user, "+84912000001", user)
                await fake.wait_for(lambda: "Liên kết thành công" in texts())
                fake.push_text(user, "/khoahoc quản lí nhà nước")
                await fake.wait_for(lambda: "“quản lí nhà nước”" in texts())
                listing = fake.last_sent(user)
                assert "K/2026 30" in (listing.text or "")
                fake.push_callback(user, listing.message_id, listing.callback_data("1"))
                await fake.wait_for(lambda: "Đăng ký" in str(fake.last_sent(user).reply_markup))
                card = fake.last_sent(user)
                fake.push_callback(user, card.message_id, card.callback_data("Đăng ký"))
                await fake.wait_for(lambda: "Xác nhận" in str(fake.last_sent(user).reply_markup))
                ask = fake.last_sent(user)
                fake.push_callback(user, ask.message_id, ask.callback_data("Xác nhận"))
                await fake.wait_for(lambda: any(m.document for m in fake.sent_to(user)))
            finally:
                await app.updater.stop()
                await app.stop()
    finally:
        await fake.stop()
    document = next(m for m in fake.sent_to(user) if m.document)
    assert document.document is not None
    name, content = document.document
    assert name == "K-2026-30.ics"
    events = list(Calendar.from_ical(content).walk("VEVENT"))
    assert [e.decoded("dtstart").isoformat() for e in events] == [
        "2026-12-14T07:30:00+07:00",
        "2026-12-15T07:30:00+07:00",
        "2026-12-16T07:30:00+07:00",
    ]
    assert all(e.decoded("dtend").hour == 11 for e in events)


async def test_the_course_file_gives_the_daily_hours(db: Database) -> None:
    from locales import use_locale
    from models.imports.courses import COURSES

    header = (
        "Mã khóa học,Tên khóa học,Loại bồi dưỡng,Đơn vị tổ chức,Ngày khai giảng,"
        "Ngày bế giảng,Số chỗ,Giờ học\n"
    )
    good = (
        header + "K-2027-08,QLNN,QLNN,Trường Chính trị tỉnh,08/03/2027,12/03/2027,40,7h30 – 11h\n"
    )
    bad = header + "K-2027-09,QLNN,QLNN,Trường Chính trị tỉnh,08/03/2027,12/03/2027,40,sáng\n"
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        await small_province(session)
        with use_locale("vi"):
            plan = await COURSES.plan(session, "k.csv", good.encode(), today=NOW.date())
            await COURSES.apply(session, plan, actor="test", now=NOW, skip_bad_rows=False)
            refused = await COURSES.plan(session, "k.csv", bad.encode(), today=NOW.date())
            report = COURSES.format_plan_report(refused)
        course = await session.scalar(select(Course).where(Course.code == "K-2027-08"))
    assert course is not None
    assert (course.daily_starts_at, course.daily_ends_at) == (time(7, 30), time(11, 0))
    assert not refused.ok and "“sáng” không phải khung giờ học hợp lệ" in report
