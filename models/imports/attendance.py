"""Attendance and completion of courses: HR's file turns registrations into training records.

One row per person and course: course code, employee code, result (attended, completed,
absent) and the certificate number. A completed or attended registration becomes a
training record (kind, periods and programme from the course, dated the course's last day),
which is what turns the requirement in /yeucau to done. The record key is the training
import's, so importing the same file again, or the same completion from a training file,
never counts it twice; marking someone absent later removes the record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from locales.folding import clean
from models.courses.catalogue import Course, CourseStatus
from models.courses.registrations import ACTIVE, DONE, Registration, RegStatus
from models.imports.cells import CellError, RowError, choice, read_cells, required, text
from models.imports.importer import TableImporter
from models.imports.plan import Plan
from models.imports.report import ImportResult
from models.imports.table import CellValue, Column, Table, TableRow, cell_text
from models.imports.training import CERTIFICATE_ALIASES as _CERTIFICATE_ALIASES
from models.imports.training import CODE_ALIASES as _CODE_ALIASES
from models.org.officials import Official
from models.requirements.training_records import TrainingRecord, import_key
from models.vocabulary import N_

AUDIT_ACTION = "attendance.import"
_TEXT_LIMIT = 60

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
MSG_RESULT = N_(
    "Attendance imported from “{file}”: {created} new, {updated} updated, {unchanged}"
    " unchanged, {skipped} rows with errors skipped."
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
        (*_CODE_ALIASES, "employee_code", "employee code"),
        required=True,
    ),
    Column("result", "Kết quả", ("Kết quả học tập", "Tình trạng", "result"), required=True),
    Column(
        "certificate_no",
        "Số chứng chỉ",
        _CERTIFICATE_ALIASES,
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
class AttendancePlan(Plan[PlannedMark]):
    """A checked attendance file."""


@dataclass
class AttendanceResult(ImportResult):
    """What applying a plan did."""


class AttendanceImporter(TableImporter[AttendancePlan, AttendanceResult]):
    """With a scope (an admin's unit), only officials of that unit's subtree may be marked."""

    kind = "attendance"
    label = N_("Course attendance and results")
    columns = ATTENDANCE_COLUMNS
    plan_type = AttendancePlan
    result_type = AttendanceResult
    audit_action = AUDIT_ACTION
    summary = MSG_PLAN_SUMMARY
    done = MSG_RESULT
    list_ignored = False

    async def check(
        self,
        session: AsyncSession,
        plan: AttendancePlan,
        table: Table,
        errors: defaultdict[int, list[RowError]],
    ) -> None:
        courses = await _by_code(session, Course.code, _codes(table.rows, "course_code"))
        officials = await _by_code(
            session, Official.employee_code, _codes(table.rows, "employee_code")
        )
        regs = {
            (r.course_id, r.official_id): r
            for r in await session.scalars(
                select(Registration).where(
                    Registration.course_id.in_([c.id for c in courses.values()]),
                    Registration.official_id.in_([o.id for o in officials.values()]),
                )
            )
        }

        def parse(name: str, raw: CellValue) -> Any:
            if name == "certificate_no":
                return text(raw, _TEXT_LIMIT)
            code = required(text(raw, _TEXT_LIMIT))
            if name == "result":
                return required(choice(code, _RESULTS, MSG_BAD_RESULT))
            if name == "employee_code":
                return _official(code, officials, plan)
            return _course(code, courses, plan.today)

        seen: dict[int, int] = {}
        for row in table.rows:
            found, errors[row.number] = read_cells(row, table.headers, parse)
            if errors[row.number]:
                continue
            course, official = found["course_code"], found["employee_code"]
            reg = regs.get((course.id, official.id))
            if reg is None or reg.status not in (RegStatus.CONFIRMED, RegStatus.ABSENT, *DONE):
                error = CellError(MSG_NOT_REGISTERED, name=official.full_name, course=course.code)
                errors[row.number].append(
                    error.at(row.number, table.headers["employee_code"], official.employee_code)
                )
                continue
            other = seen.setdefault(reg.id, row.number)
            if other != row.number:
                error = CellError(MSG_DUPLICATE, other=other)
                errors[row.number].append(
                    error.at(row.number, table.headers["course_code"], course.code)
                )
                continue
            mark = PlannedMark(row.number, reg.id, found["result"], found.get("certificate_no"))
            changed = reg.status != mark.status or reg.certificate_no != mark.certificate_no
            plan.add(mark, new=reg.status in ACTIVE, changed=changed)

    async def write(
        self, session: AsyncSession, plan: AttendancePlan, result: AttendanceResult, now: datetime
    ) -> None:
        """Mark the registrations; a result that counts becomes a training record."""
        source = f"course-attendance:{plan.file_name}"[:200]
        for mark in plan.rows:
            reg = await session.get(Registration, mark.registration_id, populate_existing=True)
            assert reg is not None
            course = await session.get(Course, reg.course_id)
            assert course is not None
            was = reg.status
            if not await write_result(
                session, reg, course, mark.status, mark.certificate_no, source, now
            ):
                result.unchanged += 1
            elif was in ACTIVE:
                result.created += 1
            else:
                result.updated += 1
        await session.flush()


ATTENDANCE = AttendanceImporter()


def _codes(rows: Sequence[TableRow], name: str) -> set[str]:
    return {clean(cell_text(r.values.get(name))).lower() for r in rows}


async def _by_code(session: AsyncSession, column: Any, codes: set[str]) -> dict[str, Any]:
    """Courses or officials by lower-case code (case does not matter in a file)."""
    found = await session.scalars(select(column.class_).where(func.lower(column).in_(codes)))
    return {getattr(item, column.key).lower(): item for item in found}


def _official(code: str, officials: Mapping[str, Official], plan: AttendancePlan) -> Official:
    official = officials.get(code.lower())
    if official is None:
        raise CellError(MSG_UNKNOWN_OFFICIAL)
    if not plan.in_scope(official.unit.path):
        raise CellError(MSG_OUT_OF_SCOPE, scope=plan.scope_name or "")
    return official


def _course(code: str, courses: Mapping[str, Course], today: date) -> Course:
    course = courses.get(code.lower())
    if course is None:
        raise CellError(MSG_UNKNOWN_COURSE)
    if course.status == CourseStatus.CANCELLED:
        raise CellError(MSG_COURSE_CANCELLED, course=course.code)
    if course.ends_on > today:
        end = course.ends_on.strftime("%d/%m/%Y")
        raise CellError(MSG_COURSE_NOT_OVER, course=course.code, end=end)
    return course


async def write_result(
    session: AsyncSession,
    reg: Registration,
    course: Course,
    status: str,
    certificate_no: str | None,
    source: str,
    now: datetime,
) -> bool:
    """Give a registration its result and keep its training record in step; False when it
    already had this result. Shared by the file import and the roster closed in the chat
    (models/courses/attendance.close_roster)."""
    if reg.status == status and reg.certificate_no == certificate_no:
        return False
    reg.status, reg.certificate_no, reg.updated_at = status, certificate_no, now
    reg.training_record_id = await _record(session, reg, course, source, now)
    return True


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
