"""What the bot says about the law is true on the day it is read (issue #12, points 1, 2
and 5): bases carry their in-force dates, "Vì sao?" and reminders cite only bases in force,
labels say how far a source was checked, and the catalogue's content gaps are filled.

The day evaluated is 01/12/2026, the date of the legal review (training-rules.md §12).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.db import Database
from handlers.requirements import explain
from locales import use_locale
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.bases import lapse_warnings, lapsed_rules
from models.requirements.evaluation import (
    Completion,
    Profile,
    Status,
    evaluate,
    evaluate_rule,
    group_by_kind,
    make_profile,
    profile_of,
)
from models.requirements.model import Catalogue
from models.requirements.parser import compile_catalogue, read_document
from models.requirements.store import (
    default_catalogue,
    default_document,
    format_load_result,
    load_catalogue_file,
)
from tests.notice_world import seed_people
from tests.transcript import Clock, Person, make_dispatcher

REVIEW_DAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 10:00 on 01/12/2026 in Việt Nam
PROVINCE, COMMUNE = "/1/2/", "/1/4/"

CONG_CHUC: dict[str, dict[str, Any]] = {
    "province staff": {"level": "province", "unit_path": PROVINCE, "education_level": "dai_hoc"},
    "province deputy head": {
        "level": "province",
        "unit_path": PROVINCE,
        "leadership_tier": "pho_truong_phong",
        "leadership_appointed_on": date(2026, 3, 1),
        "education_level": "cao_dang",
        "professional_field_matches_post": True,
        "political_theory_level": "so_cap",
    },
    "department director": {
        "level": "province",
        "unit_path": PROVINCE,
        "leadership_tier": "giam_doc_so",
        "leadership_appointed_on": date(2023, 1, 1),
    },
    "commune staff": {
        "level": "commune",
        "unit_path": COMMUNE,
        "ethnic_minority_area": True,
        "ethnicity": "Kinh",
    },
    "commune deputy head": {
        "level": "commune",
        "unit_path": COMMUNE,
        "leadership_tier": "pho_truong_phong",
        "leadership_appointed_on": date(2025, 9, 1),
    },
    "district staff (old level)": {"level": "district", "unit_path": PROVINCE},
}
VIEN_CHUC: dict[str, dict[str, Any]] = {
    "teacher": {"level": "province", "unit_path": PROVINCE},
    "school head": {
        "level": "province",
        "unit_path": PROVINCE,
        "leadership_tier": "quan_ly_don_vi_su_nghiep",
        "leadership_appointed_on": date(2020, 1, 1),
    },
}


def profile(category: str, **fields: Any) -> Profile:
    return make_profile(official_id=1, category=category, **fields)


def official_for(p: Profile, *, post_title: str | None = None) -> Official:
    # A transient roster row: explain() reads only names, gender and the unit.
    official = Official(
        full_name="Nguyễn Văn An",
        gender="male",
        category=p.category,
        level=p.level,
        ethnicity=p.ethnicity,
        post_title=post_title,
    )
    official.unit = OrgUnit(
        name="Đơn vị mẫu",
        path=p.unit_path,
        code="U1",
        ethnic_minority_area=p.ethnic_minority_area,
        zone=None,
    )
    return official


def why_texts(catalogue: Catalogue, p: Profile, day: date = REVIEW_DAY) -> dict[str, str]:
    """ "Vì sao?" for every rule that applies to the profile on `day`, as shown in Vietnamese."""
    texts = {}
    with use_locale("vi"):
        for status in evaluate(catalogue, p, {}, day):
            texts[status.rule.id] = explain(catalogue, status, official_for(p), p, {}, day)
    return texts


# --- 1. bases in force -------------------------------------------------------------------


def test_no_cong_chuc_rule_cites_101_2017_or_89_2021_on_1_dec_2026() -> None:
    catalogue = default_catalogue()
    seen = set()
    for name, fields in CONG_CHUC.items():
        for rule_id, text in why_texts(catalogue, profile("cong_chuc", **fields)).items():
            seen.add(rule_id)
            assert "101/2017" not in text, (name, rule_id)
            assert "89/2021" not in text, (name, rule_id)
            rule = catalogue.rules_by_id[rule_id]
            cited = {ref.basis.id for ref in rule.bases_in_force(REVIEW_DAY)}
            assert not cited & {"ND101_2017", "ND89_2021"}, rule_id
    assert {"DB-SEED-03", "REG-171-LEADER-QLNN", "DB-SEED-01"} <= seen
    # Công chức rules rest on the 2025 decree and law (or the province's own target).
    for rule_id in ("DB-SEED-03", "REG-171-LEADER-QLNN"):
        ids = {r.basis.id for r in catalogue.rules_by_id[rule_id].bases_in_force(REVIEW_DAY)}
        assert "ND171_2025" in ids
    assert "LCBCC_2025" in {r.basis.id for r in catalogue.rules_by_id["DB-SEED-05"].basis}


def test_101_2017_and_89_2021_lapsed_for_cong_chuc_on_1_july_2025() -> None:
    bases = default_catalogue().bases
    for ref in ("ND101_2017", "ND89_2021"):
        assert bases[ref].in_force_until == date(2025, 6, 30)
        assert bases[ref].replaced_by == "ND171_2025"
        assert bases[ref].in_force_on(date(2025, 6, 30))
        assert not bases[ref].in_force_on(date(2025, 7, 1))
    assert bases["ND171_2025"].in_force_from == date(2025, 7, 1)
    assert bases["LCBCC_2025"].in_force_from == date(2025, 7, 1)
    # On a 2020 day the 2020 rule cites 101/2017, not the decree that came in 2021.
    rule = default_catalogue().rules_by_id["REG-101-ANNUAL-1W"]
    assert {r.basis.id for r in rule.bases_in_force(date(2020, 6, 1))} == {"ND101_2017"}


def test_vien_chuc_rules_do_not_cite_the_2010_law_after_1_july_2026() -> None:
    catalogue = default_catalogue()
    bases = catalogue.bases
    assert bases["LVC_2010"].in_force_until == date(2026, 6, 30)
    assert bases["LVC_2010"].replaced_by == "LVC_2025"
    assert bases["LVC_2025"].in_force_from == date(2026, 7, 1)
    seen = set()
    for name, fields in VIEN_CHUC.items():
        for rule_id, text in why_texts(catalogue, profile("vien_chuc", **fields)).items():
            seen.add(rule_id)
            assert "58/2010" not in text, (name, rule_id)
            rule = catalogue.rules_by_id[rule_id]
            assert "LVC_2010" not in {r.basis.id for r in rule.bases_in_force(REVIEW_DAY)}
    assert {"DB-SEED-04", "REG-LVC2025-MGMT"} <= seen
    # The yearly viên chức item rests on the province's target, labelled as such.
    text = why_texts(catalogue, profile("vien_chuc", **VIEN_CHUC["teacher"]))["DB-SEED-04"]
    assert "(chỉ tiêu của tỉnh, nguồn thứ cấp)" in text
    assert "Hiện không có văn bản pháp luật còn hiệu lực quy định đây là nghĩa vụ" in text


LAPSED = """
catalogue: t
version: "1"
levels: {province: "cấp tỉnh"}
training_kinds: {x: {vi: "Khóa X"}}
bases:
  OLD: {title: "Nghị định cũ 1/2000/NĐ-CP", verification: secondary, in_force_from: 2000-01-01,
        in_force_until: 2020-12-31, replaced_by: NEW}
  NEW: {title: "Nghị định mới 2/2021/NĐ-CP", verification: primary, in_force_from: 2021-01-01}
rules:
  - id: R-LAPSED
    title: "Quy tắc chỉ dựa vào nghị định cũ"
    applies_to: [{field: category, op: eq, value: cong_chuc}]
    satisfied_by: {any_of: [{field: is_leader, op: eq, value: true}]}
    recurrence: {type: state}
    basis: [{ref: OLD}]
  - id: R-HISTORY
    title: "Quy tắc đã hết thời hạn áp dụng"
    applies_to: [{field: category, op: eq, value: cong_chuc}]
    satisfied_by: {any_of: [{field: is_leader, op: eq, value: true}]}
    recurrence: {type: state}
    valid: {to: 2020-12-31}
    basis: [{ref: OLD}]
  - id: R-CURRENT
    title: "Quy tắc dựa vào nghị định mới"
    applies_to: [{field: category, op: eq, value: cong_chuc}]
    satisfied_by: {any_of: [{field: is_leader, op: eq, value: true}]}
    recurrence: {type: state}
    basis: [{ref: OLD}, {ref: NEW}]
"""


async def test_rules_load_warns_about_a_rule_whose_bases_have_all_lapsed(db: Database) -> None:
    async with db.transaction() as session:
        result = await load_catalogue_file(
            session, LAPSED.encode(), actor="cli", now=NOW, today=REVIEW_DAY
        )
    assert result.ok and result.changed  # loaded all the same: a warning, not an error
    assert [w.where for w in result.warnings] == ["R-LAPSED"]  # not R-HISTORY, not R-CURRENT
    with use_locale("vi"):
        text = format_load_result(result)
    assert text.splitlines()[1] == "Lưu ý:"
    assert (
        "• R-LAPSED: mọi căn cứ của quy tắc này đã hết hiệu lực tính đến 01/12/2026 (OLD). "
        "Không được trình bày quy tắc này như một nghĩa vụ theo luật"
    ) in text
    # The shipped catalogue has no such rule today.
    assert lapse_warnings(default_catalogue(), REVIEW_DAY) == []


def test_a_rule_without_a_basis_in_force_is_never_a_legal_duty() -> None:
    catalogue, errors = compile_catalogue(read_document(LAPSED.encode()))
    assert errors == [] and catalogue is not None
    lapsed, current = catalogue.rules_by_id["R-LAPSED"], catalogue.rules_by_id["R-CURRENT"]
    assert not lapsed.has_basis_in_force(REVIEW_DAY)
    assert lapsed.has_basis_in_force(date(2020, 6, 1))
    assert current.has_basis_in_force(REVIEW_DAY)
    assert [r.id for r in lapsed_rules(catalogue, REVIEW_DAY)] == ["R-LAPSED"]
    p = profile("cong_chuc", level="province", unit_path=PROVINCE)
    texts = why_texts(catalogue, p)
    assert "Nghị định cũ" not in texts["R-LAPSED"]
    assert "• chưa có văn bản pháp luật còn hiệu lực" in texts["R-LAPSED"]
    assert (
        "Hiện không có văn bản pháp luật còn hiệu lực quy định đây là nghĩa vụ"
        in (texts["R-LAPSED"])
    )
    assert "Nghị định cũ" not in texts["R-CURRENT"]
    assert "• Nghị định mới 2/2021/NĐ-CP (đã kiểm chứng với văn bản gốc)" in texts["R-CURRENT"]
    assert "không có văn bản pháp luật" not in texts["R-CURRENT"]
    # Viên chức's yearly item rests on the province's target alone: not a legal duty.
    assert not catalogue_rule("DB-SEED-04").has_basis_in_force(REVIEW_DAY)
    assert catalogue_rule("DB-SEED-07").has_basis_in_force(REVIEW_DAY)  # Decree 171/2025
    assert catalogue_rule("REG-171-LEADER-QLNN").has_basis_in_force(REVIEW_DAY)


def test_every_shipped_basis_states_its_dates() -> None:
    document = default_document()
    for ref, spec in document["bases"].items():
        assert "in_force_from" in spec, ref
        assert spec["verification"] in ("primary", "secondary", "unverified"), ref
    broken = default_document()
    del broken["bases"]["ND171_2025"]["in_force_from"]
    broken["bases"]["ND89_2021"]["replaced_by"] = "ND999"
    _catalogue, errors = compile_catalogue(broken)
    assert {e.where for e in errors} == {"bases.ND171_2025", "bases.ND89_2021.replaced_by"}


async def test_nhacnho_gives_no_repealed_decree_as_the_reason(db: Database) -> None:
    async with db.transaction() as session:
        await seed_people(session, 1)
    text = await Person(make_dispatcher(db, Clock(NOW)), "100001").say("/nhacnho")
    assert "luôn bật" in text and "không thể tắt" in text
    assert "101/2017" not in text and "89/2021" not in text
    assert "Đây là nghĩa vụ bồi dưỡng theo quy định (Nghị định 101/2017" not in text


# --- 2. honest labels --------------------------------------------------------------------


def catalogue_rule(rule_id: str) -> Any:
    return default_catalogue().rules_by_id[rule_id]


def test_labels_say_secondary_where_only_news_summaries_or_mirrors_were_read() -> None:
    bases = default_catalogue().bases
    for ref in ("LCBCC_2025", "QD57_TW_2022", "LVC_2010", "QD46_DB_2026", "ND171_2025"):
        assert bases[ref].verification == "secondary", ref
    # Nothing in the shipped catalogue was checked against the legal text itself.
    assert {b.verification for b in bases.values()} == {"secondary"}
    assert bases["SEED_DB_2022"].kind == "province_target"
    assert {b.id for b in bases.values() if b.kind == "province_target"} == {"SEED_DB_2022"}
    for fields in CONG_CHUC.values():
        for text in why_texts(default_catalogue(), profile("cong_chuc", **fields)).values():
            assert "đã kiểm chứng" not in text
            assert "(nguồn thứ cấp)" in text or "(chỉ tiêu của tỉnh, nguồn thứ cấp)" in text


def test_the_old_verified_key_still_compiles_without_claiming_verification() -> None:
    legacy = read_document(LAPSED.encode())
    legacy["bases"] = {
        "OLD": {"title": "Văn bản", "verified": "verified"},
        "NEW": {"title": "Mục tiêu", "verified": "seed"},
    }
    catalogue, errors = compile_catalogue(legacy)
    assert errors == [] and catalogue is not None
    assert (catalogue.bases["OLD"].verification, catalogue.bases["OLD"].kind) == (
        "secondary",
        "law",
    )
    assert catalogue.bases["NEW"].kind == "province_target"


# --- 5. content gaps ---------------------------------------------------------------------


def degree_items(p: Profile) -> list[str]:
    return [
        s.rule.id
        for s in evaluate(default_catalogue(), p, {}, REVIEW_DAY)
        if "đại học" in s.rule.title.vi and not s.rule.advisory
    ]


def test_leaders_see_one_degree_item_a_standard_without_a_day_count() -> None:
    deputy = profile("cong_chuc", **CONG_CHUC["province deputy head"])
    assert degree_items(deputy) == ["DB-SEED-01"]
    assert degree_items(profile("cong_chuc", **CONG_CHUC["commune deputy head"])) == [
        "REG-LEADER-STD-EDU"
    ]
    assert degree_items(profile("cong_chuc", **CONG_CHUC["department director"])) == ["DB-SEED-01"]
    status = evaluate_rule(catalogue_rule("DB-SEED-01"), deputy, {}, REVIEW_DAY)
    assert (status.status, status.due, status.days_left) == (Status.NOT_MET, None, None)
    # The province's target is quoted with it, as context, with its period.
    text = why_texts(default_catalogue(), deputy)["DB-SEED-01"]
    assert "Chỉ tiêu của tỉnh giai đoạn 2021–2025" in text
    assert "100% lãnh đạo, quản lý cấp tỉnh từ phó trưởng phòng" in text


def test_target_2_is_an_hr_check_at_appointment_not_a_personal_deadline() -> None:
    catalogue = default_catalogue()
    [target] = catalogue.targets_by_rule["DB-SEED-02"]
    assert target.id == "T-02" and target.threshold == 1.0
    assert target.title.vi.startswith("100% CBCC đáp ứng yêu cầu tiêu chuẩn quy định trước khi")
    rule = catalogue.rules_by_id["DB-SEED-02"]
    assert rule.recurrence.type == "state" and rule.item == "target"
    deputy = profile("cong_chuc", **CONG_CHUC["province deputy head"])
    status = evaluate_rule(rule, deputy, {}, REVIEW_DAY)
    assert status.status is not Status.OVERDUE and status.due is None
    assert "không phải hạn cá nhân" in (rule.description.vi if rule.description else "")


def test_management_training_for_vien_chuc_managers_after_1_july_2026_is_advice() -> None:
    head = profile("vien_chuc", **VIEN_CHUC["school head"])
    ids = {s.rule.id for s in evaluate(default_catalogue(), head, {}, REVIEW_DAY)}
    assert "REG-LVC2025-MGMT" in ids and "REG-LVC2010-MGMT-BEFORE" not in ids
    rule = catalogue_rule("REG-LVC2025-MGMT")
    assert rule.advisory and rule.valid_from == date(2026, 7, 1)
    text = why_texts(default_catalogue(), head)["REG-LVC2025-MGMT"]
    assert "chưa được kiểm chứng" in text
    assert "Đây là khuyến nghị" in text
    assert "Luật Viên chức (sửa đổi) năm 2025 (nguồn thứ cấp)" in text


def test_defence_and_security_rests_on_its_law_by_target_group() -> None:
    catalogue = default_catalogue()
    assert "QPAN_DT3_NEWS" not in catalogue.bases
    groups = {
        "REG-QPAN-DOI-TUONG-1": "lanh_dao_chu_chot_tinh",
        "REG-QPAN-DOI-TUONG-2": "giam_doc_so",
        "REG-QPAN-DOI-TUONG-3": "truong_phong",
        "REG-QPAN-DOI-TUONG-3-XA": "lanh_dao_chu_chot_xa",
    }
    for rule_id, tier in groups.items():
        rule = catalogue.rules_by_id[rule_id]
        assert [r.basis.id for r in rule.basis] == ["LGDQPAN_2013", "ND13_2014", "ND139_2020"]
        p = profile("cong_chuc", level="province", unit_path=PROVINCE, leadership_tier=tier)
        if tier == "lanh_dao_chu_chot_xa":
            p = p._replace(level="commune")
        qpan = [s.rule.id for s in evaluate(catalogue, p, {}, REVIEW_DAY) if "QPAN" in s.rule.id]
        assert qpan == [rule_id], tier
    # Only group 3's division heads are stated as a duty; the unverified groupings are advice.
    assert not catalogue.rules_by_id["REG-QPAN-DOI-TUONG-3"].advisory
    assert all(catalogue.rules_by_id[r].advisory for r in groups if r != "REG-QPAN-DOI-TUONG-3")


def test_learn_once_is_said_only_where_the_repeat_cycle_is_known() -> None:
    deputy = profile("cong_chuc", **CONG_CHUC["province deputy head"])
    text = why_texts(default_catalogue(), deputy)["REG-QPAN-DOI-TUONG-3"]
    assert "không cần học lại" not in text
    assert "Học một lần; việc có phải học lại hay không chưa được xác định." in text
    known = read_document(LAPSED.encode())
    known["rules"][2]["recurrence"] = {"type": "once", "repeat": "none"}
    known["rules"][2]["satisfied_by"] = {"any_of": [{"training": "x"}]}
    catalogue, errors = compile_catalogue(known)
    assert errors == [] and catalogue is not None
    p = profile("cong_chuc", level="province", unit_path=PROVINCE)
    assert "Học một lần, không cần học lại." in why_texts(catalogue, p)["R-CURRENT"]


async def test_language_and_it_certificates_answer(db: Database) -> None:
    person = Person(make_dispatcher(db, Clock(NOW)), "555001")
    for question in ("tôi có cần chứng chỉ ngoại ngữ không", "chung chi tin hoc"):
        text = await person.say(question)
        assert "ngoại ngữ và tin học không còn là nội dung bồi dưỡng bắt buộc" in text
        assert "anh/chị không cần các chứng chỉ này" in text
        assert "nguồn thứ cấp" in text


def test_digital_skills_are_advice_from_decree_171s_fifth_content() -> None:
    rule = catalogue_rule("REG-171-KY-NANG-SO")
    assert rule.advisory and rule.valid_from == date(2025, 7, 1)
    assert rule.training_kinds == frozenset({"khoa_hoc_cong_nghe_so"})
    assert [r.basis.id for r in rule.basis] == ["ND171_2025", "QD146_TTG"]
    staff = profile("cong_chuc", **CONG_CHUC["province staff"])
    assert "REG-171-KY-NANG-SO" in why_texts(default_catalogue(), staff)


def test_qlnn_completions_count_toward_the_post_appointment_leadership_rule() -> None:
    deputy = profile("cong_chuc", **CONG_CHUC["province deputy head"])
    records = group_by_kind([Completion("quan_ly_nha_nuoc", date(2026, 6, 1), 160)])
    status = evaluate_rule(catalogue_rule("REG-171-LEADER-QLNN"), deputy, records, REVIEW_DAY)
    assert status.status is Status.DONE


def test_political_theory_rule_excludes_police_chief_and_military_commander() -> None:
    rule = catalogue_rule("REG-QD57-SO-CAP")
    assert "post_title" in {c.field for c in rule.conditions}
    base = CONG_CHUC["commune staff"]
    clerk = profile("cong_chuc", **base, post_title="Công chức Văn phòng – Thống kê")
    untitled = profile("cong_chuc", **base)
    police = profile("cong_chuc", **base, post_title="Trưởng Công an xã Sín Thầu")
    military = profile(
        "cong_chuc", **base, post_title="Chỉ huy trưởng Ban Chỉ huy quân sự xã Mường Nhé"
    )
    unaccented = profile("cong_chuc", **base, post_title="TRUONG CONG AN XA")
    applies = {
        name: evaluate_rule(rule, p, {}, REVIEW_DAY).status is not Status.NOT_APPLICABLE
        for name, p in {
            "clerk": clerk,
            "untitled": untitled,
            "police": police,
            "military": military,
            "unaccented": unaccented,
        }.items()
    }
    assert applies == {
        "clerk": True,
        "untitled": True,
        "police": False,
        "military": False,
        "unaccented": False,
    }
    # The roster row carries the post into the profile.
    official = official_for(untitled, post_title="Trưởng Công an xã Sín Thầu")
    official.id, official.rank_code, official.rank_tier = 7, None, None
    official.leadership_tier = official.education_level = None
    official.political_theory_level = official.professional_field_matches_post = None
    official.languages, official.leadership_appointed_on = [], None
    official.rank_assigned_on = official.started_service_on = official.birth_date = None
    assert profile_of(official).post_title == "truong cong an xa sin thau"


TARGET_ONLY = """
catalogue: t
version: "1"
levels: {province: "cấp tỉnh"}
training_kinds: {x: {vi: "Khóa X"}}
bases:
  SEED: {title: "Mục tiêu của tỉnh", kind: province_target, verification: secondary,
         in_force_from: 2021-01-01}
  LAW: {title: "Nghị định 2/2021/NĐ-CP", verification: primary, in_force_from: 2021-01-01}
rules:
  - id: R-DUTY-ON-A-TARGET
    item: obligation
    title: "Nghĩa vụ chỉ dựa vào mục tiêu của tỉnh"
    applies_to: [{field: category, op: eq, value: cong_chuc}]
    satisfied_by: {any_of: [{training: x}]}
    recurrence: {type: yearly, due: "12-31"}
    basis: [{ref: SEED}]
  - id: R-DUTY-ON-A-LAW
    item: obligation
    title: "Nghĩa vụ theo nghị định"
    applies_to: [{field: category, op: eq, value: cong_chuc}]
    satisfied_by: {any_of: [{training: x}]}
    recurrence: {type: yearly, due: "12-31"}
    basis: [{ref: SEED}, {ref: LAW}]
"""


def test_an_obligation_resting_on_no_law_in_force_is_warned_about() -> None:
    catalogue, errors = compile_catalogue(read_document(TARGET_ONLY.encode()))
    assert errors == [] and catalogue is not None
    warnings = lapse_warnings(catalogue, REVIEW_DAY)
    assert [w.where for w in warnings] == ["R-DUTY-ON-A-TARGET"]
    # The shipped catalogue: every obligation still meant to apply cites a law in force.
    shipped = default_catalogue()
    duties = [r for r in shipped.rules if r.item == "obligation" and r.valid_to is None]
    assert duties and all(r.has_basis_in_force(REVIEW_DAY) for r in duties), [
        r.id for r in duties if not r.has_basis_in_force(REVIEW_DAY)
    ]
