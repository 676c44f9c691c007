"""A small province for the nomination tests: a commune with its HR officer, its chairman
(the unit head) and three staff; a province division with its own HR officer and staff;
and a course with seat quotas (tests/test_nominations*.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from models.courses.catalogue import Course
from models.org import admins
from models.org.officials import Official
from models.org.units import OrgUnit
from models.plan.quotas import set_quota
from models.requirements.store import ensure_default_catalogue
from tests.courses_world import NOW, TODAY, make_course
from tests.factories import make_official, small_province

__all__ = ["NOW", "TODAY", "NominationWorld", "build"]


@dataclass
class NominationWorld:
    db: Database
    units: dict[str, OrgUnit]
    people: dict[str, Official] = field(default_factory=dict)
    course_id: int = 0

    async def official(self, session: AsyncSession, name: str) -> Official:
        found = await session.get(Official, self.people[name].id)
        assert found is not None
        return found

    async def course(self, session: AsyncSession) -> Course:
        found = await session.get(Course, self.course_id, populate_existing=True)
        assert found is not None
        return found


async def build(db: Database, *, capacity: int = 10, commune_quota: int = 2) -> NominationWorld:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        w = NominationWorld(db, units)
        commune, tccb = units["sin_thau"], units["tccb"]

        def person(unit: OrgUnit, code: str, name: str, **more: object) -> dict[str, object]:
            return {"unit": unit, "employee_code": code, "full_name": name, **more}

        specs = {
            "hr": person(commune, "DB000010", "Giàng A Tủa", phone="+84912000010"),
            "head": person(
                commune,
                "DB000011",
                "Vàng Văn Chủ",
                phone="+84912000011",
                leadership_tier="lanh_dao_chu_chot_xa",
                post_title="Chủ tịch UBND xã",
            ),
            "nhung": person(
                commune, "DB000020", "Lò Thị Nhung", gender="female", phone="+84912000020"
            ),
            "pao": person(commune, "DB000021", "Mùa A Páo", phone="+84912000021"),
            "sinh": person(commune, "DB000022", "Lý Văn Sinh", phone="+84912000022"),
            "province_hr": person(tccb, "DB000006", "Phạm Thu Hà", phone="+84912000006"),
            "nam": person(tccb, "DB000030", "Lê Văn Nam", phone="+84912000030"),
        }
        for name, spec in specs.items():
            unit = spec.pop("unit")
            assert isinstance(unit, OrgUnit)
            w.people[name] = await make_official(
                session, unit, level=unit.level, rank_tier="chuyen_vien", **spec
            )
        await admins.grant(session, w.people["hr"], commune, actor="test", now=NOW)
        await admins.grant(session, w.people["province_hr"], tccb, actor="test", now=NOW)
        course = await make_course(
            session,
            "K-2026-40",
            title="Bồi dưỡng kỹ năng lãnh đạo cấp xã",
            capacity=capacity,
            starts_on=TODAY + timedelta(days=12),
            registration_closes_on=TODAY + timedelta(days=5),
        )
        w.course_id = course.id
        if commune_quota:
            await set_quota(
                session, course_id=course.id, unit_id=commune.id, seats=commune_quota,
                by_official_id=w.people["province_hr"].id,
            )  # fmt: skip
    return w


async def by_code(session: AsyncSession, code: str) -> Official:
    found = await session.scalar(select(Official).where(Official.employee_code == code))
    assert found is not None
    return found
