"""HR admins: scoped roles, /quantri, imports from the chat, /baocao — and what non-admins
and forged buttons get (nothing, logged)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.db import Database
from models.audit import AuditEntry
from models.org import admins
from models.org.officials import Official
from models.requirements.store import ensure_default_catalogue
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher

ROSTER = (
    "Mã cán bộ,Họ và tên,Giới tính,Ngày sinh,Số điện thoại,Đối tượng,Mã đơn vị\n"
    "DB700001,Vũ Thị Lan,Nữ,05/07/1990,0987 654 321,Công chức,03158\n"
    "DB700002,Đỗ Văn Bình,nam,12/03/1985,0987654322,cong chuc,SNV-TCCB\n"
)


@pytest.fixture
async def world(db: Database) -> dict[str, object]:
    now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    async with db.transaction() as session:
        units = await small_province(session)
        await ensure_default_catalogue(session, now)
        province_hr = await make_official(
            session,
            units["tccb"],
            employee_code="DB000006",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912000006",
        )
        commune_hr = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000010",
            full_name="Giàng A Tủa",
            phone="+84912000010",
            level="commune",
        )
        await make_official(
            session,
            units["tccb"],
            employee_code="DB000011",
            full_name="Lê Văn Nam",
            phone="+84912000011",
        )
        await admins.grant(session, province_hr, units["root"], actor="test", now=now)
        await admins.grant(session, commune_hr, units["sin_thau"], actor="test", now=now)
    return {"units": units}


async def person(db: Database, user: str, phone: str) -> Person:
    p = Person(make_dispatcher(db, Clock()), user)
    await p.link_with_code(db, phone)
    return p


async def denied_count(db: Database) -> int:
    async with db.transaction() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "admin.denied")
            )
            or 0
        )


async def test_non_admin_gets_the_normal_menu_and_is_logged(db: Database, world: dict) -> None:
    nam = await person(db, "9011", "0912000011")
    text = await nam.say("/quantri")
    assert "chỉ dành cho cán bộ tổ chức" in text
    assert not any(v.startswith(("adm:", "upl:", "grant:")) for v in nam.values)
    for forged in ("adm:import", "adm:grant", "grant:yes", "upl:1:officials:all", "rpt:2026"):
        reply = await nam.press(forged)
        assert "Tổng" not in reply and "DB7" not in reply
    assert "Phạm Thu Hà" not in await nam.say("/baocao")
    assert await denied_count(db) >= 7


async def test_admin_menu_and_grant_in_chat(db: Database, world: dict) -> None:
    ha = await person(db, "9006", "0912000006")
    text = await ha.say("/quantri")
    assert "Tỉnh Điện Biên" in text
    assert "adm:grant" in ha.values
    await ha.press("adm:grant")
    assert "CB000123 T99-X01" in ha.text
    assert "Không tìm thấy" in await ha.say("DB999999 03158")
    await ha.say("db000011 03158")
    assert "Lê Văn Nam" in ha.text and "grant:yes" in ha.values
    assert "Lê Văn Nam" in await ha.press("grant:yes")
    nam = await person(db, "9011", "0912000011")
    assert "Xã Sín Thầu" in await nam.say("/quantri")
    # A commune admin cannot grant.
    tua = await person(db, "9010", "0912000010")
    await tua.say("/quantri")
    assert "adm:grant" not in tua.values
    await tua.press("adm:grant")
    assert "CB000123" not in tua.text


async def test_commune_admin_cannot_import_outside_the_commune(db: Database, world: dict) -> None:
    tua = await person(db, "9010", "0912000010")
    await tua.send_file("danh-sach.csv", ROSTER.encode())
    upload = next(v for v in tua.values if v.endswith(":officials"))
    report = await tua.press(upload)
    assert "Dòng 3" in report  # SNV-TCCB is outside Xã Sín Thầu
    assert not any(v.endswith(":all") for v in tua.values)
    good = next(v for v in tua.values if v.endswith(":good"))
    assert any(a.file_name.endswith(".xlsx") for r in tua.last for a in r.attachments)
    assert "thêm mới 1" in await tua.press(good)
    async with db.transaction() as session:
        codes = set(await session.scalars(select(Official.employee_code)))
    assert "DB700001" in codes and "DB700002" not in codes
    # The same upload cannot be applied twice, nor by someone else.
    assert "không còn chờ" in await tua.press(good)


async def test_province_admin_imports_after_confirming(db: Database, world: dict) -> None:
    ha = await person(db, "9006", "0912000006")
    await ha.send_file("danh-sach.csv", ROSTER.encode())
    await ha.press(next(v for v in ha.values if v.endswith(":officials")))
    assert "✅ Nhập dữ liệu" in ha.choices
    apply = next(v for v in ha.values if v.endswith(":all"))
    async with db.transaction() as session:
        before = await session.scalar(select(func.count()).select_from(Official))
    assert before == 3  # nothing written before the confirmation
    # Someone else (even another admin) pressing the admin's button gets nothing.
    tua = await person(db, "9010", "0912000010")
    assert "không còn chờ" in await tua.press(apply)
    assert "thêm mới 2" in await ha.press(apply)


async def test_non_admin_file_is_politely_refused(db: Database, world: dict) -> None:
    nam = await person(db, "9011", "0912000011")
    assert "Chỉ cán bộ tổ chức" in await nam.send_file("x.csv", ROSTER.encode())


ARTIFACTS = Path(__file__).resolve().parent.parent / "data" / "test-artifacts"


async def test_compliance_report_with_chart_and_workbook(db: Database, world: dict) -> None:
    ha = await person(db, "9006", "0912000006")
    text = await ha.say("/baocao")
    assert "Tỉnh Điện Biên" in text and "chỉ tiêu" in text and "Theo cấp" in text
    files = {a.file_name: a for r in ha.last for a in r.attachments}
    png = next(a for name, a in files.items() if name.endswith(".png"))
    assert png.content.startswith(b"\x89PNG") and png.is_image
    # Kept for people to look at (data/ is not in git): the chart exactly as sent.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{db.dialect}-{png.file_name}").write_bytes(png.content)
    book = load_workbook(
        io.BytesIO(next(a for n, a in files.items() if n.endswith(".xlsx")).content)
    )
    assert len(book.sheetnames) == 3
    # The commune admin's report covers only the commune.
    tua = await person(db, "9010", "0912000010")
    assert "Xã Sín Thầu" in await tua.say("/baocao")
    assert "Tỉnh Điện Biên —" not in tua.text


async def test_report_on_the_demo_province(db: Database) -> None:
    """/baocao over the seeded demo province (3,000 officials with their training): real
    shares, both ✅ and ⚠️, and the chart kept in data/test-artifacts for people to see."""
    from bot.__main__ import _demo_admin
    from models.demo.province import seed_demo_province
    from models.requirements.training_records import seed_demo_training

    clock = Clock(now=datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    today = clock().date()
    async with db.transaction() as session:
        await seed_demo_province(session, size=3000, today=today)
        await ensure_default_catalogue(session, clock())
        await seed_demo_training(session, seed=2026, today=today)
        await _demo_admin(session)
    ha = Person(make_dispatcher(db, clock), "9106")
    await ha.link_with_code(db, "0912000006")
    text = await ha.say("/baocao")
    assert "3.000 CBCCVC; tính đến ngày 26/11/2026." in text
    assert "✅" in text and "⚠️" in text and "Còn xa chỉ tiêu nhất:" in text
    png = next(a for r in ha.last for a in r.attachments if a.file_name.endswith(".png"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{db.dialect}-demo-{png.file_name}").write_bytes(png.content)
