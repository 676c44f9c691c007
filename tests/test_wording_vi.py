"""The review's wording list (issue 12, point 7): every reply polite, addressed, in words a
reader knows, with English counts that agree and names in Vietnamese order."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from handlers.broadcast import _duration
from handlers.requirements import _reason, _requirement
from locales import ngettext, use_locale
from locales.collation import name_key, sort_names, vi_key
from locales.i18n import DOMAIN, LOCALE_DIR
from locales.wording import capitalize_first, lower_first, shorten
from models.notices import texts
from models.notices.digest import Listed, digest_text
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.evaluation import RuleStatus, Status
from models.requirements.fields import FIELDS, OPS
from models.requirements.model import AttributeItem, Condition
from models.requirements.store import default_catalogue


def catalogue_entries(locale: str) -> list[tuple[Any, tuple[str, ...]]]:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with Path(path).open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    out = []
    for m in catalog:
        if m.id:
            value = m.string
            out.append((m.id, (value,) if isinstance(value, str) else tuple(value or ())))
    return out


# --- "vui lòng" always has its subject --------------------------------------------------

_SUBJECT = re.compile(r"(anh/chị|Anh/chị|\{title\}|\{Title\}|\{title\} \{name\})\s*$")


def test_every_vui_long_has_a_subject() -> None:
    bare = [
        msgid
        for msgid, values in catalogue_entries("vi")
        for value in values
        for hit in re.finditer("vui lòng", value)
        if not _SUBJECT.search(value[: hit.start()])
    ]
    assert bare == []


def test_reminders_open_with_tro_ly_xin_nhac_and_the_digest_with_the_heads_name() -> None:
    with use_locale("vi"):
        due = texts.requirement_due("female", "Cập nhật kiến thức", date(2026, 12, 31), 30)
        today = texts.requirement_due(None, "Cập nhật kiến thức", date(2026, 12, 1), 0)
        overdue = texts.requirement_overdue("male", "Cập nhật kiến thức", date(2026, 11, 1))
        closes = texts.registration_deadline(
            "male", "K-1", "QLNN", date(2026, 12, 10), "Cập nhật kiến thức"
        )
        rule = default_catalogue().rules_by_id["DB-SEED-03"]
        owed = (RuleStatus(rule, Status.DUE, date(2026, 12, 31), 30),)
        digest = digest_text(
            "Xã Sín Thầu", [Listed(1, "A1", "Lò Văn An", None, owed)], "female", 30, "Nhung"
        )
        anonymous = digest_text("Xã Sín Thầu", [Listed(1, "A1", "Lò Văn An", None, owed)], None, 30)
    assert due.startswith("Trợ lý xin nhắc chị: ")
    assert today.startswith("Trợ lý xin nhắc anh/chị: ")
    assert overdue.startswith("Trợ lý xin nhắc anh: ")
    assert closes.startswith("Trợ lý xin nhắc anh: ")
    assert digest.split("\n")[1].startswith("Kính gửi chị Nhung, các CBCCVC sau")
    assert "đào tạo, bồi dưỡng" in digest
    assert anonymous.split("\n")[1].startswith("Kính gửi anh/chị, các CBCCVC")


@pytest.mark.parametrize(
    ("msgid", "words"),
    [
        (
            "Attendance file “{file}”. Data rows: {total}; valid: {valid}; with errors: {bad}.",
            "điểm danh, kết quả khóa học",
        ),
        ("📋 Training requirements for {title} (year {year})", "đào tạo, bồi dưỡng"),
        ("Officials concerned", "CBCCVC"),
        ("{where}: unknown key “{key}”.", "mục “{key}”"),
    ],
)
def test_review_terms(msgid: str, words: str) -> None:
    found = dict(catalogue_entries("vi"))
    assert words in found[msgid][0]
    assert "kết quả học tập" not in " ".join(v for vs in found.values() for v in vs)


# --- Vietnamese alphabetical order ------------------------------------------------------


def test_names_sort_in_vietnamese_order_not_by_code_point() -> None:
    names = ["Trần Văn Bình", "Phạm Ước", "Lê Thị Ánh", "Nguyễn Uyên", "Đỗ Đức", "Hà Dũng"]
    assert sorted(names) != sort_names(names)  # code point order is wrong here
    assert sort_names(names) == [
        "Lê Thị Ánh",
        "Trần Văn Bình",
        "Hà Dũng",
        "Đỗ Đức",
        "Nguyễn Uyên",
        "Phạm Ước",
    ]
    assert vi_key("Ánh") < vi_key("Bình") and vi_key("Uyên") < vi_key("Ước")
    # letters first, tones second: a à ả ã á ạ, then ă …
    assert sorted(["ạ", "á", "ã", "ả", "à", "a", "ă"], key=vi_key) == list("aàảãáạă")
    assert vi_key("khoá") == vi_key("khóa")  # NFC either way
    assert name_key("Nguyễn Thị Hồng Nhung") < name_key("Lê Văn Phúc")  # by given name


def test_the_digest_orders_equally_urgent_staff_by_vietnamese_name() -> None:
    rule = default_catalogue().rules_by_id["DB-SEED-03"]
    owed = (RuleStatus(rule, Status.DUE, date(2026, 12, 31), 30),)
    people = [
        Listed(1, "A1", "Trần Văn Bình", None, owed),
        Listed(2, "A2", "Lê Thị Ánh", None, owed),
        Listed(3, "A3", "Phạm Ước", None, owed),
        Listed(4, "A4", "Nguyễn Uyên", None, owed),
    ]
    people.sort(key=Listed.sort_key)
    assert [p.full_name for p in people] == [
        "Lê Thị Ánh",
        "Trần Văn Bình",
        "Nguyễn Uyên",
        "Phạm Ước",
    ]


# --- labels cut at a word ---------------------------------------------------------------


def test_labels_are_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    title = "Bồi dưỡng kiến thức quản lý nhà nước chương trình chuyên viên chính năm 2026"
    cut = shorten(title, 40)
    assert len(cut) <= 40 and cut.endswith("…")
    assert title.startswith(cut[:-1])
    assert title[len(cut) - 1] == " "  # the next character was a space: no word was cut
    assert shorten("Ngắn gọn", 40) == "Ngắn gọn"
    assert shorten("Bồi dưỡng, cập nhật kiến thức", 13) == "Bồi dưỡng…"
    assert len(shorten("X" * 100, 20)) == 20  # one long word still fits


def test_line_start_capitals_and_mid_sentence_kind_names() -> None:
    assert capitalize_first("hằng năm ít nhất 80% CBCC") == "Hằng năm ít nhất 80% CBCC"
    assert lower_first("Lý luận chính trị") == "lý luận chính trị"
    assert lower_first("QLNN ngạch chuyên viên") == "QLNN ngạch chuyên viên"
    with use_locale("vi"):
        catalogue = default_catalogue()
        texts_ = [_requirement(catalogue, r) for r in catalogue.rules_by_id.values()]
    # "Cần có: lý luận chính trị …" — a kind's name in the middle of the sentence.
    names = {catalogue.kind_title(k) for k in catalogue.kinds}
    capitalised = [n for n in names if n[:1].isupper() and not lower_first(n)[:1].isupper()]
    assert capitalised, "the catalogue should have capitalised kind names to test"
    assert not any(t.startswith(n) for t in texts_ for n in capitalised)


# --- English counts ---------------------------------------------------------------------


def test_english_counts_agree() -> None:
    with use_locale("en"):
        assert _duration(1) == "1 second"
        assert _duration(30) == "30 seconds"
        assert _duration(60) == "1 minute"
        assert _duration(3600 * 3) == "3 hours"
        one = ngettext("✅ Send to {n} person", "✅ Send to {n} people", 1).format(n=1)
        assert one == "✅ Send to 1 person"
    entries = catalogue_entries("en")
    singular_only = [
        values[0]
        for msgid, values in entries
        if isinstance(msgid, str)
        and re.search(r"\{n\} (people|seconds|minutes|hours|officials|messages|rows)", values[0])
    ]
    assert singular_only == []
    assert not any(re.search(r"\bYou \w+s\b", v) for _id, vs in entries for v in vs)


# --- conditions in words ----------------------------------------------------------------

_FACT: dict[str, Any] = {
    "level": "commune",
    "category": "cong_chuc",
    "rank_tier": "chuyen_vien",
    "leadership_tier": "truong_phong",
    "education_level": "dai_hoc",
    "political_theory_level": "trung_cap",
    "rank_code": "01.003",
    "ethnicity": "Mông",
    "zone": "III",
    "is_leader": True,
    "professional_field_matches_post": False,
    "ethnic_minority_area": True,
    "languages": frozenset({"Mông"}),
    "unit": "/1/2/",
    "leadership_appointed_on": date(2025, 7, 1),
    "rank_assigned_on": date(2020, 1, 1),
    "started_service_on": date(2015, 1, 1),
    "birth_date": date(1980, 5, 5),
    "post_title": "chỉ huy trưởng quân sự xã",
}


def _condition_value(field: str, kind: str, op: str) -> Any:
    if kind == "set":
        return "Mông"
    if kind == "unit":
        return ("/1/2/",)
    value = _FACT[field]
    return (value,) if op in ("in", "not_in") else value


def _always(_profile: Any) -> bool:
    return True


_RAW = re.compile(
    r"\b(" + "|".join(sorted({*FIELDS, *(op for ops in OPS.values() for op in ops)})) + r")\b"
    r"|[a-z]+_[a-z_]+|(?<![\d/])/\d+/"
)


def _official() -> Official:
    unit = OrgUnit(name="Xã Sín Thầu", path="/1/2/", zone="III")
    return Official(full_name="Lò Thị Mai", ethnicity="Mông", rank_code="01.003", unit=unit)


def test_no_raw_condition_codes_in_any_rendered_reason() -> None:
    catalogue = default_catalogue()
    official = _official()
    shown: list[str] = []
    with use_locale("vi"):
        for rule in catalogue.rules_by_id.values():
            shown.append(_requirement(catalogue, rule))
            for condition in rule.conditions:
                value = _FACT.get(condition.field, condition.value)
                shown.append(_reason(catalogue, condition, value, official))
        # Every field with every operator, as any province's file may write them.
        for field, kind in FIELDS.items():
            for op in OPS[kind]:
                condition = Condition(field, op, _condition_value(field, kind, op), _always)
                rule = next(iter(catalogue.rules_by_id.values()))
                fake = dataclasses.replace(rule, items=(AttributeItem(condition),))
                shown.append(_requirement(catalogue, fake))
                shown.append(_reason(catalogue, condition, _FACT[field], official))
    raw = [text for text in shown if _RAW.search(text)]
    assert raw == []
    assert any("tiếng dân tộc thiểu số sử dụng được gồm cả Mông" in t for t in shown)
