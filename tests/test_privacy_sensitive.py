"""Point 11 of issue #11: a requirement whose conditions read a sensitive field (ethnicity,
Decree 13/2023 Art. 2.4) is named only to the official. A unit head's digest and a
broadcaster's "still owe" audience never tell who is Kinh."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.db import Database
from models.chat.accounts import ChatAccount
from models.notices import audiences
from models.notices.digest import DigestSettings, Listed, digest_text, plan_unit_digests
from models.org.admins import Scope
from models.org.officials import Official
from models.requirements.evaluation import RuleStatus, Status
from models.requirements.fields import SENSITIVE_FIELDS, is_sensitive
from models.requirements.model import Condition
from models.requirements.store import default_catalogue, ensure_default_catalogue
from tests.factories import make_official, small_province
from tests.test_unit_digest import notice_rows

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime(2026, 12, 7, 8, 5, tzinfo=VN).astimezone(UTC)
LINKED_AT = datetime(2026, 1, 1, tzinfo=UTC)
MINORITY_LANGUAGE = "DB-SEED-06"  # the seed's target (6): Kinh commune CBCC in DTTS areas


async def _link(session: Any, official: Official, user_id: str) -> None:
    await session.execute(
        insert(ChatAccount).values(
            channel="telegram",
            external_user_id=user_id,
            chat_id=user_id,
            official_id=official.id,
            linked_at=LINKED_AT,
            failed_link_attempts=0,
            created_at=LINKED_AT,
            last_seen_at=LINKED_AT,
        )
    )


def test_ethnicity_is_the_sensitive_field_and_marks_its_rules() -> None:
    assert "ethnicity" in SENSITIVE_FIELDS
    catalogue = default_catalogue()
    sensitive = {r.id for r in catalogue.rules if is_sensitive(r)}
    assert all(
        any(c.field == "ethnicity" for c in catalogue.rules_by_id[i].conditions) for i in sensitive
    )
    assert MINORITY_LANGUAGE in sensitive or MINORITY_LANGUAGE not in catalogue.rules_by_id


def test_a_person_owing_only_a_sensitive_rule_is_listed_without_it() -> None:
    plain = default_catalogue().rules[0]
    sensitive = replace(
        plain,
        id="X-SENSITIVE",
        title=replace(plain.title, vi="Quy định đọc dân tộc", en="A rule reading ethnicity"),
        conditions=(Condition("ethnicity", "eq", "Kinh", lambda _p: True),),
    )
    person = Listed(
        1,
        "DB000001",
        "Trần Văn Kinh",
        "male",
        (RuleStatus(sensitive, Status.OVERDUE, date(2025, 12, 31)),),
    )
    text = digest_text("Xã Sín Thầu", [person], "male", 30)
    assert "1. Trần Văn Kinh — 1 yêu cầu khác" in text
    assert "Quy định đọc dân tộc" not in text and "31/12/2025" not in text
    # A sensitive rule first, a plain one second: the plain one is named, the other counted.
    person = replace(
        person,
        owed=(
            RuleStatus(sensitive, Status.OVERDUE, date(2025, 12, 31)),
            RuleStatus(plain, Status.DUE, date(2026, 12, 31)),
        ),
    )
    text = digest_text("Xã Sín Thầu", [person], "male", 30)
    assert f"— {plain.title.vi} — hạn 31/12/2026 (và 1 yêu cầu khác)" in text
    assert "Quy định đọc dân tộc" not in text


async def test_commune_heads_digest_does_not_name_the_minority_language_rule(
    db: Database,
) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, LINKED_AT)
        units = await small_province(session)
        commune = units["sin_thau"]
        head = await make_official(
            session,
            commune,
            employee_code="DB000001",
            full_name="Giàng A Chử",
            ethnicity="Mông",
            category="can_bo",
            leadership_tier="lanh_dao_chu_chot_xa",
            post_title="Chủ tịch UBND xã",
        )
        await _link(session, head, "9001")
        await make_official(
            session,
            commune,
            employee_code="DB000002",
            full_name="Trần Văn Kinh",
            phone="+84912000002",
            ethnicity="Kinh",
            languages=[],
            professional_field_matches_post=True,  # so the language rule is the first owed
        )
    async with db.transaction() as session:
        await plan_unit_digests(session, now=MONDAY, settings=DigestSettings(tz=VN))
    [digest] = await notice_rows(db, kind="digest")
    assert digest.official_id == head.id
    assert "Trần Văn Kinh" in digest.text
    rule = default_catalogue().rules_by_id[MINORITY_LANGUAGE]
    assert rule.title.vi not in digest.text
    assert "tiếng dân tộc" not in digest.text
    # Since the 2021–2025 target ended the language rule is context, owed by nobody: he is
    # listed for his other items (the "1 yêu cầu khác" wording is checked above).


async def test_still_owe_audience_refuses_a_sensitive_rule(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, LINKED_AT)
        units = await small_province(session)
        await make_official(session, units["sin_thau"], ethnicity="Kinh", level="commune")
        catalogue = default_catalogue()
        rule = catalogue.rules_by_id[MINORITY_LANGUAGE]
        scope = Scope(units=(units["root"],))
        found = await audiences.resolve(
            session,
            audiences.Audience("owes", rule.id),
            scope,
            today=date(2026, 12, 1),
            catalogue=catalogue,
        )
        assert found is None
        assert not audiences.may_target(rule)
        plain = next(r for r in catalogue.rules if not is_sensitive(r))
        assert audiences.may_target(plain)
