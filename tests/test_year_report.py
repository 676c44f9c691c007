"""The year-end report (#16.6): figures by kind × level with "trong đó lãnh đạo, quản lý",
classes against the plan and quotas, the province's targets with and without data, the
template as data (custom, from the province file, bad), scope, the chat flow from /baocao,
and the CLI. On SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.__main__ import report_year
from bot.channels.telegram import build_application
from bot.config import ConfigError, Settings
from bot.db import Database
from bot.dispatch import Dispatcher
from handlers.types import XLSX
from locales import use_locale
from models.audit import AuditEntry
from models.courses.catalogue import CourseStatus
from models.exports import year_report as yr
from models.exports.year_report import YearReport, year_report, year_report_workbook
from models.exports.year_report_template import (
    DEFAULT_TEMPLATE,
    ROW_MEASURES,
    TARGET_MEASURES,
    TemplateError,
    load_template,
)
from models.org import admins
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit, add_unit
from models.plan.quotas import CourseQuota
from models.privacy.reads import READ
from models.requirements.compliance import TargetCompliance
from models.requirements.model import Target, Text
from models.requirements.store import default_catalogue
from tests.courses_world import add_record, link, make_course
from tests.factories import make_official, small_province
from tests.fake_bot_api import FakeBotApi
from tests.transcript import Clock, Person

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 on 01/12/2026 in Việt Nam
TODAY = date(2026, 12, 1)
LAW = "cap_nhat_phap_luat_ky_nang"
ETHICS = "dao_duc_cong_vu"
HR = 9006  # Phạm Thu Hà, the province's HR admin, linked by code in the world


@pytest.fixture
async def world(db: Database) -> dict[str, Any]:
    """Two levels (tỉnh, xã): three officials trained in 2026, two of them leaders."""
    async with db.transaction() as session:
        units = await small_province(session)
        ha = await make_official(
            session, units["tccb"], employee_code="DB000006", full_name="Phạm Thu Hà",
            gender="female", phone="+84912000006", leadership_tier="truong_phong",
        )  # fmt: skip
        tua = await make_official(
            session, units["sin_thau"], employee_code="DB000010", full_name="Giàng A Tủa",
            phone="+84912000010",
        )  # fmt: skip
        an = await make_official(session, units["tccb"], employee_code="DB000011")
        binh = await make_official(
            session, units["tccb"], employee_code="DB000012", full_name="Trần Văn Bình",
            phone="+84912000012", leadership_tier="pho_truong_phong",
        )  # fmt: skip
        pao = await make_official(
            session, units["sin_thau"], employee_code="DB000013", full_name="Giàng A Páo",
            phone="+84912000013", leadership_tier="lanh_dao_chu_chot_xa",
        )  # fmt: skip
        await admins.grant(session, ha, units["root"], actor="test", now=NOW)
        await admins.grant(session, tua, units["sin_thau"], actor="test", now=NOW)
        await link(session, ha, "9006")
        await link(session, tua, "9010")
        await link(session, an, "9011")
        await add_record(session, an, LAW, date(2026, 3, 10), periods=16)
        await add_record(session, an, ETHICS, date(2026, 5, 1), periods=8)
        await add_record(session, binh, LAW, date(2026, 4, 1), periods=24)
        await add_record(session, pao, LAW, date(2026, 6, 1), periods=16)
        await add_record(session, tua, LAW, date(2025, 12, 31))  # another year
        await add_record(session, pao, ETHICS, date(2027, 1, 1))  # another year
        k1 = await make_course(
            session, "K-2026-01", starts_on=date(2026, 3, 1), capacity=30,
            registration_closes_on=date(2026, 2, 20), eligible_levels=["province"],
        )  # fmt: skip
        await make_course(
            session,
            "K-2026-02",
            starts_on=date(2026, 12, 12),
            capacity=20,
            registration_closes_on=date(2026, 12, 5),
        )  # fmt: skip  (planned, not held yet)
        await make_course(
            session, "K-2026-03", starts_on=date(2026, 5, 1), capacity=10,
            registration_closes_on=date(2026, 4, 20), status=CourseStatus.CANCELLED,
        )  # fmt: skip
        await make_course(
            session, "K-2026-05", kind=ETHICS, starts_on=date(2026, 6, 1), capacity=15,
            registration_closes_on=date(2026, 5, 20), eligible_unit_id=units["sin_thau"].id,
        )  # fmt: skip
        await make_course(
            session, "K-2025-09", kind=ETHICS, starts_on=date(2025, 6, 1), capacity=15,
            registration_closes_on=date(2025, 5, 20),
        )  # fmt: skip
        for unit, seats in ((units["tccb"], 5), (units["sin_thau"], 3)):
            session.add(CourseQuota(course_id=k1.id, unit_id=unit.id, seats=seats, set_at=NOW))
    return {"units": units}


async def _report(db: Database, scope_units: list[str], year: int = 2026, **kw: Any) -> YearReport:
    async with db.transaction() as session:
        units = [
            await session.scalar(select(OrgUnit).where(OrgUnit.code == c)) for c in scope_units
        ]
        scope = Scope(tuple(u for u in units if u is not None))
        return await year_report(session, year=year, scope=scope, today=TODAY, **kw)


def _sheet(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _table(values: list[list[Any]], first_header: str = "STT") -> list[list[Any]]:
    start = next(i for i, row in enumerate(values) if row[0] == first_header)
    end = next(
        (i for i in range(start + 1, len(values)) if all(v is None for v in values[i])),
        len(values),
    )
    return values[start:end]


async def test_figures_by_kind_and_level_with_leaders_and_plan(db: Database, world: dict) -> None:
    report = await _report(db, ["T11"])
    law, ethics = report.kinds
    assert (law.kind, ethics.kind) == (LAW, ETHICS)
    t = law.total
    assert (t.completions, t.leader_completions, t.officials, t.leader_officials) == (3, 2, 3, 2)
    assert (t.classes, t.planned_classes, t.planned_seats, t.quota_seats) == (1, 3, 60, 8)
    assert t.periods == 56 and t.plan_share == pytest.approx(3 / 8)
    levels = dict(law.by_level)
    assert list(levels) == ["province", "commune"]
    province, commune = levels["province"], levels["commune"]
    assert (province.completions, province.leader_completions, province.quota_seats) == (2, 1, 5)
    # K-2026-01 is open to the province level only: its row counts the class and its seats.
    assert (province.classes, province.planned_seats) == (1, 30)
    assert (commune.completions, commune.leader_completions, commune.classes) == (1, 1, 0)
    assert (ethics.total.completions, ethics.total.classes, ethics.total.planned_seats) == (
        1,
        1,
        15,
    )
    # An trained twice: four completions by three people.
    assert (report.total.completions, report.total.officials, report.people) == (4, 3, 3)
    assert report.total.leader_completions == 2
    assert report.province == "Tỉnh Điện Biên" and report.as_of == TODAY


async def test_workbook_title_headers_numbers_in_the_default_template(
    db: Database, world: dict
) -> None:
    report = await _report(db, ["T11"])
    with use_locale("vi"):
        values = _sheet(year_report_workbook(report, load_template(), made_on=TODAY))
    assert values[0][0] == "KẾT QUẢ ĐÀO TẠO, BỒI DƯỠNG NĂM 2026"
    assert values[1][0] == "Tỉnh Điện Biên"
    assert values[2][0] == "Phạm vi: Tỉnh Điện Biên"
    assert values[3][0] == "Lập ngày 01/12/2026"
    table = _table(values)
    assert table[0][:6] == [
        "STT",
        "Loại hình đào tạo, bồi dưỡng",
        "Cấp",
        "Số lớp đã tổ chức",
        "Số lượt người được đào tạo, bồi dưỡng",
        "Trong đó lãnh đạo, quản lý",
    ]
    rows = [row[:6] for row in table[1:]]
    law = default_catalogue().kind_title(LAW)
    assert rows[0] == ["1", law, "Tất cả các cấp", 1, 3, 2]
    assert rows[1] == ["1.1", law, "cấp tỉnh", 1, 2, 1]
    assert rows[2] == ["1.2", law, "cấp xã", 0, 1, 1]
    assert rows[-1][1:2] == ["Tổng cộng"] and rows[-1][4:6] == [4, 2]
    sheet = load_workbook(
        io.BytesIO(year_report_workbook(report, load_template(), made_on=TODAY))
    ).active
    assert sheet is not None
    assert sheet["E8"].number_format == "#,##0"  # 24.150 in a Vietnamese Excel


async def test_three_level_data_shows_the_district_level(db: Database) -> None:
    async with db.transaction() as session:
        root = await add_unit(session, code="T11", name="Tỉnh Điện Biên", level="province")
        district = await add_unit(
            session, code="H01", name="Huyện Mường Nhé", level="district", parent=root
        )
        commune = await add_unit(
            session, code="X01", name="Xã Sín Thầu", level="commune", parent=district
        )
        for n, unit in enumerate((root, district, commune, commune)):
            official = await make_official(
                session, unit, employee_code=f"DB10{n}", phone=f"+8491210000{n}",
                leadership_tier="truong_phong" if n == 1 else None,
            )  # fmt: skip
            await add_record(session, official, LAW, date(2024, 9, 1 + n))
    report = await _report(db, ["T11"], year=2024)
    (law,) = report.kinds
    assert [(lv, f.completions, f.leader_completions) for lv, f in law.by_level] == [
        ("province", 1, 0),
        ("district", 1, 1),
        ("commune", 2, 0),
    ]
    assert report.as_of == date(2024, 12, 31)
    with use_locale("vi"):
        rows = _table(_sheet(year_report_workbook(report, load_template(), made_on=TODAY)))
    assert [row[2] for row in rows[2:5]] == ["cấp tỉnh", "cấp huyện (trước 01/7/2025)", "cấp xã"]
    # Only the district's subtree: its commune is in, the province's own office is not.
    report = await _report(db, ["H01"], year=2024)
    assert [lv for lv, _f in report.kinds[0].by_level] == ["district", "commune"]


async def test_scope_is_the_admins_subtree(db: Database, world: dict) -> None:
    report = await _report(db, ["03158"])
    (law,) = (k for k in report.kinds if k.kind == LAW)
    assert [lv for lv, _f in law.by_level] == ["commune"]
    # Páo alone trained in the commune; the quota is the commune's own three seats.
    assert (law.total.completions, law.total.leader_completions, law.total.quota_seats) == (1, 1, 3)
    assert report.total.officials == 1
    # The commune's own course (K-2026-05) and the province-wide ones are open to it.
    ethics = next(k for k in report.kinds if k.kind == ETHICS)
    assert (ethics.total.completions, ethics.total.classes) == (0, 1)
    nobody = await _report(db, [])
    assert nobody.kinds == () and nobody.people == 0


async def test_targets_with_their_period_basis_and_without_data(db: Database, world: dict) -> None:
    report = await _report(db, ["T11"])
    assert report.targets, "the demo province's 2021–2025 targets"
    with use_locale("vi"):
        values = _sheet(year_report_workbook(report, load_template(), made_on=TODAY))
    targets = _table(values, "Chỉ tiêu")
    assert targets[0] == [
        "Chỉ tiêu", "Giai đoạn", "Căn cứ", "Mức chỉ tiêu", "Số người đạt", "Số người được xét",
        "Kết quả", None, None, None, None, None,
    ]  # fmt: skip
    first = targets[1]
    assert first[1] == "2021–2025 (đã kết thúc ngày 31/12/2025)"
    assert "giai đoạn 2021–2025" in first[2] and "(nguồn chưa được xác minh)" in first[2]
    assert first[3] == 1.0

    catalogue = default_catalogue()
    unset = Target(
        id="T-NEW", rule_id=catalogue.targets[0].rule_id, threshold=None,
        title=Text("Chỉ tiêu mới"), basis=None,
        period_from=date(2026, 1, 1), period_to=date(2030, 12, 31),
    )  # fmt: skip
    report = await _report(db, ["T11"], catalogue=dataclasses.replace(catalogue, targets=(unset,)))
    with use_locale("vi"):
        row = _table(
            _sheet(year_report_workbook(report, load_template(), made_on=TODAY)), "Chỉ tiêu"
        )[1]
    assert row[:4] == ["Chỉ tiêu mới", "2026–2030", "chưa có dữ liệu", "chưa có dữ liệu"]
    assert row[4:7] == [0, 0, "chưa có dữ liệu"], row

    report = await _report(db, ["T11"], catalogue=dataclasses.replace(catalogue, targets=()))
    assert report.targets == ()
    with use_locale("vi"):
        values = _sheet(year_report_workbook(report, load_template(), made_on=TODAY))
    assert [v[0] for v in values if v[0] and str(v[0]).startswith("Chỉ tiêu của tỉnh năm")] == [
        "Chỉ tiêu của tỉnh năm 2026: chưa có dữ liệu."
    ]


def test_every_measure_has_a_value() -> None:
    row = yr.rows_of(YearReport(2026, TODAY, "Tỉnh", ("Tỉnh",), (), yr.Figures(), ()))[0]
    for measure in ROW_MEASURES:
        yr._row_value(measure, row)
    item = TargetCompliance(default_catalogue().targets[0], 2, 1)
    assert {
        m: yr._target_value(m, item, TODAY) is not None for m in TARGET_MEASURES
    } == dict.fromkeys(TARGET_MEASURES, True)


CUSTOM = """\
columns:
  - {key: a, header: "Lĩnh vực", measure: kind}
  - {key: b, header: {vi: "Cấp hành chính", en: "Tier"}, measure: level}
  - {key: c, header: "Lãnh đạo, quản lý (người)", measure: leader_officials}
  - {key: d, header: "Người", measure: officials}
"""


async def test_custom_template_and_the_province_file_names_it(
    db: Database, world: dict, tmp_path: Path
) -> None:
    custom = tmp_path / "mau.yaml"
    custom.write_text(CUSTOM, encoding="utf-8")
    report = await _report(db, ["T11"])
    with use_locale("vi"):
        values = _sheet(year_report_workbook(report, load_template(custom), made_on=TODAY))
    table = _table(values, "Lĩnh vực")
    assert table[0] == ["Lĩnh vực", "Cấp hành chính", "Lãnh đạo, quản lý (người)", "Người"]
    assert table[-1] == ["Tổng cộng", None, 2, 3]
    assert not any(v[0] == "Chỉ tiêu" for v in values)  # no target_columns: no targets table

    province = tmp_path / "tinh.yaml"
    province.write_text("province: {name: Tỉnh Thử}\nyear_report_template: mau.yaml\n")
    assert Settings.from_env({"PROVINCE_FILE": str(province)}).year_report_template == custom
    other = tmp_path / "khac.yaml"
    other.write_text(CUSTOM, encoding="utf-8")
    settings = Settings.from_env(
        {"PROVINCE_FILE": str(province), "YEAR_REPORT_TEMPLATE": str(other)}
    )
    assert settings.year_report_template == other  # the setting wins
    assert Settings.from_env({}).year_report_template is None  # the repository's default


async def test_bad_template_is_one_clear_line(db: Database, world: dict, tmp_path: Path) -> None:
    bad = tmp_path / "hong.yaml"
    bad.write_text(CUSTOM.replace("measure: officials", "measure: so_nguoi"), encoding="utf-8")
    with pytest.raises(TemplateError) as caught:
        load_template(bad)
    message = str(caught.value)
    assert "\n" not in message
    assert "columns #4 (d): unknown measure 'so_nguoi' (known: row_number," in message
    with pytest.raises(ConfigError) as stopped:
        Settings.from_env({"YEAR_REPORT_TEMPLATE": str(bad)})
    assert "unknown measure 'so_nguoi'" in str(stopped.value)
    for text, expected in (
        ("columns: [", "not valid YAML"),
        ("rows: []", "unknown section 'rows'"),
        ("columns:\n  - {key: a, measure: kind}\n", "'header' must be"),
        ("columns:\n  - {key: a, header: A, measure: kind}\n"
         "  - {key: a, header: B, measure: level}\n", "key 'a' is used twice"),
    ):  # fmt: skip
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(TemplateError, match=expected):
            load_template(bad)
    assert "NOT VERIFIED" in DEFAULT_TEMPLATE.read_text(encoding="utf-8")
    # The command line refuses it with the same line and writes nothing.
    out = tmp_path / "bc.xlsx"
    settings = dataclasses.replace(Settings(database_url=db.url), year_report_template=bad)
    assert await report_year(settings, 2026, out) == 2
    assert not out.exists()


# --- through the chat ----------------------------------------------------------------------


def person(db: Database, chat: str, settings: Settings | None = None) -> Person:
    settings = settings or Settings(telegram_bot_username="troly_test_bot")
    return Person(Dispatcher(db=db, settings=settings, clock=Clock(NOW)), chat)


async def _audits(db: Database, action: str) -> list[AuditEntry]:
    async with db.transaction() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


async def test_from_baocao_the_year_chooser_and_the_workbook(
    db: Database, world: dict, channel: str
) -> None:
    if channel != "telegram":
        async with db.transaction() as session:
            official = await session.scalar(
                select(Official).where(Official.employee_code == "DB000006")
            )
            assert official is not None
            await link(session, official, "9006", channel=channel)
    ha = person(db, "9006")
    ha.channel = channel
    await ha.say("/baocao")
    assert "📅 Báo cáo năm" in ha.choices
    text = await ha.press_label("Báo cáo năm")
    assert text == "📅 Báo cáo năm: anh/chị chọn năm nào?"
    assert ha.choices == ["Năm 2026", "Năm 2025", "Năm 2024"]
    text = await ha.press_label("Năm 2026")
    assert text.splitlines()[:4] == [
        "📅 Báo cáo năm 2026 — Tỉnh Điện Biên",
        "Phạm vi: Tỉnh Điện Biên. Số liệu đến ngày 01/12/2026.",
        "",
        "• 4 lượt người được đào tạo, bồi dưỡng (3 người); trong đó lãnh đạo, quản lý: 2 lượt.",
    ]
    (file,) = [a for r in ha.last for a in r.attachments]
    assert file.mime_type == XLSX and file.file_name == "bao-cao-nam-T11-2026.xlsx"
    assert _sheet(file.content)[1][0] == "Tỉnh Điện Biên"
    (entry,) = await _audits(db, "report.year")
    assert entry.actor == f"{channel}:9006 (DB000006)" and entry.affected == 3
    assert entry.subject == "T11:2026"
    reads = [e.detail for e in await _audits(db, READ)]
    assert {k: reads[-1][k] for k in ("kind", "scope", "people")} == {
        "kind": "year_report",
        "scope": ["T11"],
        "people": 3,
    }


async def test_unit_admin_sees_the_subtree_and_forged_buttons_change_nothing(
    db: Database, world: dict
) -> None:
    tua = person(db, "9010")
    await tua.press("yr:2026")
    (file,) = [a for r in tua.last for a in r.attachments]
    rows = _table(_sheet(file.content))
    assert {row[2] for row in rows[1:-1]} == {"Tất cả các cấp", "cấp xã"}
    assert rows[-1][4] == 1  # Páo only
    (entry,) = await _audits(db, "report.year")
    assert entry.detail["scope"] == ["03158"]

    for forged in ("yr:2027", "yr:1999", "yr:abc", "yr:menu:x"):
        await tua.tap(forged)
        assert not any(r.attachments for r in tua.last)
        assert "Nút này không còn hiệu lực" in tua.text, forged
    an = person(db, "9011")  # not an admin
    await an.tap("yr:2026")
    assert not any(r.attachments for r in an.last)
    assert "chỉ dành cho cán bộ tổ chức" in an.text
    await an.tap("yr:menu")
    assert "Năm 2026" not in an.choices
    assert len(await _audits(db, "report.year")) == 1
    assert [e.subject for e in await _audits(db, "admin.denied")] == ["yr", "yr:menu"]


async def test_a_template_broken_after_the_start_is_answered_politely(
    db: Database, world: dict, tmp_path: Path
) -> None:
    bad = tmp_path / "hong.yaml"
    bad.write_text("columns: []\n", encoding="utf-8")
    settings = Settings(telegram_bot_username="troly_test_bot", year_report_template=bad)
    ha = person(db, "9006", settings)
    text = await ha.press("yr:2026")
    assert text.startswith("Mẫu báo cáo năm có lỗi nên chưa lập được báo cáo.")
    assert not any(r.attachments for r in ha.last)
    assert await _audits(db, "report.year") == []


async def test_command_line(db: Database, world: dict, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "bc.xlsx"
    settings = Settings(database_url=db.url)
    assert await report_year(settings, 2026, out) == 0
    assert "Báo cáo năm 2026: 4 lượt người được đào tạo, bồi dưỡng, trong đó 2 lượt" in (
        capsys.readouterr().out
    )
    values = _sheet(out.read_bytes())
    assert values[1][0] == "Tỉnh Điện Biên" and values[3][0] == "Lập ngày " + (
        datetime.now(UTC).astimezone(settings.timezone).strftime("%d/%m/%Y")
    )
    assert _table(values)[-1][4] == 4
    assert await report_year(settings, 2026, out, "03158") == 0
    assert _table(_sheet(out.read_bytes()))[-1][4] == 1
    assert await report_year(settings, 2026, out, "NOPE") == 1
    assert await report_year(settings, 1999, out) == 2
    entries = await _audits(db, "report.year")
    assert [(e.actor, e.subject) for e in entries] == [("cli", "T11:2026"), ("cli", "03158:2026")]


async def test_over_the_fake_telegram_server(fake: FakeBotApi, db: Database, world: dict) -> None:
    """The real python-telegram-bot stack: /baocao, "Báo cáo năm", a year, the workbook
    uploaded with sendDocument."""
    settings = dataclasses.replace(
        Settings(),
        database_url=db.url,
        telegram_token="123456:TEST-TOKEN",
        telegram_api_base_url=fake.base_url,
        telegram_file_base_url=fake.base_file_url,
    )
    app = build_application(settings, Dispatcher(db=db, settings=settings, clock=Clock(NOW)))
    async with app:
        await app.post_init(app)  # type: ignore[misc]
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.push_text(HR, "/baocao")
            await fake.wait_for(lambda: any(m.document for m in fake.sent_to(HR)), timeout=30)
            offer = next(m for m in fake.sent_to(HR) if "Báo cáo năm" in str(m.reply_markup))
            count = len(fake.sent_to(HR))
            fake.push_callback(HR, offer.message_id, offer.callback_data("Báo cáo năm"))
            await fake.wait_for(lambda: len(fake.sent_to(HR)) > count)
            chooser = fake.last_sent(HR)
            assert chooser.text == "📅 Báo cáo năm: anh/chị chọn năm nào?"
            count = len(fake.sent_to(HR))
            fake.push_callback(HR, chooser.message_id, chooser.callback_data("Năm 2026"))
            await fake.wait_for(
                lambda: any(m.document for m in fake.sent_to(HR)[count:]), timeout=30
            )
        finally:
            await app.updater.stop()
            await app.stop()
    sent = fake.sent_to(HR)[count:]
    assert any("Báo cáo năm 2026 — Tỉnh Điện Biên" in (m.text or "") for m in sent)
    document = next(m for m in sent if m.document)
    assert document.document is not None
    name, content = document.document
    assert name == "bao-cao-nam-T11-2026.xlsx"
    assert _table(_sheet(content))[-1][4] == 4
