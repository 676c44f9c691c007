"""Rules of the form "k of n topics, including m compulsory" (#16.7): the parser refuses a
rule nobody could meet, evaluation counts topics on the records' programme codes, and
/yeucau says how far the official is, over the real python-telegram-bot stack.

The domain note (training-rules.md) supports no such rule in law or in the province's plan,
so the rule lives here, in the tests, not in the demo province file."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import insert
from telegram.ext import Application

from bot.channels.telegram import build_application
from bot.db import Database
from locales import use_locale
from models.requirements.evaluation import (
    Completion,
    Status,
    evaluate_rule,
    group_by_kind,
    make_profile,
)
from models.requirements.model import TopicsItem
from models.requirements.parser import compile_catalogue
from models.requirements.store import default_document, load_catalogue_file
from models.requirements.training_records import TrainingRecord, import_key
from tests.factories import make_official, small_province
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_e2e import settings_for
from tests.transcript import Clock, make_dispatcher

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 on 01/12/2026 in Việt Nam
TODAY = date(2026, 12, 1)
RULE_ID = "TEST-PL-5-CHUYEN-DE"
USER = 5550001


def topics_rule(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "topics": [
            {"code": "PL-A", "vi": "Luật Cán bộ, công chức 2025", "en": "Civil servants law"},
            {"code": "PL-B", "vi": "Phòng, chống tham nhũng", "en": "Anti-corruption"},
            "PL-C",
            "PL-D",
            "PL-E",
        ],
        "at_least": 3,
        "compulsory": ["PL-A", "PL-B"],
        "training": "cap_nhat_phap_luat_ky_nang",
    }
    item.update(changes)
    return {
        "id": RULE_ID,
        "item": "obligation",
        "title": {
            "vi": "Bồi dưỡng kiến thức pháp luật hằng năm (thử nghiệm)",
            "en": "Yearly legal refresher (test)",
        },
        "applies_to": [{"field": "category", "op": "in", "value": ["cong_chuc"]}],
        "satisfied_by": {"all_of": [item]},
        "recurrence": {"type": "yearly", "due": "12-31"},
        "basis": [{"ref": "SEED_DB_2022"}],
    }


def document_with(rule: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(default_document())
    document["rules"].insert(0, rule)
    return document


def compiled(rule: dict[str, Any]) -> Any:
    catalogue, errors = compile_catalogue(document_with(rule))
    assert errors == [] and catalogue is not None
    return catalogue.rules_by_id[RULE_ID]


def done(code: str, day: date = date(2026, 5, 4), kind: str = "cap_nhat_phap_luat_ky_nang"):
    return Completion(kind=kind, completed_on=day, periods=8, program_code=code)


PROFILE = make_profile(official_id=1, level="province", category="cong_chuc", unit_path="/1/")


def status_of(records: list[Completion]) -> Status:
    rule = compiled(topics_rule())
    return evaluate_rule(rule, PROFILE, group_by_kind(records), TODAY).status


def test_the_rule_compiles_into_a_topics_item() -> None:
    rule = compiled(topics_rule())
    (item,) = rule.items
    assert isinstance(item, TopicsItem)
    assert (item.at_least, item.compulsory) == (3, ("PL-A", "PL-B"))
    assert [t.code for t in item.topics] == ["PL-A", "PL-B", "PL-C", "PL-D", "PL-E"]
    assert rule.training_kinds == {"cap_nhat_phap_luat_ky_nang"}


def test_not_enough_topics_is_due() -> None:
    assert status_of([done("PL-A"), done("PL-B")]) is Status.DUE


def test_enough_topics_but_a_compulsory_one_missing_is_due() -> None:
    assert status_of([done("PL-A"), done("PL-C"), done("PL-D"), done("PL-E")]) is Status.DUE


def test_k_topics_with_every_compulsory_one_is_done() -> None:
    # Matched folded ("pl-b" is PL-B); a topic counts once however often it was taken.
    records = [done("PL-A"), done("pl-b"), done("PL-B", date(2026, 6, 1)), done("PL-D")]
    assert status_of(records) is Status.DONE


def test_only_this_years_records_of_the_rules_kind_count() -> None:
    records = [
        done("PL-A"),
        done("PL-B"),
        done("PL-C", date(2025, 11, 3)),  # last year's
        done("PL-D", kind="dao_duc_cong_vu"),  # another kind
        done("PL-E", date(2026, 12, 15)),  # after today
    ]
    assert status_of(records) is Status.DUE
    assert status_of([*records, done("PL-E")]) is Status.DONE


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"at_least": 6},
            "“at_least” là 6 nhưng chỉ liệt kê 5 chuyên đề",
        ),
        (
            {"at_least": 1},
            "có 2 chuyên đề bắt buộc nhưng “at_least” là 1",
        ),
        (
            {"compulsory": ["PL-A", "PL-Z"]},
            "chuyên đề bắt buộc “PL-Z” không thuộc danh sách chuyên đề",
        ),
        (
            {"topics": ["PL-A", "PL-B", "pl-a", "PL-C"]},
            "chuyên đề “pl-a” được liệt kê hai lần",
        ),
        ({"at_least": 0}, "phải là số nguyên từ 1 trở lên"),
        ({"training": "yoga"}, "không có loại bồi dưỡng “yoga”"),
    ],
)
def test_the_parser_refuses_an_inconsistent_rule(changes: dict[str, Any], message: str) -> None:
    catalogue, errors = compile_catalogue(document_with(topics_rule(**changes)))
    assert catalogue is None
    with use_locale("vi"):
        texts = [e.message() for e in errors]
    assert len(texts) == 1 and texts[0].startswith(f"{RULE_ID}.satisfied_by.all_of[1]")
    assert message in texts[0], texts[0]


# --- /yeucau over the fake Telegram server -------------------------------------------------


async def _record(session: Any, official_id: int, code: str, day: date) -> None:
    kind = "cap_nhat_phap_luat_ky_nang"
    await session.execute(
        insert(TrainingRecord).values(
            official_id=official_id,
            kind=kind,
            program_code=code,
            completed_on=day,
            periods=8,
            source="external:test",
            import_key=import_key(official_id, kind, day, code, None),
        )
    )


@pytest.fixture
async def app(fake: FakeBotApi, db: Database) -> AsyncIterator[tuple[Application, int]]:
    async with db.transaction() as session:
        result = await load_catalogue_file(
            session, document_with(topics_rule()), actor="test", now=NOW
        )
        assert result.errors == [], result.errors
        units = await small_province(session)
        official = await make_official(session, units["tccb"])
        await _record(session, official.id, "PL-A", date(2026, 3, 2))
        await _record(session, official.id, "PL-C", date(2026, 4, 6))
    application = build_application(settings_for(fake, db), make_dispatcher(db, Clock(NOW)))
    await application.initialize()
    await application.post_init(application)  # type: ignore[misc]
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application, official.id
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


async def test_yeucau_says_how_many_topics_and_which_compulsory_one_is_missing(
    fake: FakeBotApi, db: Database, app: tuple[Application, int]
) -> None:
    fake.push_contact(USER, "+84 912 000 001", USER)
    linked = len(await fake.wait_sent(USER, 3))  # linked, privacy notice, greeting
    fake.push_text(USER, "/yeucau")
    sent = await fake.wait_sent(USER, linked + 1)
    text = sent[-1].text or ""
    line = next(x for x in text.splitlines() if "Bồi dưỡng kiến thức pháp luật" in x)
    assert (
        "đã học 2/3 chuyên đề; còn thiếu chuyên đề bắt buộc: Phòng, chống tham nhũng, hạn"
        " 31/12/2026 (còn 30 ngày)"
    ) in line, line

    number = line.split(".", 1)[0]
    why = sent[-1].callback_data(f"mục {number}?")
    fake.push_callback(USER, sent[-1].message_id, why)
    sent = await fake.wait_sent(USER, linked + 2)
    explanation = sent[-1].text or ""
    assert (
        "ít nhất 3 trong 5 chuyên đề sau: Luật Cán bộ, công chức 2025, Phòng, chống tham"
        " nhũng, PL-C, PL-D, PL-E, trong đó bắt buộc Luật Cán bộ, công chức 2025 và Phòng,"
        " chống tham nhũng"
    ) in explanation, explanation

    async with db.transaction() as session:
        await _record(session, app[1], "PL-B", date(2026, 11, 20))
    fake.push_text(USER, "/yeucau")
    sent = await fake.wait_sent(USER, linked + 3)
    line = next(x for x in (sent[-1].text or "").splitlines() if "pháp luật hằng năm" in x)
    assert "hoàn thành 20/11/2026" in line, line
