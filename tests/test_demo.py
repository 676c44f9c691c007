"""The demo-province generator: tree shape, fixed officials, idempotency, determinism."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.db import Database, upgrade
from models.demo.province import DemoSummary, seed_demo_province
from models.org.officials import Official
from models.org.phones import normalize_phone
from models.org.units import OrgUnit

TODAY = date(2026, 3, 16)
E164_MOBILE = re.compile(r"^\+84[389]\d{8}$")


async def _seed(db: Database, size: int, seed: int = 2026) -> DemoSummary:
    async with db.transaction() as session:
        return await seed_demo_province(session, size=size, seed=seed, today=TODAY)


async def _units(db: Database) -> list[OrgUnit]:
    async with db.transaction() as session:
        return list((await session.scalars(select(OrgUnit).order_by(OrgUnit.id))).all())


async def _officials(db: Database) -> list[Official]:
    async with db.transaction() as session:
        rows = await session.scalars(select(Official).order_by(Official.employee_code))
        return list(rows.all())


def _roster_key(o: Official) -> tuple[Any, ...]:
    return (
        o.employee_code,
        o.full_name,
        o.gender,
        o.birth_date,
        o.phone,
        o.category,
        o.unit.code,
        o.level,
        o.rank_code,
        o.rank_tier,
        o.professional_title_code,
        o.rank_assigned_on,
        o.post_title,
        o.leadership_tier,
        o.leadership_appointed_on,
        o.education_level,
        o.professional_field_matches_post,
        o.political_theory_level,
        o.ethnicity,
        tuple(o.languages),
        o.started_service_on,
    )


async def _fresh_sqlite(path: Path) -> Database:
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    return Database(url)


async def test_tree_has_communes_zones_legacy_districts_and_paths(db: Database) -> None:
    summary = await _seed(db, 600)
    units = await _units(db)
    by_id = {u.id: u for u in units}
    root = next(u for u in units if u.parent_id is None)
    assert root.name == "Tỉnh Điện Biên" and root.level == "province"

    communes = [u for u in units if u.kind == "commune"]
    assert len(communes) == 45
    assert all(u.parent_id == root.id and u.level == "commune" for u in communes)
    assert all(u.ethnic_minority_area for u in communes)
    assert Counter(u.zone for u in communes) == {"I": 2, "II": 5, "III": 38}
    assert sum(u.name.startswith("Phường ") for u in communes) == 3
    assert len([u for u in units if u.kind == "department"]) == 14

    districts = [u for u in units if u.level == "district"]
    assert len(districts) == 10
    assert all(u.valid_to == date(2025, 6, 30) and u.parent_id == root.id for u in districts)

    for unit in units:
        chain = [unit.id]
        while by_id[chain[-1]].parent_id is not None:
            chain.append(by_id[chain[-1]].parent_id)  # type: ignore[arg-type]
        assert unit.path == "/" + "".join(f"{i}/" for i in reversed(chain)), unit.code
        assert unit.depth == len(chain) - 1
    # Three levels in the data (province, district history, commune) alongside two current.
    assert {u.level for u in units} == {"province", "district", "commune"}
    assert summary.units == len(units)

    async with db.transaction() as session:
        in_districts = await session.scalar(
            select(func.count())
            .select_from(Official)
            .join(OrgUnit)
            .where(OrgUnit.level == "district")
        )
    assert in_districts == 0


async def test_roster_size_distribution_codes_and_phones(db: Database) -> None:
    summary = await _seed(db, 600)
    officials = await _officials(db)
    assert len(officials) == 600 == summary.officials
    assert sum(summary.by_level.values()) == 600 == sum(summary.by_category.values())
    assert set(summary.by_level) == {"province", "commune"}
    assert 0.25 < summary.by_level["province"] / 600 < 0.42
    assert summary.by_category["vien_chuc"] > summary.by_category["cong_chuc"] > 0
    assert summary.by_category["can_bo"] > 0

    codes = [o.employee_code for o in officials]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"DB\d{6}", c) for c in codes)
    phones = [o.phone for o in officials]
    assert len(set(phones)) == len(phones)
    for phone in phones:
        assert phone is not None and E164_MOBILE.match(phone), phone
        assert normalize_phone(phone) == phone

    leaders = [o for o in officials if o.leadership_tier]
    assert 0.03 < len(leaders) / 600 < 0.25
    assert any(
        (TODAY - o.leadership_appointed_on).days <= 365
        for o in leaders
        if o.leadership_appointed_on
    )
    assert all(o.level == o.unit.level for o in officials)
    for o in officials:
        assert o.birth_date is not None and 1966 <= o.birth_date.year <= 2003
        assert o.started_service_on is not None and o.started_service_on <= TODAY
        assert o.preferred_locale is None
        if o.category == "cong_chuc":
            assert o.rank_code in {"01.001", "01.002", "01.003", "01.004", "01.005"}
            assert o.rank_tier is not None
    ethnicities = Counter(o.ethnicity for o in officials)
    assert {"Kinh", "Thái", "Mông"} <= set(ethnicities)
    assert any(
        o.full_name.split()[1] == "A"
        for o in officials
        if o.ethnicity == "Mông" and o.gender == "male"
    )
    assert any(o.post_title == "Giáo viên" for o in officials)


async def test_fixed_demo_officials(db: Database) -> None:
    await _seed(db, 600)
    people = {o.employee_code: o for o in await _officials(db)}

    an = people["DB000001"]
    assert (an.full_name, an.gender, an.post_title, an.category, an.level) == (
        "Nguyễn Văn An",
        "male",
        "Chuyên viên",
        "cong_chuc",
        "province",
    )
    assert an.unit.name == "Phòng Tổ chức cán bộ"
    assert (an.rank_code, an.ethnicity, an.education_level, an.political_theory_level) == (
        "01.003",
        "Kinh",
        "dai_hoc",
        "trung_cap",
    )
    assert an.phone == "+84912000001"

    nhung = people["DB000002"]
    assert (nhung.full_name, nhung.gender, nhung.post_title, nhung.level) == (
        "Lò Thị Nhung",
        "female",
        "Phó Trưởng phòng",
        "province",
    )
    assert nhung.leadership_tier == "pho_truong_phong" and nhung.education_level == "cao_dang"
    assert nhung.ethnicity == "Thái" and nhung.phone == "+84912000002"
    assert nhung.leadership_appointed_on is not None
    assert 140 <= (TODAY - nhung.leadership_appointed_on).days <= 160

    tua = people["DB000003"]
    assert (tua.full_name, tua.gender, tua.category, tua.level, tua.ethnicity) == (
        "Giàng A Tủa",
        "male",
        "cong_chuc",
        "commune",
        "Mông",
    )
    assert tua.languages == ["Mông"] and tua.phone == "+84912000003"

    hoa = people["DB000004"]
    assert (hoa.full_name, hoa.gender, hoa.ethnicity, hoa.languages, hoa.level) == (
        "Trần Thị Hoa",
        "female",
        "Kinh",
        [],
        "commune",
    )
    assert hoa.phone == "+84912000004"

    minh = people["DB000005"]
    assert (minh.full_name, minh.gender, minh.category, minh.post_title, minh.ethnicity) == (
        "Quàng Văn Minh",
        "male",
        "vien_chuc",
        "Giáo viên",
        "Thái",
    )
    assert minh.unit.name.startswith("Trường") and minh.phone == "+84912000005"

    ha = people["DB000006"]
    assert (ha.full_name, ha.gender, ha.post_title, ha.leadership_tier) == (
        "Phạm Thu Hà",
        "female",
        "Trưởng phòng",
        "truong_phong",
    )
    assert ha.unit_id == an.unit_id and ha.phone == "+84912000006"

    async with db.transaction() as session:

        def parent_name(unit: OrgUnit) -> Any:
            return session.scalar(select(OrgUnit.name).where(OrgUnit.id == unit.parent_id))

        assert await parent_name(an.unit) == "Sở Nội vụ"
        assert await parent_name(nhung.unit) == "Sở Giáo dục và Đào tạo"
        assert await parent_name(tua.unit) == "Xã Sín Thầu"
        assert await parent_name(hoa.unit) == "Xã Mường Nhé"
        assert await parent_name(minh.unit) == "Xã Tuần Giáo"
        # The fixed head of division is the only one: the generator left her post free.
        heads = await session.scalar(
            select(func.count())
            .select_from(Official)
            .where(Official.unit_id == an.unit_id, Official.leadership_tier == "truong_phong")
        )
    assert heads == 1


async def test_second_call_changes_nothing(db: Database) -> None:
    first = await _seed(db, 600)
    before = [_roster_key(o) for o in await _officials(db)]
    units_before = len(await _units(db))
    second = await _seed(db, 900, seed=7)
    assert second == first
    assert [_roster_key(o) for o in await _officials(db)] == before
    assert len(await _units(db)) == units_before


async def test_same_seed_same_roster(tmp_path: Path) -> None:
    rosters = []
    for name, seed in (("a", 2026), ("b", 2026), ("c", 99)):
        database = await _fresh_sqlite(tmp_path / f"{name}.sqlite3")
        try:
            await _seed(database, 600, seed=seed)
            rosters.append(sorted(_roster_key(o) for o in await _officials(database)))
        finally:
            await database.dispose()
    assert rosters[0] == rosters[1]
    assert rosters[0] != rosters[2]


async def test_full_province_seeds_every_official(tmp_path: Path) -> None:
    # How long it takes is benchmarks/bench_import.py's subject.
    database = await _fresh_sqlite(tmp_path / "full.sqlite3")
    try:
        summary = await _seed(database, 24_150)
        async with database.transaction() as session:
            stored = await session.scalar(select(func.count()).select_from(Official))
        assert stored == 24_150
    finally:
        await database.dispose()
    assert summary.officials == 24_150
