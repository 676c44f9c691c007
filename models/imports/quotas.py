"""Seat quotas from a file: one row per course and unit (course code, unit code, seats), the
same as "Phân bổ chỉ tiêu" in the chat for many units at once.

Checked before anything is written, like every kind: the course must exist, not be
cancelled and (for an admin of a part of the province) be organised inside their scope;
the unit must be inside it too; and a course's quotas — those in the file with those it
already has for other units — may not add up to more than its capacity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.courses.catalogue import Course, CourseStatus
from models.imports.attendance import _by_code, _codes
from models.imports.cells import CellError, RowError, integer, read_cells, required, text
from models.imports.importer import TableImporter
from models.imports.plan import Plan
from models.imports.report import ImportResult
from models.imports.table import CellValue, Column, Table
from models.org.units import OrgUnit
from models.plan.quotas import CourseQuota, set_quota
from models.vocabulary import N_

AUDIT_ACTION = "quotas.import"
_TEXT_LIMIT = 60
MAX_SEATS = 100_000

MSG_UNKNOWN_COURSE = N_("no course has the code “{value}”; please check the code.")
MSG_UNKNOWN_UNIT = N_("no unit has the code “{value}”; please check the code.")
MSG_COURSE_CANCELLED = N_("course {course} was cancelled; it has no seats to give.")
MSG_COURSE_OUT_OF_SCOPE = N_(
    "course {course} is organised by {owner}, outside {scope}; you can only give seats of"
    " your own units' courses."
)
MSG_UNIT_OUT_OF_SCOPE = N_(
    "the unit “{value}” is not part of {scope}; you can only give seats to your own units."
)
MSG_BAD_SEATS = N_("“{value}” is not a number of seats; please write a whole number, e.g. 5.")
MSG_DUPLICATE = N_("this course and unit are also on row {other}; please keep one row.")
MSG_OVER_CAPACITY = N_(
    "the quotas of course {course} would add up to {total} seats, more than its {capacity}"
    " seats; please lower them."
)
MSG_PLAN_SUMMARY = N_(
    "Seat quota file “{file}”. Data rows: {total}; valid: {valid}; with errors: {bad}."
)
MSG_RESULT = N_(
    "Seat quotas imported from “{file}”: {created} new, {updated} changed, {unchanged}"
    " unchanged, {skipped} rows with errors skipped."
)

QUOTA_COLUMNS: tuple[Column, ...] = (
    Column(
        "course_code",
        "Mã khóa học",
        ("Mã khóa", "Mã lớp", "course_code", "course code"),
        required=True,
    ),
    Column("unit_code", "Mã đơn vị", ("Mã ĐV", "unit_code", "unit code"), required=True),
    Column(
        "seats",
        "Số chỉ tiêu",
        ("Chỉ tiêu", "Số chỗ phân bổ", "Số suất", "seats", "quota"),
        required=True,
    ),
)


@dataclass(frozen=True)
class PlannedQuota:
    row: int
    course_id: int
    course_code: str
    unit_id: int
    unit_code: str
    seats: int
    before: int | None


@dataclass
class QuotaPlan(Plan[PlannedQuota]):
    """A checked quota file; `set_by`: the official applying it (kept on the quota rows)."""

    set_by: int | None = None


@dataclass
class QuotaResult(ImportResult):
    changes: list[dict[str, Any]] = field(default_factory=list)


class QuotaImporter(TableImporter[QuotaPlan, QuotaResult]):
    kind = "quotas"
    label = N_("Seat quotas per unit")
    columns = QUOTA_COLUMNS
    plan_type = QuotaPlan
    result_type = QuotaResult
    audit_action = AUDIT_ACTION
    summary = MSG_PLAN_SUMMARY
    done = MSG_RESULT
    list_ignored = False
    column_help: ClassVar[dict[str, tuple[str, str]]] = {
        "seats": ("Số nguyên, số chỗ của khóa học dành cho đơn vị", "5"),
        "unit_code": ("Mã đơn vị được phân bổ, xem trang “Đơn vị”", "T99-X01"),
    }

    async def check(
        self,
        session: AsyncSession,
        plan: QuotaPlan,
        table: Table,
        errors: defaultdict[int, list[RowError]],
    ) -> None:
        courses: dict[str, Course] = await _by_code(
            session, Course.code, _codes(table.rows, "course_code")
        )
        units: dict[str, OrgUnit] = await _by_code(
            session, OrgUnit.code, _codes(table.rows, "unit_code")
        )
        owners = await _owners(session, courses.values())
        # The chat and the command line check and write in one transaction: holding the
        # courses' rows from the check on keeps a quota set meanwhile in the chat
        # (plan.year_plan.allocate locks the course too) from overfilling a course.
        if courses:
            await session.execute(
                select(Course.id)
                .where(Course.id.in_(sorted(c.id for c in courses.values())))
                .with_for_update()
            )

        def parse(name: str, raw: CellValue) -> Any:
            if name == "seats":
                return required(integer(raw, MSG_BAD_SEATS, 0, MAX_SEATS))
            code = required(text(raw, _TEXT_LIMIT)).lower()
            if name == "unit_code":
                unit = units.get(code)
                if unit is None:
                    raise CellError(MSG_UNKNOWN_UNIT)
                if not plan.in_scope(unit.path):
                    raise CellError(MSG_UNIT_OUT_OF_SCOPE, scope=plan.scope_name or "")
                return unit
            course = courses.get(code)
            if course is None:
                raise CellError(MSG_UNKNOWN_COURSE)
            if course.status == CourseStatus.CANCELLED:
                raise CellError(MSG_COURSE_CANCELLED, course=course.code)
            owner = owners.get(course.id)
            if plan.scope_path is not None and (owner is None or not plan.in_scope(owner.path)):
                raise CellError(
                    MSG_COURSE_OUT_OF_SCOPE,
                    course=course.code,
                    owner=owner.name if owner else "",
                    scope=plan.scope_name or "",
                )
            return course

        seen: dict[tuple[int, int], int] = {}
        parsed: list[tuple[int, Course, OrgUnit, int]] = []
        raw_seats: dict[int, CellValue] = {}
        for row in table.rows:
            found, errors[row.number] = read_cells(row, table.headers, parse)
            if errors[row.number]:
                continue
            course, unit = found["course_code"], found["unit_code"]
            other = seen.setdefault((course.id, unit.id), row.number)
            if other != row.number:
                error = CellError(MSG_DUPLICATE, other=other)
                errors[row.number].append(
                    error.at(row.number, table.headers["unit_code"], row.values.get("unit_code"))
                )
                continue
            parsed.append((row.number, course, unit, found["seats"]))
            raw_seats[row.number] = row.values.get("seats")

        stored = await _stored(session, {course.id for _n, course, _u, _s in parsed})
        totals: dict[int, int] = defaultdict(int)
        for _n, course, _unit, seats in parsed:
            totals[course.id] += seats
        for course_id, by_unit in stored.items():
            named = {unit.id for _n, c, unit, _s in parsed if c.id == course_id}
            totals[course_id] += sum(s for u, s in by_unit.items() if u not in named)
        for number, course, unit, seats in parsed:
            if totals[course.id] > course.capacity:
                error = CellError(
                    MSG_OVER_CAPACITY,
                    course=course.code,
                    total=totals[course.id],
                    capacity=course.capacity,
                )
                errors[number].append(error.at(number, table.headers["seats"], raw_seats[number]))
                continue
            before = stored.get(course.id, {}).get(unit.id)
            planned = PlannedQuota(
                number, course.id, course.code, unit.id, unit.code, seats, before
            )
            plan.add(planned, new=before is None, changed=before != seats)

    async def write(
        self, session: AsyncSession, plan: QuotaPlan, result: QuotaResult, now: datetime
    ) -> None:
        stored = await _stored(session, {q.course_id for q in plan.rows})
        for quota in plan.rows:
            before = stored.get(quota.course_id, {}).get(quota.unit_id)
            if before == quota.seats:
                result.unchanged += 1
                continue
            if before is None:
                result.created += 1
            else:
                result.updated += 1
            await set_quota(
                session,
                course_id=quota.course_id,
                unit_id=quota.unit_id,
                seats=quota.seats,
                by_official_id=plan.set_by,
            )
            result.changes.append(
                {
                    "course": quota.course_code,
                    "unit": quota.unit_code,
                    "before": before,
                    "seats": quota.seats,
                }
            )

    async def apply(
        self,
        session: AsyncSession,
        plan: QuotaPlan,
        *,
        actor: str,
        now: datetime,
        skip_bad_rows: bool = False,
        actor_official_id: int | None = None,
    ) -> QuotaResult:
        # The quota rows keep who set them; `write` has no actor parameter of its own.
        plan.set_by = actor_official_id
        return await super().apply(
            session,
            plan,
            actor=actor,
            now=now,
            skip_bad_rows=skip_bad_rows,
            actor_official_id=actor_official_id,
        )

    def audit_detail(self, result: QuotaResult) -> dict[str, Any]:
        return {"changes": result.changes[:500]}


QUOTAS = QuotaImporter()


async def _owners(session: AsyncSession, courses: Any) -> Mapping[int, OrgUnit]:
    """Course id → its organising unit; a course made outside an import is the province's."""
    root = await session.scalar(select(func.min(OrgUnit.id)).where(OrgUnit.parent_id.is_(None)))
    wanted = {c.owner_unit_id or root for c in courses} - {None}
    units = {u.id: u for u in await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(wanted)))}
    return {c.id: units[o] for c in courses if (o := c.owner_unit_id or root) in units}


async def _stored(session: AsyncSession, course_ids: set[int]) -> dict[int, dict[int, int]]:
    found: dict[int, dict[int, int]] = defaultdict(dict)
    ids = sorted(course_ids)
    for start in range(0, len(ids), 900):
        rows = await session.execute(
            select(CourseQuota.course_id, CourseQuota.unit_id, CourseQuota.seats).where(
                CourseQuota.course_id.in_(ids[start : start + 900])
            )
        )
        for course_id, unit_id, seats in rows:
            found[course_id][unit_id] = seats
    return found
