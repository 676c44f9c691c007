"""The course catalogue import: HR's list of courses, upserted by course code. Re-importing
the same file changes nothing; raising a course's capacity fills the new seats from its
waitlist at once."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from locales.folding import clean
from models import audit
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
COURSE_CREATED = "course.create"
COURSE_CHANGED = "course.change"
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
MSG_COURSE_OUT_OF_SCOPE = N_(
    "the course “{value}” belongs to {owner}, outside {scope}; you can only change the courses"
    " of your own units."
)
MSG_OWNER_OUT_OF_SCOPE = N_(
    "the unit “{value}” is not part of {scope}; you can only create courses for your own units."
)
MSG_ELIGIBLE_OUT_OF_SCOPE = N_(
    "the unit “{value}” is not part of {scope}; you can only open courses to your own units."
)
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
    # The organising unit (a unit code): who may change the course afterwards. Left out,
    # a new course belongs to the importing admin's unit (the province from the CLI).
    Column(
        "owner_unit",
        "Mã đơn vị tổ chức",
        ("Mã đơn vị quản lý", "Đơn vị quản lý khóa học", "owner_unit", "owner"),
    ),
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
    "owner_unit_id",
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
    # Per course written: its code and each field's [old, new] (old None for a new course).
    changes: list[tuple[str, dict[str, list[Any]]]] = field(default_factory=list)


class CourseImporter(TableImporter[CoursePlan, CourseImportResult]):
    """A course belongs to its organising unit (`owner_unit_id`). An admin scoped to a
    subtree creates courses only for units in it, changes (cancels, moves, re-dates,
    resizes, re-opens to others) only courses owned inside it, and opens them only to units
    in it; anything else is a row error. Every course written is audited with its fields'
    old and new values."""

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
        owners = await _Owners.load(session, plan, existing, units.values())
        first_row: dict[str, int] = {}
        for row in table.rows:
            planned = _parse_row(row, table.headers, kinds, units, existing, errors[row.number])
            if planned is None:
                continue
            refused = owners.settle(planned, existing.get(planned.code), row, table.headers)
            if refused is not None:
                errors[row.number].append(refused)
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
        owners = await _Owners.load(session, plan, existing, ())
        source = f"import:{plan.file_name}"[:200]
        more_seats: list[int] = []
        for planned in plan.rows:
            values = dict(planned.values)
            values["search_text"] = search_text_of(Course(code=planned.code, **values), catalogue)
            old = existing.get(planned.code)
            if old is not None and not owners.may_change(old):
                result.skipped += 1  # given to a unit outside the scope since the plan was made
                continue
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
                result.changes.append(
                    (planned.code, {k: [None, _plain(v)] for k, v in planned.values.items()})
                )
                continue
            changed = changed_values(old, planned.values, _MUTABLE)
            if not changed:
                result.unchanged += 1
                continue
            result.changes.append(
                (planned.code, {k: [_plain(old[k]), _plain(v)] for k, v in changed.items()})
            )
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

    async def apply(
        self,
        session: AsyncSession,
        plan: CoursePlan,
        *,
        actor: str,
        now: datetime,
        skip_bad_rows: bool = False,
        actor_official_id: int | None = None,
    ) -> CourseImportResult:
        result = await super().apply(
            session,
            plan,
            actor=actor,
            now=now,
            skip_bad_rows=skip_bad_rows,
            actor_official_id=actor_official_id,
        )
        # One entry per course, so "who moved K-2027-05 to another place" has an answer.
        for code, fields in result.changes:
            created = all(old is None for old, _new in fields.values())
            audit.record(
                session,
                actor=actor,
                actor_official_id=actor_official_id,
                action=COURSE_CREATED if created else COURSE_CHANGED,
                subject=code,
                affected=1,
                at=now,
                detail={"file": plan.file_name, "fields": fields},
            )
        return result


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
        return _unit(raw, units)  # eligible_unit, owner_unit

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
    owner = values.pop("owner_unit", None)
    if owner is not None:
        values["owner_unit_id"] = owner.id
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
    codes = {
        clean(cell_text(r.values.get(name))).lower()
        for r in rows
        for name in ("eligible_unit", "owner_unit")
    } - {""}
    if not codes:
        return {}
    found = await session.scalars(select(OrgUnit).where(func.lower(OrgUnit.code).in_(codes)))
    return {u.code.lower(): u for u in found}


async def _existing(session: AsyncSession, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    columns = [Course.id, Course.code, Course.seats_taken] + [
        getattr(Course, name) for name in _MUTABLE
    ]
    return await rows_by_key(session, Course.code, columns, codes)


def _plain(value: Any) -> Any:
    """A value as the audit's JSON holds it."""
    # date, datetime and the daily hours (time) all have an ISO form JSON can hold.
    return value.isoformat() if isinstance(value, (date, time)) else value


@dataclass
class _Owners:
    """Who owns what, for one plan: the stored owners of the file's courses and the units
    the file names, by id, with their tree paths."""

    plan: CoursePlan
    root_id: int | None
    units: dict[int, OrgUnit]

    @classmethod
    async def load(
        cls,
        session: AsyncSession,
        plan: CoursePlan,
        existing: Mapping[str, Mapping[str, Any]],
        named: Iterable[OrgUnit],
    ) -> _Owners:
        root_id = await session.scalar(
            select(func.min(OrgUnit.id)).where(OrgUnit.parent_id.is_(None))
        )
        ids = {old["owner_unit_id"] for old in existing.values()} | {root_id}
        units = {u.id: u for u in named}
        wanted = [i for i in ids if i is not None and i not in units]
        if wanted:
            units.update(
                (u.id, u)
                for u in await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(wanted)))
            )
        return cls(plan, root_id, units)

    @property
    def below_province(self) -> bool:
        """An admin of a part of the province, not of all of it."""
        return self.plan.scope_unit_id is not None and self.plan.scope_unit_id != self.root_id

    def owner_of(self, old: Mapping[str, Any]) -> OrgUnit | None:
        """A stored course's owner; courses made outside an import are the province's."""
        return self.units.get(old["owner_unit_id"] or self.root_id or -1)

    def may_change(self, old: Mapping[str, Any]) -> bool:
        owner = self.owner_of(old)
        return self.plan.scope_path is None or (
            owner is not None and self.plan.in_scope(owner.path)
        )

    def settle(
        self,
        planned: PlannedCourse,
        old: Mapping[str, Any] | None,
        row: TableRow,
        headers: Mapping[str, str],
    ) -> RowError | None:
        """Fill in the course's owner (and, for a part of the province, whom it is open to)
        or say why this admin may not write the row."""
        values, scope = planned.values, {"scope": self.plan.scope_name or ""}
        if old is not None and not self.may_change(old):
            owner = self.owner_of(old)
            error = CellError(MSG_COURSE_OUT_OF_SCOPE, owner=owner.name if owner else "", **scope)
            return error.at(row.number, headers["code"], row.values.get("code"))
        owner_id = values.get("owner_unit_id")
        if owner_id is not None:
            if not self.plan.in_scope(self.units[owner_id].path):
                error = CellError(MSG_OWNER_OUT_OF_SCOPE, **scope)
                return error.at(row.number, headers["owner_unit"], row.values.get("owner_unit"))
        elif old is not None:
            owner_id = old["owner_unit_id"]
        else:
            owner_id = self.plan.scope_unit_id or values["eligible_unit_id"] or self.root_id
        values["owner_unit_id"] = owner_id
        eligible = values["eligible_unit_id"]
        if eligible is not None and not self.plan.in_scope(self.units[eligible].path):
            error = CellError(MSG_ELIGIBLE_OUT_OF_SCOPE, **scope)
            return error.at(row.number, headers["eligible_unit"], row.values.get("eligible_unit"))
        if eligible is None and self.below_province:
            # A commune's course is not offered to the whole province unless they say so,
            # and they cannot say so: its own unit is the widest it may reach.
            values["eligible_unit_id"] = owner_id
        return None
