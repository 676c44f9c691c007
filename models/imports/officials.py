"""The roster import: HR's Excel/CSV list of officials, checked in full, then upserted.

Two steps so a person can see every problem before anything changes: `plan_import` reads
and validates every row (nothing is written), `apply_import` upserts the valid rows by
employee code in the caller's transaction. Re-importing the same file changes nothing.

Messages are stored as msgids with parameters and translated when a report is formatted,
so the reader's locale applies, not the one active while the file was read.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _, format_number
from locales.folding import clean, fold_key
from models import audit
from models.imports.report import ImportResult, begin_apply, format_outcome
from models.imports.table import (
    CellValue,
    Column,
    Table,
    TableError,
    TableRow,
    cell_text,
    read_table,
)
from models.org.officials import ROSTER_FIELDS, Official
from models.org.phones import normalize_phone
from models.org.units import OrgUnit
from models.vocabulary import LEVELS, parse_code

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AUDIT_ACTION = "roster.import"
# Stays under SQLite's oldest bound-parameter limit (999) as well as asyncpg's.
_LOOKUP_CHUNK = 900
_PG_LOOKUP_CHUNK = 10_000
_MIN_DATE = date(1900, 1, 1)
_SHOWN_VALUE_MAX = 80


def N_(message: str) -> str:
    """Mark a msgid for extraction; it is translated when the report is formatted."""
    return message


# --- the columns -------------------------------------------------------------------------

# Field names are ROSTER_FIELDS plus "active"; the canonical header comes first and is what
# the template uses. Earlier aliases win when a file has two columns for one field (so
# "Mã đơn vị" beats "Đơn vị" when both are present).
ROSTER_COLUMNS: tuple[Column, ...] = (
    Column(
        "employee_code",
        "Mã cán bộ",
        (
            "Ma CB",
            "Mã CBCCVC",
            "Mã công chức",
            "Mã viên chức",
            "Mã nhân viên",
            "Mã số cán bộ",
            "Số hiệu cán bộ",
            "Số hiệu công chức",
            "Mã số",
            "employee_code",
            "employee code",
        ),
        required=True,
    ),
    Column(
        "full_name",
        "Họ và tên",
        (
            "Họ tên",
            "Họ và tên cán bộ",
            "Tên cán bộ",
            "full_name",
            "full name",
            "name",
        ),
        required=True,
    ),
    Column("gender", "Giới tính", ("Phái", "gender", "sex")),
    Column(
        "birth_date",
        "Ngày sinh",
        (
            "Ngày tháng năm sinh",
            "Ngày, tháng, năm sinh",
            "Sinh ngày",
            "birth_date",
            "date of birth",
            "dob",
        ),
    ),
    Column(
        "phone",
        "Số điện thoại",
        (
            "Điện thoại",
            "Điện thoại di động",
            "Di động",
            "SĐT",
            "Số ĐT",
            "ĐTDĐ",
            "phone",
            "mobile",
            "phone number",
        ),
    ),
    Column("email", "Email", ("Thư điện tử", "E-mail", "Địa chỉ email")),
    Column(
        "category",
        "Đối tượng",
        (
            "Loại",
            "Phân loại",
            "Loại cán bộ",
            "Cán bộ/Công chức/Viên chức",
            "CB/CC/VC",
            "category",
        ),
        required=True,
    ),
    Column(
        "unit_code",
        "Mã đơn vị",
        (
            "unit_code",
            "unit code",
            "Đơn vị",
            "Đơn vị công tác",
            "Tên đơn vị",
            "Cơ quan, đơn vị",
            "Cơ quan",
            "unit",
        ),
        required=True,
    ),
    Column("level", "Cấp", ("Cấp hành chính", "Cấp đơn vị", "level")),
    Column(
        "rank_code",
        "Mã ngạch",
        (
            "Ngạch",
            "Mã ngạch công chức",
            "Mã ngạch/chức danh",
            "rank_code",
            "rank code",
        ),
    ),
    Column(
        "rank_tier",
        "Tên ngạch",
        (
            "Ngạch tương đương",
            "Hạng ngạch",
            "Loại ngạch",
            "Ngạch công chức",
            "rank_tier",
            "rank tier",
        ),
    ),
    Column(
        "professional_title_code",
        "Mã chức danh nghề nghiệp",
        (
            "Mã CDNN",
            "Mã chức danh",
            "Chức danh nghề nghiệp",
            "professional_title_code",
        ),
    ),
    Column(
        "rank_assigned_on",
        "Ngày bổ nhiệm ngạch",
        (
            "Ngày bổ nhiệm ngạch/chức danh",
            "Ngày giữ ngạch",
            "Ngày vào ngạch",
            "rank_assigned_on",
        ),
    ),
    Column(
        "post_title",
        "Chức vụ",
        (
            "Chức vụ hiện tại",
            "Chức vụ, chức danh",
            "Chức vụ/chức danh",
            "post_title",
            "post",
        ),
    ),
    Column(
        "leadership_tier",
        "Cấp lãnh đạo",
        (
            "Chức vụ lãnh đạo",
            "Cấp chức vụ",
            "Nhóm chức vụ lãnh đạo",
            "leadership_tier",
        ),
    ),
    Column(
        "leadership_appointed_on",
        "Ngày bổ nhiệm chức vụ",
        (
            "Ngày bổ nhiệm",
            "Ngày bổ nhiệm lãnh đạo",
            "Ngày bổ nhiệm chức vụ lãnh đạo",
            "leadership_appointed_on",
        ),
    ),
    Column(
        "education_level",
        "Trình độ chuyên môn",
        (
            "Trình độ",
            "Trình độ đào tạo",
            "TĐCM",
            "education_level",
            "education",
        ),
    ),
    Column(
        "professional_field_matches_post",
        "Chuyên ngành phù hợp vị trí",
        (
            "Chuyên ngành phù hợp",
            "Chuyên môn phù hợp vị trí",
            "Ngành đào tạo phù hợp",
            "professional_field_matches_post",
        ),
    ),
    Column(
        "political_theory_level",
        "Lý luận chính trị",
        (
            "Trình độ lý luận chính trị",
            "LLCT",
            "Trình độ LLCT",
            "political_theory_level",
        ),
    ),
    Column("ethnicity", "Dân tộc", ("ethnicity",)),
    Column(
        "languages",
        "Tiếng dân tộc",
        (
            "Tiếng dân tộc thiểu số",
            "Tiếng DTTS",
            "Ngôn ngữ dân tộc",
            "languages",
        ),
    ),
    Column(
        "started_service_on",
        "Ngày tuyển dụng",
        (
            "Ngày bắt đầu công tác",
            "Ngày vào cơ quan",
            "Ngày vào ngành",
            "started_service_on",
        ),
    ),
    Column(
        "preferred_locale",
        "Ngôn ngữ nhận tin",
        (
            "Ngôn ngữ giao tiếp",
            "preferred_locale",
            "locale",
        ),
    ),
    Column("active", "Đang công tác", ("Còn công tác", "Trạng thái", "active")),
)

# Official attributes an import may change (unit_code becomes unit_id), in a stable order.
_ATTRIBUTES: tuple[str, ...] = tuple(
    "unit_id" if name == "unit_code" else name
    for name in (*ROSTER_FIELDS, "active")
    if name != "employee_code"
)
_TEXT_LIMITS: dict[str, int] = {
    "employee_code": 40,
    "full_name": 120,
    "professional_title_code": 40,
    "post_title": 200,
    "ethnicity": 40,
    "email": 200,
    "rank_code": 20,
}
_DATE_FIELDS = ("birth_date", "rank_assigned_on", "leadership_appointed_on", "started_service_on")
_VOCAB_FIELDS = (
    "gender",
    "category",
    "rank_tier",
    "leadership_tier",
    "education_level",
    "political_theory_level",
)
_BOOL_FIELDS = ("professional_field_matches_post", "active")

# The Vietnamese words shown as accepted values: data from the spreadsheet world, so they are
# shown as HR writes them whatever the reader's locale. Each parses via parse_code (tested).
ACCEPTED_WORDS: dict[str, tuple[str, ...]] = {
    "gender": ("nam", "nữ"),
    "category": ("cán bộ", "công chức", "viên chức"),
    "rank_tier": ("chuyên viên cao cấp", "chuyên viên chính", "chuyên viên", "cán sự", "nhân viên"),
    "leadership_tier": (
        "phó trưởng phòng",
        "trưởng phòng",
        "phó giám đốc sở",
        "giám đốc sở",
        "lãnh đạo chủ chốt xã",
        "lãnh đạo chủ chốt tỉnh",
        "quản lý đơn vị sự nghiệp",
    ),
    "education_level": (
        "không",
        "sơ cấp",
        "trung cấp",
        "cao đẳng",
        "đại học",
        "thạc sĩ",
        "tiến sĩ",
    ),
    "political_theory_level": ("không", "sơ cấp", "trung cấp", "cao cấp"),
}

# Abbreviations HR uses that models.vocabulary does not know (see docs/vietnamese.md).
_EXTRA_SYNONYMS: dict[str, dict[str, str]] = {
    "rank_tier": {"cvcc": "chuyen_vien_cao_cap", "cvc": "chuyen_vien_chinh", "cv": "chuyen_vien"},
    "leadership_tier": {
        "pho phong": "pho_truong_phong",
        "ptp": "pho_truong_phong",
        "pho giam doc": "pho_giam_doc_so",
        "pgd": "pho_giam_doc_so",
    },
    "education_level": {"ths": "thac_si", "ts": "tien_si", "cn": "dai_hoc", "cu nhan": "dai_hoc"},
    "political_theory_level": {
        "cao cap chinh tri hanh chinh": "cao_cap",
        "cc llct": "cao_cap",
        "tc llct": "trung_cap",
        "sc llct": "so_cap",
    },
}
# "Cao cấp lý luận chính trị", "Trung cấp LLCT": the level followed by the subject's name.
_POLITICAL_SUFFIX = re.compile(r" (ly luan chinh tri|llct|chinh tri)$")
# Written in a leader column for people who hold no leadership post.
_NO_POST = {"khong", "khong co", "none", "no"}

_TRUE_WORDS = {
    "co",
    "x",
    "yes",
    "y",
    "1",
    "true",
    "dung",
    "phu hop",
    "dang cong tac",
    "con cong tac",
    "dang lam viec",
}
_FALSE_WORDS = {
    "khong",
    "k",
    "no",
    "n",
    "0",
    "false",
    "sai",
    "khong phu hop",
    "nghi huu",
    "da nghi huu",
    "nghi viec",
    "da nghi viec",
    "thoi viec",
    "chuyen cong tac",
    "da chuyen cong tac",
    "khong con cong tac",
}
_LOCALE_WORDS = {
    "vi": "vi",
    "tieng viet": "vi",
    "vietnamese": "vi",
    "viet": "vi",
    "en": "en",
    "english": "en",
    "tieng anh": "en",
    "anh": "en",
}
_BLANK_MARKS = re.compile(r"^[\-–—.\s]*$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_RANK_CODE = re.compile(r"^[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LIST_SPLIT = re.compile(r"[,;/\n]+")
# Excel date serials (1900 date system) that a date column may hold when unformatted.
_EXCEL_SERIAL_MAX = 2_958_465

# --- messages ----------------------------------------------------------------------------

MSG_ROW_COLUMN = N_("Row {row}, column “{column}”: {problem}")
MSG_REQUIRED = N_("this information is required; please fill it in.")
MSG_TOO_LONG = N_("“{value}” is too long (at most {max} characters).")
MSG_BAD_DATE = N_("“{value}” is not a valid date (dd/mm/yyyy).")
MSG_OLD_DATE = N_("“{value}” is before 1900; please check the year.")
MSG_FUTURE_BIRTH = N_("“{value}” is in the future; please check the birth date.")
MSG_BAD_PHONE = N_("“{value}” is not a valid Vietnamese phone number (e.g. 0912 345 678).")
MSG_BAD_EMAIL = N_("“{value}” is not a valid email address.")
MSG_BAD_CHOICE = N_("“{value}” is not a recognised value; please use one of: {accepted}.")
MSG_BAD_BOOL = N_("“{value}” is not a yes/no value; please write “có” or “không”.")
MSG_BAD_RANK_CODE = N_("“{value}” is not a rank code (e.g. 01.003).")
MSG_UNKNOWN_UNIT = N_(
    "no unit has the code or name “{value}”; please use a unit code from the unit list."
)
MSG_AMBIGUOUS_UNIT = N_(
    "several units are named “{value}”; please write the unit code instead ({codes})."
)
MSG_DISSOLVED_UNIT = N_(
    "the unit “{value}” stopped operating on {date}; please use the unit that replaced it."
)
MSG_OUT_OF_SCOPE = N_(
    "the unit “{value}” is not part of {scope}; you can only import officials of your own unit."
)
MSG_OFFICIAL_OUT_OF_SCOPE = N_(
    "the official with code “{value}” currently belongs to a unit outside {scope}; please"
    " ask that unit to transfer the official."
)
MSG_DUPLICATE_CODE = N_(
    "the employee code “{value}” appears more than once in the file (rows {rows}); please"
    " keep only one row for each official."
)

MSG_PLAN_SUMMARY_SHEET = N_(
    "File “{file}” (sheet “{sheet}”). Data rows: {total}; valid: {valid}; with errors: {bad}."
)
MSG_PLAN_SUMMARY = N_("File “{file}”. Data rows: {total}; valid: {valid}; with errors: {bad}.")
MSG_PLAN_PREVIEW = N_("If imported: {create} new, {update} updated, {same} unchanged.")
MSG_PLAN_IGNORED = N_("Columns not used: {columns}.")
MSG_PLAN_OK = N_("No errors found. The file is ready to import.")
MSG_PLAN_HAS_ERRORS = N_(
    "No data has been written. Please correct the rows below and send the file again, or"
    " choose to import only the valid rows."
)
MSG_MORE_ERRORS = N_("… and {count} more errors.")
MSG_RESULT = N_(
    "Roster imported from “{file}”: {created} new, {updated} updated, {unchanged} unchanged,"
    " {skipped} rows with errors skipped."
)
MSG_RESULT_ROW_ERRORS = N_(
    "Nothing was imported because {bad} rows of “{file}” have errors. Please correct them and"
    " send the file again, or choose to import only the valid rows."
)
MSG_ERRORS_SHEET = N_("Rows with errors")
MSG_ERRORS_ROW = N_("Row")
MSG_ERRORS_COLUMN = N_("Errors")

# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based row in the sheet/file
    column: str  # the header as written in the file
    value: str  # the bad value as text ("" when missing)
    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        shown = (
            self.value
            if len(self.value) <= _SHOWN_VALUE_MAX
            else (self.value[: _SHOWN_VALUE_MAX - 1] + "…")
        )
        problem = _(self.msgid).format(value=shown, **self.params)
        return _(MSG_ROW_COLUMN).format(row=self.row, column=self.column, problem=problem)


@dataclass(frozen=True)
class PlannedRow:
    row: int
    employee_code: str
    # Official attribute -> parsed value, only for the columns the file has (plus unit_id
    # and level, which every valid row resolves).
    values: dict[str, Any]


@dataclass
class RosterPlan:
    file_name: str
    file_error: TableError | None = None
    sheet: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # field -> header as written
    header_cells: list[str] = field(default_factory=list)  # the header row as written
    ignored_headers: list[str] = field(default_factory=list)
    total_rows: int = 0
    rows: list[PlannedRow] = field(default_factory=list)  # the valid rows
    errors: list[RowError] = field(default_factory=list)  # in row order
    bad_rows: dict[int, tuple[CellValue, ...]] = field(default_factory=dict)  # row -> cells
    scope_unit_id: int | None = None
    scope_path: str | None = None
    scope_name: str | None = None
    # What applying now would do with the valid rows (apply_import recomputes it).
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors

    @property
    def bad_row_count(self) -> int:
        return len(self.bad_rows)


@dataclass(frozen=True)
class OfficialChange:
    employee_code: str
    official_id: int
    fields: dict[str, tuple[Any, Any]]  # Official attribute -> (old, new)


@dataclass
class RosterResult(ImportResult):
    created_codes: list[str] = field(default_factory=list)
    changes: list[OfficialChange] = field(default_factory=list)  # the updated officials

    @property
    def affected(self) -> int:
        return self.created + self.updated

    @property
    def changed_codes(self) -> list[str]:
        return [c.employee_code for c in self.changes]


# --- planning ----------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


@dataclass(frozen=True)
class _Unit:
    id: int
    code: str
    name: str
    level: str
    path: str
    valid_to: date | None


class _Units:
    """Every org unit, indexed for lookups by code or name (units are few; officials many)."""

    def __init__(self, units: Iterable[_Unit]) -> None:
        self.by_id: dict[int, _Unit] = {}
        self.by_code: dict[str, _Unit] = {}
        self.by_code_folded: dict[str, list[_Unit]] = defaultdict(list)
        self.by_digits: dict[str, list[_Unit]] = defaultdict(list)
        self.by_name: dict[str, list[_Unit]] = defaultdict(list)
        for unit in units:
            self.by_id[unit.id] = unit
            self.by_code[unit.code] = unit
            self.by_code_folded[unit.code.casefold()].append(unit)
            if unit.code.isdigit():
                self.by_digits[unit.code.lstrip("0")].append(unit)
            self.by_name[fold_key(unit.name)].append(unit)
        self.levels = set(LEVELS) | {u.level for u in self.by_code.values()}

    @classmethod
    async def load(cls, session: AsyncSession) -> _Units:
        rows = await session.execute(
            select(
                OrgUnit.id,
                OrgUnit.code,
                OrgUnit.name,
                OrgUnit.level,
                OrgUnit.path,
                OrgUnit.valid_to,
            )
        )
        return cls(_Unit(*row) for row in rows)

    def find(self, text: str) -> _Unit:
        unit = self.by_code.get(text)
        if unit is not None:
            return unit
        for candidates in (
            self.by_code_folded.get(text.casefold(), []),
            # Excel turns "03158" into the number 3158.
            self.by_digits.get(text.lstrip("0"), []) if text.isdigit() else [],
            self.by_name.get(fold_key(text), []),
        ):
            if len(candidates) == 1:
                return candidates[0]
            if len(candidates) > 1:
                codes = ", ".join(sorted(u.code for u in candidates))
                raise _Bad(MSG_AMBIGUOUS_UNIT, codes=codes)
        raise _Bad(MSG_UNKNOWN_UNIT)


@dataclass(frozen=True)
class _Context:
    units: _Units
    headers: Mapping[str, str]
    today: date
    scope_path: str | None
    scope_name: str
    memo: dict[tuple[str, type, CellValue], dict[str, Any] | _Bad] = field(default_factory=dict)


async def plan_import(
    session: AsyncSession,
    file_name: str,
    content: bytes,
    *,
    scope_unit: OrgUnit | None = None,
    today: date | None = None,
) -> RosterPlan:
    """Read and check every row of a roster file; write nothing.

    `scope_unit` limits the import to that unit's subtree (an admin's own unit). `today`
    (Vietnam time by default) is the bound for birth dates.
    """
    plan = RosterPlan(file_name=file_name)
    if scope_unit is not None:
        plan.scope_unit_id = scope_unit.id
        plan.scope_path = scope_unit.path
        plan.scope_name = scope_unit.name
    try:
        table = read_table(file_name, content, ROSTER_COLUMNS)
    except TableError as exc:
        plan.file_error = exc
        return plan
    _describe_table(plan, table)
    ctx = _Context(
        units=await _Units.load(session),
        headers=table.headers,
        today=today or datetime.now(VN_TZ).date(),
        scope_path=plan.scope_path,
        scope_name=plan.scope_name or "",
    )
    errors: dict[int, list[RowError]] = defaultdict(list)
    parsed: list[tuple[TableRow, str, dict[str, Any]]] = []
    for row in table.rows:
        code, values, row_errors = _parse_row(row, ctx)
        if row_errors:
            errors[row.number].extend(row_errors)
        parsed.append((row, code, values))
    _flag_duplicates(parsed, table.headers["employee_code"], errors)

    candidates = [(row, code, values) for row, code, values in parsed if row.number not in errors]
    existing = await _load_existing(session, [code for _row, code, _v in candidates])
    for row, code, values in candidates:
        old = existing.get(code)
        if old is not None and not _in_scope(old["unit_path"], plan.scope_path):
            errors[row.number].append(
                RowError(
                    row.number,
                    table.headers["employee_code"],
                    code,
                    MSG_OFFICIAL_OUT_OF_SCOPE,
                    {"scope": plan.scope_name or ""},
                )
            )
            continue
        plan.rows.append(PlannedRow(row.number, code, values))
        if old is None:
            plan.to_create += 1
        elif _diff(old, values):
            plan.to_update += 1
        else:
            plan.unchanged += 1

    by_number = {row.number: row for row in table.rows}
    # Within a row, errors read left to right as the columns do in the file.
    order = {header: i for i, header in enumerate(table.header_cells)}
    for number in sorted(errors):
        plan.errors.extend(sorted(errors[number], key=lambda e: order.get(e.column, len(order))))
        plan.bad_rows[number] = by_number[number].cells
    return plan


def _describe_table(plan: RosterPlan, table: Table) -> None:
    plan.sheet = table.sheet
    plan.headers = dict(table.headers)
    plan.header_cells = list(table.header_cells)
    plan.ignored_headers = list(table.ignored_headers)
    plan.total_rows = len(table.rows)


def _in_scope(path: str, scope_path: str | None) -> bool:
    return scope_path is None or path.startswith(scope_path)


def _flag_duplicates(
    parsed: Sequence[tuple[TableRow, str, dict[str, Any]]],
    header: str,
    errors: dict[int, list[RowError]],
) -> None:
    # Case-insensitive: "cb001" and "CB001" in one file are almost surely one person.
    rows_by_code: dict[str, list[int]] = defaultdict(list)
    for row, code, _values in parsed:
        if code:
            rows_by_code[code.casefold()].append(row.number)
    for row, code, _values in parsed:
        numbers = rows_by_code.get(code.casefold(), []) if code else []
        if len(numbers) > 1:
            errors[row.number].append(
                RowError(
                    row.number,
                    header,
                    code,
                    MSG_DUPLICATE_CODE,
                    {"rows": ", ".join(str(n) for n in numbers)},
                )
            )


# Columns with few distinct values: each distinct cell is parsed once per file (folding
# every cell of a 24,150-row file was most of the planning time).
_MEMO_FIELDS = frozenset(
    {
        "gender",
        "category",
        "unit_code",
        "level",
        "rank_code",
        "rank_tier",
        "leadership_tier",
        "education_level",
        "professional_field_matches_post",
        "political_theory_level",
        "ethnicity",
        "languages",
        "preferred_locale",
        "active",
    }
)


def _parse_row(row: TableRow, ctx: _Context) -> tuple[str, dict[str, Any], list[RowError]]:
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    code = ""
    for name, header in ctx.headers.items():
        raw = row.values.get(name)
        if isinstance(raw, str) and _BLANK_MARKS.match(raw):
            raw = None
        try:
            if name == "employee_code":
                code = _text(raw, name) or ""
                if not code:
                    raise _Bad(MSG_REQUIRED)
            elif name in _MEMO_FIELDS:
                values.update(_parse_memo(name, raw, ctx))
            else:
                values.update(_parse_cell(name, raw, ctx))
        except _Bad as bad:
            errors.append(RowError(row.number, header, cell_text(raw), bad.msgid, bad.params))
    unit_id = values.get("unit_id")
    if unit_id is not None and "level" not in values:
        values["level"] = ctx.units.by_id[unit_id].level
    return code, values, errors


def _parse_memo(name: str, raw: CellValue, ctx: _Context) -> dict[str, Any]:
    key = (name, type(raw), raw)  # the type too: True == 1, but not as a cell
    hit = ctx.memo.get(key)
    if hit is None:
        try:
            hit = _parse_cell(name, raw, ctx)
        except _Bad as bad:
            hit = bad
        ctx.memo[key] = hit
    if isinstance(hit, _Bad):
        raise _Bad(hit.msgid, **hit.params)
    # Lists are copied so no two officials share one mutable value.
    return {k: list(v) if isinstance(v, list) else v for k, v in hit.items()}


def _parse_cell(name: str, raw: CellValue, ctx: _Context) -> dict[str, Any]:
    """The attribute values one cell sets: usually {name: value}; the unit column sets
    unit_id; a blank status cell sets nothing."""
    if name == "unit_code":
        return {"unit_id": _parse_unit(raw, ctx).id}
    if name == "level":
        level = _parse_level(raw, ctx)
        return {} if level is None else {"level": level}
    if name == "rank_code":
        return _parse_rank_code(raw, "rank_tier" not in ctx.headers)
    if name == "active":
        active = _parse_bool(raw)
        # A blank status cell leaves the official as they are: it is "not filled in", not
        # "no longer working" (people mark the exceptions, not everyone).
        return {} if active is None else {"active": active}
    value = _parse_field(name, raw, ctx.today)
    if value is None and name in ("full_name", "category"):
        raise _Bad(MSG_REQUIRED)
    return {name: value}


def _parse_field(name: str, raw: CellValue, today: date) -> Any:
    if name in _DATE_FIELDS:
        value = _parse_date(raw)
        if value is not None and name == "birth_date" and value > today:
            raise _Bad(MSG_FUTURE_BIRTH)
        return value
    if name in _VOCAB_FIELDS:
        return _parse_vocab(name, raw)
    if name in _BOOL_FIELDS:
        return _parse_bool(raw)
    if name == "phone":
        text = _text(raw, name)
        if text is None:
            return None
        phone = normalize_phone(text)
        if phone is None:
            raise _Bad(MSG_BAD_PHONE)
        return phone
    if name == "email":
        text = _text(raw, name)
        if text is not None and not _EMAIL.match(text):
            raise _Bad(MSG_BAD_EMAIL)
        return text
    if name == "languages":
        return _parse_list(raw)
    if name == "preferred_locale":
        text = _text(raw, name)
        if text is None:
            return None
        locale = _LOCALE_WORDS.get(fold_key(text))
        if locale is None:
            raise _Bad(MSG_BAD_CHOICE, accepted="vi, en")
        return locale
    return _text(raw, name)


def _text(raw: CellValue, name: str) -> str | None:
    if raw is None:
        return None
    # Text cells were cleaned when the table was read.
    text = raw if isinstance(raw, str) else clean(cell_text(raw))
    if not text:
        return None
    limit = _TEXT_LIMITS.get(name)
    if limit is not None and len(text) > limit:
        raise _Bad(MSG_TOO_LONG, max=limit)
    return text


def _parse_unit(raw: CellValue, ctx: _Context) -> _Unit:
    text = _text(raw, "unit_code")
    if text is None:
        raise _Bad(MSG_REQUIRED)
    unit = ctx.units.find(text)
    if unit.valid_to is not None and unit.valid_to < ctx.today:
        raise _Bad(MSG_DISSOLVED_UNIT, date=unit.valid_to.strftime("%d/%m/%Y"))
    if not _in_scope(unit.path, ctx.scope_path):
        raise _Bad(MSG_OUT_OF_SCOPE, scope=ctx.scope_name)
    return unit


def _parse_level(raw: CellValue, ctx: _Context) -> str | None:
    text = _text(raw, "level")
    if text is None:
        return None
    level = parse_code("level", text)
    if level is None:
        # Levels are data: any level code the unit tree uses is valid.
        candidate = fold_key(text).replace(" ", "_")
        level = candidate if candidate in ctx.units.levels else None
    if level is None:
        raise _Bad(MSG_BAD_CHOICE, accepted=", ".join(sorted(ctx.units.levels)))
    return level


def _parse_rank_code(raw: CellValue, tier_fallback: bool) -> dict[str, Any]:
    if isinstance(raw, float) and not raw.is_integer():
        # Excel read "01.003" as the number 1.003; rank codes are NN.NNN.
        raw = f"{raw:06.3f}"
    text = _text(raw, "rank_code")
    if text is None or _RANK_CODE.match(text):
        return {"rank_code": text}
    # Many HR files have one "Ngạch" column holding the rank's name ("Chuyên viên chính"),
    # not its code: take it as the rank tier and leave the code as it is.
    tier = _parse_vocab("rank_tier", text, strict=False) if tier_fallback else None
    if tier is None:
        raise _Bad(MSG_BAD_RANK_CODE)
    return {"rank_tier": tier}


def _parse_vocab(name: str, raw: CellValue, *, strict: bool = True) -> str | None:
    text = _text(raw, name)
    if text is None:
        return None
    key = fold_key(text)
    if name in ("leadership_tier", "rank_tier") and key in _NO_POST:
        return None
    code = parse_code(name, text) or _EXTRA_SYNONYMS.get(name, {}).get(key)
    if code is None and name == "political_theory_level":
        stripped = _POLITICAL_SUFFIX.sub("", key)
        code = parse_code(name, stripped) or _EXTRA_SYNONYMS[name].get(stripped)
    if code is None and strict:
        raise _Bad(MSG_BAD_CHOICE, accepted=", ".join(ACCEPTED_WORDS[name]))
    return code


def _parse_bool(raw: CellValue) -> bool | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    key = fold_key(cell_text(raw))
    if key in _TRUE_WORDS:
        return True
    if key in _FALSE_WORDS:
        return False
    raise _Bad(MSG_BAD_BOOL)


def _parse_date(raw: CellValue) -> date | None:
    if raw is None:
        return None
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        # An unformatted Excel date cell holds its serial number.
        if not 1 <= raw <= _EXCEL_SERIAL_MAX:
            raise _Bad(MSG_BAD_DATE)
        from openpyxl.utils.datetime import from_excel

        converted = from_excel(raw)
        if not isinstance(converted, datetime):
            raise _Bad(MSG_BAD_DATE)
        value = converted.date()
    elif isinstance(raw, str):
        value = _date_from_text(raw)
    else:
        raise _Bad(MSG_BAD_DATE)
    if value < _MIN_DATE:
        raise _Bad(MSG_OLD_DATE)
    return value


def _date_from_text(text: str) -> date:
    text = text.strip()
    if match := _DMY.match(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _YMD.match(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        raise _Bad(MSG_BAD_DATE)
    try:
        return date(year, month, day)
    except ValueError:
        raise _Bad(MSG_BAD_DATE) from None


def _parse_list(raw: CellValue) -> list[str]:
    text = _text(raw, "languages")
    if text is None or fold_key(text) in _NO_POST:
        return []
    items: list[str] = []
    seen: set[str] = set()
    for part in _LIST_SPLIT.split(text):
        item = clean(part)
        if item and fold_key(item) not in seen:
            seen.add(fold_key(item))
            items.append(item)
    return items


# --- existing officials and diffs --------------------------------------------------------


async def _load_existing(session: AsyncSession, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Existing officials by employee code, as plain values, in a few batched queries."""
    columns = [Official.id, Official.employee_code, OrgUnit.path.label("unit_path")] + [
        getattr(Official, name) for name in _ATTRIBUTES
    ]
    base = select(*columns).join(OrgUnit, OrgUnit.id == Official.unit_id)
    unique = list(dict.fromkeys(codes))
    postgres = session.get_bind().dialect.name == "postgresql"
    # On PostgreSQL a long "IN ($1, …, $900)" is searched linearly per row when the planner
    # picks a seq scan (stale statistics right after a bulk insert made one re-import take
    # 30 s); joining an unnested array parameter is a hash or index join whatever the plan.
    chunk_size = _PG_LOOKUP_CHUNK if postgres else _LOOKUP_CHUNK
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(unique), chunk_size):
        chunk = unique[start : start + chunk_size]
        if postgres:
            wanted = (
                func.unnest(bindparam("codes", chunk, type_=ARRAY(String)))
                .table_valued("code")
                .render_derived()
            )
            query = base.join(wanted, Official.employee_code == wanted.c.code)
        else:
            query = base.where(Official.employee_code.in_(chunk))
        for row in await session.execute(query):
            found[row.employee_code] = dict(row._mapping)
    return found


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, list) or isinstance(old, list):
        return list(old or []) == list(new or [])
    return bool(old == new)


def _diff(old: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {name: (old[name], new) for name, new in values.items() if not _same(old[name], new)}


# --- applying ----------------------------------------------------------------------------


async def apply_import(
    session: AsyncSession,
    plan: RosterPlan,
    *,
    actor: str,
    now: datetime,
    skip_bad_rows: bool = False,
) -> RosterResult:
    """Upsert the plan's valid rows by employee code in the caller's transaction.

    Writes nothing when the file could not be read, or when any row is bad and
    `skip_bad_rows` is False. Rows whose values equal the stored ones are not touched.
    """
    result = begin_apply(RosterResult, plan, now=now, skip_bad_rows=skip_bad_rows)
    if not result.applied:
        return result
    # Looked up again, not taken from the plan: a chat admin confirms minutes later.
    existing = await _load_existing(session, [row.employee_code for row in plan.rows])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in plan.rows:
        old = existing.get(row.employee_code)
        if old is None:
            inserts.append(_new_official(row, now))
            result.created_codes.append(row.employee_code)
            continue
        if not _in_scope(old["unit_path"], plan.scope_path):
            result.skipped += 1  # moved out of the admin's scope since the plan was made
            continue
        changed = _diff(old, row.values)
        if not changed:
            result.unchanged += 1
            continue
        updates.append(
            {
                "id": old["id"],
                **{name: new for name, (_old, new) in changed.items()},
                "updated_at": now,
            }
        )
        result.changes.append(OfficialChange(row.employee_code, old["id"], changed))
    result.created = len(inserts)
    result.updated = len(updates)
    await _write(session, inserts, updates)
    audit.record(
        session,
        actor=actor,
        action=AUDIT_ACTION,
        subject=plan.file_name[:200],
        affected=result.affected,
        at=now,
        detail={
            "file": plan.file_name,
            "sheet": plan.sheet,
            "rows": plan.total_rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "skipped": result.skipped,
            "scope_unit_id": plan.scope_unit_id,
        },
    )
    return result


async def _write(
    session: AsyncSession, inserts: list[dict[str, Any]], updates: list[dict[str, Any]]
) -> None:
    """Core executemany rather than the ORM's bulk paths, which sent 24,150 inserts to SQLite
    as thousands of small batches (about four times slower)."""
    table = Official.__table__
    if inserts:
        await session.execute(insert(table), inserts)
    # One UPDATE per set of changed columns, each run for all the officials it fits.
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for values in updates:
        shapes[tuple(sorted(k for k in values if k != "id"))].append(values)
    for keys, batch in shapes.items():
        # Bind names must differ from column names in an UPDATE's SET clause.
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({key: bindparam(f"b_{key}") for key in keys})
        )
        await session.execute(
            statement,
            [{"b_id": v["id"], **{f"b_{key}": v[key] for key in keys}} for v in batch],
        )


def _new_official(row: PlannedRow, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(_ATTRIBUTES)
    values.update(languages=[], active=True)
    values.update(row.values)
    values.update(employee_code=row.employee_code, created_at=now, updated_at=now)
    return values


# --- reports -----------------------------------------------------------------------------


def format_plan_report(plan: RosterPlan, limit: int = 20) -> str:
    if plan.file_error is not None:
        return plan.file_error.message()
    counts = {
        "file": plan.file_name,
        "total": format_number(plan.total_rows),
        "valid": format_number(len(plan.rows)),
        "bad": format_number(plan.bad_row_count),
    }
    if plan.sheet is not None:
        lines = [_(MSG_PLAN_SUMMARY_SHEET).format(sheet=plan.sheet, **counts)]
    else:
        lines = [_(MSG_PLAN_SUMMARY).format(**counts)]
    lines.append(
        _(MSG_PLAN_PREVIEW).format(
            create=format_number(plan.to_create),
            update=format_number(plan.to_update),
            same=format_number(plan.unchanged),
        )
    )
    if plan.ignored_headers:
        columns = ", ".join(f"“{h}”" for h in plan.ignored_headers)
        lines.append(_(MSG_PLAN_IGNORED).format(columns=columns))
    if not plan.errors:
        lines.append(_(MSG_PLAN_OK))
        return "\n".join(lines)
    lines.append(_(MSG_PLAN_HAS_ERRORS))
    lines.extend(f"- {error.message()}" for error in plan.errors[: max(limit, 0)])
    hidden = len(plan.errors) - max(limit, 0)
    if hidden > 0:
        lines.append(_(MSG_MORE_ERRORS).format(count=format_number(hidden)))
    return "\n".join(lines)


def format_result(result: RosterResult) -> str:
    return format_outcome(result, done=MSG_RESULT, refused=MSG_RESULT_ROW_ERRORS)


# --- files for people --------------------------------------------------------------------


def write_error_file(plan: RosterPlan) -> bytes:
    """An .xlsx of the bad rows as they were read, with the row number and the errors, so
    HR can fix them and send just those rows back."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _sheet_title(_(MSG_ERRORS_SHEET))
    if plan.file_error is not None:
        _put(sheet.cell(row=1, column=1), plan.file_error.message())
        return _save(workbook)
    header = [_(MSG_ERRORS_ROW), *plan.header_cells, _(MSG_ERRORS_COLUMN)]
    for col, text in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=col)
        _put(cell, text)
        cell.font = Font(bold=True)
    messages: dict[int, list[str]] = defaultdict(list)
    for error in plan.errors:
        messages[error.row].append(error.message())
    error_col = len(header)
    for out_row, number in enumerate(sorted(plan.bad_rows), start=2):
        sheet.cell(row=out_row, column=1, value=number)
        for col, value in enumerate(plan.bad_rows[number][: len(plan.header_cells)], start=2):
            _put(sheet.cell(row=out_row, column=col), value)
        cell = sheet.cell(row=out_row, column=error_col)
        _put(cell, "\n".join(messages[number]))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions[_column_letter(error_col)].width = 80
    sheet.freeze_panes = "B2"
    return _save(workbook)


def roster_template_xlsx() -> bytes:
    """An empty roster with the Vietnamese headers, and a sheet explaining each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Danh sách cán bộ"
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for col, column in enumerate(ROSTER_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=col, value=column.header)
        cell.font = Font(bold=True)
        if column.required:
            cell.fill = required_fill
        letter = _column_letter(col)
        sheet.column_dimensions[letter].width = max(14, len(column.header) + 4)
        fmt = _TEMPLATE_FORMATS.get(column.field)
        if fmt is not None:
            # Codes and phones as text, or Excel drops their leading zeros.
            for row in range(2, _TEMPLATE_FORMATTED_ROWS + 2):
                sheet.cell(row=row, column=col).number_format = fmt
    sheet.freeze_panes = "A2"

    guide = workbook.create_sheet("Hướng dẫn")
    guide.append(["Cột", "Bắt buộc", "Định dạng", "Ví dụ", "Tên cột khác được chấp nhận"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in ROSTER_COLUMNS:
        description, example = COLUMN_HELP[column.field]
        guide.append(
            [
                column.header,
                "Có" if column.required else "",
                description,
                example,
                ", ".join(column.aliases),
            ]
        )
    for letter, width in zip("ABCDE", (28, 10, 60, 24, 60), strict=True):
        guide.column_dimensions[letter].width = width
    return _save(workbook)


# Vietnamese help for HR (the template and docs/roster-format.md say the same).
COLUMN_HELP: dict[str, tuple[str, str]] = {
    "employee_code": ("Mã cán bộ do cơ quan quản lý cấp, không trùng nhau", "DB000123"),
    "full_name": ("Họ và tên đầy đủ, có dấu", "Lò Thị Nhung"),
    "gender": ("nam / nữ", "nữ"),
    "birth_date": ("dd/mm/yyyy, d/m/yyyy, yyyy-mm-dd hoặc ô ngày của Excel", "05/09/1990"),
    "phone": ("Số di động hoặc cố định Việt Nam; lưu dạng +84…", "0912 345 678"),
    "email": ("Địa chỉ thư điện tử", "nhung.lt@dienbien.gov.vn"),
    "category": ("cán bộ / công chức / viên chức (hoặc CB / CC / VC)", "công chức"),
    "unit_code": ("Mã đơn vị trong danh mục; hoặc tên đơn vị nếu không trùng", "03158"),
    "level": ("tỉnh / xã / trung ương; để trống thì lấy cấp của đơn vị", "xã"),
    "rank_code": ("Mã ngạch công chức", "01.003"),
    "rank_tier": (
        "chuyên viên cao cấp / chuyên viên chính / chuyên viên / cán sự / nhân viên "
        "(hoặc CVCC / CVC / CV)",
        "chuyên viên",
    ),
    "professional_title_code": ("Mã chức danh nghề nghiệp viên chức", "V.07.01.03"),
    "rank_assigned_on": ("Ngày, như cột Ngày sinh", "01/07/2015"),
    "post_title": ("Chức vụ hoặc chức danh đang giữ", "Công chức Văn phòng – Thống kê"),
    "leadership_tier": (
        "phó trưởng phòng / trưởng phòng / phó giám đốc sở / giám đốc sở / "
        "lãnh đạo chủ chốt xã / lãnh đạo chủ chốt tỉnh / quản lý đơn vị sự "
        "nghiệp; để trống nếu không giữ chức vụ lãnh đạo",
        "trưởng phòng",
    ),
    "leadership_appointed_on": ("Ngày, như cột Ngày sinh", "15/03/2021"),
    "education_level": (
        "không / sơ cấp / trung cấp / cao đẳng / đại học / thạc sĩ / tiến sĩ",
        "đại học",
    ),
    "professional_field_matches_post": ("có / không (x, yes/no, 1/0 cũng được)", "có"),
    "political_theory_level": ("không / sơ cấp / trung cấp / cao cấp", "trung cấp"),
    "ethnicity": ("Tên dân tộc", "Thái"),
    "languages": (
        "Các tiếng dân tộc thiểu số sử dụng được, ngăn cách bằng , ; hoặc /",
        "Thái, Mông",
    ),
    "started_service_on": ("Ngày, như cột Ngày sinh", "01/10/2012"),
    "preferred_locale": ("vi / en; để trống nếu không có yêu cầu riêng", "vi"),
    "active": ("có / không; để trống thì giữ nguyên (người mới: đang công tác)", "có"),
}
_TEMPLATE_FORMATS: dict[str, str] = {
    "employee_code": "@",
    "phone": "@",
    "unit_code": "@",
    "rank_code": "@",
    "professional_title_code": "@",
    "birth_date": "dd/mm/yyyy",
    "rank_assigned_on": "dd/mm/yyyy",
    "leadership_appointed_on": "dd/mm/yyyy",
    "started_service_on": "dd/mm/yyyy",
}
_TEMPLATE_FORMATTED_ROWS = 500


def _put(cell: Any, value: CellValue) -> None:
    """Write a value back to a sheet without letting text that starts with "=" become a
    formula: people's cells are data, never code."""
    if isinstance(value, time):
        value = value.isoformat()
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, date):
        cell.number_format = "dd/mm/yyyy"


def _sheet_title(text: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", text)[:31] or "Sheet1"


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _save(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
