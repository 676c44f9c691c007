"""The course catalogue import: HR's Excel/CSV list of courses, checked in full, then
upserted by course code.

Same contract as the roster (models/imports/officials.py): `plan_import` reads and checks every
row and writes nothing; `apply_import` writes the valid rows in the caller's transaction,
and only when the plan has no errors unless `skip_bad_rows`. Re-importing the same file
changes nothing. Raising a course's capacity fills the new seats from its waitlist at once.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _, format_number
from locales.folding import clean, fold_key
from models import audit
from models.courses.catalogue import Course, CourseStatus, Mode, search_text_of
from models.courses.registrations import Registration, promote_waitlist
from models.imports.officials import MSG_BAD_DATE, MSG_REQUIRED, MSG_TOO_LONG, RowError
from models.imports.report import (
    ImportResult,
    begin_apply,
    changed_values,
    format_outcome,
    rows_by_key,
)
from models.imports.table import CellValue, Column, TableError, TableRow, cell_text, read_table
from models.org.units import OrgUnit
from models.requirements.model import Catalogue
from models.requirements.store import current_catalogue
from models.requirements.training_records import kind_lookup
from models.vocabulary import parse_code

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AUDIT_ACTION = "courses.import"
_MAX_PERIODS = 5000
_MAX_CAPACITY = 100_000


def N_(message: str) -> str:
    """Mark a msgid for extraction; it is translated when the report is formatted."""
    return message


MSG_UNKNOWN_KIND = N_("“{value}” is not a known kind of training; please use one of: {accepted}.")
MSG_BAD_CAPACITY = N_(
    "“{value}” is not a valid number of seats; please write a whole number of at least 1."
)
MSG_CAPACITY_BELOW_TAKEN = N_(
    "“{value}” is fewer than the {taken} people already holding a seat; please write at least"
    " {taken}."
)
MSG_BAD_PERIODS = N_("“{value}” is not a number of periods (a whole number, e.g. 40).")
MSG_END_BEFORE_START = N_(
    "the course ends on {value}, before it starts ({start}); please check the dates."
)
MSG_DEADLINE_AFTER_START = N_(
    "the registration deadline {value} is not before the opening day ({start}); please set"
    " an earlier deadline."
)
MSG_OPENS_AFTER_DEADLINE = N_(
    "registration opens on {value}, after the deadline ({deadline}); please check the dates."
)
MSG_BAD_MODE = N_("“{value}” is not a mode of study; please write “trực tiếp” or “trực tuyến”.")
MSG_BAD_STATUS = N_(
    "“{value}” is not a course status; please write “mở”, “đóng”, “hủy” or “kết thúc”."
)
MSG_BAD_LIST_VALUE = N_("“{item}” in “{value}” is not recognised; please use: {accepted}.")
MSG_UNKNOWN_UNIT = N_("no unit has the code “{value}”; please use a code from the unit list.")
MSG_DUPLICATE = N_("the course code “{value}” is also on row {other}; please keep one row.")
MSG_PLAN_SUMMARY = N_(
    "Course file “{file}”. Data rows: {total}; valid: {valid}; with errors: {bad}."
)
MSG_PLAN_PREVIEW = N_("If imported: {create} new, {update} updated, {same} unchanged.")
MSG_PLAN_IGNORED = N_("Columns not used: {columns}.")
MSG_PLAN_OK = N_("No errors found. The file is ready to import.")
MSG_PLAN_HAS_ERRORS = N_(
    "No data has been written. Please correct the rows below and send the file again, or"
    " choose to import only the valid rows."
)
MSG_MORE_ERRORS = N_("… and {count} more errors.")
MSG_RESULT = N_(
    "Courses imported from “{file}”: {created} new, {updated} updated, {unchanged}"
    " unchanged, {skipped} rows with errors skipped."
)
MSG_RESULT_ROW_ERRORS = N_(
    "Nothing was imported because {bad} rows of “{file}” have errors. Please correct them and"
    " send the file again, or choose to import only the valid rows."
)

COURSE_COLUMNS: tuple[Column, ...] = (
    Column(
        "code",
        "Mã khóa học",
        ("Mã khóa", "Mã lớp", "Mã lớp học", "code", "course code"),
        required=True,
    ),
    Column(
        "title",
        "Tên khóa học",
        ("Tên lớp", "Tên khóa", "Tên lớp bồi dưỡng", "title"),
        required=True,
    ),
    Column(
        "kind",
        "Loại bồi dưỡng",
        ("Loại", "Nội dung bồi dưỡng", "Loại khóa học", "kind"),
        required=True,
    ),
    Column(
        "organiser",
        "Đơn vị tổ chức",
        (
            "Cơ sở đào tạo",
            "Cơ sở bồi dưỡng",
            "Cơ quan tổ chức",
            "Đơn vị mở lớp",
            "organiser",
            "organizer",
        ),
        required=True,
    ),
    Column("mode", "Hình thức", ("Hình thức học", "Hình thức tổ chức", "mode")),
    Column("place", "Địa điểm", ("Nơi học", "Địa điểm học", "Địa điểm tổ chức", "place")),
    Column(
        "starts_on",
        "Ngày khai giảng",
        ("Ngày bắt đầu", "Từ ngày", "starts_on", "start"),
        required=True,
    ),
    Column(
        "ends_on", "Ngày bế giảng", ("Ngày kết thúc", "Đến ngày", "ends_on", "end"), required=True
    ),
    Column("periods", "Số tiết", ("Tiết", "Thời lượng", "Thời lượng (tiết)", "periods")),
    Column(
        "capacity", "Số chỗ", ("Chỉ tiêu", "Số lượng học viên", "Sĩ số", "capacity"), required=True
    ),
    Column("registration_opens_on", "Ngày mở đăng ký", ("Mở đăng ký", "registration_opens_on")),
    Column(
        "registration_closes_on",
        "Hạn đăng ký",
        (
            "Hạn chót đăng ký",
            "Ngày hết hạn đăng ký",
            "registration_closes_on",
            "deadline",
        ),
    ),
    Column("eligible_levels", "Cấp được đăng ký", ("Cấp", "eligible_levels", "levels")),
    Column(
        "eligible_categories",
        "Đối tượng",
        (
            "Đối tượng được đăng ký",
            "Loại cán bộ",
            "eligible_categories",
            "categories",
        ),
    ),
    Column("eligible_ranks", "Ngạch", ("Ngạch được đăng ký", "eligible_ranks", "ranks")),
    Column(
        "eligible_unit",
        "Mã đơn vị",
        (
            "Đơn vị được đăng ký",
            "Phạm vi đơn vị",
            "eligible_unit",
            "unit",
        ),
    ),
    Column("status", "Trạng thái", ("Tình trạng", "status")),
)
_TEXT_LIMITS = {"code": 40, "title": 300, "organiser": 200, "place": 300}
_LIST_SPLIT = re.compile(r"[,;/\n]+")
_NUMBER = re.compile(r"^(\d{1,6})(?:[.,]0+)?(?: ?(?:tiet|cho|nguoi|hoc vien))?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MODES = {
    "truc tiep": Mode.IN_PERSON,
    "tap trung": Mode.IN_PERSON,
    "in person": Mode.IN_PERSON,
    "in_person": Mode.IN_PERSON,
    "truc tuyen": Mode.ONLINE,
    "online": Mode.ONLINE,
    "tu xa": Mode.ONLINE,
}
_STATUSES = {
    "mo": CourseStatus.OPEN,
    "dang mo": CourseStatus.OPEN,
    "open": CourseStatus.OPEN,
    "dong": CourseStatus.CLOSED,
    "da dong": CourseStatus.CLOSED,
    "closed": CourseStatus.CLOSED,
    "huy": CourseStatus.CANCELLED,
    "da huy": CourseStatus.CANCELLED,
    "cancelled": CourseStatus.CANCELLED,
    "ket thuc": CourseStatus.FINISHED,
    "da ket thuc": CourseStatus.FINISHED,
    "finished": CourseStatus.FINISHED,
}
_RANK_ABBREVIATIONS = {
    "cvcc": "chuyen_vien_cao_cap",
    "cvc": "chuyen_vien_chinh",
    "cv": "chuyen_vien",
}
_LIST_FIELDS = {
    "eligible_levels": "level",
    "eligible_categories": "category",
    "eligible_ranks": "rank_tier",
}
_ACCEPTED = {
    "level": "tỉnh, xã, trung ương",
    "category": "cán bộ, công chức, viên chức",
    "rank_tier": "chuyên viên cao cấp, chuyên viên chính, chuyên viên, cán sự, nhân viên",
}
# Columns an update may change, compared to decide "unchanged".
_MUTABLE = (
    "title",
    "kind",
    "organiser",
    "mode",
    "place",
    "starts_on",
    "ends_on",
    "periods",
    "capacity",
    "registration_opens_on",
    "registration_closes_on",
    "eligible_levels",
    "eligible_categories",
    "eligible_ranks",
    "eligible_unit_id",
    "status",
)


class _Bad(Exception):
    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


@dataclass(frozen=True)
class PlannedCourse:
    row: int
    code: str
    values: dict[str, Any]  # Course attributes


@dataclass
class CoursePlan:
    file_name: str
    file_error: TableError | None = None
    sheet: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ignored_headers: list[str] = field(default_factory=list)
    total_rows: int = 0
    rows: list[PlannedCourse] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors


@dataclass
class CourseImportResult(ImportResult):
    promoted: list[Registration] = field(default_factory=list)  # people to tell


# --- planning ----------------------------------------------------------------------------


async def plan_import(
    session: AsyncSession,
    file_name: str,
    content: bytes,
    scope_unit: OrgUnit | None = None,
    *,
    today: date | None = None,
) -> CoursePlan:
    """Read and check every row of a course file; write nothing. The catalogue is the
    province's, so `scope_unit` (an admin's unit) does not narrow it: whoever may import
    courses at all may import any."""
    plan = CoursePlan(file_name=file_name)
    try:
        table = read_table(file_name, content, COURSE_COLUMNS)
    except TableError as exc:
        plan.file_error = exc
        return plan
    plan.sheet, plan.headers = table.sheet, dict(table.headers)
    plan.ignored_headers, plan.total_rows = list(table.ignored_headers), len(table.rows)
    catalogue = await current_catalogue(session)
    units = await _units(session, table.rows)
    existing = await _existing(
        session, [clean(cell_text(r.values.get("code"))) for r in table.rows]
    )
    errors: dict[int, list[RowError]] = defaultdict(list)
    first_row: dict[str, int] = {}
    for row in table.rows:
        planned = _parse_row(row, table.headers, catalogue, units, existing, errors[row.number])
        if planned is None:
            continue
        other = first_row.setdefault(planned.code.lower(), row.number)
        if other != row.number:
            errors[row.number].append(
                RowError(
                    row.number, table.headers["code"], planned.code, MSG_DUPLICATE, {"other": other}
                )
            )
            continue
        plan.rows.append(planned)
        old = existing.get(planned.code)
        if old is None:
            plan.to_create += 1
        elif changed_values(old, planned.values, _MUTABLE):
            plan.to_update += 1
        else:
            plan.unchanged += 1
    order = {header: i for i, header in enumerate(table.header_cells)}
    for number in sorted(n for n, e in errors.items() if e):
        plan.errors.extend(sorted(errors[number], key=lambda e: order.get(e.column, len(order))))
        plan.bad_rows.add(number)
    return plan


def _parse_row(
    row: TableRow,
    headers: Mapping[str, str],
    catalogue: Catalogue,
    units: Mapping[str, OrgUnit],
    existing: Mapping[str, dict[str, Any]],
    errors: list[RowError],
) -> PlannedCourse | None:
    values: dict[str, Any] = {}

    def check(name: str, parse: Any) -> None:
        if name not in headers:
            return
        raw = row.values.get(name)
        try:
            values[name] = parse(raw)
        except _Bad as bad:
            errors.append(
                RowError(row.number, headers[name], cell_text(raw), bad.msgid, bad.params)
            )

    kinds = kind_lookup(catalogue)
    accepted_kinds = ", ".join(k.title.vi for k in catalogue.kinds.values())
    for name in ("code", "title", "organiser"):
        check(name, lambda raw, n=name: _required(_text(raw, n)))
    check("place", lambda raw: _text(raw, "place"))
    check("kind", lambda raw: _kind(raw, kinds, accepted_kinds))
    check("mode", lambda raw: _choice(raw, _MODES, MSG_BAD_MODE, Mode.IN_PERSON))
    check("status", lambda raw: _choice(raw, _STATUSES, MSG_BAD_STATUS, CourseStatus.OPEN))
    for name in ("starts_on", "ends_on"):
        check(name, lambda raw: _required(_date(raw)))
    for name in ("registration_opens_on", "registration_closes_on"):
        check(name, _date)
    check("periods", lambda raw: _number(raw, MSG_BAD_PERIODS, 0, _MAX_PERIODS))
    check("capacity", lambda raw: _required(_number(raw, MSG_BAD_CAPACITY, 1, _MAX_CAPACITY)))
    for name, vocab in _LIST_FIELDS.items():
        check(name, lambda raw, v=vocab: _codes(raw, v))
    check("eligible_unit", lambda raw: _unit(raw, units))
    if errors:
        return None
    _check_dates(row, headers, values, errors)
    code = values["code"]
    old = existing.get(code)
    if old is not None and values["capacity"] < old["seats_taken"]:
        errors.append(
            RowError(
                row.number,
                headers["capacity"],
                cell_text(row.values.get("capacity")),
                MSG_CAPACITY_BELOW_TAKEN,
                {"taken": old["seats_taken"]},
            )
        )
    if errors:
        return None
    unit = values.pop("eligible_unit", None)
    values["eligible_unit_id"] = unit.id if unit is not None else None
    values.setdefault("mode", Mode.IN_PERSON)
    values.setdefault("status", CourseStatus.OPEN)
    for name in ("place", "periods", "registration_opens_on"):
        values.setdefault(name, None)
    for name in _LIST_FIELDS:
        values.setdefault(name, [])
    if values.get("registration_closes_on") is None:
        values["registration_closes_on"] = values["starts_on"] - timedelta(days=1)
    return PlannedCourse(row.number, values.pop("code"), values)


def _check_dates(
    row: TableRow, headers: Mapping[str, str], values: dict[str, Any], errors: list[RowError]
) -> None:
    start, end = values["starts_on"], values["ends_on"]
    shown = cell_text(row.values.get("ends_on"))
    if end < start:
        errors.append(
            RowError(
                row.number,
                headers["ends_on"],
                shown,
                MSG_END_BEFORE_START,
                {"start": start.strftime("%d/%m/%Y")},
            )
        )
    deadline = values.get("registration_closes_on")
    if deadline is not None and deadline >= start:
        errors.append(
            RowError(
                row.number,
                headers["registration_closes_on"],
                cell_text(row.values.get("registration_closes_on")),
                MSG_DEADLINE_AFTER_START,
                {"start": start.strftime("%d/%m/%Y")},
            )
        )
    opens = values.get("registration_opens_on")
    if opens is not None and deadline is not None and opens > deadline:
        errors.append(
            RowError(
                row.number,
                headers["registration_opens_on"],
                cell_text(row.values.get("registration_opens_on")),
                MSG_OPENS_AFTER_DEADLINE,
                {"deadline": deadline.strftime("%d/%m/%Y")},
            )
        )


def _required(value: Any) -> Any:
    if value is None:
        raise _Bad(MSG_REQUIRED)
    return value


def _text(raw: CellValue, name: str) -> str | None:
    if raw is None:
        return None
    text = clean(cell_text(raw))
    if not text or re.fullmatch(r"[\-–—.\s]*", text):
        return None
    limit = _TEXT_LIMITS.get(name)
    if limit is not None and len(text) > limit:
        raise _Bad(MSG_TOO_LONG, max=limit)
    return text


def _kind(raw: CellValue, kinds: Mapping[str, str], accepted: str) -> str:
    text = _required(_text(raw, "kind"))
    kind = kinds.get(fold_key(text))
    if kind is None:
        raise _Bad(MSG_UNKNOWN_KIND, accepted=accepted)
    return kind


def _choice(raw: CellValue, table: Mapping[str, str], msgid: str, default: str) -> str:
    text = _text(raw, "choice")
    if text is None:
        return default
    found = table.get(fold_key(text))
    if found is None:
        raise _Bad(msgid)
    return found


def _date(raw: CellValue) -> date | None:
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 1 <= raw < 2_958_466:
        return date(1899, 12, 30) + timedelta(days=int(raw))  # an Excel date serial
    text = cell_text(raw).strip()
    if m := _DMY.match(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _YMD.match(text):
        year, month, day = (int(g) for g in m.groups())
    else:
        raise _Bad(MSG_BAD_DATE)
    try:
        return date(year, month, day)
    except ValueError:
        raise _Bad(MSG_BAD_DATE) from None


def _number(raw: CellValue, msgid: str, minimum: int, maximum: int) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise _Bad(msgid)
    if isinstance(raw, int | float):
        if float(raw).is_integer() and minimum <= raw <= maximum:
            return int(raw)
        raise _Bad(msgid)
    match = _NUMBER.match(fold_key(cell_text(raw)))
    if match is None or not minimum <= int(match.group(1)) <= maximum:
        raise _Bad(msgid)
    return int(match.group(1))


def _codes(raw: CellValue, vocab: str) -> list[str]:
    text = _text(raw, "list")
    if text is None:
        return []
    codes: list[str] = []
    for part in _LIST_SPLIT.split(text):
        item = clean(part)
        if not item:
            continue
        code = parse_code(vocab, item)
        if code is None and vocab == "rank_tier":
            code = _RANK_ABBREVIATIONS.get(fold_key(item))
        if code is None:
            raise _Bad(MSG_BAD_LIST_VALUE, item=item, accepted=_ACCEPTED[vocab])
        if code not in codes:
            codes.append(code)
    return codes


def _unit(raw: CellValue, units: Mapping[str, OrgUnit]) -> OrgUnit | None:
    text = _text(raw, "unit")
    if text is None:
        return None
    unit = units.get(text.lower())
    if unit is None:
        raise _Bad(MSG_UNKNOWN_UNIT)
    return unit


async def _units(session: AsyncSession, rows: Sequence[TableRow]) -> dict[str, OrgUnit]:
    codes = {clean(cell_text(r.values.get("eligible_unit"))).lower() for r in rows} - {""}
    if not codes:
        return {}
    found = await session.scalars(select(OrgUnit).where(func.lower(OrgUnit.code).in_(codes)))
    return {u.code.lower(): u for u in found}


async def _existing(session: AsyncSession, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    columns = [Course.id, Course.code, Course.seats_taken] + [
        getattr(Course, name) for name in _MUTABLE
    ]
    return await rows_by_key(session, Course.code, columns, codes)


# --- applying ----------------------------------------------------------------------------


async def apply_import(
    session: AsyncSession,
    plan: CoursePlan,
    *,
    actor: str,
    now: datetime,
    skip_bad_rows: bool = False,
) -> CourseImportResult:
    """Insert new courses and update changed ones, in the caller's transaction."""
    result = begin_apply(CourseImportResult, plan, now=now, skip_bad_rows=skip_bad_rows)
    if not result.applied:
        return result
    catalogue = await current_catalogue(session)
    # Looked up again, not taken from the plan: a chat admin confirms minutes later.
    existing = await _existing(session, [p.code for p in plan.rows])
    source = f"import:{plan.file_name}"[:200]
    more_seats: list[int] = []
    for planned in plan.rows:
        values = dict(planned.values)
        values["search_text"] = search_text_of(Course(code=planned.code, **values), catalogue)
        old = existing.get(planned.code)
        if old is None:
            await session.execute(
                insert(Course).values(
                    code=planned.code,
                    seats_taken=0,
                    source=source,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
            result.created += 1
            continue
        changed = changed_values(old, planned.values, _MUTABLE)
        if not changed:
            result.unchanged += 1
            continue
        await session.execute(
            update(Course.__table__)
            .where(Course.__table__.c.id == old["id"])
            .values(**changed, search_text=values["search_text"], updated_at=now)
        )
        result.updated += 1
        if changed.get("capacity", 0) > old["capacity"] or "status" in changed:
            more_seats.append(old["id"])
    today = now.astimezone(VN_TZ).date()
    for course_id in more_seats:
        result.promoted += await promote_waitlist(session, course_id, today=today, now=now)
    audit.record(
        session,
        actor=actor,
        action=AUDIT_ACTION,
        subject=plan.file_name[:200],
        affected=result.created + result.updated,
        at=now,
        detail={
            "file": plan.file_name,
            "rows": plan.total_rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "skipped": result.skipped,
            "promoted": len(result.promoted),
        },
    )
    return result


# --- reports -----------------------------------------------------------------------------


def format_plan_report(plan: CoursePlan, limit: int = 20) -> str:
    if plan.file_error is not None:
        return plan.file_error.message()
    lines = [
        _(MSG_PLAN_SUMMARY).format(
            file=plan.file_name,
            total=format_number(plan.total_rows),
            valid=format_number(len(plan.rows)),
            bad=format_number(len(plan.bad_rows)),
        ),
        _(MSG_PLAN_PREVIEW).format(
            create=format_number(plan.to_create),
            update=format_number(plan.to_update),
            same=format_number(plan.unchanged),
        ),
    ]
    if plan.ignored_headers:
        lines.append(
            _(MSG_PLAN_IGNORED).format(columns=", ".join(f"“{h}”" for h in plan.ignored_headers))
        )
    if not plan.errors:
        lines.append(_(MSG_PLAN_OK))
        return "\n".join(lines)
    lines.append(_(MSG_PLAN_HAS_ERRORS))
    lines.extend(f"- {error.message()}" for error in plan.errors[:limit])
    if len(plan.errors) > limit:
        lines.append(_(MSG_MORE_ERRORS).format(count=format_number(len(plan.errors) - limit)))
    return "\n".join(lines)


def format_result(result: CourseImportResult) -> str:
    return format_outcome(result, done=MSG_RESULT, refused=MSG_RESULT_ROW_ERRORS)
