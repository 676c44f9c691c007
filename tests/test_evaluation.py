"""The shipped catalogue against hand-built officials: every rule, every status, no database.

Each case lists the status of every rule that applies; any rule not listed must be "not
applicable", so a rule that starts matching the wrong people fails here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from models.requirements.evaluation import (
    Completion,
    Status,
    add_months,
    evaluate,
    group_by_kind,
    make_profile,
)
from models.requirements.parser import compile_catalogue, read_document
from models.requirements.store import default_catalogue

TODAY = date(2026, 11, 26)
PROVINCE_PATH = "/1/2/3/"
COMMUNE_PATH = "/1/4/"

LATE, D, P, OK = Status.OVERDUE, Status.DUE, Status.IN_PROGRESS, Status.DONE
NM = Status.NOT_MET

DEPUTY_NO_DEGREE: dict[str, Any] = {
    "level": "province",
    "category": "cong_chuc",
    "unit_path": PROVINCE_PATH,
    "leadership_tier": "pho_truong_phong",
    "leadership_appointed_on": date(2026, 6, 26),
    "education_level": "cao_dang",
    "professional_field_matches_post": True,
    "political_theory_level": "trung_cap",
    "ethnicity": "Thái",
}
DEPUTY_13_MONTHS: dict[str, Any] = DEPUTY_NO_DEGREE | {
    "leadership_appointed_on": date(2025, 10, 26),
    "education_level": "dai_hoc",
    "political_theory_level": "so_cap",
}
KINH_COMMUNE: dict[str, Any] = {
    "level": "commune",
    "category": "cong_chuc",
    "unit_path": COMMUNE_PATH,
    "ethnic_minority_area": True,
    "zone": "III",
    "ethnicity": "Kinh",
    "languages": [],
    "education_level": "trung_cap",
    "professional_field_matches_post": True,
    "political_theory_level": "none",
}
PROVINCIAL_STAFF: dict[str, Any] = {
    "level": "province",
    "category": "cong_chuc",
    "unit_path": PROVINCE_PATH,
    "education_level": "dai_hoc",
    "professional_field_matches_post": True,
    "political_theory_level": "so_cap",
    "ethnicity": "Kinh",
}
TEACHER: dict[str, Any] = {
    "level": "province",
    "category": "vien_chuc",
    "unit_path": PROVINCE_PATH,
    "education_level": "dai_hoc",
    "ethnicity": "Thái",
}
SCHOOL_HEAD: dict[str, Any] = TEACHER | {
    "leadership_tier": "quan_ly_don_vi_su_nghiep",
    "leadership_appointed_on": date(2020, 1, 1),
}
COMMUNE_CHAIR: dict[str, Any] = {
    "level": "commune",
    "category": "can_bo",
    "unit_path": COMMUNE_PATH,
    "ethnic_minority_area": True,
    "ethnicity": "Mông",
    "languages": ["Mông"],
    "leadership_tier": "lanh_dao_chu_chot_xa",
    "leadership_appointed_on": date(2021, 6, 1),
    "education_level": "so_cap",
    "professional_field_matches_post": False,
    "political_theory_level": "so_cap",
}
COMMUNE_DEPUTY: dict[str, Any] = {
    "level": "commune",
    "category": "cong_chuc",
    "unit_path": COMMUNE_PATH,
    "ethnic_minority_area": True,
    "ethnicity": "Thái",
    "languages": ["Thái"],
    "leadership_tier": "pho_truong_phong",
    "leadership_appointed_on": date(2024, 1, 1),
    "education_level": "dai_hoc",
    "professional_field_matches_post": True,
    "political_theory_level": "trung_cap",
}
DIRECTOR: dict[str, Any] = PROVINCIAL_STAFF | {
    "leadership_tier": "giam_doc_so",
    "leadership_appointed_on": date(2023, 1, 1),
    "political_theory_level": "cao_cap",
}
KEY_LEADER: dict[str, Any] = DIRECTOR | {"leadership_tier": "lanh_dao_chu_chot_tinh"}


def rec(kind: str, day: date, periods: int | None = 8, cert: str | None = "CC-1") -> Completion:
    return Completion(kind, day, periods, cert)


@dataclass
class Case:
    name: str
    fields: dict[str, Any]
    expected: dict[str, tuple[Status, date | None]]
    records: list[Completion] = field(default_factory=list)
    today: date = TODAY
    registered: frozenset[str] = frozenset()


CASES = [
    Case(
        "provincial deputy head without a degree, appointed 5 months ago",
        DEPUTY_NO_DEGREE,
        {
            "DB-SEED-01": (NM, None),
            "DB-SEED-02": (NM, None),
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
            "DB-SEED-03": (D, date(2026, 12, 31)),
            "REG-171-LEADER-QLNN": (D, date(2027, 6, 26)),
            "REG-QPAN-DOI-TUONG-3": (D, None),
            "REG-LEADER-STD-LLCT": (OK, None),
            "REG-QD57-TRUNG-CAP": (OK, None),
        },
    ),
    Case(
        "registered in a matching course: in progress",
        DEPUTY_NO_DEGREE,
        {
            "DB-SEED-01": (NM, None),
            "DB-SEED-02": (NM, None),
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
            "DB-SEED-03": (D, date(2026, 12, 31)),
            "REG-171-LEADER-QLNN": (D, date(2027, 6, 26)),
            "REG-QPAN-DOI-TUONG-3": (P, None),
            "REG-LEADER-STD-LLCT": (OK, None),
            "REG-QD57-TRUNG-CAP": (OK, None),
        },
        registered=frozenset({"quoc_phong_an_ninh"}),
    ),
    Case(
        "deputy head appointed 13 months ago, untrained",
        DEPUTY_13_MONTHS,
        {
            "REG-171-LEADER-QLNN": (LATE, date(2026, 10, 26)),
            "DB-SEED-03": (D, date(2026, 12, 31)),
            "REG-LEADER-STD-LLCT": (NM, None),
            "REG-QD57-TRUNG-CAP": (D, None),
            "REG-QPAN-DOI-TUONG-3": (OK, None),
            "DB-SEED-01": (OK, None),
            "DB-SEED-02": (NM, None),
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
        },
        records=[
            rec("quoc_phong_an_ninh", date(2024, 5, 10), 96),
            rec("lanh_dao_quan_ly", date(2025, 9, 1), 160),
        ],
    ),
    Case(
        "deputy head appointed 13 months ago, trained after appointment",
        DEPUTY_13_MONTHS,
        {
            "REG-171-LEADER-QLNN": (OK, date(2026, 10, 26)),
            "DB-SEED-03": (OK, date(2026, 12, 31)),
            "REG-LEADER-STD-LLCT": (NM, None),
            "REG-QD57-TRUNG-CAP": (D, None),
            "REG-QPAN-DOI-TUONG-3": (D, None),
            "DB-SEED-01": (OK, None),
            "DB-SEED-02": (NM, None),
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
        },
        records=[
            rec("lanh_dao_quan_ly", date(2026, 3, 1), 160),
            rec("quan_ly_nha_nuoc", date(2026, 4, 2), 40),
            rec("quoc_phong_an_ninh", date(2024, 5, 10), 96, cert=None),
        ],
    ),
    Case(
        "Kinh commune civil servant in a minority commune without a local language",
        KINH_COMMUNE,
        {
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
            "DB-SEED-06": (NM, None),
            "REG-QD57-SO-CAP": (D, None),
            "DB-SEED-05": (OK, None),
            "DB-SEED-07": (OK, date(2026, 12, 31)),
        },
        records=[
            rec("cap_nhat_phap_luat_ky_nang", date(2026, 5, 10), 16),
            rec("tieng_dan_toc", date(2024, 8, 1), 120, cert=None),
        ],
    ),
    Case(
        "Kinh commune civil servant who learnt Thái with a certificate",
        KINH_COMMUNE | {"political_theory_level": "so_cap"},
        {
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
            "DB-SEED-05": (OK, None),
            "DB-SEED-06": (OK, None),
            "DB-SEED-07": (D, date(2026, 12, 31)),
            "REG-QD57-SO-CAP": (OK, None),
        },
        records=[
            rec("tieng_dan_toc", date(2024, 8, 1), 120, cert="TDT-9"),
            rec("dao_duc_cong_vu", date(2026, 2, 1), 4),
        ],
    ),
    Case(
        "Thái commune civil servant: the language rule does not apply",
        KINH_COMMUNE | {"ethnicity": "Thái", "political_theory_level": "so_cap"},
        {
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
            "DB-SEED-05": (OK, None),
            "DB-SEED-07": (D, date(2026, 12, 31)),
            "REG-QD57-SO-CAP": (OK, None),
        },
    ),
    Case(
        "commune chair (cán bộ) without a matching qualification",
        COMMUNE_CHAIR,
        {
            "DB-SEED-02": (NM, None),
            "REG-QPAN-DOI-TUONG-3-XA": (D, None),
            "DB-SEED-05": (NM, None),
            "DB-SEED-07": (D, date(2026, 12, 31)),
            "REG-QD57-TRUNG-CAP": (D, None),
        },
        records=[rec("dao_duc_cong_vu", date(2025, 6, 1), 8)],
    ),
    Case(
        "public employee with the yearly ethics and professional update",
        TEACHER,
        {
            "DB-SEED-04": (OK, None),
        },
        records=[
            rec("dao_duc_cong_vu", date(2026, 3, 1), 8),
            rec("theo_vi_tri_viec_lam", date(2026, 9, 1), 16),
        ],
    ),
    Case(
        "public employee without the ethics update this year",
        TEACHER,
        {
            "DB-SEED-04": (NM, None),
        },
        records=[
            rec("dao_duc_cong_vu", date(2025, 3, 1), 8),
            rec("dao_duc_cong_vu", date(2026, 3, 1), 4),
            rec("theo_vi_tri_viec_lam", date(2026, 9, 1), 16),
        ],
    ),
    Case(
        "public employee whose short ethics courses add up",
        TEACHER,
        {
            "DB-SEED-04": (OK, None),
        },
        records=[
            rec("dao_duc_cong_vu", date(2026, 3, 1), 4),
            rec("dao_duc_cong_vu", date(2026, 10, 1), 4),
            rec("theo_vi_tri_viec_lam", date(2026, 9, 1), 16),
        ],
    ),
    Case(
        "school head before the 2010 law's rule ended",
        SCHOOL_HEAD,
        {
            "REG-LVC2010-MGMT-BEFORE": (LATE, date(2020, 1, 1)),
            "DB-SEED-04": (NM, None),
        },
        today=date(2026, 3, 1),
    ),
    Case(
        "school head trained for management",
        SCHOOL_HEAD,
        {
            "REG-LVC2010-MGMT-BEFORE": (OK, date(2020, 1, 1)),
            "DB-SEED-04": (NM, None),
        },
        records=[rec("lanh_dao_quan_ly", date(2019, 10, 1), 120)],
        today=date(2026, 3, 1),
    ),
    Case(
        "school head after 30/06/2026: outside the rule's validity window",
        SCHOOL_HEAD,
        {
            "REG-LVC2025-MGMT": (D, None),
            "DB-SEED-04": (NM, None),
        },
    ),
    Case(
        "31/12: this year's update counts",
        PROVINCIAL_STAFF,
        {
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
            "DB-SEED-03": (OK, date(2026, 12, 31)),
        },
        records=[rec("cap_nhat_phap_luat_ky_nang", date(2026, 12, 31), 8)],
        today=date(2026, 12, 31),
    ),
    Case(
        "01/01: last year's update no longer counts",
        PROVINCIAL_STAFF,
        {
            "REG-171-KY-NANG-SO": (D, date(2027, 12, 31)),
            "DB-SEED-03": (D, date(2027, 12, 31)),
        },
        records=[rec("cap_nhat_phap_luat_ky_nang", date(2026, 12, 31), 8)],
        today=date(2027, 1, 1),
    ),
    Case(
        "2020: the repealed 40-period rule still in force",
        PROVINCIAL_STAFF,
        {
            "REG-101-ANNUAL-1W": (D, date(2020, 12, 31)),
            "DB-SEED-03": (OK, date(2020, 12, 31)),
        },
        records=[rec("theo_vi_tri_viec_lam", date(2020, 3, 1), 24)],
        today=date(2020, 6, 1),
    ),
    Case(
        "2020: 40 periods met",
        PROVINCIAL_STAFF,
        {
            "REG-101-ANNUAL-1W": (OK, date(2020, 12, 31)),
            "DB-SEED-03": (OK, date(2020, 12, 31)),
        },
        records=[
            rec("theo_vi_tri_viec_lam", date(2020, 3, 1), 24),
            rec("theo_vi_tri_viec_lam", date(2020, 5, 1), 16),
        ],
        today=date(2020, 6, 1),
    ),
    Case(
        "09/12/2021: last day of the 40-period rule",
        PROVINCIAL_STAFF,
        {
            "REG-101-ANNUAL-1W": (D, date(2021, 12, 31)),
            "DB-SEED-03": (D, date(2021, 12, 31)),
        },
        today=date(2021, 12, 9),
    ),
    Case(
        "10/12/2021: the 40-period rule is repealed",
        PROVINCIAL_STAFF,
        {
            "DB-SEED-03": (D, date(2021, 12, 31)),
        },
        today=date(2021, 12, 10),
    ),
    Case(
        "district civil servant in 2024 (pre-reform level)",
        PROVINCIAL_STAFF | {"level": "district"},
        {
            "DB-SEED-03": (OK, date(2024, 12, 31)),
        },
        records=[rec("quan_ly_nha_nuoc", date(2024, 2, 2), 8)],
        today=date(2024, 7, 1),
    ),
    Case(
        "commune deputy head with every standard and course",
        COMMUNE_DEPUTY,
        {
            "DB-SEED-02": (OK, None),
            "DB-SEED-05": (OK, None),
            "DB-SEED-07": (OK, date(2026, 12, 31)),
            "REG-LEADER-STD-EDU": (OK, None),
            "REG-LEADER-STD-LLCT": (OK, None),
            "REG-QD57-SO-CAP": (OK, None),
            "REG-QD57-TRUNG-CAP": (OK, None),
            "REG-QPAN-DOI-TUONG-3": (OK, None),
            "REG-171-KY-NANG-SO": (OK, date(2026, 12, 31)),
        },
        records=[
            rec("quoc_phong_an_ninh", date(2024, 5, 1), 96),
            rec("khoa_hoc_cong_nghe_so", date(2026, 4, 1), 8),
            rec("cap_nhat_phap_luat_ky_nang", date(2026, 4, 2), 8),
        ],
    ),
    Case(
        "commune deputy head without a degree",
        COMMUNE_DEPUTY | {"education_level": "cao_dang"},
        {
            "DB-SEED-02": (NM, None),
            "DB-SEED-05": (OK, None),
            "DB-SEED-07": (D, date(2026, 12, 31)),
            "REG-LEADER-STD-EDU": (NM, None),
            "REG-LEADER-STD-LLCT": (OK, None),
            "REG-QD57-SO-CAP": (OK, None),
            "REG-QD57-TRUNG-CAP": (OK, None),
            "REG-QPAN-DOI-TUONG-3": (D, None),
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
        },
    ),
    Case(
        "department director without defence training",
        DIRECTOR,
        {
            "DB-SEED-01": (OK, None),
            "DB-SEED-02": (OK, None),
            "DB-SEED-03": (D, date(2026, 12, 31)),
            "REG-LEADER-STD-LLCT": (OK, None),
            "REG-QPAN-DOI-TUONG-2": (D, None),
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
        },
    ),
    Case(
        "department director with defence training",
        DIRECTOR,
        {
            "DB-SEED-01": (OK, None),
            "DB-SEED-02": (OK, None),
            "DB-SEED-03": (D, date(2026, 12, 31)),
            "REG-LEADER-STD-LLCT": (OK, None),
            "REG-QPAN-DOI-TUONG-2": (OK, None),
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
        },
        records=[
            rec("quoc_phong_an_ninh", date(2023, 5, 1), 96),
        ],
    ),
    Case(
        "key provincial leader without defence training",
        KEY_LEADER,
        {
            "DB-SEED-01": (OK, None),
            "DB-SEED-02": (OK, None),
            "DB-SEED-03": (D, date(2026, 12, 31)),
            "REG-LEADER-STD-LLCT": (OK, None),
            "REG-QPAN-DOI-TUONG-1": (D, None),
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
        },
    ),
    Case(
        "key provincial leader with defence training",
        KEY_LEADER,
        {
            "DB-SEED-01": (OK, None),
            "DB-SEED-02": (OK, None),
            "DB-SEED-03": (D, date(2026, 12, 31)),
            "REG-LEADER-STD-LLCT": (OK, None),
            "REG-QPAN-DOI-TUONG-1": (OK, None),
            "REG-171-KY-NANG-SO": (D, date(2026, 12, 31)),
        },
        records=[
            rec("quoc_phong_an_ninh", date(2023, 5, 1), 96),
        ],
    ),
    Case(
        "commune chair with defence training",
        COMMUNE_CHAIR | {"education_level": "dai_hoc", "political_theory_level": "trung_cap"},
        {
            "DB-SEED-02": (OK, None),
            "DB-SEED-05": (NM, None),
            "DB-SEED-07": (D, date(2026, 12, 31)),
            "REG-QD57-TRUNG-CAP": (OK, None),
            "REG-QPAN-DOI-TUONG-3-XA": (OK, None),
        },
        records=[
            rec("quoc_phong_an_ninh", date(2023, 5, 1), 96),
        ],
    ),
    Case(
        "school head after 30/06/2026 with management training",
        SCHOOL_HEAD,
        {
            "DB-SEED-04": (NM, None),
            "REG-LVC2025-MGMT": (OK, None),
        },
        records=[
            rec("lanh_dao_quan_ly", date(2026, 8, 1), 120),
        ],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_rule_for_hand_built_officials(case: Case) -> None:
    catalogue = default_catalogue()
    profile = make_profile(official_id=1, **case.fields)
    statuses = evaluate(
        catalogue,
        profile,
        group_by_kind(case.records),
        case.today,
        registered_kinds=case.registered,
        include_not_applicable=True,
    )
    got = {s.rule.id: (s.status, s.due) for s in statuses if s.status is not Status.NOT_APPLICABLE}
    assert got == case.expected
    assert {s.rule.id for s in statuses} == set(catalogue.rules_by_id)


def test_every_shipped_rule_is_covered_both_ways() -> None:
    met: set[str] = set()
    unmet: set[str] = set()
    for case in CASES:
        for rule_id, (status, _due) in case.expected.items():
            (met if status is OK else unmet).add(rule_id)
    rules = set(default_catalogue().rules_by_id)
    assert rules - met == set()
    assert rules - unmet == set()


def test_most_urgent_first_and_days_left() -> None:
    profile = make_profile(official_id=1, **DEPUTY_NO_DEGREE)
    statuses = evaluate(default_catalogue(), profile, {}, TODAY)
    # Obligations first; the degree is a standard (no day count) after them; then advice,
    # what is met, and the province's target last, as context.
    assert [s.rule.id for s in statuses] == [
        "DB-SEED-03",
        "REG-171-LEADER-QLNN",
        "REG-QPAN-DOI-TUONG-3",
        "DB-SEED-01",
        "REG-171-KY-NANG-SO",
        "REG-LEADER-STD-LLCT",
        "REG-QD57-TRUNG-CAP",
        "DB-SEED-02",
    ]
    assert [s.days_left for s in statuses[:4]] == [35, 212, None, None]


def test_done_names_the_satisfying_record() -> None:
    records = [
        rec("dao_duc_cong_vu", date(2026, 3, 1), 8),
        rec("theo_vi_tri_viec_lam", date(2026, 9, 1), 16),
        rec("theo_vi_tri_viec_lam", date(2026, 12, 1), 16),
    ]  # after today: ignored
    profile = make_profile(official_id=1, **TEACHER)
    [status] = evaluate(default_catalogue(), profile, group_by_kind(records), TODAY)
    assert status.record == records[1]


def test_free_text_fields_compare_folded() -> None:
    profile = make_profile(official_id=1, **KINH_COMMUNE | {"ethnicity": "  KINH "})
    ids = {s.rule.id for s in evaluate(default_catalogue(), profile, {}, TODAY)}
    assert "DB-SEED-06" in ids


ENGINE = """
catalogue: engine-test
version: "1"
levels: {province: {vi: "cấp tỉnh"}}
parameters:
  due: {value: "06-30"}
  months: {value: 1}
training_kinds: {k: {vi: "K"}}
bases: {B: {title: "B", verified: unverified}}
rules:
  - id: MID-YEAR
    title: "Mid-year"
    applies_to: [{field: level, op: eq, value: province}]
    satisfied_by: {any_of: [{training: k, min_periods: 8}]}
    recurrence: {type: yearly, due: {param: due}}
    basis: [{ref: B}]
  - id: AFTER-RANK
    title: "After rank"
    applies_to: [{field: rank_assigned_on, op: gte, value: 2026-01-01}]
    satisfied_by: {any_of: [{training: k}]}
    recurrence: {type: within_months_after_event, event: rank_assigned_on, months: {param: months}}
    basis: [{ref: B}]
"""


def _engine() -> Any:
    catalogue, errors = compile_catalogue(read_document(ENGINE.encode()))
    assert errors == []
    return catalogue


def test_yearly_rule_is_overdue_after_its_due_day() -> None:
    profile = make_profile(official_id=1, level="province", category="cong_chuc", unit_path="/")
    [before] = evaluate(_engine(), profile, {}, date(2026, 6, 30))
    [after] = evaluate(_engine(), profile, {}, date(2026, 7, 1))
    assert (before.status, before.days_left) == (Status.DUE, 0)
    assert (after.status, after.days_left) == (Status.OVERDUE, -1)


def test_months_after_event_clamps_to_month_end() -> None:
    profile = make_profile(
        official_id=1,
        level="commune",
        category="cong_chuc",
        unit_path="/",
        rank_assigned_on=date(2026, 1, 31),
    )
    [status] = evaluate(_engine(), profile, {}, date(2026, 2, 10))
    assert status.due == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 30), 14) == date(2028, 1, 30)
