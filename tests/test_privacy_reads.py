"""Point 16 of issue #11: reading other officials' personal data — a registrations export,
a compliance report, a broadcast's "not received" list, a unit head's digest — writes an
audit entry naming the reader (official and chat account) and what was read (kind, scope,
number of people). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.db import Database
from models.notices.digest import DigestSettings, plan_unit_digests
from models.org.officials import by_employee_code
from models.privacy.reads import OUTBOX, READ
from models.requirements.store import ensure_default_catalogue
from tests.factories import make_official, small_province
from tests.test_privacy_sensitive import _link
from tests.test_registration_export import audits, person
from tests.test_registration_export import world as world  # a fixture, re-exported

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime(2026, 12, 7, 8, 5, tzinfo=VN).astimezone(UTC)


async def _reader_id(db: Database, code: str) -> int:
    async with db.transaction() as session:
        official = await by_employee_code(session, code)
    assert official is not None
    return official.id


@pytest.mark.usefixtures("world")
async def test_registrations_export_is_audited_with_the_reader(db: Database) -> None:
    tua = person(db, "9010")
    await tua.say("/quantri")
    await tua.press("regx:ask")
    await tua.press_label("K-2026-03")
    (entry,) = await audits(db, READ)
    assert entry.actor_official_id == await _reader_id(db, "DB000010")
    assert entry.actor == "telegram:9010 (DB000010)"  # the chat account, not only the official
    assert entry.subject == "K-2026-03" and entry.affected == 4
    assert entry.detail == {
        "kind": "registrations",
        "scope": ["03158"],
        "people": 4,
        "reader": "DB000010",
        "account": "telegram:9010 (DB000010)",
    }


@pytest.mark.usefixtures("world")
async def test_compliance_report_is_audited_with_the_reader(db: Database) -> None:
    ha = person(db, "9006")
    await ha.say("/baocao")
    (entry,) = await audits(db, READ)
    assert entry.actor == "telegram:9006 (DB000006)" and entry.detail["kind"] == "compliance"
    assert entry.actor_official_id == await _reader_id(db, "DB000006")
    assert entry.detail["scope"] == ["T11"] and entry.affected == entry.detail["people"] > 0


@pytest.mark.usefixtures("world")
async def test_nothing_read_nothing_audited(db: Database) -> None:
    tua = person(db, "9010")
    await tua.say("/quantri")
    await tua.press("regx:ask")
    await tua.say("K-2026-40")  # nobody registered: no file, no names
    assert await audits(db, READ) == []


async def test_each_digest_is_audited_with_its_head(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, MONDAY)
        units = await small_province(session)
        head = await make_official(
            session,
            units["sin_thau"],
            employee_code="DB000001",
            leadership_tier="lanh_dao_chu_chot_xa",
            post_title="Chủ tịch UBND xã",
        )
        await _link(session, head, "9001")
        for n in (2, 3):
            await make_official(
                session, units["sin_thau"], employee_code=f"DB00000{n}", phone=f"+8491200000{n}"
            )
    async with db.transaction() as session:
        stats = await plan_unit_digests(session, now=MONDAY, settings=DigestSettings(tz=VN))
    assert stats.planned == 1
    (entry,) = await audits(db, READ)
    assert entry.actor_official_id == head.id and entry.actor == OUTBOX
    assert entry.detail["kind"] == "digest" and entry.detail["scope"] == ["03158"]
    assert entry.affected == 2 and entry.subject == "digest:2026-W50"
    # Planning again in the same week writes no digest and reads nothing.
    async with db.transaction() as session:
        await plan_unit_digests(session, now=MONDAY, settings=DigestSettings(tz=VN))
    assert len(await audits(db, READ)) == 1
