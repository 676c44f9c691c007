"""A small province with courses and linked officials, shared by the tests/test_courses_*
files (courses are made here directly; the import has its own tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from models.chat import accounts
from models.courses.catalogue import Course, search_text_of
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.store import current_catalogue, ensure_default_catalogue
from models.requirements.training_records import TrainingRecord, import_key
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 on 26/11/2026 in Việt Nam
TODAY = date(2026, 11, 26)


async def make_course(session: AsyncSession, code: str, **fields: Any) -> Course:
    values: dict[str, Any] = {
        "title": f"Khóa {code}",
        "kind": "cap_nhat_phap_luat_ky_nang",
        "organiser": "Sở Tư pháp tỉnh Điện Biên",
        "place": "Hội trường Sở Tư pháp",
        "starts_on": TODAY + timedelta(days=12),
        "periods": 16,
        "capacity": 30,
        "registration_closes_on": TODAY + timedelta(days=5),
        "source": "test",
    }
    values.update(fields)
    values.setdefault("ends_on", values["starts_on"] + timedelta(days=2))
    course = Course(code=code, seats_taken=0, **values)
    course.search_text = search_text_of(course, await current_catalogue(session))
    session.add(course)
    await session.flush()
    return course


async def link(
    session: AsyncSession, official: Official, chat: str, channel: str = "telegram"
) -> None:
    account = await accounts.get_or_create(
        session, channel=channel, user_id=chat, chat_id=chat, now=NOW
    )
    await accounts.link(session, account, official, method="test", now=NOW)


async def add_record(
    session: AsyncSession, official: Official, kind: str, day: date, periods: int = 16
) -> None:
    await session.execute(
        insert(TrainingRecord).values(
            official_id=official.id,
            kind=kind,
            completed_on=day,
            periods=periods,
            certificate_no="CC-1",
            provider="test",
            source="test",
            import_key=import_key(official.id, kind, day, None, None),
        )
    )


@dataclass
class World:
    db: Database
    clock: Clock
    units: dict[str, OrgUnit]
    people: dict[str, Official] = field(default_factory=dict)
    chats: dict[str, str] = field(default_factory=dict)
    courses: dict[str, Course] = field(default_factory=dict)
    channel: str = "telegram"  # where everyone is linked and talks

    def person(self, who: str) -> Person:
        dispatcher = make_dispatcher(self.db, self.clock)
        return Person(dispatcher, self.chats[who], channel=self.channel)

    async def course(self, code: str) -> Course:
        async with self.db.transaction() as session:
            found = await session.scalar(select(Course).where(Course.code == code))
            assert found is not None
            return found


async def build_world(db: Database, channel: str = "telegram") -> World:
    """An (province civil servant, male, chuyên viên), Nhung (commune, female), Hà
    (province, female, has done this year's law update) and courses of several kinds."""
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        world = World(db, Clock(NOW), units, channel=channel)
        world.people["an"] = await make_official(session, units["tccb"], rank_tier="chuyen_vien")
        world.people["nhung"] = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000002",
            full_name="Lò Thị Nhung",
            gender="female",
            phone="+84912000002",
            rank_tier="chuyen_vien",
        )
        world.people["ha"] = await make_official(
            session,
            units["tccb"],
            employee_code="DB000003",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912000003",
            rank_tier="chuyen_vien_chinh",
        )
        await add_record(
            session, world.people["ha"], "cap_nhat_phap_luat_ky_nang", date(2026, 3, 1)
        )
        for n, (name, official) in enumerate(world.people.items()):
            world.chats[name] = str(3000 + n)
            await link(session, official, world.chats[name], channel)
        c = world.courses
        c["law"] = await make_course(
            session, "K-2026-03", title="Cập nhật kiến thức pháp luật năm 2026", capacity=2
        )
        c["qlnn"] = await make_course(
            session,
            "K-2026-14",
            title="Bồi dưỡng kiến thức quản lý nhà nước ngạch chuyên viên",
            kind="quan_ly_nha_nuoc",
            organiser="Trường Chính trị tỉnh Điện Biên",
            starts_on=date(2026, 12, 8),
            ends_on=date(2026, 12, 19),
            periods=280,
            registration_closes_on=date(2026, 12, 1),
            eligible_categories=["cong_chuc"],
        )
        c["qpan"] = await make_course(
            session,
            "K-2026-20",
            title="Bồi dưỡng kiến thức QP-AN đối tượng 4",
            kind="quoc_phong_an_ninh",
            organiser="Bộ Chỉ huy Quân sự tỉnh Điện Biên",
            mode="online",
            place=None,
            eligible_levels=["province"],
        )
        c["commune"] = await make_course(
            session,
            "K-2026-21",
            title="Nghiệp vụ tư pháp – hộ tịch cấp xã",
            kind="theo_vi_tri_viec_lam",
            eligible_levels=["commune"],
        )
        c["closed"] = await make_course(
            session,
            "K-2026-22",
            title="Lớp đã hết hạn đăng ký",
            registration_closes_on=TODAY - timedelta(days=1),
        )
        c["cancelled"] = await make_course(
            session, "K-2026-23", title="Lớp đã hủy", status="cancelled"
        )
        c["llct"] = await make_course(
            session,
            "K-2027-01",
            title="Trung cấp lý luận chính trị – hành chính",
            kind="ly_luan_chinh_tri",
            starts_on=date(2027, 2, 1),
            ends_on=date(2027, 6, 30),
            registration_closes_on=date(2027, 1, 15),
        )
    return world


async def register(person: Person, course_id: int) -> str:
    """The two taps a person makes: "Đăng ký" on the card, then "Xác nhận" on the
    confirmation it shows (a confirm counts only from that card); else the refusal."""
    text = await person.tap(f"reg:{course_id}")
    if any("Xác nhận" in label for label in person.choices):
        return await person.press_label("Xác nhận")
    return text
