"""The course catalogue import: HR's list of courses, upserted by course code. Re-importing
the same file changes nothing; raising a course's capacity fills the new seats from its
waitlist at once."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from locales.folding import clean
from models.courses.catalogue import Course, CourseStatus, Mode, search_text_of
from models.courses.registrations import Registration, promote_waitlist
from models.imports.cells import (
    CellError,
    RowError,
    choice,
    date_value,
    integer,
    read_cells,
    required,
    text,
    vocabulary_list,
)
from models.imports.importer import TableImporter
from models.imports.plan import Plan
from models.imports.report import ImportResult, changed_values, rows_by_key
from models.imports.table import CellValue, Column, Table, TableRow, cell_text
from models.imports.training import MSG_BAD_PERIODS, TrainingKinds
from models.org.units import OrgUnit
from models.requirements.store import current_catalogue
from models.vocabulary import N_

AUDIT_ACTION = "courses.import"
_MAX_PERIODS = 5000
_MAX_CAPACITY = 100_000
_NUMBER_UNITS = ("tiet", "cho", "nguoi", "hoc vien")

MSG_BAD_CAPACITY = N_(
    "“{value}” is not a valid number of seats; please write a whole number of at least 1."
)
MSG_CAPACITY_BELOW_TAKEN = N_(
    "“{value}” is fewer than the {taken} people already holding a seat; please write at least"
    " {taken}."
)
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
MSG_BAD_HOURS = N_(
    "“{value}” is not a range of hours; please write the daily hours like “07:30-11:30”."
)
MSG_UNKNOWN_UNIT = N_("no unit has the code “{value}”; please use a code from the unit list.")
MSG_DUPLICATE = N_("the course code “{value}” is also on row {other}; please keep one row.")
MSG_PLAN_SUMMARY = N_(
    "Course file “{file}”. Data rows: {total}; valid: {valid}; with errors: {bad}."
)
MSG_RESULT = N_(
    "Courses imported from “{file}”: {created} new, {updated} updated, {unchanged}"
    " unchanged, {skipped} rows with errors skipped."
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
    Column(
        "daily_hours",
        "Giờ học",
        ("Giờ học hằng ngày", "Thời gian học trong ngày", "daily_hours", "hours"),
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
_RANK_ABBREVIATIONS: dict[str, str] = {
    "cvcc": "chuyen_vien_cao_cap",
    "cvc": "chuyen_vien_chinh",
    "cv": "chuyen_vien",
}
# List column -> (vocabulary field, extra words, the accepted values shown).
_LIST_FIELDS: dict[str, tuple[str, Mapping[str, str], str]] = {
    "eligible_levels": ("level", {}, "tỉnh, xã, trung ương"),
    "eligible_categories": ("category", {}, "cán bộ, công chức, viên chức"),
    "eligible_ranks": (
        "rank_tier",
        _RANK_ABBREVIATIONS,
        "chuyên viên cao cấp, chuyên viên chính, chuyên viên, cán sự, nhân viên",
    ),
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
    "daily_starts_at",
    "daily_ends_at",
    "capacity",
    "registration_opens_on",
    "registration_closes_on",
    "eligible_levels",
    "eligible_categories",
    "eligible_ranks",
    "eligible_unit_id",
    "status",
)


@dataclass(frozen=True)
class PlannedCourse:
    row: int
    code: str
    values: dict[str, Any]  # Course attributes


@dataclass
class CoursePlan(Plan[PlannedCourse]):
    """A checked course file."""


@dataclass
class CourseImportResult(ImportResult):
    promoted: list[Registration] = field(default_factory=list)  # people to tell


class CourseImporter(TableImporter[CoursePlan, CourseImportResult]):
    """The catalogue is the province's, so an admin's scope does not narrow it: whoever may
    import courses at all may import any."""

    kind = "courses"
    label = N_("Course catalogue")
    columns = COURSE_COLUMNS
    plan_type = CoursePlan
    result_type = CourseImportResult
    audit_action = AUDIT_ACTION
    summary = MSG_PLAN_SUMMARY
    done = MSG_RESULT

    async def check(
        self,
        session: AsyncSession,
        plan: CoursePlan,
        table: Table,
        errors: defaultdict[int, list[RowError]],
    ) -> None:
        kinds = TrainingKinds(await current_catalogue(session))
        units = await _units(session, table.rows)
        codes = [clean(cell_text(r.values.get("code"))) for r in table.rows]
        existing = await _existing(session, codes)
        first_row: dict[str, int] = {}
        for row in table.rows:
            planned = _parse_row(row, table.headers, kinds, units, existing, errors[row.number])
            if planned is None:
                continue
            other = first_row.setdefault(planned.code.lower(), row.number)
            if other != row.number:
                errors[row.number].append(
                    CellError(MSG_DUPLICATE, other=other).at(
                        row.number, table.headers["code"], planned.code
                    )
                )
                continue
            old = existing.get(planned.code)
            changed = old is not None and bool(changed_values(old, planned.values, _MUTABLE))
            plan.add(planned, new=old is None, changed=changed)

    async def write(
        self, session: AsyncSession, plan: CoursePlan, result: CourseImportResult, now: datetime
    ) -> None:
        """Insert new courses and update changed ones; fill seats a change opened."""
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
                update(Course)
                .where(Course.id == old["id"])
                .values(**changed, search_text=values["search_text"], updated_at=now)
            )
            result.updated += 1
            if changed.get("capacity", 0) > old["capacity"] or "status" in changed:
                more_seats.append(old["id"])
        for course_id in more_seats:
            result.promoted += await promote_waitlist(session, course_id, today=plan.today, now=now)

    def audit_detail(self, result: CourseImportResult) -> dict[str, Any]:
        return {"promoted": len(result.promoted)}


COURSES = CourseImporter()


def _parse_row(
    row: TableRow,
    headers: Mapping[str, str],
    kinds: TrainingKinds,
    units: Mapping[str, OrgUnit],
    existing: Mapping[str, dict[str, Any]],
    errors: list[RowError],
) -> PlannedCourse | None:
    def parse(name: str, raw: CellValue) -> Any:
        if name in ("code", "title", "organiser"):
            return required(text(raw, _TEXT_LIMITS[name]))
        if name == "place":
            return text(raw, _TEXT_LIMITS[name])
        if name == "kind":
            return kinds.parse(raw)
        if name == "mode":
            return choice(raw, _MODES, MSG_BAD_MODE) or Mode.IN_PERSON
        if name == "status":
            return choice(raw, _STATUSES, MSG_BAD_STATUS) or CourseStatus.OPEN
        if name in ("starts_on", "ends_on"):
            return required(date_value(raw))
        if name in ("registration_opens_on", "registration_closes_on"):
            return date_value(raw)
        if name == "daily_hours":
            return _hours(raw)
        if name == "periods":
            return integer(raw, MSG_BAD_PERIODS, 0, _MAX_PERIODS, _NUMBER_UNITS)
        if name == "capacity":
            return required(integer(raw, MSG_BAD_CAPACITY, 1, _MAX_CAPACITY, _NUMBER_UNITS))
        if name in _LIST_FIELDS:
            return vocabulary_list(raw, *_LIST_FIELDS[name])
        return _unit(raw, units)  # eligible_unit

    values, found = read_cells(row, headers, parse)
    errors.extend(found)
    if errors:
        return None
    errors.extend(_date_errors(row, headers, values))
    old = existing.get(values["code"])
    if old is not None and values["capacity"] < old["seats_taken"]:
        error = CellError(MSG_CAPACITY_BELOW_TAKEN, taken=old["seats_taken"])
        errors.append(error.at(row.number, headers["capacity"], row.values.get("capacity")))
    if errors:
        return None
    values["daily_starts_at"], values["daily_ends_at"] = values.pop("daily_hours", None) or (
        None,
        None,
    )
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


def _date_errors(
    row: TableRow, headers: Mapping[str, str], values: Mapping[str, Any]
) -> list[RowError]:
    """The dates of one course in the order they must come."""
    start, end = values["starts_on"], values["ends_on"]
    deadline = values.get("registration_closes_on")
    opens = values.get("registration_opens_on")
    wrong: list[tuple[str, CellError]] = []
    if end < start:
        wrong.append(("ends_on", CellError(MSG_END_BEFORE_START, start=_shown(start))))
    if deadline is not None and deadline >= start:
        wrong.append(
            ("registration_closes_on", CellError(MSG_DEADLINE_AFTER_START, start=_shown(start)))
        )
    if opens is not None and deadline is not None and opens > deadline:
        wrong.append(
            (
                "registration_opens_on",
                CellError(MSG_OPENS_AFTER_DEADLINE, deadline=_shown(deadline)),
            )
        )
    return [error.at(row.number, headers[name], row.values.get(name)) for name, error in wrong]


def _shown(day: date) -> str:
    return day.strftime("%d/%m/%Y")


_HOURS = re.compile(
    r"^(?P<h1>\d{1,2})(?:[:hg.](?P<m1>\d{2})?)?\s*[-–—]\s*(?P<h2>\d{1,2})(?:[:hg.](?P<m2>\d{2})?)?$"
)


def _hours(raw: CellValue) -> tuple[time, time] | None:
    """ "07:30-11:30", "7h30 – 11h", "13:30–17:00": the hours of each teaching day."""
    value = text(raw)
    if value is None:
        return None
    found = _HOURS.match(value.lower().replace(" ", ""))
    try:
        if found is None:
            raise ValueError(value)
        start = time(int(found["h1"]), int(found["m1"] or 0))
        end = time(int(found["h2"]), int(found["m2"] or 0))
    except ValueError as exc:
        raise CellError(MSG_BAD_HOURS) from exc
    if end <= start:
        raise CellError(MSG_BAD_HOURS)
    return start, end


def _unit(raw: CellValue, units: Mapping[str, OrgUnit]) -> OrgUnit | None:
    code = text(raw)
    if code is None:
        return None
    unit = units.get(code.lower())
    if unit is None:
        raise CellError(MSG_UNKNOWN_UNIT)
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
