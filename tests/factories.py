"""Hand-built org units and officials for tests (the demo generator is tested separately)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.org.officials import Official
from models.org.units import OrgUnit, add_unit


async def small_province(session: AsyncSession) -> dict[str, OrgUnit]:
    root = await add_unit(
        session, code="T11", name="Tỉnh Điện Biên", level="province", kind="province"
    )
    noi_vu = await add_unit(
        session, code="SNV", name="Sở Nội vụ", level="province", kind="department", parent=root
    )
    tccb = await add_unit(
        session,
        code="SNV-TCCB",
        name="Phòng Tổ chức cán bộ",
        level="province",
        kind="division",
        parent=noi_vu,
    )
    sin_thau = await add_unit(
        session,
        code="03158",
        name="Xã Sín Thầu",
        level="commune",
        kind="commune",
        parent=root,
        ethnic_minority_area=True,
        zone="III",
    )
    return {"root": root, "noi_vu": noi_vu, "tccb": tccb, "sin_thau": sin_thau}


async def make_official(session: AsyncSession, unit: OrgUnit, **fields: Any) -> Official:
    values: dict[str, Any] = {
        "employee_code": "DB000001",
        "full_name": "Nguyễn Văn An",
        "gender": "male",
        "birth_date": date(1988, 4, 12),
        "phone": "+84912000001",
        "category": "cong_chuc",
        "level": unit.level,
        "rank_code": "01.003",
        "post_title": "Chuyên viên",
        "education_level": "dai_hoc",
        "political_theory_level": "trung_cap",
        "ethnicity": "Kinh",
        "languages": [],
    }
    values.update(fields)
    official = Official(unit_id=unit.id, **values)
    session.add(official)
    await session.flush()
    await session.refresh(official, ["unit"])
    return official
