"""The memoised applicability (evaluation.DayRules) gives exactly what testing every rule's
conditions gives, for a varied population: the compliance report, /yeucau and planning
must never disagree because one of them took the fast path."""

from __future__ import annotations

import random
from datetime import date
from typing import TypeVar

from models.requirements.compliance import tally
from models.requirements.evaluation import (
    Completion,
    Profile,
    Status,
    day_rules,
    evaluate,
    evaluate_rule,
    make_profile,
)
from models.requirements.store import default_catalogue
from models.vocabulary import CATEGORIES, EDUCATION_LEVELS, LEADERSHIP_TIERS, RANK_TIERS

TODAY = date(2026, 12, 1)
PATHS = ("/1/", "/1/2/", "/1/2/5/", "/1/3/", "/1/3/7/", "/1/4/")


T = TypeVar("T")


def population(n: int, seed: int = 15) -> list[tuple[Profile, dict[str, list[Completion]]]]:
    rng = random.Random(seed)
    catalogue = default_catalogue()
    kinds = sorted(catalogue.kinds) or ["cap_nhat_phap_luat_ky_nang"]
    people = []
    for i in range(n):

        def maybe(values: list[T]) -> T | None:
            return rng.choice([None, *values])

        profile = make_profile(
            official_id=i + 1,
            level=rng.choice(["province", "commune", "district"]),
            category=rng.choice(list(CATEGORIES)),
            unit_path=rng.choice(PATHS),
            ethnic_minority_area=rng.random() < 0.3,
            zone=maybe(["Vùng 1", "vùng 2"]),
            rank_code=maybe(["01.003", "01.002"]),
            rank_tier=maybe(list(RANK_TIERS)),
            leadership_tier=maybe(list(LEADERSHIP_TIERS)),
            education_level=maybe(list(EDUCATION_LEVELS)),
            ethnicity=maybe(["Kinh", "Thái", "Mông"]),
            languages=rng.choice([(), ("Thái",), ("Mông", "Thái")]),
            leadership_appointed_on=maybe(
                [date(2026, 5, 1), date(2025, 1, 15), date(2026, 11, 30)]
            ),
            rank_assigned_on=maybe([date(2024, 2, 1), date(2026, 8, 1)]),
            started_service_on=maybe([date(2010, 1, 1), date(2026, 6, 1)]),
            birth_date=date(1960 + rng.randrange(40), 1 + rng.randrange(12), 1),
            post_title=maybe(["Trưởng Công an xã", "Chủ tịch UBND xã", "Chuyên viên"]),
        )
        records: dict[str, list[Completion]] = {}
        for _ in range(rng.randrange(4)):
            kind = rng.choice(kinds)
            day = date(2024 + rng.randrange(3), 1 + rng.randrange(12), 1 + rng.randrange(28))
            records.setdefault(kind, []).append(
                Completion(kind, day, rng.choice([None, 8, 16, 40]), rng.choice([None, "CC"]))
            )
        for items in records.values():
            items.sort(key=lambda r: r.completed_on)
        people.append((profile, records))
    return people


def test_memoised_applicability_agrees_with_every_condition() -> None:
    catalogue = default_catalogue()
    people = population(600)
    for profile, records in people:
        expected = sorted(
            (
                s
                for s in (
                    evaluate_rule(rule, profile, records, TODAY)
                    for rule in catalogue.active_on(TODAY)
                )
                if s.status is not Status.NOT_APPLICABLE
            ),
            key=lambda s: s.sort_key(),
        )
        assert evaluate(catalogue, profile, records, TODAY) == expected
    # A few hundred officials share far fewer applicability keys than they are.
    rules = day_rules(catalogue, TODAY)
    assert rules is day_rules(catalogue, TODAY)
    assert 0 < len(rules._memo) < len(people)


def test_tally_counts_what_evaluate_reports() -> None:
    catalogue = default_catalogue()
    people = population(300, seed=2)
    officials, counts = tally(catalogue, people, TODAY)
    expected: dict[str, list[int]] = {r.id: [0, 0, 0] for r in catalogue.rules}
    for profile, records in people:
        for rule in catalogue.rules:
            status = evaluate_rule(rule, profile, records, TODAY)
            if status.status is Status.NOT_APPLICABLE:
                continue
            expected[rule.id][0] += 1
            expected[rule.id][1] += status.status is Status.DONE
            expected[rule.id][2] += status.status is Status.NO_DATA
    assert officials == 300
    assert counts == {rid: tuple(v) for rid, v in expected.items()}
