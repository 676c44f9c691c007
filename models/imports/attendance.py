"""Attendance and completion of courses: HR's file turns registrations into training records.

One row per person and course: course code, employee code, result (attended, completed,
absent) and the certificate number. Same contract as the other importers: `plan_import`
writes nothing; `apply_import` writes in the caller's transaction. A completed or attended
registration becomes a training record (kind, periods and programme from the course, dated
the course's last day), which is what turns the requirement in /yeucau to done. The record
key is the training import's, so importing the same file again, or the same completion from
a training file, never counts it twice; marking someone absent later removes the record.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _, format_number
from locales.folding import clean, fold_key
from models import audit
from models.courses.catalogue import Course, CourseStatus
from models.courses.registrations import ACTIVE, DONE, Registration, RegStatus
from models.imports.officials import MSG_REQUIRED, MSG_TOO_LONG, RowError
from models.imports.report import ImportResult, begin_apply, format_outcome
from models.imports.table import CellValue, Column, TableError, cell_text, read_table
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.training_records import TrainingRecord, import_key

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AUDIT_ACTION = "attendance.import"


def N_(message: str) -> str:
    """Mark a msgid for extraction; it is translated when the report is formatted."""
    return message


MSG_UNKNOWN_COURSE = N_("no course has the code “{value}”; please check the code.")
MSG_UNKNOWN_OFFICIAL = N_("no official has the employee code “{value}”; please check the code.")
MSG_NOT_REGISTERED = N_(
    "{name} holds no seat in course {course}; only registered participants can be marked."
)
MSG_COURSE_NOT_OVER = N_(
    "course {course} ends on {end}; attendance can be recorded from that day on."
)
MSG_COURSE_CANCELLED = N_("course {course} was cancelled; there is no attendance to record.")
MSG_OUT_OF_SCOPE = N_(
    "the official with code “{value}” is not part of {scope}; you can only record attendance"
    " of your own unit."
)
MSG_BAD_RESULT = N_("“{value}” is not a result; please write “hoàn thành”, “tham gia” or “vắng”.")
MSG_DUPLICATE = N_("this person and course are also on row {other}; please keep one row.")
MSG_PLAN_SUMMARY = N_(
    "Attendance file “{file}”. Data rows: {total}; valid: {valid}; with errors: {bad}."
)
MSG_PLAN_PREVIEW = N_("If imported: {create} new, {update} updated, {same} unchanged.")
MSG_PLAN_OK = N_("No errors found. The file is ready to import.")
MSG_PLAN_HAS_ERRORS = N_(
    "No data has been written. Please correct the rows below and send the file again, or"
    " choose to import only the valid rows."
)
MSG_MORE_ERRORS = N_("… and {count} more errors.")
MSG_RESULT = N_(
    "Attendance imported from “{file}”: {created} new, {updated} updated, {unchanged}"
    " unchanged, {skipped} rows with errors skipped."
)
MSG_RESULT_ROW_ERRORS = N_(
    "Nothing was imported because {bad} rows of “{file}” have errors. Please correct them and"
    " send the file again, or choose to import only the valid rows."
)

ATTENDANCE_COLUMNS: tuple[Column, ...] = (
    Column(
        "course_code",
        "Mã khóa học",
        ("Mã khóa", "Mã lớp", "course_code", "course code"),
        required=True,
    ),
    Column(
        "employee_code",
        "Mã cán bộ",
        (
            "Ma CB",
            "Mã CBCCVC",
            "Mã công chức",
            "Mã viên chức",
            "employee_code",
            "employee code",
        ),
        required=True,
    ),
    Column("result", "Kết quả", ("Kết quả học tập", "Tình trạng", "result"), required=True),
    Column(
        "certificate_no",
        "Số chứng chỉ",
        (
            "Số giấy chứng nhận",
            "Số hiệu chứng chỉ",
            "Số CC",
            "Số GCN",
            "certificate_no",
        ),
    ),
)
_RESULTS = {
    "hoan thanh": RegStatus.COMPLETED,
    "da hoan thanh": RegStatus.COMPLETED,
    "dat": RegStatus.COMPLETED,
    "completed": RegStatus.COMPLETED,
    "tham gia": RegStatus.ATTENDED,
    "co mat": RegStatus.ATTENDED,
    "da tham gia": RegStatus.ATTENDED,
    "attended": RegStatus.ATTENDED,
    "vang": RegStatus.ABSENT,
    "vang mat": RegStatus.ABSENT,
    "khong tham gia": RegStatus.ABSENT,
    "absent": RegStatus.ABSENT,
}


@dataclass(frozen=True)
class PlannedMark:
    row: int
    registration_id: int
    status: str
    certificate_no: str | None


@dataclass
class AttendancePlan:
    file_name: str
    file_error: TableError | None = None
    headers: dict[str, str] = field(default_factory=dict)
    total_rows: int = 0
    rows: list[PlannedMark] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors


@dataclass
class AttendanceResult(ImportResult):
    """What applying a plan did."""


class _Bad(Exception):
    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


def _text(raw: CellValue, limit: int = 60) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = clean(cell_text(raw))
    if not text or re.fullmatch(r"[\-–—.\s]*", text):
        return None
    if len(text) > limit:
        raise _Bad(MSG_TOO_LONG, max=limit)
    return text


async def plan_import(
    session: AsyncSession,
    file_name: str,
    content: bytes,
    scope_unit: OrgUnit | None = None,
    *,
    today: date | None = None,
) -> AttendancePlan:
    """Read and check every row; write nothing. With `scope_unit` (an admin's unit), only
    officials of that unit's subtree may be marked."""
    plan = AttendancePlan(file_name=file_name)
    try:
        table = read_table(file_name, content, ATTENDANCE_COLUMNS)
    except TableError as exc:
        plan.file_error = exc
        return plan
    plan.headers, plan.total_rows = dict(table.headers), len(table.rows)
    today = today or datetime.now(VN_TZ).date()
    courses = {
        c.code.lower(): c
        for c in await session.scalars(
            select(Course).where(
                func.lower(Course.code).in_(
                    {clean(cell_text(r.values.get("course_code"))).lower() for r in table.rows}
                )
            )
        )
    }
    officials = {
        o.employee_code.lower(): o
        for o in await session.scalars(
            select(Official).where(
                func.lower(Official.employee_code).in_(
                    {clean(cell_text(r.values.get("employee_code"))).lower() for r in table.rows}
                )
            )
        )
    }
    regs = {
        (r.course_id, r.official_id): r
        for r in await session.scalars(
            select(Registration).where(
                Registration.course_id.in_([c.id for c in courses.values()]),
                Registration.official_id.in_([o.id for o in officials.values()]),
            )
        )
    }
    errors: dict[int, list[RowError]] = defaultdict(list)
    seen: dict[int, int] = {}
    for row in table.rows:
        found: dict[str, Any] = {}
        for name, header in table.headers.items():
            raw = row.values.get(name)
            try:
                found[name] = _cell(name, raw, courses, officials, today, scope_unit)
            except _Bad as bad:
                errors[row.number].append(
                    RowError(row.number, header, cell_text(raw), bad.msgid, bad.params)
                )
        if errors[row.number]:
            continue
        course, official = found["course_code"], found["employee_code"]
        reg = regs.get((course.id, official.id))
        if reg is None or reg.status not in (RegStatus.CONFIRMED, RegStatus.ABSENT, *DONE):
            errors[row.number].append(
                RowError(
                    row.number,
                    table.headers["employee_code"],
                    official.employee_code,
                    MSG_NOT_REGISTERED,
                    {"name": official.full_name, "course": course.code},
                )
            )
            continue
        other = seen.setdefault(reg.id, row.number)
        if other != row.number:
            errors[row.number].append(
                RowError(
                    row.number,
                    table.headers["course_code"],
                    course.code,
                    MSG_DUPLICATE,
                    {"other": other},
                )
            )
            continue
        mark = PlannedMark(row.number, reg.id, found["result"], found.get("certificate_no"))
        plan.rows.append(mark)
        if reg.status in ACTIVE:
            plan.to_create += 1
        elif reg.status != mark.status or reg.certificate_no != mark.certificate_no:
            plan.to_update += 1
        else:
            plan.unchanged += 1
    for number in sorted(n for n, e in errors.items() if e):
        plan.errors.extend(errors[number])
        plan.bad_rows.add(number)
    return plan


def _cell(
    name: str,
    raw: CellValue,
    courses: Mapping[str, Course],
    officials: Mapping[str, Official],
    today: date,
    scope_unit: OrgUnit | None,
) -> Any:
    if name == "certificate_no":
        return _text(raw)
    text = _text(raw)
    if text is None:
        raise _Bad(MSG_REQUIRED)
    if name == "result":
        result = _RESULTS.get(fold_key(text))
        if result is None:
            raise _Bad(MSG_BAD_RESULT)
        return result
    if name == "employee_code":
        official = officials.get(text.lower())
        if official is None:
            raise _Bad(MSG_UNKNOWN_OFFICIAL)
        if scope_unit is not None and not official.unit.path.startswith(scope_unit.path):
            raise _Bad(MSG_OUT_OF_SCOPE, scope=scope_unit.name)
        return official
    course = courses.get(text.lower())
    if course is None:
        raise _Bad(MSG_UNKNOWN_COURSE)
    if course.status == CourseStatus.CANCELLED:
        raise _Bad(MSG_COURSE_CANCELLED, course=course.code)
    if course.ends_on > today:
        raise _Bad(MSG_COURSE_NOT_OVER, course=course.code, end=course.ends_on.strftime("%d/%m/%Y"))
    return course


async def apply_import(
    session: AsyncSession,
    plan: AttendancePlan,
    *,
    actor: str,
    now: datetime,
    skip_bad_rows: bool = False,
) -> AttendanceResult:
    result = begin_apply(AttendanceResult, plan, now=now, skip_bad_rows=skip_bad_rows)
    if not result.applied:
        return result
    source = f"course-attendance:{plan.file_name}"[:200]
    for mark in plan.rows:
        reg = await session.get(Registration, mark.registration_id, populate_existing=True)
        assert reg is not None
        course = await session.get(Course, reg.course_id)
        assert course is not None
        if reg.status == mark.status and reg.certificate_no == mark.certificate_no:
            result.unchanged += 1
            continue
        if reg.status in ACTIVE:
            result.created += 1
        else:
            result.updated += 1
        reg.status, reg.certificate_no, reg.updated_at = mark.status, mark.certificate_no, now
        reg.training_record_id = await _record(session, reg, course, source, now)
    await session.flush()
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
        },
    )
    return result


async def _record(
    session: AsyncSession, reg: Registration, course: Course, source: str, now: datetime
) -> int | None:
    """Create, update or remove the training record that stands for this registration."""
    key = import_key(reg.official_id, course.kind, course.ends_on, course.code, course.title)
    record = await session.scalar(select(TrainingRecord).where(TrainingRecord.import_key == key))
    if reg.status == RegStatus.ABSENT:
        if record is not None:
            reg.training_record_id = None
            await session.flush()
            await session.execute(delete(TrainingRecord).where(TrainingRecord.id == record.id))
        return None
    if record is None:
        record = TrainingRecord(
            official_id=reg.official_id,
            kind=course.kind,
            program_code=course.code,
            title=course.title,
            periods=course.periods,
            completed_on=course.ends_on,
            provider=course.organiser,
            source=source,
            import_key=key,
            created_at=now,
        )
        session.add(record)
    record.certificate_no = reg.certificate_no
    record.updated_at = now
    await session.flush()
    return record.id


def format_plan_report(plan: AttendancePlan, limit: int = 20) -> str:
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
    if not plan.errors:
        lines.append(_(MSG_PLAN_OK))
        return "\n".join(lines)
    lines.append(_(MSG_PLAN_HAS_ERRORS))
    lines.extend(f"- {error.message()}" for error in plan.errors[:limit])
    if len(plan.errors) > limit:
        lines.append(_(MSG_MORE_ERRORS).format(count=format_number(len(plan.errors) - limit)))
    return "\n".join(lines)


def format_result(result: AttendanceResult) -> str:
    return format_outcome(result, done=MSG_RESULT, refused=MSG_RESULT_ROW_ERRORS)
