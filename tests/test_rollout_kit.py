"""Templates for every import kind (#13.4) and the rollout kit (#13.5)."""

from __future__ import annotations

import io
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli_kits import write_link_codes, write_template
from bot.config import Settings
from bot.db import Database
from handlers.payloads import ADMIN_IMPORT, ADMIN_KIT, TEMPLATE_ASK, TEMPLATE_KIND
from locales import use_locale
from models.audit import AuditEntry
from models.chat import link_codes
from models.chat.rollout_kit import (
    Slip,
    issue_kit,
    qr_payload,
    slip_lines,
    slips_pdf,
    unlinked_units,
    unlinked_xlsx,
)
from models.imports.kinds import IMPORTERS
from models.imports.officials import ROSTER
from models.imports.templates import GUIDE_SHEET, UNITS_SHEET, importer_template
from models.org import admins
from models.org.officials import Official
from models.org.units import OrgUnit
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


@pytest.fixture
async def world(db: Database) -> dict[str, OrgUnit]:
    async with db.transaction() as session:
        units = await small_province(session)
        province_hr = await make_official(
            session,
            units["tccb"],
            employee_code="DB000006",
            full_name="Phạm Thu Hà",
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
            units["sin_thau"],
            employee_code="DB000020",
            full_name="Lò Thị Nhung",
            phone="+84912000020",
            level="commune",
        )
        await make_official(
            session,
            units["tccb"],
            employee_code="DB000011",
            full_name="Lê Văn Nam",
            phone="+84912000011",
        )
        await admins.grant(session, province_hr, units["root"], actor="test", now=NOW)
        await admins.grant(session, commune_hr, units["sin_thau"], actor="test", now=NOW)
    return units


def settings(db: Database) -> Settings:
    return Settings(database_url=db.url, telegram_bot_username="troly_db_bot")


# --- templates ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(IMPORTERS))
async def test_every_kind_has_a_template_with_lists_units_and_guide(
    db: Database, world: dict, tmp_path: Path, kind: str
) -> None:
    out = tmp_path / "mau.xlsx"
    assert await write_template(db, settings(db), kind, out) == 0
    book = load_workbook(out)
    sheet = book.worksheets[0]
    columns = IMPORTERS[kind].columns  # type: ignore[attr-defined]
    assert [c.value for c in sheet[1]] == [c.header for c in columns]
    assert all(c.font.b for c in sheet[1]) and sheet.freeze_panes == "A2"
    assert not any(any(r) for r in sheet.iter_rows(min_row=2, values_only=True))  # no example
    guide = [r[0] for r in book[GUIDE_SHEET].iter_rows(min_row=2, values_only=True)]
    assert guide == [c.header for c in columns]
    codes = [r[0] for r in book[UNITS_SHEET].iter_rows(min_row=2, values_only=True)]
    assert {"T11", "03158", "SNV-TCCB"} <= set(codes)
    fields = {c.field for c in columns}
    if {"gender", "category"} & fields or "result" in fields:
        assert sheet.data_validations.dataValidation, kind


async def test_roster_template_drop_downs_and_reimport(db: Database, world: dict) -> None:
    content = importer_template(ROSTER, [("03158", "Xã Sín Thầu")])
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    gender = headers.index("Giới tính") + 1
    validated = {str(v.sqref).split(":")[0] for v in sheet.data_validations.dataValidation}
    assert f"{chr(64 + gender)}2" in validated
    lists = book["Danh mục"]
    assert lists.sheet_state == "hidden"
    values = {
        "Mã cán bộ": "DB900001",
        "Họ và tên": "Đặng Thị Mai",
        "Giới tính": "nữ",
        "Đối tượng": "viên chức",
        "Mã đơn vị": "03158",
        "Cấp": "xã",
        "Số định danh cá nhân": "011195001234",
        "Ngày sinh": "02/02/1995",
    }
    sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    async with db.transaction() as session:
        plan = await ROSTER.plan(session, "mau.xlsx", buffer.getvalue(), today=date(2026, 12, 1))
        assert plan.ok, ROSTER.format_plan_report(plan)
        result = await ROSTER.apply(session, plan, actor="test", now=NOW)
    assert result.created == 1


async def test_chat_template_button_is_scoped_to_the_admins_units(
    db: Database, world: dict
) -> None:
    commune = Person(make_dispatcher(db, Clock()), "5550010")
    await commune.link_with_code(db, "+84912000010")
    await commune.say("/quantri")
    await commune.press(ADMIN_IMPORT.pack())
    assert TEMPLATE_ASK.pack() in commune.values
    await commune.press(TEMPLATE_ASK.pack())
    await commune.press(TEMPLATE_KIND.pack(kind="officials"))
    [attachment] = [a for r in commune.last for a in r.attachments]
    book = load_workbook(io.BytesIO(attachment.content))
    codes = [r[0] for r in book[UNITS_SHEET].iter_rows(min_row=2, values_only=True)]
    assert codes == ["03158"]


# --- the rollout kit ---------------------------------------------------------------------


def test_pdf_embeds_the_font_and_the_vietnamese_names() -> None:
    slip = Slip(
        "DB1",
        "Lò Thị Nhung",
        "Xã Sín Thầu",
        "ABCD-2345",
        "https://t.me/troly_db_bot?start=ABCD2345",
    )
    assert qr_payload(slip) == "https://t.me/troly_db_bot?start=ABCD2345"
    pdf = slips_pdf([slip], "10/12/2026")
    assert pdf.startswith(b"%PDF")
    assert b"DejaVuSans" in pdf and b"/FontFile2" in pdf  # embedded TrueType subset
    from fpdf import FPDF

    # fpdf2 writes text as glyph ids of the subset: check the names went through its
    # Unicode path (every character of them is in the embedded font's cmap).
    probe = FPDF()
    probe.add_font("DejaVu", "", "models/exports/fonts/DejaVuSans.ttf")
    probe.set_font("DejaVu", "", 12)
    for text in ("Lò Thị Nhung", "Xã Sín Thầu"):
        assert all(ord(ch) in probe.current_font.cmap for ch in text)  # type: ignore[union-attr]
    assert zlib  # streams are compressed; the font name above is enough to show embedding


async def test_kit_codes_link_old_codes_do_not_and_scope_holds(
    db: Database, world: dict, tmp_path: Path
) -> None:
    async with db.transaction() as session:
        nhung = await session.scalar(select(Official).where(Official.employee_code == "DB000020"))
        assert nhung is not None
        old = await link_codes.issue(session, nhung, now=NOW, created_by="test", pepper=b"")
    assert await write_link_codes(db, settings(db), "03158", tmp_path) == 0
    book = load_workbook(tmp_path / "ma-lien-ket-03158.xlsx")
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    names = {r[1]: r for r in rows}
    assert set(names) == {"Lò Thị Nhung", "Giàng A Tủa"}  # Sín Thầu only, none linked yet
    code = str(names["Lò Thị Nhung"][3])
    assert names["Lò Thị Nhung"][4] == f"https://t.me/troly_db_bot?start={code.replace('-', '')}"
    assert (tmp_path / "ma-lien-ket-03158.pdf").read_bytes().startswith(b"%PDF")
    async with db.transaction() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "link_code.batch")
        )
        assert entry is not None and entry.actor == "cli" and entry.affected == 2

    someone = Person(make_dispatcher(db, Clock()), "5550099")
    await someone.say(f"/start {old}")
    async with db.transaction() as session:
        linked = await session.get(Official, nhung.id)
    assert "Nhung" not in someone.text
    nhung_chat = Person(make_dispatcher(db, Clock()), "5550020")
    reply = await nhung_chat.say(f"/start {code}")
    assert "Nhung" in reply, reply
    assert linked is not None

    # A commune admin's kit holds only their commune; Lò Thị Nhung has linked now.
    commune = Person(make_dispatcher(db, Clock()), "5550010")
    await commune.link_with_code(db, "+84912000010")
    await commune.say("/quantri")
    await commune.press(ADMIN_KIT.pack())
    assert "Lê Văn Nam" not in commune.text and "Phạm Thu Hà" not in commune.text
    assert "Every official" in commune.text or "Mọi cán bộ" in commune.text or commune.last


async def test_issue_kit_for_a_province_admin_covers_the_tree(db: Database, world: dict) -> None:
    async with db.transaction() as session:
        root = await session.scalar(select(OrgUnit).where(OrgUnit.code == "T11"))
        assert root is not None
        kit = await issue_kit(session, root, now=NOW, actor="test", pepper=b"", bot_username=None)
    assert {s.full_name for s in kit.slips} == {
        "Phạm Thu Hà",
        "Giàng A Tủa",
        "Lò Thị Nhung",
        "Lê Văn Nam",
    }
    assert all(s.deep_link is None and qr_payload(s) == s.code for s in kit.slips)


@pytest.mark.parametrize(
    ("locale", "headers", "sheets", "zalo"),
    [
        (
            "vi",
            ["Mã cán bộ", "Họ và tên", "Đơn vị", "Mã liên kết", "Liên kết Telegram"],
            ["Chưa liên kết", "Số lượng theo đơn vị"],
            "Trên Zalo: mở Zalo OA của Trợ lý Bồi dưỡng, bấm “Quan tâm” rồi gửi mã ",
        ),
        (
            "en",
            ["Employee code", "Full name", "Unit", "Link code", "Telegram link"],
            ["Not linked", "Counts by unit"],
            "On Zalo: open the Trợ lý Bồi dưỡng Zalo OA, tap “Follow” and send the code ",
        ),
    ],
)
async def test_the_kit_speaks_the_asking_admins_language(
    db: Database, world: dict, locale: str, headers: list[str], sheets: list[str], zalo: str
) -> None:
    with use_locale(locale):
        async with db.transaction() as session:
            commune = await session.scalar(select(OrgUnit).where(OrgUnit.code == "03158"))
            assert commune is not None
            kit = await issue_kit(
                session, commune, now=NOW, actor="test", pepper=b"", bot_username="troly_db_bot"
            )
            units = await unlinked_units(session, [commune.path])
        lines = slip_lines(kit.slips[0], "10/12/2026")
        unlinked = load_workbook(io.BytesIO(unlinked_xlsx(units)))
    sheet = load_workbook(io.BytesIO(kit.xlsx)).worksheets[0]
    assert [c.value for c in sheet[1]][:5] == headers
    assert str(sheet.cell(2, 6).value).startswith(zalo)
    assert unlinked.sheetnames == sheets
    assert len(lines) == 3 and lines[1] == zalo + kit.slips[0].code + "."
    other = "en" if locale == "vi" else "vi"
    with use_locale(other):
        foreign = set(slip_lines(kit.slips[0], "10/12/2026"))
    assert not foreign & set(lines)
