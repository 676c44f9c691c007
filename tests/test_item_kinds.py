"""#12 points 3 and 4: four kinds of item, each worded its own way; missing data is not
failure; targets carry their plan period and an ended one is never a personal deadline.

Today is 01/12/2026: the seed's 2021–2025 targets ended on 31/12/2025, which the old code
turned into "❗ … chưa đạt, hạn 31/12/2025 (quá hạn 335 ngày)" for a degree holder whose
roster lacks "chuyên ngành phù hợp vị trí"."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import select
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.db import Database
from models.chat import accounts
from models.notices.outbox import Notice
from models.notices.planning import PlanningSettings, plan_requirement_notices
from models.org import admins
from models.requirements.evaluation import Completion, Status, evaluate, make_profile
from models.requirements.parser import compile_catalogue
from models.requirements.store import (
    default_catalogue,
    default_document,
    ensure_default_catalogue,
    load_catalogue_file,
)
from tests.factories import make_official, small_province
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_e2e import settings_for
from tests.transcript import Clock, Person, make_dispatcher

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 on 01/12/2026 in Việt Nam
TODAY = date(2026, 12, 1)
USER = 5550101
ITEM_KINDS = ("obligation", "standard", "target", "advice")


# --- the catalogue: `item:` on every rule, inferred when absent --------------------------


def test_every_shipped_rule_states_its_kind_of_item() -> None:
    document = default_document()
    for spec in document["rules"]:
        assert spec.get("item") in ITEM_KINDS, spec["id"]
    catalogue = default_catalogue()
    kinds = {r.id: r.item for r in catalogue.rules}
    assert kinds["DB-SEED-03"] == "obligation"
    assert kinds["DB-SEED-05"] == "standard"
    assert kinds["REG-LEADER-STD-EDU"] == "standard"
    assert kinds["DB-SEED-06"] == "target"
    assert kinds["REG-QD57-SO-CAP"] == "advice"
    # The seed's targets are the 2021–2025 plan's.
    assert {t.period_label for t in catalogue.targets} == {"2021–2025"}


def test_item_is_inferred_when_not_written_and_checked_when_written() -> None:
    document = default_document()
    for spec in document["rules"]:
        spec.pop("item")
    catalogue, errors = compile_catalogue(document)
    assert catalogue is not None, errors
    kinds = {r.id: r.item for r in catalogue.rules}
    assert kinds["DB-SEED-03"] == "obligation"  # yearly
    assert kinds["REG-171-LEADER-QLNN"] == "obligation"  # after an event
    assert kinds["REG-LEADER-STD-LLCT"] == "standard"  # a level held as a state
    assert kinds["DB-SEED-05"] == "standard"  # conditions on the official's fields
    assert kinds["REG-QD57-TRUNG-CAP"] == "advice"
    document["rules"][0]["item"] = "deadline"
    catalogue, errors = compile_catalogue(document)
    assert catalogue is None
    assert any(e.where == "DB-SEED-01.item" for e in errors)


# --- evaluation: standards and targets have no day counts; missing data is not failure ---


def _commune(**fields: Any) -> Any:
    values: dict[str, Any] = {
        "official_id": 1,
        "level": "commune",
        "category": "cong_chuc",
        "unit_path": "/T11/03158/",
        "ethnic_minority_area": True,
        "ethnicity": "Kinh",
        "education_level": "dai_hoc",
        "professional_field_matches_post": None,
    }
    values.update(fields)
    return make_profile(**values)


def test_missing_datum_is_no_data_never_overdue_nor_most_urgent() -> None:
    catalogue = default_catalogue()
    statuses = evaluate(catalogue, _commune(), {}, TODAY)
    by_rule = {s.rule.id: s for s in statuses}
    qualification = by_rule["DB-SEED-05"]
    assert qualification.status is Status.NO_DATA
    assert qualification.due is None and qualification.days_left is None
    assert statuses[0].rule.id == "DB-SEED-07"  # the yearly obligation comes first
    # Known and failing is "not met", still without a date; known and met is met.
    lacking = {
        s.rule.id: s for s in evaluate(catalogue, _commune(education_level="so_cap"), {}, TODAY)
    }
    assert lacking["DB-SEED-05"].status is Status.NOT_MET
    assert lacking["DB-SEED-05"].due is None
    matched = _commune(professional_field_matches_post=True)
    assert {s.rule.id: s for s in evaluate(catalogue, matched, {}, TODAY)}[
        "DB-SEED-05"
    ].status is Status.DONE


@pytest.mark.parametrize("day", [date(2025, 6, 1), date(2025, 12, 31), TODAY, date(2027, 3, 1)])
def test_standards_and_targets_never_carry_a_day_count(day: date) -> None:
    catalogue = default_catalogue()
    profiles = [
        _commune(),
        _commune(education_level=None),
        _commune(education_level="so_cap", professional_field_matches_post=False),
        make_profile(
            official_id=2,
            level="province",
            category="cong_chuc",
            unit_path="/T11/SNV/",
            leadership_tier="pho_truong_phong",
            education_level="cao_dang",
            political_theory_level=None,
        ),
    ]
    seen = set()
    for profile in profiles:
        for status in evaluate(catalogue, profile, {}, day):
            if status.rule.item in ("standard", "target"):
                seen.add(status.rule.item)
                assert status.status not in (Status.DUE, Status.OVERDUE), status
                assert status.due is None and status.days_left is None, status
    assert seen == {"standard", "target"}


def test_order_overdue_due_not_met_no_data_met_context() -> None:
    catalogue = default_catalogue()
    leader = make_profile(
        official_id=3,
        level="province",
        category="cong_chuc",
        unit_path="/T11/SNV/",
        leadership_tier="pho_truong_phong",
        leadership_appointed_on=date(2025, 7, 1),  # 12 months passed: overdue
        education_level="cao_dang",  # degree standard not met
        political_theory_level=None,  # no data
    )
    defence = [Completion("quoc_phong_an_ninh", date(2024, 5, 10), 96, "CC-01")]
    statuses = evaluate(catalogue, leader, {"quoc_phong_an_ninh": defence}, TODAY)
    order = [(s.rule.item, s.status) for s in statuses]
    assert order[0] == ("obligation", Status.OVERDUE)
    assert order[1] == ("obligation", Status.DUE)
    groups = [
        "overdue" if st is Status.OVERDUE else "due" if st is Status.DUE else st.value
        for _item, st in order
    ]
    assert groups.index("not_met") < groups.index("no_data") < groups.index("done")


# --- /yeucau over the fake Telegram server ------------------------------------------------


@pytest.fixture
async def commune_world(db: Database) -> Database:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        official = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000031",
            full_name="Phạm Thị Hoa",
            gender="female",
            phone="+84912000031",
            education_level="dai_hoc",  # holds the degree ...
            professional_field_matches_post=None,  # ... the roster lacks the field match
        )
        account = await accounts.get_or_create(
            session, channel="telegram", user_id=str(USER), chat_id=str(USER), now=NOW
        )
        await accounts.link(session, account, official, method="test", now=NOW)
    return db


@pytest.fixture
async def app(fake: FakeBotApi, commune_world: Database) -> AsyncIterator[Application]:
    settings = settings_for(fake, commune_world)
    application = build_application(settings, make_dispatcher(commune_world, Clock(NOW)))
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_degree_holder_without_field_data_sees_no_data_over_telegram(
    fake: FakeBotApi, app: Application
) -> None:
    fake.push_text(USER, "/yeucau")
    sent = await fake.wait_sent(USER, 1)
    text = sent[0].text or ""
    lines = text.splitlines()
    assert lines[0] == "📋 Yêu cầu đào tạo, bồi dưỡng của chị (năm 2026)"
    assert "quá hạn" not in text and "31/12/2025" not in text
    # The most urgent item is the yearly obligation, not the missing datum.
    assert lines[1].startswith("1. ⚠️ Cập nhật kiến thức, kỹ năng và đạo đức công vụ hằng năm")
    assert "hạn 31/12/2026 (còn 30 ngày)" in lines[1]
    qualification = next(line for line in lines if "Trình độ chuyên môn phù hợp vị trí" in line)
    assert "❗" not in qualification and "chưa đạt" not in qualification
    assert qualification.endswith(
        "❔ Trình độ chuyên môn phù hợp vị trí (CBCC cấp xã) — chưa có dữ liệu — chị vui lòng "
        "liên hệ bộ phận tổ chức cán bộ"
    )
    # The language target is the province's measure: context, last, without a date.
    language = next(line for line in lines if "tiếng dân tộc thiểu số" in line)
    assert "ℹ️" in language and "chỉ tiêu chung của tỉnh giai đoạn 2021–2025" in language
    assert "hạn" not in language.replace("thời hạn", "")
    numbered = [line for line in lines if line[:1].isdigit()]
    assert numbered[-1] == language

    n = qualification.split(".", 1)[0]
    why = sent[0].callback_data(f"❓ Vì sao mục {n}?")
    assert why == "why:DB-SEED-05"
    fake.push_callback(USER, sent[0].message_id, why)
    sent = await fake.wait_sent(USER, 2)
    explanation = sent[1].text or ""
    assert "Hạn hoàn thành" not in explanation and "quá hạn" not in explanation
    assert "Đây là tiêu chuẩn của chức vụ, ngạch, cần đáp ứng thường xuyên." in explanation
    assert (
        "Danh sách cán bộ chưa có dữ liệu về: chuyên ngành đào tạo phù hợp vị trí việc làm. "
        "Chị vui lòng liên hệ bộ phận tổ chức cán bộ để bổ sung."
    ) in explanation
    assert "Chỉ tiêu của tỉnh giai đoạn 2021–2025 (giai đoạn này đã kết thúc ngày 31/12/2025)" in (
        explanation
    )


# --- planning: no reminder from an ended target or a standard -----------------------------


async def test_ended_targets_and_standards_are_never_reminded(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        official = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000032",
            education_level="so_cap",  # below the commune minimum: the standard is not met
            professional_field_matches_post=False,
            languages=[],
        )
        account = await accounts.get_or_create(
            session, channel="telegram", user_id="77", chat_id="77", now=NOW
        )
        await accounts.link(session, account, official, method="test", now=NOW)
    settings = PlanningSettings(tz=ZoneInfo("Asia/Ho_Chi_Minh"))
    # 08:00 on 01/01/2026: the moment of the overdue stage of a 31/12/2025 due date.
    for now in (datetime(2026, 1, 1, 1, 0, tzinfo=UTC), datetime(2025, 12, 15, 1, 0, tzinfo=UTC)):
        async with db.transaction() as session:
            await plan_requirement_notices(session, now=now, settings=settings)
    async with db.transaction() as session:
        subjects = list(await session.scalars(select(Notice.subject)))
    for rule in ("DB-SEED-01", "DB-SEED-05", "DB-SEED-06"):
        assert not [s for s in subjects if s.startswith(f"rule:{rule}:")], subjects
    assert "rule:DB-SEED-07:2025-12-31" in subjects  # the yearly obligation still is


# --- /baocao: which period the targets measure; the next period loaded as data ----------


@pytest.fixture
async def hr(db: Database) -> dict[str, Any]:
    async with db.transaction() as session:
        units = await small_province(session)
        await ensure_default_catalogue(session, NOW)
        province_hr = await make_official(
            session,
            units["tccb"],
            employee_code="DB000006",
            full_name="Phạm Thu Hà",
            gender="female",
            phone="+84912000006",
        )
        await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000033",
            phone="+84912000033",
            education_level="dai_hoc",
            professional_field_matches_post=None,
        )
        await admins.grant(session, province_hr, units["root"], actor="test", now=NOW)
    return {"units": units}


async def _admin(db: Database) -> Person:
    ha = Person(make_dispatcher(db, Clock(NOW)), "9006")
    await ha.link_with_code(db, "0912000006")
    return ha


async def test_report_names_the_period_it_measures(db: Database, hr: dict[str, Any]) -> None:
    ha = await _admin(db)
    text = await ha.say("/baocao")
    assert (
        "Chỉ tiêu giai đoạn 2021–2025 (giai đoạn đã kết thúc ngày 31/12/2025; chưa nạp chỉ "
        "tiêu giai đoạn tiếp theo):"
    ) in text
    # The commune official's field match is unknown: counted apart, not as a failure.
    assert "1 CBCCVC chưa có dữ liệu" in text
    book = next(a for r in ha.last for a in r.attachments if a.file_name.endswith(".xlsx"))
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None and sheet["A3"].value == "Chỉ tiêu giai đoạn 2021–2025"
    text = await ha.say("/baocao 2025")
    assert "Chỉ tiêu giai đoạn 2021–2025:" in text and "đã kết thúc" not in text


async def test_next_period_targets_load_as_data(db: Database, hr: dict[str, Any]) -> None:
    document = default_document()
    document["version"] = "2027.01-1"
    document["targets"] += [
        {
            "id": "T-03-2030",
            "rule": "DB-SEED-03",
            "threshold": 0.9,
            "title": {"vi": "hằng năm ít nhất 90% CBCC cấp tỉnh được cập nhật kiến thức pháp luật"},
            "basis": "SEED_DB_2022",
            "period": {"from": 2026, "to": 2030},
        },
        {
            "id": "T-05-2030",
            "rule": "DB-SEED-05",
            "threshold": None,  # the 2026–2030 value is not known yet
            "title": {"vi": "CBCC cấp xã đạt chuẩn chuyên môn (giai đoạn mới)"},
            "basis": "SEED_DB_2022",
            "period": {"from": 2026, "to": 2030},
        },
    ]
    async with db.transaction() as session:
        result = await load_catalogue_file(
            session, yaml.safe_dump(document, allow_unicode=True).encode(), actor="test", now=NOW
        )
        assert result.ok and result.changed
    ha = await _admin(db)
    text = await ha.say("/baocao")
    assert "Chỉ tiêu giai đoạn 2026–2030:" in text
    assert "hằng năm ít nhất 90% CBCC cấp tỉnh" in text
    assert (
        "CBCC cấp xã đạt chuẩn chuyên môn (giai đoạn mới): chưa có dữ liệu "
        "(chỉ tiêu chưa có dữ liệu)" in text
    )
    assert "2021–2025" not in text  # a 2026 report measures the period covering 2026
    text = await ha.say("/baocao 2025")
    assert "Chỉ tiêu giai đoạn 2021–2025:" in text and "2026–2030" not in text
