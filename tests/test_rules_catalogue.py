"""The catalogue file: validation by rule, idempotent loading, unit subtrees, and the
compliance aggregate against the catalogue's targets."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import yaml
from sqlalchemy import func, insert, select

from bot.db import Database
from locales import use_locale
from models.requirements.compliance import compliance
from models.requirements.evaluation import Status, evaluate, make_profile
from models.requirements.parser import compile_catalogue
from models.requirements.store import (
    RequirementCatalogue,
    RequirementRule,
    current_catalogue,
    default_catalogue,
    default_document,
    ensure_default_catalogue,
    format_load_result,
    load_catalogue_file,
)
from models.requirements.training_records import TrainingRecord, import_key
from tests.factories import make_official, small_province

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def shipped() -> dict[str, Any]:
    return default_document()


def dump(document: dict[str, Any]) -> bytes:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode()


def rule(document: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in document["rules"] if r["id"] == rule_id)


def test_shipped_catalogue_is_honest_about_its_basis() -> None:
    catalogue = default_catalogue()
    assert len(catalogue.rules) == 20
    for r in catalogue.rules:
        assert r.basis, r.id
        assert r.title.vi and r.title.en, r.id
    # The yearly seed rules read their minimum from a province parameter, not a constant.
    for rule_id in ("DB-SEED-03", "DB-SEED-04", "DB-SEED-07"):
        assert [p.name for p in catalogue.rules_by_id[rule_id].parameters] == [
            "yearly_update_min_periods",
            "yearly_due",
        ]
    assert {t.id: t.threshold for t in catalogue.targets} == {
        "T-01": 1.0,
        "T-02": 1.0,
        "T-03": 0.8,
        "T-04": 0.6,
        "T-05": 1.0,
        "T-06": 1.0,
        "T-07": 0.6,
    }


def test_a_province_parameter_changes_every_rule_that_uses_it() -> None:
    document = shipped()
    document["parameters"]["yearly_update_min_periods"]["value"] = 40
    catalogue, errors = compile_catalogue(document)
    assert errors == [] and catalogue is not None
    items = catalogue.rules_by_id["DB-SEED-07"].items
    assert {item.min_periods for item in items} == {40}  # type: ignore[union-attr]


def test_validation_reports_every_problem_by_rule() -> None:
    document = shipped()
    rule(document, "DB-SEED-03")["applies_to"].append({"field": "salary", "op": "eq", "value": 1})
    rule(document, "DB-SEED-04")["satisfied_by"]["all_of"][0]["training"] = "yoga"
    rule(document, "DB-SEED-05")["satisfied_by"]["all_of"][0]["value"] = {"param": "nope"}
    rule(document, "DB-SEED-06")["applies_to"][0]["op"] = "gte"
    rule(document, "DB-SEED-07")["applies_to"][0]["value"] = "county"
    rule(document, "REG-101-ANNUAL-1W")["valid"]["to"] = "2021-13-40"
    rule(document, "REG-LEADER-STD-EDU")["basis"][0]["ref"] = "ND999"
    rule(document, "REG-QD57-SO-CAP")["recurrence"] = {"type": "fortnightly"}
    document["rules"].append(dict(rule(document, "DB-SEED-01")))
    document["targets"][0]["rule"] = "DB-SEED-99"
    catalogue, errors = compile_catalogue(document)
    assert catalogue is None
    where = [e.where for e in errors]
    assert where == [
        "DB-SEED-03.applies_to[3]",
        "DB-SEED-04.satisfied_by.all_of[1]",
        "DB-SEED-05.satisfied_by.all_of[1]",
        "DB-SEED-06.applies_to[1]",
        "DB-SEED-07.applies_to[1]",
        "REG-101-ANNUAL-1W.valid",
        "REG-LEADER-STD-EDU.basis[1]",
        "REG-QD57-SO-CAP.recurrence",
        "DB-SEED-01",
        "targets[1]",
    ]
    with use_locale("vi"):
        messages = [e.message() for e in errors]
    assert messages[0].startswith("DB-SEED-03.applies_to[3]: không có trường “salary”.")
    assert messages[1] == "DB-SEED-04.satisfied_by.all_of[1]: không có loại bồi dưỡng “yoga”."
    assert messages[2] == "DB-SEED-05.satisfied_by.all_of[1]: không có tham số “nope”."
    assert "không dùng được phép so sánh “gte” với “level”" in messages[3]
    assert "“county” không phải giá trị hợp lệ của “level”" in messages[4]
    assert messages[8] == "DB-SEED-01: mã “DB-SEED-01” bị dùng hai lần."
    assert messages[9] == "targets[1]: không có quy tắc “DB-SEED-99”."


async def _count(db: Database, model: Any) -> int:
    async with db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_load_is_idempotent_and_tracks_changes(db: Database) -> None:
    async with db.transaction() as session:
        first = await load_catalogue_file(session, default_document(), actor="cli", now=NOW)
    assert (first.ok, first.changed, first.added) == (True, True, 20)
    async with db.transaction() as session:
        again = await load_catalogue_file(session, default_document(), actor="cli", now=NOW)
        assert await ensure_default_catalogue(session, NOW) is None
    assert (again.changed, again.unchanged) == (False, 20)
    with use_locale("vi"):
        assert format_load_result(again) == (
            "Danh mục 2026.12-1 đang được áp dụng. Không có thay đổi nào."
        )
    assert await _count(db, RequirementCatalogue) == 1

    document = shipped()
    document["version"] = "2026.12-2"
    rule(document, "DB-SEED-03")["title"]["vi"] = "Cập nhật pháp luật hằng năm (sửa)"
    document["rules"] = [r for r in document["rules"] if r["id"] != "REG-QD57-SO-CAP"]
    async with db.transaction() as session:
        changed = await load_catalogue_file(session, dump(document), actor="cli", now=NOW)
        catalogue = await current_catalogue(session)
        retired = await session.get(RequirementRule, "REG-QD57-SO-CAP")
    assert (changed.added, changed.updated, changed.unchanged, changed.retired) == (0, 1, 18, 1)
    assert catalogue.version == "2026.12-2"
    assert catalogue.rules_by_id["DB-SEED-03"].title.vi == "Cập nhật pháp luật hằng năm (sửa)"
    assert "REG-QD57-SO-CAP" not in catalogue.rules_by_id
    assert retired is not None and retired.retired_at is not None

    rule(document, "DB-SEED-04")["recurrence"]["type"] = "sometimes"
    async with db.transaction() as session:
        broken = await load_catalogue_file(session, dump(document), actor="cli", now=NOW)
    assert not broken.ok and broken.errors[0].where == "DB-SEED-04.recurrence"
    assert await _count(db, RequirementCatalogue) == 2
    async with db.transaction() as session:
        assert (await current_catalogue(session)).version == "2026.12-2"


async def test_default_catalogue_loaded_once(db: Database) -> None:
    async with db.transaction() as session:
        loaded = await ensure_default_catalogue(session, NOW)
        assert loaded is not None and loaded.added == 20
        assert await ensure_default_catalogue(session, NOW) is None
    assert await _count(db, RequirementRule) == 20


SUBTREE = """
catalogue: subtree-test
version: "1"
levels: {province: {vi: "cấp tỉnh"}, commune: {vi: "cấp xã"}}
training_kinds: {k: {vi: "K"}}
bases: {B: {title: "B", verified: unverified}}
rules:
  - id: HOME-AFFAIRS
    title: "Sở Nội vụ only"
    applies_to: [{field: unit, op: under, value: [SNV, NEW-UNIT]}]
    satisfied_by: {any_of: [{training: k}]}
    recurrence: {type: once}
    basis: [{ref: B}]
"""


async def test_unit_subtree_conditions_resolve_codes(db: Database) -> None:
    async with db.transaction() as session:
        units = await small_province(session)
        result = await load_catalogue_file(session, SUBTREE.encode(), actor="t", now=NOW)
        assert result.ok
        catalogue = await current_catalogue(session)
    assert catalogue.unresolved_units == {"NEW-UNIT"}

    def applies(path: str) -> bool:
        profile = make_profile(
            official_id=1, level="province", category="cong_chuc", unit_path=path
        )
        return bool(evaluate(catalogue, profile, {}, date(2026, 1, 1)))

    assert applies(units["tccb"].path)  # a division under Sở Nội vụ
    assert not applies(units["sin_thau"].path)
    assert not applies(units["root"].path)  # the province is above, not under, the unit
    async with db.transaction() as session:
        from models.org.units import add_unit

        new = await add_unit(
            session, code="NEW-UNIT", name="Ban mới", level="province", parent=units["root"]
        )
        again = await current_catalogue(session)
    assert again.unresolved_units == frozenset()
    profile = make_profile(
        official_id=1, level="province", category="cong_chuc", unit_path=new.path
    )
    assert evaluate(again, profile, {}, date(2026, 1, 1))


async def test_compliance_against_targets(db: Database) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        staff = [
            await make_official(
                session, units["tccb"], employee_code=f"P{n}", phone=f"+8491200010{n}"
            )
            for n in range(5)
        ]
        commune = await make_official(
            session, units["sin_thau"], employee_code="X1", phone="+84912000201", languages=["Thái"]
        )
        updated = [
            (staff[0], date(2026, 3, 1)),
            (staff[1], date(2026, 4, 1)),
            (staff[2], date(2026, 5, 1)),
            (staff[3], date(2025, 5, 1)),
            (commune, date(2026, 2, 2)),
        ]
        for official, day in updated:
            await session.execute(
                insert(TrainingRecord).values(
                    official_id=official.id,
                    kind="cap_nhat_phap_luat_ky_nang",
                    completed_on=day,
                    periods=8,
                    source="test",
                    import_key=import_key(official.id, "x", day, "", ""),
                )
            )
    async with db.transaction() as session:
        report = await compliance(session, year=2026, today=date(2026, 11, 26))
        last_year = await compliance(session, year=2025, today=date(2026, 11, 26))
        commune_only = await compliance(
            session, year=2026, today=date(2026, 11, 26), unit=units["sin_thau"]
        )
    assert report.officials == 6
    t03 = next(t for t in report.targets if t.target.id == "T-03")
    assert (t03.applicable, t03.met, t03.achieved) == (5, 3, False)  # 60% < 80%
    t07 = next(t for t in report.targets if t.target.id == "T-07")
    assert (t07.applicable, t07.met, t07.achieved) == (1, 1, True)
    t03_2025 = next(t for t in last_year.targets if t.target.id == "T-03")
    assert (last_year.as_of, t03_2025.met) == (date(2025, 12, 31), 1)
    assert commune_only.officials == 1
    assert next(t for t in commune_only.targets if t.target.id == "T-03").achieved is None
    by_rule = {r.rule.id: r for r in report.rules}
    assert by_rule["REG-101-ANNUAL-1W"].applicable == 0  # outside its validity window
    async with db.transaction() as session:
        with pytest.raises(ValueError):
            await compliance(session, year=2027, today=date(2026, 11, 26))


def test_statuses_match_compliance_meaning() -> None:
    # Compliance counts DONE only: "in progress" is not yet compliant.
    profile = make_profile(official_id=1, level="province", category="cong_chuc", unit_path="/1/")
    statuses = evaluate(
        default_catalogue(),
        profile,
        {},
        date(2026, 5, 1),
        registered_kinds=frozenset({"cap_nhat_phap_luat_ky_nang"}),
    )
    [status] = [s for s in statuses if not s.rule.advisory]
    assert status.status is Status.IN_PROGRESS
