"""HR's whole year (#16) over the real python-telegram-bot stack and the fake Bot API server,
on a small province (tests/plan_world.py): the plan and a quota from /kehoach, a nomination
and one over the quota, the official's confirmation from the notice the real outbox sender
delivers, check-in on each course day by the QR's deep link and /diemdanh (an expired code
and another course's code refused), closing the roster, the evaluation invitation and the
questionnaire answered with buttons, /chungnhan and its PDF, /xacminh by an unlinked user
(a forged code refused), and the year-end report counting the completion. One FakeBotApi,
one Application, one movable clock; nothing is patched.

The domain-level journey is tests/test_hr_year_journey.py."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import segno
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.channels.telegram import build_application
from bot.db import Database
from handlers.payloads import PLAN_ALLOCATE, PLAN_COURSE, PLAN_MENU, PLAN_UNIT, PLAN_YEAR
from models.certificates import codes
from models.certificates.store import Certificate, VerificationAttempt
from models.chat import link_codes
from models.courses import attendance, nominations
from models.courses.attendance import AttendanceMark
from models.courses.evaluation_store import EvaluationResponse
from models.courses.registrations import Registration, RegStatus
from models.org.officials import Official
from models.plan.quotas import CourseQuota
from models.requirements.training_records import TrainingRecord
from tests.courses_world import make_course
from tests.fake_bot_api import FakeBotApi, SentMessage
from tests.plan_world import LAW, NOW, build_province
from tests.test_certificates import pdf_texts
from tests.test_sender_faults import RunningClock, make_sender
from tests.test_telegram_e2e import settings_for
from tests.transcript import Clock, Person, make_dispatcher

HR, AN, GUEST = 5550006, 5550001, 5559999  # Đỗ Minh Hoa (province HR), Nguyễn Văn An, anyone
BOT = "troly_test_bot"  # the username tests/transcript.make_dispatcher gives the chat
COURSE = "K-2026-30"  # Thu 10/12 – Sat 12/12/2026, three sessions, organised by the province
OTHER = "K-2026-31"  # the same days; An holds no seat in it
DAYS = (date(2026, 12, 10), date(2026, 12, 11), date(2026, 12, 12))
NOT_FOUND = "Không tìm thấy giấy chứng nhận với mã này"
CODE_SHOWN = re.compile(r"Mã điểm danh: ([A-Z2-9]{3}-[A-Z2-9]{3})")
CERT_SHOWN = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{2})\b")


def at_nine(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 09:00 in Việt Nam


def text_of(m: SentMessage) -> str:
    return m.text or m.caption or ""


def saying(fragment: str) -> Callable[[SentMessage], bool]:
    return lambda m: fragment in text_of(m)


class Chat:
    """The fake server seen from one Telegram user."""

    def __init__(self, fake: FakeBotApi, user: int) -> None:
        self.fake, self.user = fake, user

    @property
    def sent(self) -> list[SentMessage]:
        return self.fake.sent_to(self.user)

    async def _until(
        self, push: Callable[[], object], until: Callable[[SentMessage], bool]
    ) -> list[SentMessage]:
        before = len(self.sent)
        push()
        try:
            await self.fake.wait_for(lambda: any(until(m) for m in self.sent[before:]), timeout=20)
        except AssertionError:
            got = [(text_of(m)[:300], [b.get("text") for b in m.buttons]) for m in self.sent[-6:]]
            raise AssertionError(f"{self.user} got instead: {got}") from None
        return self.sent[before:]

    async def say(self, text: str, until: str | Callable[[SentMessage], bool]) -> list[SentMessage]:
        check = saying(until) if isinstance(until, str) else until
        return await self._until(lambda: self.fake.push_text(self.user, text), check)

    async def tap(
        self, messages: list[SentMessage], label: str, until: str | Callable[[SentMessage], bool]
    ) -> list[SentMessage]:
        message_id, data = button(messages, label)
        check = saying(until) if isinstance(until, str) else until
        return await self._until(
            lambda: self.fake.push_callback(self.user, message_id, data), check
        )


def button(messages: list[SentMessage], label: str) -> tuple[int, str]:
    for message in reversed(messages):
        for b in message.buttons:
            if label in b.get("text", "") and "callback_data" in b:
                return message.message_id, str(b["callback_data"])
    raise AssertionError(f"no button {label!r} in {[m.buttons for m in messages]}")


def joined(messages: list[SentMessage]) -> str:
    return "\n".join(text_of(m) for m in messages)


async def deliver(fake: FakeBotApi, db: Database, clock: Clock) -> None:
    """The real outbox sender, its clock at the chat's moment: whatever is due goes out."""
    sender, transport = make_sender(db, fake, RunningClock(clock.now), rate=200)
    try:
        await sender.drain()
    finally:
        await transport.close()


async def link(fake: FakeBotApi, db: Database, user: int, official_id: int) -> None:
    async with db.transaction() as session:
        official = await session.get(Official, official_id)
        assert official is not None
        code = await link_codes.issue(session, official, now=NOW, created_by="test", pepper=b"")
    await Chat(fake, user).say(f"/start {code}", "Xin chào")


async def counts(db: Database) -> dict[str, int]:
    """Rows a refusal must not add to."""
    tables: dict[str, Any] = {
        "registrations": Registration,
        "marks": AttendanceMark,
        "records": TrainingRecord,
        "certificates": Certificate,
        "quotas": CourseQuota,
    }
    async with db.transaction() as session:
        return {
            name: int(await session.scalar(select(func.count()).select_from(t)) or 0)
            for name, t in tables.items()
        }


async def an_marks(db: Database, official_id: int) -> list[tuple[date, str]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(AttendanceMark.day, AttendanceMark.status)
            .where(AttendanceMark.official_id == official_id)
            .order_by(AttendanceMark.day)
        )
        return [(d, s) for d, s in rows]


async def test_hr_year_over_the_fake_telegram_server(fake: FakeBotApi, db: Database) -> None:
    world = await build_province(db)
    course_id = world.courses["this_year"]
    an_id, ha_id = world.people["an"].id, world.people["ha"].id
    async with db.transaction() as session:
        await make_course(
            session, OTHER, starts_on=DAYS[0], ends_on=DAYS[-1],
            registration_closes_on=date(2026, 12, 5), capacity=20,
        )  # fmt: skip
    clock = Clock(NOW)
    settings = settings_for(fake, db, telegram_bot_username=BOT)
    app = build_application(settings, make_dispatcher(db, clock))
    hr, an, guest = Chat(fake, HR), Chat(fake, AN), Chat(fake, GUEST)
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await link(fake, db, HR, world.people["hr"].id)
            await link(fake, db, AN, an_id)
            await _plan_and_quota(hr, world.units["noi_vu"].name)
            await _nominate(hr, db, an_id, ha_id)
            await _confirm(fake, db, clock, an, an_id)
            await _check_in(hr, an, db, clock, an_id, course_id)
            await _close_and_evaluate(fake, db, clock, hr, an, an_id, course_id)
            code = await _certificate(an, db)
            await _verify(guest, db, code)
            await _year_report(hr)
        finally:
            await app.updater.stop()
            await app.stop()
    async with db.transaction() as session:
        response = await session.scalar(select(EvaluationResponse))
        assert response is not None and response.course_id == course_id


async def _plan_and_quota(hr: Chat, unit: str) -> None:
    """/kehoach → 2026: the workbook, then a course → "Phân bổ chỉ tiêu" → the unit → 1."""
    chooser = await hr.say("/kehoach", "Kế hoạch bồi dưỡng năm")
    year = await hr.tap(chooser, "Năm 2026", lambda m: m.document is not None)
    assert "🗓 Kế hoạch bồi dưỡng năm 2026" in joined(year), joined(year)
    [document] = [m.document for m in year if m.document is not None]
    assert document[0].endswith(".xlsx")
    book = load_workbook(io.BytesIO(document[1]))
    planned = [row[0].value for row in book["Kế hoạch"].iter_rows(min_row=3)]
    assert COURSE in planned, planned
    card = await hr.tap(year, COURSE, "Chưa phân bổ chỉ tiêu")
    units = await hr.tap(card, "Phân bổ chỉ tiêu", "phân bổ chỉ tiêu cho đơn vị nào")
    ask = await hr.tap(units, unit, "tối đa 30")
    assert f"{unit} được bao nhiêu chỉ tiêu khóa {COURSE}? Hiện có 0" in joined(ask), joined(ask)
    done = await hr.say("1", "Đã phân bổ")  # "1": the seats, not the number of "❌ Hủy"
    assert f"{unit} có 1 chỉ tiêu khóa {COURSE}" in joined(done) and "1/30" in joined(done)


async def _nominate_in_chat(hr: Chat, typed: str, name: str) -> list[SentMessage]:
    menu = await hr.say("/quantri", "🛠 Công cụ quản trị")
    courses = await hr.tap(menu[-1:], "Cử đi học", "vui lòng chọn khóa học")
    await hr.tap(courses[-1:], COURSE, "Đơn vị cử ai đi học")
    found = await hr.say(typed, "Xin chọn")
    card = await hr.tap(found, name, f"Cử {name}")
    return await hr.tap(card[-1:], "✅ Cử đi học", lambda m: "chỉ tiêu" in text_of(m).lower())


async def _nominate(hr: Chat, db: Database, an_id: int, ha_id: int) -> None:
    done = await _nominate_in_chat(hr, "nguyen van an", "Nguyễn Văn An")
    assert "✅ Đã cử Nguyễn Văn An đi học khóa K-2026-30" in joined(done), joined(done)
    assert "Chỉ tiêu đã dùng: 1/1" in joined(done)
    before = await counts(db)
    refused = await _nominate_in_chat(hr, "pham thu ha", "Phạm Thu Hà")
    assert (
        "Đã hết chỉ tiêu: Sở Nội vụ đã cử 1/1 người đi học khóa K-2026-30. "
        "Phạm Thu Hà chưa được cử." in joined(refused)
    ), joined(refused)
    assert await counts(db) == before
    async with db.transaction() as session:
        assert await session.scalar(
            select(Registration).where(Registration.official_id == ha_id)
        ) is None  # fmt: skip
        regs = (await session.scalars(select(Registration))).all()
    assert [(r.official_id, r.source, r.answer) for r in regs] == [
        (an_id, nominations.NOMINATED, nominations.PENDING)
    ]


async def _confirm(fake: FakeBotApi, db: Database, clock: Clock, an: Chat, an_id: int) -> None:
    await deliver(fake, db, clock)
    [told] = [m for m in an.sent if "cử đi học" in text_of(m)]
    assert "Anh đã được đơn vị cử đi học" in text_of(told), text_of(told)
    sent = await an.tap([told], "✅ Xác nhận tham gia", "đã xác nhận tham gia")
    assert "khóa K-2026-30, khai giảng ngày 10/12/2026" in joined(sent), joined(sent)
    async with db.transaction() as session:
        reg = await session.scalar(select(Registration).where(Registration.official_id == an_id))
        assert reg is not None
        assert (reg.status, reg.answer) == (RegStatus.CONFIRMED, nominations.ACCEPTED)
    # The HR officer who nominated hears the answer through the outbox.
    await deliver(fake, db, clock)
    told_hr = joined(fake.sent_to(HR))
    assert "Nguyễn Văn An (DB000001) đã xác nhận tham gia khóa K-2026-30" in told_hr


async def _organiser_code(hr: Chat, course: str) -> tuple[str, list[SentMessage]]:
    """/quantri → "🧾 Điểm danh" → the course: today's code (from the text) and the QR."""
    menu = await hr.say("/quantri", "🛠 Công cụ quản trị")
    listing = await hr.tap(menu[-1:], "🧾 Điểm danh", "đang tổ chức khóa học nào")
    before = len(hr.sent)
    await hr.tap(listing[-1:], course, lambda m: m.photo is not None)
    await hr.fake.wait_for(lambda: any("Buổi học ngày" in text_of(m) for m in hr.sent[before:]))
    shown = hr.sent[before:]
    found = [CODE_SHOWN.search(text_of(m)) for m in shown if "Buổi học ngày" in text_of(m)]
    [code] = [m.group(1) for m in found if m is not None]
    return code, shown


async def _check_in(
    hr: Chat, an: Chat, db: Database, clock: Clock, an_id: int, course_id: int
) -> None:
    # Day 1: the QR opens the deep link; another course's code (shown by its organiser the
    # same morning) is refused first, naming neither that course nor anyone in it.
    clock.now = at_nine(DAYS[0])
    other_code, _ = await _organiser_code(hr, OTHER)
    before = await counts(db)
    refused = await an.say(f"/diemdanh {other_code}", "Anh không điểm danh được bằng mã này")
    assert "Chưa có gì được ghi nhận" in joined(refused) and OTHER not in joined(refused)
    assert await counts(db) == before
    code, shown = await _organiser_code(hr, COURSE)
    [photo] = [m.photo for m in shown if m.photo is not None]
    arg = attendance.deep_link_arg(course_id, code.replace("-", ""))
    qr = io.BytesIO()
    segno.make(f"https://t.me/{BOT}?start={arg}", error="m").save(qr, kind="png", scale=8, border=2)
    assert photo[1] == qr.getvalue()  # the QR is the deep link
    sent = await an.say(f"/start {arg}", "✅")
    assert joined(sent).startswith(
        "✅ Anh đã điểm danh khóa K-2026-30, buổi học ngày 10/12/2026"
    ), joined(sent)

    # Day 2: the code shown at 09:00 is typed at 09:21 (past its two slots): refused, then
    # "🔄 Mã mới" and the code of now.
    clock.now = at_nine(DAYS[1])
    old, shown = await _organiser_code(hr, COURSE)
    clock.advance(minutes=21)
    before = await counts(db)
    refused = await an.say(f"/diemdanh {old}", "Mã này hiện không dùng được")
    assert "Chưa có gì được ghi nhận" in joined(refused), joined(refused)
    assert await counts(db) == before
    fresh = await hr.tap(shown, "🔄 Mã mới", "Buổi học ngày")
    found = [CODE_SHOWN.search(text_of(m)) for m in fresh if "Buổi học ngày" in text_of(m)]
    [new] = [m.group(1) for m in found if m is not None]
    assert new != old
    sent = await an.say(f"/diemdanh {new}", "✅")
    assert "buổi học ngày 11/12/2026" in joined(sent), joined(sent)

    # Day 3 (a Saturday, the course's last day): /diemdanh with the code.
    clock.now = at_nine(DAYS[2])
    code, _ = await _organiser_code(hr, COURSE)
    sent = await an.say(f"/diemdanh {code}", "✅")
    assert "buổi học ngày 12/12/2026" in joined(sent), joined(sent)
    assert await an_marks(db, an_id) == [(d, "present") for d in DAYS]


def _seen(fake: FakeBotApi, chat: int, words: str) -> SentMessage | None:
    """The newest message in the chat (sent or edited in place) saying `words`."""
    for m in reversed(fake.sent_to(chat)):
        if words in text_of(m):
            return m
    return None


async def _close_and_evaluate(
    fake: FakeBotApi, db: Database, clock: Clock, hr: Chat, an: Chat, an_id: int, course_id: int
) -> None:
    # Monday 14/12: the organiser closes the roster; the invitation goes through the outbox.
    clock.now = at_nine(date(2026, 12, 14))
    menu = await hr.say("/quantri", "🛠 Công cụ quản trị")
    listing = await hr.tap(menu[-1:], "🧾 Điểm danh", "đang tổ chức khóa học nào")
    card = await hr.tap(listing[-1:], COURSE, "khóa này không có buổi học")
    ask = await hr.tap(card, "✅ Chốt danh sách", "Chốt danh sách khóa K-2026-30?")
    closed = await hr.tap(ask, "✅ Xác nhận", "Đã chốt danh sách")
    assert "Đã chốt danh sách: 1 người hoàn thành, 0 người vắng." in joined(closed), joined(closed)
    async with db.transaction() as session:
        reg = await session.scalar(select(Registration).where(Registration.official_id == an_id))
        assert reg is not None and reg.status == RegStatus.COMPLETED
        record = await session.get(TrainingRecord, reg.training_record_id)
        assert record is not None
        assert (record.kind, record.periods, record.completed_on) == (LAW, 16, DAYS[-1])

    await deliver(fake, db, clock)
    [invite] = [m for m in an.sent if "Mời anh đánh giá khóa học K-2026-30" in text_of(m)]
    before = len(an.sent)
    fake.push_callback(AN, invite.message_id, invite.callback_data("📝 Đánh giá khóa học"))
    await fake.wait_for(lambda: len(an.sent) > before)
    total = int(re.search(r"câu 1/(\d+)", text_of(an.sent[-1])).group(1))  # type: ignore[union-attr]
    for n in range(1, total + 1):
        heading = f"câu {n}/{total}"

        def shown(heading: str = heading) -> bool:
            return _seen(fake, AN, heading) is not None

        await fake.wait_for(shown)
        question = _seen(fake, AN, heading)
        assert question is not None
        labels = [b["text"] for b in question.buttons]
        answered = len(fake.answered_callbacks)
        # Scaled questions: "4" of 1…5; the optional free-text one: "⏭ Bỏ qua".
        label = "4" if "4" in labels else "⏭ Bỏ qua"
        assert label in labels, (text_of(question), labels)
        fake.push_callback(AN, question.message_id, question.callback_data(label))

        def taken(answered: int = answered) -> bool:
            return len(fake.answered_callbacks) > answered

        await fake.wait_for(taken)
    await fake.wait_for(
        lambda: _seen(fake, AN, "Cảm ơn anh: phiếu đánh giá khóa K-2026-30") is not None
    )
    async with db.transaction() as session:
        answers = await session.scalar(
            select(func.count())
            .select_from(EvaluationResponse)
            .where(EvaluationResponse.course_id == course_id)
        )
    assert answers == 1


async def _certificate(an: Chat, db: Database) -> str:
    listing = await an.say("/chungnhan", "📜 Giấy chứng nhận của anh")
    assert "K-2026-30" in joined(listing)
    found = CERT_SHOWN.search(joined(listing))
    assert found is not None, joined(listing)
    code = found.group(1)
    sent = await an.tap(listing, "PDF K-2026-30", lambda m: m.document is not None)
    [document] = [m.document for m in sent if m.document is not None]
    assert document[0].endswith(".pdf") and document[1].startswith(b"%PDF")
    assert f"https://t.me/{BOT}?start=xm_{code.replace('-', '')}" in pdf_texts(document[1])
    async with db.transaction() as session:
        stored = (await session.scalars(select(Certificate))).all()
    assert [codes.display(c.code) for c in stored] == [code]
    return code


async def _verify(guest: Chat, db: Database, code: str) -> None:
    reply = await guest.say(f"/xacminh {code}", "là thật")
    text = joined(reply)
    assert f"✅ Giấy chứng nhận {code} là thật và còn hiệu lực" in text, text
    assert "Nguyễn Văn An" in text and "K-2026-30" in text
    body = code.replace("-", "")
    # One character changed: the check character gives it away; one changed and the check
    # recomputed (a careful forger): no such certificate. The same answer for both.
    typo = ("2" if body[0] != "2" else "3") + body[1:]
    forged = typo[:-1] + codes.check_character(typo[:-1])
    before = await counts(db)
    async with db.transaction() as session:
        revoked_before = await session.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.revoked_at.is_not(None))
        )
    for wrong in (codes.display(typo), codes.display(forged)):
        refused = await guest.say(f"/xacminh {wrong}", NOT_FOUND)
        assert "Nguyễn Văn An" not in joined(refused)
    assert await counts(db) == before
    async with db.transaction() as session:
        attempts = (await session.scalars(select(VerificationAttempt))).all()
        revoked_after = await session.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.revoked_at.is_not(None))
        )
    # Only the attempt log (the per-chat guess limit) grows.
    assert [a.found for a in attempts] == [True, False, False]
    assert revoked_before == revoked_after == 0


async def _year_report(hr: Chat) -> None:
    await hr.say("/baocao", lambda m: "Báo cáo năm" in str(m.reply_markup))
    offer = next(m for m in reversed(hr.sent) if "Báo cáo năm" in str(m.reply_markup))
    chooser = await hr.tap([offer], "Báo cáo năm", "Báo cáo năm: anh/chị chọn năm nào?")
    sent = await hr.tap(chooser, "Năm 2026", lambda m: m.document is not None)
    assert "📅 Báo cáo năm 2026 — Tỉnh Điện Biên" in joined(sent), joined(sent)
    [document] = [m.document for m in sent if m.document is not None]
    assert document[0] == "bao-cao-nam-T11-2026.xlsx"
    sheet = load_workbook(io.BytesIO(document[1])).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows) if r[0] == "STT")
    header = rows[start]
    column = {name: header.index(name) for name in header if name}
    law = next(
        r for r in rows[start:]
        if r[1] == "Cập nhật kiến thức pháp luật, kỹ năng, phương pháp thực thi công vụ"
        and r[2] == "cấp tỉnh"
    )  # fmt: skip
    # At the province's level: Đỗ Minh Hoa's 8 periods of June, and An's 16 of K-2026-30.
    assert law[column["Số lượt người được đào tạo, bồi dưỡng"]] == 2, law
    assert law[column["Số người"]] == 2 and law[column["Tổng số tiết"]] == 24, law
    assert law[column["Chỉ tiêu đã phân bổ cho đơn vị"]] == 1, law  # the seat given in step 1
    total = next(r for r in rows[start:] if r[1] == "Tổng cộng")
    # Hoa, Hà (her job's 4 periods), Nhung and Tủa of the province's world, and An.
    assert total[column["Số lượt người được đào tạo, bồi dưỡng"]] == 5, total
    assert "• 5 lượt người được đào tạo, bồi dưỡng (5 người)" in joined(sent), joined(sent)


async def test_one_seat_typed_at_the_seats_question_is_one_seat(db: Database, channel: str) -> None:
    """The seats question offers one choice, "❌ Hủy" (numbered 1 on Zalo and the console):
    a typed "1" used to pick it and cancel. Typed, it is one seat; "hủy" still cancels."""
    world = await build_province(db)
    hr = Person(make_dispatcher(db, Clock(NOW)), "9006", channel=channel)
    await hr.link_with_code(db, "0912000006")
    course, unit = world.courses["this_year"], world.units["noi_vu"]

    async def ask() -> None:
        await hr.say("/quantri")
        await hr.press(PLAN_MENU.pack())
        await hr.press(PLAN_YEAR.pack(year=2026))
        await hr.press(PLAN_COURSE.pack(id=course))
        await hr.press(PLAN_ALLOCATE.pack(id=course))
        await hr.press(PLAN_UNIT.pack(id=course, unit=unit.id))
        assert "tối đa 30" in hr.text, hr.text

    await ask()
    assert "Sở Nội vụ có 1 chỉ tiêu khóa K-2026-30" in await hr.say("1"), hr.text
    await ask()
    assert "Đã hủy" in await hr.say("hủy"), hr.text
    async with db.transaction() as session:
        seats = (await session.scalars(select(CourseQuota.seats))).all()
    assert seats == [1]
