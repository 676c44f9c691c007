"""Completions from national platforms (#16.7): the "external" import kind, by phone or by
personal ID number, idempotent, scoped, masked in every report, and careful with encodings;
from the chat and from `troly import external FILE`."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db import Database
from locales import use_locale
from models.imports.external import EXTERNAL, masked_phone
from models.imports.kinds import IMPORTERS
from models.org import admins, id_numbers
from models.requirements.store import load_catalogue_file
from models.requirements.training_records import TrainingRecord
from tests.factories import make_official, small_province
from tests.test_topic_rules import document_with, topics_rule
from tests.transcript import Clock, Person, make_dispatcher

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
PEPPER = b"test-pepper"
AN_ID = "011088001234"  # born 1988, male: agrees with the factory's official
NHUNG_ID = "011190004321"

BY_PHONE = (
    "Số điện thoại,Mã chuyên đề,Tên chuyên đề,Ngày hoàn thành,Số tiết,Số chứng chỉ,Nền tảng\n"
    '0912 000 001,PL-A,"Luật Cán bộ, công chức 2025",15/03/2026,4,OL-001,Nền tảng BDTT\n'
    '+84912000001,pl-b,"Phòng, chống tham nhũng",2026-04-20,4,,Nền tảng BDTT\n'
)
# Without diacritics, CCCD for the ID, a kind column instead of a topic the rules know.
BY_ID = (
    "So CCCD;Ma khoa hoc;Ten khoa hoc;Ngay hoan thanh;Thoi luong (tiet);Nen tang;Loai\n"
    f"{NHUNG_ID};KNS-01;Kỹ năng số cơ bản;02/05/2026;8;Học viện trực tuyến;kỹ năng số\n"
)


@pytest.fixture
async def world(db: Database) -> dict[str, Any]:
    async with db.transaction() as session:
        result = await load_catalogue_file(
            session, document_with(topics_rule()), actor="test", now=NOW
        )
        assert result.errors == []
        units = await small_province(session)
        an = await make_official(
            session,
            units["tccb"],
            id_number_hash=id_numbers.keyed_hash(AN_ID, PEPPER),
            id_number_masked=id_numbers.masked(AN_ID),
        )
        nhung = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000002",
            full_name="Lò Thị Nhung",
            gender="female",
            birth_date=date(1990, 2, 3),
            phone="+84912000002",
            id_number_hash=id_numbers.keyed_hash(NHUNG_ID, PEPPER),
            id_number_masked=id_numbers.masked(NHUNG_ID),
        )
        hr = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000010",
            full_name="Giàng A Tủa",
            phone="+84912000010",
            level="commune",
        )
        await admins.grant(session, hr, units["sin_thau"], actor="test", now=NOW)
    return {"units": units, "an": an.id, "nhung": nhung.id}


async def _import(db: Database, name: str, content: bytes, **kw: Any) -> tuple[Any, Any]:
    async with db.transaction() as session:
        plan = await EXTERNAL.plan(
            session,
            name,
            content,
            today=TODAY,
            scope_unit=kw.pop("scope_unit", None),
            pepper=PEPPER,
        )
        result = await EXTERNAL.apply(session, plan, actor="test", now=NOW, **kw)
    return plan, result


async def _records(db: Database) -> list[tuple[Any, ...]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(
                TrainingRecord.official_id,
                TrainingRecord.kind,
                TrainingRecord.program_code,
                TrainingRecord.title,
                TrainingRecord.completed_on,
                TrainingRecord.periods,
                TrainingRecord.source,
            ).order_by(TrainingRecord.completed_on)
        )
        return [tuple(r) for r in rows]


def report(plan: Any) -> str:
    with use_locale("vi"):
        return EXTERNAL.format_plan_report(plan)


async def test_import_by_phone_then_again_counts_nothing_twice(db: Database, world: dict) -> None:
    plan, result = await _import(db, "bdtt.csv", BY_PHONE.encode())
    assert plan.ok, report(plan)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    kind = "cap_nhat_phap_luat_ky_nang"  # from the topics rule: the file has no kind column
    assert await _records(db) == [
        (
            world["an"],
            kind,
            "PL-A",
            "Luật Cán bộ, công chức 2025",
            date(2026, 3, 15),
            4,
            "external:Nền tảng BDTT",
        ),
        (
            world["an"],
            kind,
            "pl-b",
            "Phòng, chống tham nhũng",
            date(2026, 4, 20),
            4,
            "external:Nền tảng BDTT",
        ),
    ]
    # The same file again, and as .xlsx: nothing new.
    plan, result = await _import(db, "bdtt.csv", BY_PHONE.encode())
    assert (plan.to_create, result.created, result.unchanged) == (0, 0, 2)
    assert len(await _records(db)) == 2


async def test_import_by_personal_id_without_diacritics(db: Database, world: dict) -> None:
    plan, result = await _import(db, "hv.csv", ("\ufeff" + BY_ID).encode())  # with a BOM
    assert plan.ok, report(plan)
    assert result.created == 1
    assert await _records(db) == [
        (
            world["nhung"],
            "khoa_hoc_cong_nghe_so",
            "KNS-01",
            "Kỹ năng số cơ bản",
            date(2026, 5, 2),
            8,
            "external:Học viện trực tuyến",
        )
    ]


async def test_xlsx_with_an_id_number_cell_that_lost_its_zero(db: Database, world: dict) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Số định danh cá nhân", "Mã chuyên đề", "Ngày hoàn thành"])
    sheet.append([int(AN_ID), "PL-C", datetime(2026, 6, 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan, result = await _import(db, "bdtt.xlsx", buffer.getvalue())
    assert plan.ok, report(plan)
    assert result.created == 1
    assert (await _records(db))[0][:3] == (world["an"], "cap_nhat_phap_luat_ky_nang", "PL-C")


async def test_unknown_people_are_row_errors_with_their_numbers_masked(
    db: Database, world: dict
) -> None:
    content = (
        "Số điện thoại,Số định danh cá nhân,Mã chuyên đề,Ngày hoàn thành\n"
        "0912 999 888,,PL-A,01/03/2026\n"
        ",011090007777,PL-A,01/03/2026\n"
        ",,PL-A,01/03/2026\n"
        f"0912000002,{AN_ID},PL-A,01/03/2026\n"
        "0912000001,,XYZ-9,01/03/2026\n"
    )
    plan, result = await _import(db, "loi.csv", content.encode())
    assert not result.applied and await _records(db) == []
    text = report(plan)
    assert "Dòng 2, cột “Số điện thoại”: không tìm thấy cán bộ có số điện thoại 0912•••888" in text
    assert (
        "Dòng 3, cột “Số định danh cá nhân”: không tìm thấy cán bộ có số định danh cá nhân"
        " 0110******77" in text
    )
    assert "Dòng 4" in text and "Dòng 5" in text and "hai cán bộ khác nhau" in text
    assert "Dòng 6" in text and "“XYZ-9” không thuộc quy tắc nào" in text
    assert "0912999888" not in text and "999 888" not in text and "011090007777" not in text
    workbook = load_workbook(io.BytesIO(EXTERNAL.write_error_file(plan)))
    cells = [str(c) for row in workbook.active.iter_rows(values_only=True) for c in row]
    assert "011090007777" not in cells and AN_ID not in cells
    assert "0110******77" in cells


async def test_people_outside_the_admins_unit_are_refused(db: Database, world: dict) -> None:
    commune = world["units"]["sin_thau"]
    plan, result = await _import(db, "bdtt.csv", BY_PHONE.encode(), scope_unit=commune)
    assert [e.row for e in plan.errors] == [2, 3]
    assert "không thuộc Xã Sín Thầu" in report(plan)
    assert not result.applied and await _records(db) == []
    # Her own commune's official imports.
    plan, result = await _import(db, "hv.csv", BY_ID.encode(), scope_unit=commune)
    assert plan.ok and result.created == 1


def _cp1258(text: str) -> bytes:
    from tests.test_roster_import import to_cp1258

    return to_cp1258(text)


async def test_encodings(db: Database, world: dict) -> None:
    # A Windows-1258 file (older Vietnamese Excel) reads as the same NFC text.
    plan, result = await _import(db, "cp1258.csv", _cp1258(BY_PHONE))
    assert plan.ok, report(plan)
    assert [r[3] for r in await _records(db)] == [
        "Luật Cán bộ, công chức 2025",
        "Phòng, chống tham nhũng",
    ]
    # UTF-8 opened as Windows-1252 and saved again: refused whole, with what to do.
    mojibake = BY_ID.encode("utf-8").decode("cp1252", errors="replace").encode("utf-8")
    plan, result = await _import(db, "hong.csv", mojibake)
    assert plan.file_error is not None and not result.applied
    text = report(plan)
    assert "làm hỏng chữ tiếng Việt" in text and "CSV UTF-8" in text
    # Saved in a Western code page: the letters it lacks became "?".
    lost = BY_ID.encode("cp1252", errors="replace")
    plan, result = await _import(db, "hoi.csv", lost)
    assert plan.file_error is not None and "CSV UTF-8" in report(plan)
    assert len(await _records(db)) == 2


async def test_a_file_without_phone_or_id_column(db: Database, world: dict) -> None:
    plan, result = await _import(db, "x.csv", b"Ma chuyen de,Ngay hoan thanh\nPL-A,01/03/2026\n")
    assert plan.file_error is not None and not result.applied
    assert "không có cột số điện thoại hoặc số định danh cá nhân" in report(plan)


def test_masked_phone() -> None:
    assert masked_phone("+84912345678") == "0912•••678"


async def test_from_the_chat_an_admin_imports_her_communes_completions(
    db: Database, world: dict
) -> None:
    assert "external" in IMPORTERS
    tua = Person(make_dispatcher(db, Clock(NOW)), "9010")
    await tua.link_with_code(db, "0912000010")
    content = (
        "Số điện thoại,Mã chuyên đề,Ngày hoàn thành,Loại\n0912000002,KNS-02,03/05/2026,tin học\n"
    )
    await tua.send_file("bdtt.csv", content.encode())
    assert any("nền tảng" in c for c in tua.choices), tua.choices
    await tua.press(next(v for v in tua.values if v.endswith(":external")))
    assert "thêm mới 1" in tua.text, tua.text
    await tua.press(next(v for v in tua.values if v.endswith(":all")))
    assert "Đã nhập kết quả học trên nền tảng trực tuyến từ “bdtt.csv”: 1 mới" in tua.text
    assert [r[:3] for r in await _records(db)] == [(world["nhung"], "tin_hoc", "KNS-02")]


async def test_the_command_line_imports_external(
    db: Database, world: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    from bot.__main__ import import_file
    from bot.config import Settings

    settings = replace(Settings(), database_url=db.url)
    code = await import_file(settings, "external", "bdtt.csv", BY_PHONE.encode(), False)
    assert code == 0, capsys.readouterr()
    assert len(await _records(db)) == 2


async def test_the_journeys_domain_functions(db: Database, world: dict) -> None:
    from models.imports.external import import_external_completions
    from models.org.officials import Official
    from models.requirements.topics import topics_status_of
    from tests.test_topic_rules import RULE_ID

    async with db.transaction() as session:
        plan, result = await import_external_completions(
            session, "bdtt.csv", BY_PHONE.encode(), today=TODAY, now=NOW, actor="test"
        )
        assert plan.ok and result.created == 2
        an = await session.get(Official, world["an"])
        assert an is not None
        await session.refresh(an, ["unit"])
        progress = await topics_status_of(session, an, RULE_ID, TODAY)
    assert progress is not None and not progress.met
    assert [t.code for t in progress.done] == ["PL-A", "PL-B"]
    assert (progress.counted, progress.missing_compulsory) == (2, ())


def test_sound_text_is_not_taken_for_damage() -> None:
    from models.imports.table import Sheet
    from models.imports.text_damage import damaged_sample

    sound = Sheet(
        None,
        [
            ("Nguyễn Thị Hồng Nhung", "Phòng, chống tham nhũng", "café", "Sao vậy? Được."),
            ("https://bdtt.gov.vn/xacminh?ma=AB12", 8, None),
        ],
    )
    assert damaged_sample([sound]) is None
    assert damaged_sample([Sheet(None, [("Nguy?n V?n An",)])]) == "Nguy?n V?n An"
    assert damaged_sample([Sheet(None, [("Nguyá»…n",)])]) == "Nguyá»…n"
