"""A deterministic demo province: tỉnh Điện Biên after July 2025, with a generated roster.

The unit tree comes from `models/demo/data/dien_bien.yaml`; officials are drawn from one
`random.Random(seed)` in a fixed order, so the same (size, seed, today) always yields the same
roster on every backend. Everything is bulk-inserted so a full province (24,150 officials)
seeds in seconds. Like every domain function, this never commits.

Distributions (ethnic mix, education, ranks, leadership shares, birth years) are demo
assumptions shaped after the research notes in shared/docs/domain; they are not statistics.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models.org.officials import Official
from models.org.units import OrgUnit

DATA_FILE = Path(__file__).resolve().parent / "data" / "dien_bien.yaml"


@dataclass(frozen=True)
class DemoSummary:
    units: int
    officials: int
    by_level: dict[str, int]  # officials per level code
    by_category: dict[str, int]  # officials per category code


# ---------------------------------------------------------------------------------------------
# Posts and staffing profiles
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    # None: the title follows the drawn rank ("Chuyên viên", "Cán sự"…). "{head}", "{deputy}"
    # and "{xa}" are filled per unit.
    title: str | None
    category: str
    role: str
    tier: str | None = None


@dataclass(frozen=True)
class Leader:
    post: Post
    count: int
    per_staff: int = 0  # one more per this many staff (heads of clinical departments)


@dataclass(frozen=True)
class Profile:
    leaders: tuple[Leader, ...]
    staff: tuple[tuple[Post, float], ...]


def _civil(title: str | None, tier: str | None = None) -> Post:
    return Post(title, "cong_chuc", "civil", tier)


def _vc(title: str, role: str, tier: str | None = None) -> Post:
    return Post(title, "vien_chuc", role, tier)


def _cadre(title: str, tier: str | None = None) -> Post:
    return Post(title, "can_bo", "cadre", tier)


_MANAGER = "quan_ly_don_vi_su_nghiep"
_HEAD_OF_DIVISION = Leader(_civil("{head}", "truong_phong"), 1)
_DEPUTY_OF_DIVISION = Leader(_civil("{deputy}", "pho_truong_phong"), 1)


def _school(role: str, deputies: int, teachers: float) -> Profile:
    return Profile(
        leaders=(
            Leader(_vc("{head}", role, _MANAGER), 1),
            Leader(_vc("{deputy}", role, _MANAGER), deputies),
        ),
        staff=(
            (_vc("Giáo viên", role), teachers),
            (_vc("Nhân viên Kế toán", "vc_admin"), 0.5),
            (_vc("Nhân viên Văn thư – Thủ quỹ", "vc_admin"), 0.3),
            (_vc("Nhân viên Thư viện – Thiết bị", "vc_admin"), 0.3),
        ),
    )


PROFILES: dict[str, Profile] = {
    "province_leadership": Profile(
        leaders=(
            Leader(_cadre("Chủ tịch UBND tỉnh", "lanh_dao_chu_chot_tinh"), 1),
            Leader(_cadre("Phó Chủ tịch UBND tỉnh", "lanh_dao_chu_chot_tinh"), 3),
        ),
        staff=((_civil(None), 1.0),),
    ),
    "agency_leadership": Profile(
        leaders=(
            Leader(_civil("{head}", "giam_doc_so"), 1),
            Leader(_civil("{deputy}", "pho_giam_doc_so"), 3),
        ),
        staff=((_civil(None), 1.0),),
    ),
    "division": Profile(
        leaders=(_HEAD_OF_DIVISION, Leader(_civil("{deputy}", "pho_truong_phong"), 2)),
        staff=((_civil(None), 1.0),),
    ),
    "commune_leadership": Profile(
        leaders=(
            Leader(_cadre("Bí thư Đảng ủy {xa}", "lanh_dao_chu_chot_xa"), 1),
            Leader(_cadre("Phó Bí thư Đảng ủy {xa}", "lanh_dao_chu_chot_xa"), 1),
            Leader(_cadre("Chủ tịch HĐND {xa}", "lanh_dao_chu_chot_xa"), 1),
            Leader(_cadre("Phó Chủ tịch HĐND {xa}", "lanh_dao_chu_chot_xa"), 1),
            Leader(_cadre("Chủ tịch UBND {xa}", "lanh_dao_chu_chot_xa"), 1),
            Leader(_cadre("Phó Chủ tịch UBND {xa}", "lanh_dao_chu_chot_xa"), 2),
            Leader(_cadre("Chủ tịch Ủy ban MTTQ Việt Nam {xa}"), 1),
        ),
        staff=((_cadre("Phó Chủ tịch Ủy ban MTTQ Việt Nam {xa}"), 1.0),),
    ),
    # Commune civil servants keep the pre-2025 job titles HR still writes in rosters.
    "commune_office": Profile(
        leaders=(_HEAD_OF_DIVISION, _DEPUTY_OF_DIVISION),
        staff=(
            (_civil("Công chức Văn phòng – Thống kê"), 3),
            (_civil("Công chức Tư pháp – Hộ tịch"), 2),
            (_civil("Công chức Tài chính – Kế toán"), 2),
            (_civil(None), 4),
        ),
    ),
    "commune_economy": Profile(
        leaders=(_HEAD_OF_DIVISION, _DEPUTY_OF_DIVISION),
        staff=((_civil("Công chức Địa chính – Xây dựng"), 3), (_civil(None), 5)),
    ),
    "commune_social": Profile(
        leaders=(_HEAD_OF_DIVISION, _DEPUTY_OF_DIVISION),
        staff=((_civil("Công chức Văn hóa – Xã hội"), 4), (_civil(None), 4)),
    ),
    "preschool": _school("teacher_preschool", 2, 12),
    "primary_school": _school("teacher_primary", 2, 14),
    "lower_school": _school("teacher_lower", 2, 14),
    "upper_school": _school("teacher_upper", 3, 16),
    "vocational_centre": Profile(
        leaders=(
            Leader(_vc("{head}", "teacher_upper", _MANAGER), 1),
            Leader(_vc("{deputy}", "teacher_upper", _MANAGER), 2),
        ),
        staff=((_vc("Giáo viên", "teacher_upper"), 8), (_vc("Chuyên viên", "vc_admin"), 2)),
    ),
    "hospital": Profile(
        leaders=(
            Leader(_vc("{head}", "doctor", _MANAGER), 1),
            Leader(_vc("{deputy}", "doctor", _MANAGER), 3),
            Leader(_vc("Trưởng khoa", "doctor", _MANAGER), 0, per_staff=40),
        ),
        staff=(
            (_vc("Bác sĩ", "doctor"), 22),
            (_vc("Điều dưỡng", "nurse"), 35),
            (_vc("Hộ sinh", "midwife"), 5),
            (_vc("Y sĩ", "assistant_doctor"), 5),
            (_vc("Dược sĩ", "pharmacist"), 5),
            (_vc("Kỹ thuật viên", "technician"), 10),
            (_vc("Chuyên viên", "vc_admin"), 10),
            (_vc("Kế toán viên", "vc_admin"), 4),
        ),
    ),
    "health_station": Profile(
        leaders=(Leader(_vc("{head}", "doctor", _MANAGER), 1),),
        staff=(
            (_vc("Bác sĩ", "doctor"), 2),
            (_vc("Y sĩ", "assistant_doctor"), 4),
            (_vc("Điều dưỡng", "nurse"), 3),
            (_vc("Hộ sinh", "midwife"), 2),
            (_vc("Dược sĩ", "pharmacist"), 1),
        ),
    ),
    "agri_centre": Profile(
        leaders=(
            Leader(_vc("{head}", "agri", _MANAGER), 1),
            Leader(_vc("{deputy}", "agri", _MANAGER), 2),
        ),
        staff=(
            (_vc("Khuyến nông viên", "agri"), 5),
            (_vc("Kỹ thuật viên", "agri"), 3),
            (_vc("Kế toán viên", "vc_admin"), 1),
        ),
    ),
    "service_centre": Profile(
        leaders=(
            Leader(_vc("{head}", "vc_admin", _MANAGER), 1),
            Leader(_vc("{deputy}", "vc_admin", _MANAGER), 2),
        ),
        staff=((_vc("Chuyên viên", "vc_admin"), 5), (_vc("Kế toán viên", "vc_admin"), 1)),
    ),
}

# Head and deputy titles by the first word(s) of the unit name.
_HEAD_TITLES: tuple[tuple[str, str, str], ...] = (
    ("Văn phòng", "Chánh Văn phòng", "Phó Chánh Văn phòng"),
    ("Phòng", "Trưởng phòng", "Phó Trưởng phòng"),
    ("Sở", "Giám đốc Sở", "Phó Giám đốc Sở"),
    ("Trường", "Hiệu trưởng", "Phó Hiệu trưởng"),
    ("Trạm", "Trạm trưởng", "Phó Trạm trưởng"),
    ("Ban", "Trưởng ban", "Phó Trưởng ban"),
)


def _head_titles(name: str) -> tuple[str, str]:
    for prefix, head, deputy in _HEAD_TITLES:
        if name.startswith(prefix + " "):
            return head, deputy
    return "Giám đốc", "Phó Giám đốc"


# ---------------------------------------------------------------------------------------------
# Attribute distributions (demo assumptions)
# ---------------------------------------------------------------------------------------------

# Administrative rank codes per training-rules.md §5: the codes 01.001–01.005 could not be
# checked against Thông tư 02/2021/TT-BNV there ([U]/[W]); all công chức get these
# administrative ranks (inspectors' and accountants' own ranks are left out on purpose).
RANK_CODES: dict[str, str] = {
    "chuyen_vien_cao_cap": "01.001",
    "chuyen_vien_chinh": "01.002",
    "chuyen_vien": "01.003",
    "can_su": "01.004",
    "nhan_vien": "01.005",
}
_RANK_TITLES: dict[str, str] = {
    "chuyen_vien_cao_cap": "Chuyên viên cao cấp",
    "chuyen_vien_chinh": "Chuyên viên chính",
    "chuyen_vien": "Chuyên viên",
    "can_su": "Cán sự",
}
_STAFF_TITLES_NHAN_VIEN = ("Văn thư", "Thủ quỹ", "Nhân viên")
_ENTRY_TIERS = frozenset({"chuyen_vien", "can_su", "nhan_vien"})

_W = dict[str, float]

_TIER_BY_LEADERSHIP: dict[str, _W] = {
    "giam_doc_so": {"chuyen_vien_cao_cap": 40, "chuyen_vien_chinh": 60},
    "pho_giam_doc_so": {"chuyen_vien_cao_cap": 10, "chuyen_vien_chinh": 85, "chuyen_vien": 5},
    "truong_phong": {"chuyen_vien_chinh": 55, "chuyen_vien": 45},
    "pho_truong_phong": {"chuyen_vien_chinh": 25, "chuyen_vien": 75},
}
_TIER_STAFF: dict[str, _W] = {
    "province": {"chuyen_vien_chinh": 12, "chuyen_vien": 68, "can_su": 10, "nhan_vien": 10},
    "commune": {"chuyen_vien_chinh": 4, "chuyen_vien": 80, "can_su": 12, "nhan_vien": 4},
}
_EDUCATION_BY_TIER: dict[str, _W] = {
    "chuyen_vien_cao_cap": {"dai_hoc": 20, "thac_si": 55, "tien_si": 25},
    "chuyen_vien_chinh": {"dai_hoc": 55, "thac_si": 42, "tien_si": 3},
    # A few chuyên viên without a degree, so the degree rules have cases.
    "chuyen_vien": {"cao_dang": 2, "dai_hoc": 88, "thac_si": 10},
    "can_su": {"trung_cap": 35, "cao_dang": 50, "dai_hoc": 15},
    "nhan_vien": {"none": 15, "so_cap": 25, "trung_cap": 50, "cao_dang": 10},
}
_POLITICAL_BY_LEADERSHIP: dict[str, _W] = {
    "lanh_dao_chu_chot_tinh": {"cao_cap": 100},
    "giam_doc_so": {"cao_cap": 100},
    "pho_giam_doc_so": {"trung_cap": 15, "cao_cap": 85},
    "truong_phong": {"so_cap": 3, "trung_cap": 62, "cao_cap": 35},
    "pho_truong_phong": {"none": 2, "so_cap": 8, "trung_cap": 80, "cao_cap": 10},
    "lanh_dao_chu_chot_xa": {"so_cap": 5, "trung_cap": 80, "cao_cap": 15},
    _MANAGER: {"none": 5, "so_cap": 15, "trung_cap": 75, "cao_cap": 5},
}
_POLITICAL_STAFF: dict[str, _W] = {
    "can_bo": {"so_cap": 30, "trung_cap": 70},
    "cong_chuc_senior": {"none": 5, "so_cap": 20, "trung_cap": 60, "cao_cap": 15},
    "cong_chuc": {"none": 35, "so_cap": 45, "trung_cap": 20},
    "vien_chuc": {"none": 65, "so_cap": 30, "trung_cap": 5},
}


@dataclass(frozen=True)
class Role:
    female: float
    education: _W
    # Professional-title codes (chức danh nghề nghiệp) with weights, entry grade first.
    # Codes from general knowledge of the MoET/MoH circulars: unverified.
    titles: tuple[tuple[str, float], ...] = ()


_TEACHER_EDU: _W = {"cao_dang": 8, "dai_hoc": 90, "thac_si": 2}
_NURSE_EDU: _W = {"trung_cap": 20, "cao_dang": 45, "dai_hoc": 35}
ROLES: dict[str, Role] = {
    "cadre": Role(0.25, {"trung_cap": 3, "cao_dang": 5, "dai_hoc": 80, "thac_si": 12}),
    "civil": Role(0.45, {}),  # education follows the rank tier
    "teacher_preschool": Role(
        0.97,
        {"trung_cap": 3, "cao_dang": 25, "dai_hoc": 72},
        (("V.07.02.26", 55), ("V.07.02.25", 38), ("V.07.02.24", 7)),
    ),
    "teacher_primary": Role(
        0.75, _TEACHER_EDU, (("V.07.03.29", 55), ("V.07.03.28", 38), ("V.07.03.27", 7))
    ),
    "teacher_lower": Role(
        0.68, _TEACHER_EDU, (("V.07.04.32", 55), ("V.07.04.31", 38), ("V.07.04.30", 7))
    ),
    "teacher_upper": Role(
        0.62,
        {"dai_hoc": 78, "thac_si": 22},
        (("V.07.05.15", 55), ("V.07.05.14", 38), ("V.07.05.13", 7)),
    ),
    "doctor": Role(
        0.45,
        {"dai_hoc": 70, "thac_si": 27, "tien_si": 3},
        (("V.08.01.03", 65), ("V.08.01.02", 30), ("V.08.01.01", 5)),
    ),
    "assistant_doctor": Role(0.5, {"trung_cap": 85, "cao_dang": 15}, (("V.08.03.07", 1),)),
    "nurse": Role(0.78, _NURSE_EDU, (("V.08.05.13", 30), ("V.08.05.12", 60), ("V.08.05.11", 10))),
    "midwife": Role(1.0, _NURSE_EDU, (("V.08.06.16", 30), ("V.08.06.15", 60), ("V.08.06.14", 10))),
    "pharmacist": Role(0.65, {"trung_cap": 12, "dai_hoc": 80, "thac_si": 8}, (("V.08.08.22", 1),)),
    "technician": Role(0.5, {"trung_cap": 10, "cao_dang": 50, "dai_hoc": 40}),
    "vc_admin": Role(0.6, {"trung_cap": 10, "cao_dang": 15, "dai_hoc": 75}),
    "agri": Role(0.35, {"cao_dang": 10, "dai_hoc": 80, "thac_si": 10}),
}
_LEADER_FEMALE_FACTOR = 0.6


@dataclass(frozen=True)
class NamePool:
    surnames: tuple[str, ...]
    male_middle: tuple[str, ...]
    female_middle: tuple[str, ...]
    male_given: tuple[str, ...]
    female_given: tuple[str, ...]


_KINH_MALE = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Đông",
    "Hải",
    "Hiếu",
    "Hùng",
    "Huy",
    "Khánh",
    "Long",
    "Minh",
    "Nam",
    "Phong",
    "Quân",
    "Sơn",
    "Thắng",
    "Trung",
    "Tuấn",
    "Việt",
    "Thành",
    "Hoàng",
    "Kiên",
)
_KINH_FEMALE = (
    "Anh",
    "Châm",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hoa",
    "Hương",
    "Huyền",
    "Lan",
    "Liên",
    "Linh",
    "Mai",
    "Nga",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phương",
    "Thảo",
    "Trang",
    "Vân",
    "Yến",
    "Thủy",
)
_THAI_MALE = (
    "Minh",
    "Thanh",
    "Xuân",
    "Phong",
    "Chung",
    "Hùng",
    "Ngọc",
    "Đức",
    "Tiến",
    "Dương",
    "Pánh",
    "Ún",
    "Sơn",
    "Toán",
    "Bun",
    "Khăm",
    "Inh",
    "Hặc",
    "Pọm",
    "Ngoan",
)
_THAI_FEMALE = (
    "Nhung",
    "Hương",
    "Lan",
    "Thoa",
    "Pinh",
    "Ỏm",
    "Ẻn",
    "Xuân",
    "Hoa",
    "Tâm",
    "Tiên",
    "Duyên",
    "Ngọc",
    "Thu",
    "Phượng",
    "Ly",
    "Nga",
    "Biên",
)
_MONG_MALE = (
    "Tủa",
    "Dình",
    "Chứ",
    "Pó",
    "Sử",
    "Sinh",
    "Lử",
    "Páo",
    "Chồng",
    "Dơ",
    "Súa",
    "Già",
    "Của",
    "Phềnh",
    "Tếnh",
    "Cở",
    "Chá",
    "Mua",
    "Vàng",
    "Thái",
)
_MONG_FEMALE = (
    "Mai",
    "Dua",
    "Pà",
    "Sua",
    "Chở",
    "Dế",
    "Máy",
    "Ly",
    "Mỷ",
    "Xá",
    "Dợ",
    "Lan",
    "Say",
    "Chi",
    "Hoa",
    "Sở",
)

NAMES: dict[str, NamePool] = {
    "Kinh": NamePool(
        # Repeated entries weight the most common family names.
        (
            "Nguyễn",
            "Nguyễn",
            "Nguyễn",
            "Nguyễn",
            "Trần",
            "Trần",
            "Lê",
            "Lê",
            "Phạm",
            "Phạm",
            "Hoàng",
            "Vũ",
            "Đặng",
            "Bùi",
            "Đỗ",
            "Ngô",
            "Dương",
            "Đinh",
            "Phan",
            "Hà",
        ),
        ("Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Xuân", "Thanh", "Ngọc", "Công", "Mạnh"),
        ("Thị", "Thị", "Thị", "Thu", "Thanh", "Ngọc", "Thúy", "Hồng", "Minh", "Phương"),
        _KINH_MALE,
        _KINH_FEMALE,
    ),
    "Thái": NamePool(
        (
            "Lò",
            "Lò",
            "Lò",
            "Lường",
            "Lường",
            "Quàng",
            "Quàng",
            "Cầm",
            "Vi",
            "Tòng",
            "Điêu",
            "Bạc",
            "Khoàng",
            "Lèo",
            "Mè",
            "Lù",
        ),
        ("Văn",),
        ("Thị",),
        _THAI_MALE,
        _THAI_FEMALE,
    ),
    # Mông men carry the middle name "A", women "Thị" (naming hint in dien-bien-units.md).
    "Mông": NamePool(
        (
            "Giàng",
            "Giàng",
            "Mùa",
            "Mùa",
            "Vừ",
            "Vừ",
            "Thào",
            "Sùng",
            "Lầu",
            "Sình",
            "Lý",
            "Hạng",
            "Tráng",
            "Chá",
            "Cứ",
            "Hờ",
            "Vàng",
        ),
        ("A",),
        ("Thị",),
        _MONG_MALE,
        _MONG_FEMALE,
    ),
    "Khơ Mú": NamePool(
        ("Lò", "Quàng", "Vì", "Cà", "Lù", "Tòng", "Lường"),
        ("Văn",),
        ("Thị",),
        _THAI_MALE,
        _THAI_FEMALE,
    ),
    "Dao": NamePool(
        ("Triệu", "Đặng", "Bàn", "Lý", "Chảo", "Tẩn"),
        ("Văn", "Tiến", "Quý"),
        ("Thị",),
        _KINH_MALE,
        _KINH_FEMALE,
    ),
    "Hà Nhì": NamePool(
        ("Lò", "Lý", "Pờ", "Chu", "Hù", "Sần", "Phu", "Phìn"),
        ("A", "Văn"),
        ("Thị",),
        _MONG_MALE,
        _MONG_FEMALE,
    ),
    "Lào": NamePool(
        ("Lò", "Lường", "Vì", "Cà", "Quàng"), ("Văn",), ("Thị",), _THAI_MALE, _THAI_FEMALE
    ),
    "Kháng": NamePool(
        ("Lò", "Quàng", "Cà", "Vì", "Lừ"), ("Văn",), ("Thị",), _THAI_MALE, _THAI_FEMALE
    ),
    "Hoa": NamePool(
        ("Trần", "Lý", "Hoàng", "Dương", "Lâm"),
        ("Văn", "Minh"),
        ("Thị", "Ngọc"),
        _KINH_MALE,
        _KINH_FEMALE,
    ),
    "Tày": NamePool(
        ("Hoàng", "Nông", "Lương", "Hà", "Ma"), ("Văn", "Đức"), ("Thị",), _KINH_MALE, _KINH_FEMALE
    ),
    "Mường": NamePool(("Bùi", "Đinh", "Quách", "Hà"), ("Văn",), ("Thị",), _KINH_MALE, _KINH_FEMALE),
    "Nùng": NamePool(("Nông", "Lục", "Hoàng", "Vi"), ("Văn",), ("Thị",), _KINH_MALE, _KINH_FEMALE),
    "Xinh Mun": NamePool(
        ("Lò", "Vì", "Lường", "Quàng"), ("Văn",), ("Thị",), _THAI_MALE, _THAI_FEMALE
    ),
    "Cống": NamePool(("Chang", "Lò", "Pờ", "Chu"), ("Văn",), ("Thị",), _THAI_MALE, _THAI_FEMALE),
    "Phù Lá": NamePool(
        ("Vàng", "Ly", "Sùng", "Chảo"), ("A", "Văn"), ("Thị",), _MONG_MALE, _MONG_FEMALE
    ),
}

# Own language kept by share of each group; Thái is the valley lingua franca for small groups.
_OWN_LANGUAGE_SHARE: dict[str, float] = {
    "Thái": 0.85,
    "Mông": 0.9,
    "Khơ Mú": 0.6,
    "Dao": 0.7,
    "Hà Nhì": 0.8,
    "Lào": 0.6,
    "Kháng": 0.5,
    "Hoa": 0.2,
    "Tày": 0.3,
    "Mường": 0.3,
    "Nùng": 0.3,
    "Xinh Mun": 0.5,
    "Cống": 0.6,
    "Phù Lá": 0.5,
}
_THAI_SECOND_LANGUAGE = frozenset({"Khơ Mú", "Lào", "Kháng", "Xinh Mun", "Cống"})
# Kinh officials who learned a minority language, by workplace.
_KINH_SPEAKS: dict[str, float] = {"province": 0.03, "I": 0.05, "II": 0.12, "III": 0.25}

# Mobile prefixes after +84 (Viettel, VinaPhone, MobiFone ranges starting 9, 8, 3).
_MOBILE_PREFIXES = (
    "91",
    "94",
    "96",
    "97",
    "98",
    "90",
    "93",
    "86",
    "88",
    # Vietnamobile's 092 in place of 089, of which phonenumbers' plan (roster validation)
    # knows only 0896–0899: same position, so the seeded draws are otherwise unchanged.
    "92",
    "81",
    "82",
    "83",
    "84",
    "85",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "38",
    "39",
)

# Women's statutory retirement age reaches 57 in 2026 (rising schedule of the 2019 Labour
# Code), so women born before 1970 are no longer in a 2026 roster; men to 62 by 2028.
_BIRTH_YEARS = {"male": (1966, 2003), "female": (1970, 2003)}


# ---------------------------------------------------------------------------------------------
# Unit tree
# ---------------------------------------------------------------------------------------------


@dataclass
class UnitSpec:
    code: str
    name: str
    level: str
    kind: str
    parent_code: str | None
    profile: str | None = None
    staff: int = 0
    head: str = ""
    deputy: str = ""
    xa: str = ""  # "xã" / "phường" for commune post titles
    ethnic_minority_area: bool = False
    zone: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    context: str = "province"  # ethnic-mix context: "province" or the commune zone
    ethnic_boost: tuple[tuple[str, float], ...] = ()
    reorganised_on: date | None = None


@cache
def load_data() -> dict[str, Any]:
    with DATA_FILE.open(encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def unit_specs(data: dict[str, Any] | None = None) -> list[UnitSpec]:
    """Every unit of the demo tree, parents before children, in file order."""
    data = data or load_data()
    prov = data["province"]
    root = prov["code"]
    agencies_on: date = data["agencies_reorganised_on"]
    communes_on: date = data["communes_reorganised_on"]
    specs = [
        UnitSpec(
            root,
            prov["name"],
            "province",
            "province",
            None,
            profile=prov["profile"],
            staff=prov["staff"],
        )
    ]

    for agency in data["agencies"]:
        code = agency["code"]
        head, deputy = _head_titles(agency["name"])
        specs.append(
            UnitSpec(
                code,
                agency["name"],
                "province",
                "department",
                root,
                profile="agency_leadership",
                staff=4,
                head=agency.get("head", head),
                deputy=agency.get("deputy", deputy),
                valid_from=agency.get("valid_from"),
                reorganised_on=agencies_on,
            )
        )
        for div in agency["divisions"]:
            head, deputy = _head_titles(div["name"])
            specs.append(
                UnitSpec(
                    f"{code}-{div['code']}",
                    div["name"],
                    "province",
                    "division",
                    code,
                    profile="division",
                    staff=div.get("staff", data["division_staff"]),
                    head=head,
                    deputy=deputy,
                    reorganised_on=agencies_on,
                )
            )
        for su in agency.get("service_units", []):
            head, deputy = _head_titles(su["name"])
            specs.append(
                UnitSpec(
                    f"{code}-{su['code']}",
                    su["name"],
                    "province",
                    "service_unit",
                    code,
                    profile=su["profile"],
                    staff=su["staff"],
                    head=head,
                    deputy=deputy,
                )
            )

    template = data["commune_template"]
    for commune in data["communes"]:
        code, name, kind, zone = commune["code"], commune["name"], commune["type"], commune["zone"]
        xa = "phường" if kind == "phuong" else "xã"
        common: dict[str, Any] = {
            "level": "commune",
            "ethnic_minority_area": True,
            "zone": zone,
            "valid_from": communes_on,
            "context": zone,
            "reorganised_on": communes_on,
            "xa": xa,
            "ethnic_boost": tuple(commune.get("ethnic_boost", {}).items()),
        }
        lead = template["leadership"]
        specs.append(
            UnitSpec(
                code,
                name,
                kind="commune",
                parent_code=root,
                profile=lead["profile"],
                staff=lead["staff"],
                **common,
            )
        )
        # Sub-units repeat the commune's zone and area flag so a rule can read them from the
        # official's own unit without walking up the tree.
        for office in template["offices"]:
            if office.get("only", kind) != kind:
                continue
            head, deputy = _head_titles(office["name"])
            specs.append(
                UnitSpec(
                    f"{code}-{office['code']}",
                    office["name"],
                    kind="division",
                    parent_code=code,
                    profile=office["profile"],
                    staff=office["staff"],
                    head=head,
                    deputy=deputy,
                    **common,
                )
            )
        places: list[str] = commune["places"]
        # Schools and stations kept their heads through the merger: no re-appointment wave.
        common = common | {"reorganised_on": None}
        for school in template["schools"]:
            pattern = school.get(f"name_zone_{zone}", school["name"])
            for i, place in enumerate(places, start=1):
                school_name = pattern.format(place=place)
                head, deputy = _head_titles(school_name)
                specs.append(
                    UnitSpec(
                        f"{code}-{school['code']}{i}",
                        school_name,
                        kind="service_unit",
                        parent_code=code,
                        profile=school["profile"],
                        staff=school["staff"],
                        head=head,
                        deputy=deputy,
                        **common,
                    )
                )
        station = template["health_station"]
        station_staff = station["staff_base"] + station["staff_per_place"] * len(places)
        station_name = station["name"].format(unit=name[0].lower() + name[1:])
        head, deputy = _head_titles(station_name)
        specs.append(
            UnitSpec(
                f"{code}-{station['code']}",
                station_name,
                kind="service_unit",
                parent_code=code,
                profile=station["profile"],
                staff=station_staff,
                head=head,
                deputy=deputy,
                **common,
            )
        )

    for district in data["legacy_districts"]:
        specs.append(
            UnitSpec(
                district["code"],
                district["name"],
                "district",
                "district",
                root,
                valid_to=data["district_level_valid_to"],
            )
        )
    return specs


async def _insert_units(session: AsyncSession, specs: Sequence[UnitSpec]) -> dict[str, int]:
    """Bulk-insert the tree one depth at a time, then set each wave's materialised paths."""
    depth: dict[str, int] = {}
    waves: list[list[UnitSpec]] = []
    for spec in specs:
        d = 0 if spec.parent_code is None else depth[spec.parent_code] + 1
        depth[spec.code] = d
        while len(waves) <= d:
            waves.append([])
        waves[d].append(spec)

    ids: dict[str, int] = {}
    paths: dict[str, str] = {}
    for d, wave in enumerate(waves):
        rows = [
            {
                "code": s.code,
                "name": s.name,
                "level": s.level,
                "kind": s.kind,
                "parent_id": ids[s.parent_code] if s.parent_code else None,
                "path": "/",
                "depth": d,
                "ethnic_minority_area": s.ethnic_minority_area,
                "zone": s.zone,
                "valid_from": s.valid_from,
                "valid_to": s.valid_to,
            }
            for s in wave
        ]
        result = await session.execute(insert(OrgUnit).returning(OrgUnit.code, OrgUnit.id), rows)
        for code, unit_id in result.all():
            ids[code] = unit_id
        updates = []
        for s in wave:
            paths[s.code] = f"{paths[s.parent_code] if s.parent_code else '/'}{ids[s.code]}/"
            updates.append({"id": ids[s.code], "path": paths[s.code]})
        await session.execute(update(OrgUnit), updates)
    return ids


# ---------------------------------------------------------------------------------------------
# Fixed demo officials (named in the README)
# ---------------------------------------------------------------------------------------------


def _add_months(d: date, months: int) -> date:
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _add_years(d: date, years: int) -> date:
    return _add_months(d, 12 * years)


def fixed_officials(today: date) -> list[tuple[str, dict[str, Any]]]:
    """(unit code, official fields) for the six officials the README names."""
    base: dict[str, Any] = {
        "email": None,
        "professional_title_code": None,
        "rank_code": None,
        "rank_tier": None,
        "rank_assigned_on": None,
        "leadership_tier": None,
        "leadership_appointed_on": None,
        "professional_field_matches_post": True,
        "preferred_locale": None,
        "languages": [],
        "active": True,
    }
    people: list[tuple[str, dict[str, Any]]] = [
        (
            "SNV-TCCB",
            {
                "employee_code": "DB000001",
                "full_name": "Nguyễn Văn An",
                "gender": "male",
                "birth_date": date(1988, 4, 12),
                "phone": "+84912000001",
                "category": "cong_chuc",
                "rank_code": "01.003",
                "rank_tier": "chuyen_vien",
                "rank_assigned_on": date(2013, 9, 1),
                "post_title": "Chuyên viên",
                "education_level": "dai_hoc",
                "political_theory_level": "trung_cap",
                "ethnicity": "Kinh",
                "started_service_on": date(2012, 9, 1),
            },
        ),
        (
            "SGDDT-GDMNTH",
            {
                "employee_code": "DB000002",
                "full_name": "Lò Thị Nhung",
                "gender": "female",
                "birth_date": date(1985, 11, 3),
                "phone": "+84912000002",
                "category": "cong_chuc",
                "rank_code": "01.004",
                "rank_tier": "can_su",
                "rank_assigned_on": date(2010, 3, 1),
                "post_title": "Phó Trưởng phòng",
                "leadership_tier": "pho_truong_phong",
                "leadership_appointed_on": _add_months(today, -5),
                # College only, no degree: the leadership-degree rule is meant to flag her.
                "education_level": "cao_dang",
                "political_theory_level": "trung_cap",
                "ethnicity": "Thái",
                "languages": ["Thái"],
                "started_service_on": date(2009, 3, 1),
            },
        ),
        (
            "03158-VP",
            {
                "employee_code": "DB000003",
                "full_name": "Giàng A Tủa",
                "gender": "male",
                "birth_date": date(1992, 6, 20),
                "phone": "+84912000003",
                "category": "cong_chuc",
                "rank_code": "01.003",
                "rank_tier": "chuyen_vien",
                "rank_assigned_on": date(2018, 8, 1),
                "post_title": "Công chức Văn phòng – Thống kê",
                "education_level": "dai_hoc",
                "political_theory_level": "so_cap",
                "ethnicity": "Mông",
                "languages": ["Mông"],
                "started_service_on": date(2017, 8, 1),
            },
        ),
        (
            "03160-VHXH",
            {
                "employee_code": "DB000004",
                "full_name": "Trần Thị Hoa",
                "gender": "female",
                "birth_date": date(1994, 2, 8),
                "phone": "+84912000004",
                "category": "cong_chuc",
                "rank_code": "01.003",
                "rank_tier": "chuyen_vien",
                "rank_assigned_on": date(2020, 10, 1),
                "post_title": "Chuyên viên",
                "education_level": "dai_hoc",
                "political_theory_level": "none",
                "ethnicity": "Kinh",
                # Kinh, in a minority area, no minority language: the language rule flags her.
                "languages": [],
                "started_service_on": date(2019, 10, 1),
            },
        ),
        (
            "03253-TH1",
            {
                "employee_code": "DB000005",
                "full_name": "Quàng Văn Minh",
                "gender": "male",
                "birth_date": date(1990, 9, 15),
                "phone": "+84912000005",
                "category": "vien_chuc",
                "professional_title_code": "V.07.03.29",
                "rank_assigned_on": date(2014, 9, 5),
                "post_title": "Giáo viên",
                "education_level": "dai_hoc",
                "political_theory_level": "so_cap",
                "ethnicity": "Thái",
                "languages": ["Thái"],
                "started_service_on": date(2013, 9, 5),
            },
        ),
        (
            "SNV-TCCB",
            {
                "employee_code": "DB000006",
                "full_name": "Phạm Thu Hà",
                "gender": "female",
                "birth_date": date(1979, 12, 1),
                "phone": "+84912000006",
                "category": "cong_chuc",
                "rank_code": "01.002",
                "rank_tier": "chuyen_vien_chinh",
                "rank_assigned_on": date(2016, 1, 1),
                "post_title": "Trưởng phòng",
                "leadership_tier": "truong_phong",
                "leadership_appointed_on": date(2025, 3, 1),
                "education_level": "thac_si",
                "political_theory_level": "cao_cap",
                "ethnicity": "Kinh",
                "started_service_on": date(2003, 7, 1),
            },
        ),
    ]
    return [(unit, base | fields) for unit, fields in people]


# ---------------------------------------------------------------------------------------------
# Roster generation
# ---------------------------------------------------------------------------------------------


def _pick(rng: random.Random, weights: _W) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _date_between(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randint(0, (end - start).days))


def allocate(total: int, weights: Sequence[int], rng: random.Random) -> list[int]:
    """Split `total` in proportion to `weights` by systematic sampling: every share is its
    quota rounded down or up, with the rounding odds equal to the fraction, so small units
    are not starved the way largest-remainder rounding starves them on small rosters."""
    weight_sum = sum(weights)
    if weight_sum <= 0 or total <= 0:
        return [0] * len(weights)
    # Points r, r + W, r + 2W, … on the line of cumulative weights scaled by `total`;
    # integer arithmetic keeps the counts exact and summing to `total`.
    r = rng.randrange(weight_sum)
    counts: list[int] = []
    cumulative = 0
    before = 0
    for w in weights:
        cumulative += w
        upto = -((r - cumulative * total) // weight_sum)
        counts.append(upto - before)
        before = upto
    return counts


def _unit_slots(spec: UnitSpec, taken: Sequence[dict[str, Any]]) -> list[Post | None]:
    """The unit's posts at full strength (None = an ordinary staff post), minus the posts
    that fixed demo officials already hold."""
    profile = PROFILES[spec.profile or ""]
    leaders: list[Post] = []
    for leader in profile.leaders:
        extra = spec.staff // leader.per_staff if leader.per_staff else 0
        leaders.extend([leader.post] * (leader.count + extra))
    staff_count = max(spec.staff - len(leaders), 0)
    for fixed in taken:
        tier = fixed.get("leadership_tier")
        match = next((i for i, p in enumerate(leaders) if tier and p.tier == tier), None)
        if match is not None:
            del leaders[match]
        elif staff_count:
            staff_count -= 1
    return [*leaders, *([None] * staff_count)]


class _Generator:
    def __init__(self, rng: random.Random, today: date, data: dict[str, Any]) -> None:
        self.rng = rng
        self.today = today
        eth = data["ethnicity"]
        self.population: _W = {k: float(v) for k, v in eth["population_pct"].items()}
        self.multipliers: dict[str, _W] = eth["roster_multipliers"]
        self.phones: set[str] = set()
        self.reserved_names: set[str] = set()
        self._mix_cache: dict[tuple[str, tuple[tuple[str, float], ...]], _W] = {}

    def ethnic_mix(self, spec: UnitSpec) -> _W:
        key = (spec.context, spec.ethnic_boost)
        if key not in self._mix_cache:
            ctx = "province" if spec.context == "province" else f"zone_{spec.context}"
            mult = self.multipliers.get(ctx, {})
            boost = dict(spec.ethnic_boost)
            self._mix_cache[key] = {
                g: w * mult.get(g, 1.0) * boost.get(g, 1.0) for g, w in self.population.items()
            }
        return self._mix_cache[key]

    def phone(self) -> str:
        rng = self.rng
        while True:
            number = f"+84{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def languages(self, spec: UnitSpec, ethnicity: str) -> list[str]:
        rng = self.rng
        if ethnicity == "Kinh":
            if rng.random() < _KINH_SPEAKS.get(spec.context, 0.0):
                return [rng.choice(("Mông", "Thái"))]
            return []
        langs: list[str] = []
        if rng.random() < _OWN_LANGUAGE_SHARE.get(ethnicity, 0.3):
            langs.append(ethnicity)
        if ethnicity in _THAI_SECOND_LANGUAGE and rng.random() < 0.5:
            langs.append("Thái")
        return langs

    def official(self, spec: UnitSpec, post: Post, code: str) -> dict[str, Any]:
        rng, today = self.rng, self.today
        role = ROLES[post.role]
        leader = post.tier is not None
        ctx = {"head": spec.head, "deputy": spec.deputy, "xa": spec.xa}

        female_share = role.female * (_LEADER_FEMALE_FACTOR if leader else 1.0)
        gender = "female" if rng.random() < female_share else "male"
        ethnicity = _pick(rng, self.ethnic_mix(spec))
        pool = NAMES[ethnicity]
        middle = rng.choice(pool.female_middle if gender == "female" else pool.male_middle)
        givens = pool.female_given if gender == "female" else pool.male_given
        full_name = f"{rng.choice(pool.surnames)} {middle} {rng.choice(givens)}"
        while full_name in self.reserved_names:
            # The README's demo people must be unambiguous when an admin searches by name.
            full_name = f"{rng.choice(pool.surnames)} {middle} {rng.choice(givens)}"

        first_year, last_year = _BIRTH_YEARS[gender]
        if post.tier in ("giam_doc_so", "pho_giam_doc_so", "lanh_dao_chu_chot_tinh"):
            last_year = 1982
        elif leader:
            last_year = 1993
        birth = _date_between(rng, date(first_year, 1, 1), date(last_year, 12, 31))

        rank_code = rank_tier = title_code = None
        title = post.title
        if post.category == "cong_chuc":
            weights = _TIER_BY_LEADERSHIP.get(post.tier or "") or _TIER_STAFF[spec.level]
            rank_tier = _pick(rng, weights)
            rank_code = RANK_CODES[rank_tier]
            education = _pick(rng, _EDUCATION_BY_TIER[rank_tier])
            if title is None:
                title = _RANK_TITLES.get(rank_tier) or rng.choice(_STAFF_TITLES_NHAN_VIEN)
            entry_grade = rank_tier in _ENTRY_TIERS
        else:
            education = _pick(rng, role.education)
            if role.titles:
                title_code = _pick(rng, dict(role.titles))
            entry_grade = title_code is None or title_code == role.titles[0][0]
        if title is None:
            title = "Chuyên viên"
        title = title.format(**ctx)

        if post.tier:
            political = _pick(rng, _POLITICAL_BY_LEADERSHIP[post.tier])
        elif post.category == "can_bo":
            political = _pick(rng, _POLITICAL_STAFF["can_bo"])
        elif post.category == "cong_chuc":
            senior = rank_tier in ("chuyen_vien_chinh", "chuyen_vien_cao_cap")
            political = _pick(rng, _POLITICAL_STAFF["cong_chuc_senior" if senior else "cong_chuc"])
        else:
            political = _pick(rng, _POLITICAL_STAFF["vien_chuc"])

        # Vocational graduates start younger than degree holders.
        start_age = (
            rng.randint(19, 25)
            if education in ("none", "so_cap", "trung_cap")
            else rng.randint(22, 30)
        )
        latest_start = today - timedelta(days=30)
        started = min(
            _add_years(birth, start_age) + timedelta(days=rng.randint(0, 364)), latest_start
        )
        started = max(started, _add_years(birth, 18))

        if not entry_grade and _add_years(started, 6) > today - timedelta(days=60):
            # Too junior for a senior rank or grade: keep them at the entry one.
            entry_grade = True
            if rank_tier is not None:
                rank_tier = "chuyen_vien"
                rank_code = RANK_CODES[rank_tier]
                if post.title is None:
                    title = _RANK_TITLES[rank_tier]
            elif role.titles:
                title_code = role.titles[0][0]
        if entry_grade:  # first rank/grade after the one-year probation
            assigned = min(_add_years(started, 1), today)
        else:
            assigned = _date_between(rng, _add_years(started, 6), today - timedelta(days=60))
        assigned = max(min(assigned, today), started)

        appointed = None
        if post.tier:
            appointed = self.appointment(spec, started)

        return {
            "employee_code": code,
            "full_name": full_name,
            "gender": gender,
            "birth_date": birth,
            "phone": self.phone(),
            "email": None,
            "category": post.category,
            "level": spec.level,
            "rank_code": rank_code,
            "rank_tier": rank_tier,
            "professional_title_code": title_code,
            "rank_assigned_on": assigned,
            "post_title": title,
            "leadership_tier": post.tier,
            "leadership_appointed_on": appointed,
            "education_level": education,
            "professional_field_matches_post": rng.random() < 0.94,
            "political_theory_level": political,
            "ethnicity": ethnicity,
            "languages": self.languages(spec, ethnicity),
            "started_service_on": started,
            "preferred_locale": None,
            "active": True,
        }

    def appointment(self, spec: UnitSpec, started: date) -> date:
        rng, today = self.rng, self.today
        # Reorganisations re-appoint most leaders at once; otherwise spread over a 5-year
        # term, which leaves a share appointed within the last 12 months.
        reorg = spec.reorganised_on
        if reorg and today >= reorg + timedelta(days=30) and rng.random() < 0.5:
            appointed = reorg + timedelta(days=rng.randint(0, 20))
        else:
            appointed = _date_between(rng, _add_years(today, -5), today - timedelta(days=10))
        return min(max(appointed, _add_years(started, 3)), today)


async def seed_demo_province(
    session: AsyncSession, *, size: int = 3000, seed: int = 2026, today: date
) -> DemoSummary:
    """Create the Điện Biên demo tree and `size` officials, or do nothing if the province
    root already exists. Returns the summary of what the database holds for the province."""
    data = load_data()
    root_code: str = data["province"]["code"]
    existing = await session.scalar(select(OrgUnit.id).where(OrgUnit.code == root_code))
    if existing is not None:
        return await demo_summary(session)

    fixed = fixed_officials(today)
    if size < len(fixed):
        raise ValueError(f"size must be at least {len(fixed)} (the fixed demo officials)")

    specs = unit_specs(data)
    ids = await _insert_units(session, specs)

    rng = random.Random(seed)
    gen = _Generator(rng, today, data)
    gen.phones.update(f["phone"] for _, f in fixed)
    gen.reserved_names.update(f["full_name"] for _, f in fixed)
    rows: list[dict[str, Any]] = []
    taken: dict[str, list[dict[str, Any]]] = {}
    level_of = {s.code: s.level for s in specs}
    for unit_code, fields in fixed:
        rows.append(fields | {"unit_id": ids[unit_code], "level": level_of[unit_code]})
        taken.setdefault(unit_code, []).append(fields)

    staffed = [s for s in specs if s.profile]
    slots = [_unit_slots(s, taken.get(s.code, [])) for s in staffed]
    counts = allocate(size - len(fixed), [len(s) for s in slots], rng)
    serial = len(fixed)
    for spec, unit_slots, n in zip(staffed, slots, counts, strict=True):
        if n == 0:
            continue
        staff_posts = PROFILES[spec.profile or ""].staff
        staff_weights = [w for _, w in staff_posts]
        # A sample of the unit's posts, so small rosters keep the full-strength share of
        # leaders instead of filling heads first.
        chosen = sorted(rng.sample(range(len(unit_slots)), min(n, len(unit_slots))))
        posts: list[Post | None] = [unit_slots[i] for i in chosen]
        posts += [None] * (n - len(posts))
        for post in posts:
            if post is None:
                post = rng.choices([p for p, _ in staff_posts], weights=staff_weights)[0]
            serial += 1
            row = gen.official(spec, post, f"DB{serial:06d}")
            row["unit_id"] = ids[spec.code]
            rows.append(row)

    await session.execute(insert(Official), rows)
    return await demo_summary(session)


async def demo_summary(session: AsyncSession) -> DemoSummary:
    """Counts for the demo province's subtree (all zero if it was never seeded)."""
    root = await session.scalar(
        select(OrgUnit).where(OrgUnit.code == load_data()["province"]["code"])
    )
    if root is None:
        return DemoSummary(units=0, officials=0, by_level={}, by_category={})
    in_tree = OrgUnit.path.startswith(root.path, autoescape=True)
    units = await session.scalar(select(func.count()).select_from(OrgUnit).where(in_tree)) or 0
    base = select(func.count()).select_from(Official).join(OrgUnit).where(in_tree)
    officials = await session.scalar(base) or 0
    by_level = await session.execute(base.add_columns(Official.level).group_by(Official.level))
    by_category = await session.execute(
        base.add_columns(Official.category).group_by(Official.category)
    )
    return DemoSummary(
        units=units,
        officials=officials,
        by_level=dict(sorted((lvl, n) for n, lvl in by_level.all())),
        by_category=dict(sorted((cat, n) for n, cat in by_category.all())),
    )
