"""Coded values used in the roster and the rules, with the words people read for each.

Codes follow `shared/docs/domain/requirements.draft.yaml` (profile_fields). Labels are
gettext msgids marked with `N_` and translated where they are shown.
"""

from __future__ import annotations

from locales.folding import fold_key


def N_(message: str) -> str:
    """Mark a msgid for extraction without translating it yet."""
    return message


CATEGORIES: dict[str, str] = {
    "can_bo": N_("cadre (cán bộ)"),
    "cong_chuc": N_("civil servant (công chức)"),
    "vien_chuc": N_("public employee (viên chức)"),
}

# Known level codes, for labels only: units and officials may carry any level code.
LEVELS: dict[str, str] = {
    "central": N_("central level"),
    "province": N_("province level"),
    "district": N_("district level (before 07/2025)"),
    "commune": N_("commune level"),
}

EDUCATION_LEVELS: dict[str, str] = {
    "none": N_("no formal qualification"),
    "so_cap": N_("elementary vocational"),
    "trung_cap": N_("intermediate vocational"),
    "cao_dang": N_("college"),
    "dai_hoc": N_("university"),
    "thac_si": N_("master's degree"),
    "tien_si": N_("doctorate"),
}

POLITICAL_THEORY_LEVELS: dict[str, str] = {
    "none": N_("none"),
    "so_cap": N_("elementary"),
    "trung_cap": N_("intermediate"),
    "cao_cap": N_("advanced"),
}

RANK_TIERS: dict[str, str] = {
    "chuyen_vien_cao_cap": N_("senior principal specialist"),
    "chuyen_vien_chinh": N_("principal specialist"),
    "chuyen_vien": N_("specialist"),
    "can_su": N_("officer"),
    "nhan_vien": N_("staff"),
}

LEADERSHIP_TIERS: dict[str, str] = {
    "pho_truong_phong": N_("deputy head of division"),
    "truong_phong": N_("head of division"),
    "pho_giam_doc_so": N_("deputy director of department"),
    "giam_doc_so": N_("director of department"),
    "lanh_dao_chu_chot_xa": N_("key commune leader"),
    "lanh_dao_chu_chot_tinh": N_("key provincial leader"),
    "quan_ly_don_vi_su_nghiep": N_("manager of a public service unit"),
}

# Who outranks whom inside one org unit (higher is more senior; equal ranks are peers). The
# unit-head digest (models/notices/digest.py) takes the most senior tier present in a unit as
# its heads. A tier missing here never makes anyone a head.
LEADERSHIP_SENIORITY: dict[str, int] = {
    "lanh_dao_chu_chot_tinh": 6,
    "giam_doc_so": 5,
    "lanh_dao_chu_chot_xa": 4,
    "quan_ly_don_vi_su_nghiep": 4,
    "pho_giam_doc_so": 3,
    "truong_phong": 2,
    "pho_truong_phong": 1,
}

# Within one leadership tier, post titles that name the head of the unit, folded. Rosters
# code a hospital's director, deputies and heads of department all as
# quan_ly_don_vi_su_nghiep, and a commune's party secretary, chairs and their deputies all as
# lanh_dao_chu_chot_xa; the title tells who leads the unit.
HEAD_TITLE_PREFIXES: tuple[str, ...] = (
    "bi thu",
    "chu tich",
    "giam doc",
    "hieu truong",
    "vien truong",
    "cuc truong",
    "chi cuc truong",
    "chanh van phong",
    "chanh thanh tra",
    "truong ban",
    "thu truong",
)
DEPUTY_TITLE_PREFIX = "pho "

GENDERS: dict[str, str] = {"male": N_("male"), "female": N_("female")}

# Vietnamese words HR staff write in spreadsheets, folded, mapped to codes.
_SYNONYMS: dict[str, dict[str, str]] = {
    "category": {
        "can bo": "can_bo",
        "cb": "can_bo",
        "cong chuc": "cong_chuc",
        "cc": "cong_chuc",
        "vien chuc": "vien_chuc",
        "vc": "vien_chuc",
    },
    "level": {
        "tinh": "province",
        "cap tinh": "province",
        "huyen": "district",
        "cap huyen": "district",
        "xa": "commune",
        "cap xa": "commune",
        "phuong": "commune",
        "trung uong": "central",
    },
    "education_level": {
        "khong": "none",
        "so cap": "so_cap",
        "trung cap": "trung_cap",
        "cao dang": "cao_dang",
        "dai hoc": "dai_hoc",
        "cu nhan": "dai_hoc",
        "ky su": "dai_hoc",
        "thac si": "thac_si",
        "tien si": "tien_si",
    },
    "political_theory_level": {
        "khong": "none",
        "chua co": "none",
        "so cap": "so_cap",
        "trung cap": "trung_cap",
        "cao cap": "cao_cap",
        "cu nhan chinh tri": "cao_cap",
    },
    "gender": {"nam": "male", "nu": "female", "m": "male", "f": "female"},
}

_VOCABS: dict[str, dict[str, str]] = {
    "category": CATEGORIES,
    "level": LEVELS,
    "education_level": EDUCATION_LEVELS,
    "political_theory_level": POLITICAL_THEORY_LEVELS,
    "rank_tier": RANK_TIERS,
    "leadership_tier": LEADERSHIP_TIERS,
    "gender": GENDERS,
}


def parse_code(field: str, raw: str) -> str | None:
    """A code from a code ("cong_chuc"), a Vietnamese word ("Công chức") or an English label.

    Returns None when the value is not recognised; callers report it.
    """
    vocab = _VOCABS[field]
    key = fold_key(raw)
    if not key:
        return None
    underscored = key.replace(" ", "_")
    if underscored in vocab:
        return underscored
    if key in _SYNONYMS.get(field, {}):
        return _SYNONYMS[field][key]
    for code, label in vocab.items():
        if fold_key(label) == key:
            return code
    return None
