"""A province is data (#13.1): the national rules compose with any province's file, and a
deployment for another province never shows "Điện Biên"."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli_kits import template_kinds, write_template
from bot.config import ConfigError, Settings
from bot.db import Database
from handlers.payloads import (
    ADMIN_GRANT,
    ADMIN_IMPORT,
    ADMIN_KIT,
    ADMIN_REISSUE,
    TEMPLATE_ASK,
    TEMPLATE_KIND,
)
from locales import use_locale
from models.chat.rollout_kit import issue_kit, slip_lines
from models.demo import PROVINCE_FILE as DEMO_PROVINCE_FILE
from models.imports.kinds import IMPORTERS
from models.org import admins
from models.org.units import by_code
from models.requirements.parser import compile_catalogue
from models.requirements.province import compose, national_document
from models.requirements.store import default_catalogue, use_province_file
from tests.factories import make_official
from tests.transcript import Clock, Person, make_dispatcher

PROVINCE_YAML = """
province: {name: "Tỉnh Thử Nghiệm", code: "99"}
catalogue: thu-nghiem
version: "2027.01-1"
jurisdiction: "VN / tỉnh Thử Nghiệm"
parameters:
  yearly_update_min_periods:
    value: 16
    explain: {vi: "Tỉnh Thử Nghiệm chọn 16 tiết mỗi năm.", en: "Chosen by the province."}
  yearly_due:
    value: "11-30"
bases:
  KH_TN_2026:
    title: {vi: "Kế hoạch bồi dưỡng CBCCVC tỉnh Thử Nghiệm 2026–2030"}
    kind: province_target
    verification: unverified
    in_force_from: 2026-01-01
rules:
  - id: TN-01
    item: obligation
    title: {vi: "Cập nhật kiến thức pháp luật hằng năm (tỉnh Thử Nghiệm)"}
    applies_to:
      - {field: category, op: in, value: [can_bo, cong_chuc]}
    satisfied_by:
      any_of:
        - {training: cap_nhat_phap_luat_ky_nang, min_periods: {param: yearly_update_min_periods}}
    recurrence: {type: yearly, due: {param: yearly_due}}
    basis:
      - {ref: KH_TN_2026}
      - {ref: ND171_2025}
targets:
  - id: TN-T1
    rule: TN-01
    threshold: 0.9
    title: {vi: "hằng năm ít nhất 90% CBCC được cập nhật kiến thức pháp luật"}
    basis: KH_TN_2026
    period: {from: 2026, to: 2030}
holidays:
  announced:
    - {from: 2026-12-15, to: 2026-12-15, name: "Kỷ niệm ngày thành lập tỉnh Thử Nghiệm"}
"""


@pytest.fixture
def province_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "tinh_thu_nghiem.yaml"
    path.write_text(PROVINCE_YAML, encoding="utf-8")
    use_province_file(path)
    try:
        yield path
    finally:
        use_province_file(DEMO_PROVINCE_FILE)


@pytest.fixture
def no_province() -> Iterator[None]:
    use_province_file(None)
    try:
        yield
    finally:
        use_province_file(DEMO_PROVINCE_FILE)


def test_another_province_composes_with_the_national_rules(province_file: Path) -> None:
    catalogue = default_catalogue()
    assert catalogue.province is not None and catalogue.province.name == "Tỉnh Thử Nghiệm"
    assert (catalogue.name, catalogue.version) == ("thu-nghiem", "2027.01-1")
    ids = [r.id for r in catalogue.rules]
    assert ids[0] == "TN-01" and "REG-171-LEADER-QLNN" in ids
    assert not any(i.startswith("DB-SEED") for i in ids)
    assert [t.id for t in catalogue.targets] == ["TN-T1"]
    assert catalogue.parameters["yearly_update_min_periods"].value == 16
    assert catalogue.parameters["yearly_due"].value == "11-30"
    # A national default the province did not override stays.
    assert catalogue.parameters["leader_qlnn_months"].value == 12
    assert "SEED_DB_2022" not in catalogue.bases and "KH_TN_2026" in catalogue.bases


def test_the_province_file_adds_its_own_holidays(province_file: Path) -> None:
    holidays = Settings.from_env({"PROVINCE_FILE": str(province_file)}).send_window.holidays
    days = holidays.of_year(2026)
    assert days[date(2026, 12, 15)] == "Kỷ niệm ngày thành lập tỉnh Thử Nghiệm"
    assert date(2026, 2, 16) in days  # the national file's Tết week stays
    assert date(2026, 12, 15) not in Settings.from_env({}).send_window.holidays.of_year(2026)
    with pytest.raises(ConfigError, match="PROVINCE_FILE"):
        Settings.from_env({"PROVINCE_FILE": str(province_file.parent / "missing.yaml")})


def test_the_demo_province_is_one_file_among_others() -> None:
    catalogue = default_catalogue()  # the tests' world: the demo's file
    assert catalogue.province is not None and catalogue.province.name == "Tỉnh Điện Biên"
    assert (catalogue.name, catalogue.version) == ("dien-bien-default", "2026.12-1")
    national = national_document()
    assert "Điện Biên" not in str(national)  # national rules name no province
    assert not any(r["id"].startswith("DB-SEED") for r in national["rules"])


def test_a_rule_id_in_both_files_is_reported(tmp_path: Path) -> None:
    national = national_document()
    clash = {"province": {"name": "Tỉnh X"}, "rules": [dict(national["rules"][0])]}
    catalogue, errors = compile_catalogue(compose(national, clash))
    assert catalogue is None and any("used twice" in str(e) for e in errors)


def test_national_rules_alone_without_a_province_file(no_province: None) -> None:
    catalogue = default_catalogue()
    assert catalogue.province is None and catalogue.targets == ()
    assert catalogue.name == "vn-national"
    assert "REG-171-KY-NANG-SO" in catalogue.rules_by_id


NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


async def _world(db: Database) -> None:
    from models.org.units import add_unit

    async with db.transaction() as session:
        root = await add_unit(
            session, code="P99", name="Tỉnh Thử Nghiệm", level="province", kind="province"
        )
        dept = await add_unit(
            session, code="SNV", name="Sở Nội vụ", level="province", kind="department", parent=root
        )
        xa = await add_unit(
            session, code="X01", name="Xã Thử", level="commune", kind="commune", parent=root
        )
        hr = await make_official(
            session, dept, employee_code="TN000001", phone="+84912000101", full_name="Trần Thị Hà"
        )
        await make_official(
            session,
            xa,
            employee_code="TN000002",
            phone="+84912000102",
            full_name="Lò Văn Pấng",
            started_service_on=date(2015, 3, 1),
        )
        await admins.grant(session, hr, root, actor="test", now=NOW)


# The demo province's name, and what its data looks like: DB-numbered employee codes, its
# province code T11 and Xã Sín Thầu (03158), the examples the code used to give.
DEMO_TRACES = re.compile(r"Điện Biên|Dien Bien|\bDB\d{6}\b|\bT11\b|03158|Sín Thầu", re.IGNORECASE)


def _clean(text: object, where: str) -> None:
    found = DEMO_TRACES.search(str(text))
    assert found is None, f"{where}: {found.group(0) if found else ''!r} in {text!r}"


def _clean_workbook(content: bytes, where: str) -> None:
    book = load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        _clean(sheet.title, where)
        for row in sheet.iter_rows(values_only=True):
            for value in row:
                if value is not None:
                    _clean(value, f"{where} / {sheet.title}")


def _no_dien_bien(person: Person) -> None:
    for reply in person.last:
        _clean(reply.text, "reply")
        for choice in reply.choices:
            _clean(choice.label, "button")
        for attachment in reply.attachments:
            _clean(attachment.file_name, "file name")
            if attachment.file_name.endswith(".xlsx"):
                _clean_workbook(attachment.content, attachment.file_name)


async def test_another_province_never_shows_dien_bien(
    db: Database, province_file: Path, tmp_path: Path
) -> None:
    await _world(db)
    dispatcher = make_dispatcher(db, Clock(NOW))
    pang = Person(dispatcher, "7702")
    await pang.link_with_code(db, "0912000102")
    _no_dien_bien(pang)
    for command in ("/start", "/help", "/trogiup", "/yeucau", "/hoso", "/khoahoc", "/nhacnho"):
        text = await pang.say(command)
        assert text, command
        _no_dien_bien(pang)
    assert "Cập nhật kiến thức pháp luật hằng năm (tỉnh Thử Nghiệm)" in await pang.say("/yeucau")
    ha = Person(dispatcher, "7701")
    await ha.link_with_code(db, "0912000101")
    text = await ha.say("/baocao")
    assert "Tỉnh Thử Nghiệm" in text and "90%" in text, text
    assert any(a.file_name.endswith(".xlsx") for r in ha.last for a in r.attachments)
    _no_dien_bien(ha)

    # Every /quantri button one level down, the templates and the rollout kit among them;
    # someone is still to link, so the kit has a slip.
    async with db.transaction() as session:
        commune = await by_code(session, "X01")
        assert commune is not None
        await make_official(
            session, commune, employee_code="TN000003", phone="+84912000103", full_name="Vì Thị Hoa"
        )
    await ha.say("/quantri")
    _no_dien_bien(ha)
    menu = [v for v in ha.values if not v.startswith("cmd:")]
    assert ADMIN_KIT.pack() in menu and ADMIN_GRANT.pack() in menu, menu
    for value in menu:
        await ha.say("/quantri")
        await ha.press(value)
        _no_dien_bien(ha)
        if value == ADMIN_KIT.pack():
            assert any(a.file_name.endswith(".pdf") for r in ha.last for a in r.attachments)
    await ha.say("/quantri")
    await ha.press(ADMIN_REISSUE.pack())
    await ha.say("Pấng")
    _no_dien_bien(ha)
    for kind in sorted(IMPORTERS):
        await ha.say("/quantri")
        await ha.press(ADMIN_IMPORT.pack())
        await ha.press(TEMPLATE_ASK.pack())
        await ha.press(TEMPLATE_KIND.pack(kind=kind))
        assert any(a.file_name.endswith(".xlsx") for r in ha.last for a in r.attachments), kind
        _no_dien_bien(ha)

    # The same files from the command line, and the slips' own lines (the PDF's text is
    # glyph ids, so its lines are checked where they are made).
    settings = Settings(database_url=db.url)
    for kind in template_kinds():
        assert await write_template(db, settings, kind, tmp_path / f"{kind}.xlsx") == 0
        _clean_workbook((tmp_path / f"{kind}.xlsx").read_bytes(), f"template {kind}")
    async with db.transaction() as session:
        root = await by_code(session, "P99")
        assert root is not None
        kit = await issue_kit(session, root, now=NOW, actor="test", pepper=b"", bot_username=None)
    _clean_workbook(kit.xlsx, "kit")
    for locale in ("vi", "en"):
        with use_locale(locale):
            for slip in kit.slips:
                for line in slip_lines(slip, "15/12/2026"):
                    _clean(line, "slip")


async def test_without_a_province_file_targets_have_no_data(
    db: Database, no_province: None
) -> None:
    await _world(db)
    dispatcher = make_dispatcher(db, Clock(NOW))
    ha = Person(dispatcher, "7701")
    await ha.link_with_code(db, "0912000101")
    text = await ha.say("/baocao")
    assert "Chỉ tiêu của tỉnh năm 2026: chưa có dữ liệu." in text, text
    _no_dien_bien(ha)
    pang = Person(dispatcher, "7702")
    await pang.link_with_code(db, "0912000102")
    assert await pang.say("/yeucau")
    _no_dien_bien(pang)


async def test_province_load_and_show_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    (tmp_path / "tinh.yaml").write_text(PROVINCE_YAML, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'troly.sqlite3'}")
    monkeypatch.setenv("PROVINCE_FILE", str(tmp_path / "tinh.yaml"))

    async def troly(*argv: str) -> str:
        assert await asyncio.to_thread(main, list(argv)) == 0
        captured = capsys.readouterr()
        return captured.out + captured.err

    try:
        await troly("db", "upgrade")
        shown = await troly("province", "show")
        assert "Tỉnh Thử Nghiệm: bộ quy định thu-nghiem 2027.01-1" in shown, shown
        assert "tinh.yaml" in shown and "province load" not in shown
        assert "Đã nạp danh mục 2027.01-1" in await troly("province", "load")
        monkeypatch.delenv("PROVINCE_FILE")
        shown = await troly("province", "show")
        # The stored composition stays in force, and HR is told it hides the setting.
        assert "Tỉnh Thử Nghiệm" in shown and "đã lưu trong cơ sở dữ liệu" in shown, shown
        assert "python -m bot province load" in shown
    finally:
        use_province_file(DEMO_PROVINCE_FILE)
