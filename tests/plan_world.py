"""A small province for the year's plan (#16.1): two levels, five officials, three courses
(one of this year, one of the province's next year, one of the commune's), two admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.db import Database
from models.org import admins
from models.org.admins import Scope, scope_of
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.store import ensure_default_catalogue
from tests.courses_world import add_record, make_course
from tests.factories import make_official, small_province

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 on 01/12/2026 in Việt Nam
TODAY = date(2026, 12, 1)
# The demo province's yearly update (DB-SEED-03 province, DB-SEED-07 commune): 8 periods of
# one of a few kinds, due 31/12; the law update is the first kind each names.
LAW = "cap_nhat_phap_luat_ky_nang"
JOB = "theo_vi_tri_viec_lam"


@dataclass
class Province:
    units: dict[str, OrgUnit]
    people: dict[str, Official]
    courses: dict[str, int]


async def build_province(db: Database) -> Province:
    """Two levels (province → department → division, province → commune): An owes the
    whole 8 periods of the yearly update, Hà 4 of them (she began by her job's training),
    the others nothing."""
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        people = {
            "an": await make_official(session, units["tccb"]),
            "ha": await make_official(
                session,
                units["tccb"],
                employee_code="DB000003",
                full_name="Phạm Thu Hà",
                gender="female",
                phone="+84912000003",
            ),
            "nhung": await make_official(
                session,
                units["sin_thau"],
                employee_code="DB000002",
                full_name="Lò Thị Nhung",
                gender="female",
                phone="+84912000002",
                level="commune",
            ),
            "hr": await make_official(
                session,
                units["noi_vu"],
                employee_code="DB000006",
                full_name="Đỗ Minh Hoa",
                gender="female",
                phone="+84912000006",
            ),
            "xa": await make_official(
                session,
                units["sin_thau"],
                employee_code="DB000010",
                full_name="Giàng A Tủa",
                phone="+84912000010",
                level="commune",
            ),
        }
        await add_record(session, people["ha"], JOB, date(2026, 3, 1), periods=4)
        await add_record(session, people["nhung"], LAW, date(2026, 5, 1), periods=8)
        await add_record(session, people["xa"], LAW, date(2026, 6, 1), periods=8)
        await add_record(session, people["hr"], LAW, date(2026, 6, 1), periods=8)
        await admins.grant(session, people["hr"], units["root"], actor="test", now=NOW)
        await admins.grant(session, people["xa"], units["sin_thau"], actor="test", now=NOW)
        province_course = await make_course(
            session,
            "K-2027-01",
            kind=LAW,
            starts_on=date(2027, 3, 8),
            registration_closes_on=date(2027, 3, 1),
            capacity=40,
        )
        commune_course = await make_course(
            session,
            "X-2027-01",
            kind=LAW,
            starts_on=date(2027, 4, 8),
            registration_closes_on=date(2027, 4, 1),
            capacity=10,
            owner_unit_id=units["sin_thau"].id,
            eligible_unit_id=units["sin_thau"].id,
        )
        this_year = await make_course(
            session,
            "K-2026-30",
            kind=LAW,
            starts_on=date(2026, 12, 10),
            registration_closes_on=date(2026, 12, 5),
            capacity=30,
        )
        courses = {
            "province": province_course.id,
            "commune": commune_course.id,
            "this_year": this_year.id,
        }
    return Province(units, people, courses)


async def scope_for(db: Database, official: Official) -> Scope:
    async with db.transaction() as session:
        fresh = await session.get(Official, official.id)
        return await scope_of(session, fresh)
