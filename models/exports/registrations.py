"""A course's registrations as an .xlsx for HR: who holds a seat, who waits and where,
who cancelled — limited to the officials inside the exporting admin's scope.

A commune's HR exporting a province-wide course sees only the commune's people; the
course's own figures (capacity, seats taken, the whole waitlist's length) are shown as
they are, since every admin may see the course itself. A waitlist position is the
person's place on the *whole* course's waitlist (the order of `models/courses/registrations.py`:
priority, then the earlier request, then the lower row id), so it matches what that
person reads in /cuatoi.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _, format_date, format_datetime, format_number
from models import audit
from models.courses.catalogue import Course, CourseStatus
from models.courses.registrations import Registration, RegStatus
from models.exports.sheets import (
    HEADER_COLOR,
    append_row,
    bold_row,
    new_workbook,
    save,
    set_widths,
    solid_fill,
    title_font,
)
from models.notices.audiences import in_scope
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit, describe_chain
from models.vocabulary import N_

# Those who got a seat: still holding it, or the course is over for them.
SEATED = (RegStatus.CONFIRMED, RegStatus.ATTENDED, RegStatus.COMPLETED, RegStatus.ABSENT)

_STATUS_LABELS: dict[str, str] = {
    RegStatus.CONFIRMED: N_("Confirmed"),
    RegStatus.CANCELLED: N_("Cancelled"),
    RegStatus.ATTENDED: N_("Attended"),
    RegStatus.COMPLETED: N_("Completed"),
    RegStatus.ABSENT: N_("Absent"),
}
# Seats first, then the waitlist in its order, then cancellations.
_GROUP: dict[str, int] = {RegStatus.WAITLISTED: 1, RegStatus.CANCELLED: 2}

AUDIT_ACTION = "export.registrations"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
WIDTHS = [6, 14, 28, 42, 28, 15, 22, 18]


@dataclass(frozen=True)
class Registrant:
    registration: Registration
    official: Official
    unit: str  # "Phòng Tổ chức cán bộ, Sở Nội vụ"
    position: int | None  # on the course's whole waitlist, 1-based; None if not waiting

    @property
    def status(self) -> str:
        return self.registration.status


@dataclass(frozen=True)
class CourseRegistrations:
    course: Course
    rows: tuple[Registrant, ...]  # seats, waitlist in order, cancellations
    waitlist_total: int  # the whole course's waitlist, inside the scope or not

    def _count(self, statuses: Iterable[str]) -> int:
        wanted = set(statuses)
        return sum(1 for r in self.rows if r.status in wanted)

    @property
    def seated(self) -> int:
        return self._count(SEATED)

    @property
    def waitlisted(self) -> int:
        return self._count((RegStatus.WAITLISTED,))

    @property
    def cancelled(self) -> int:
        return self._count((RegStatus.CANCELLED,))


async def course_registrations(
    session: AsyncSession, course: Course, scope: Scope
) -> CourseRegistrations:
    """Every registration of `course` (any status) by an official inside `scope`."""
    waiting = list(
        await session.scalars(
            select(Registration.id)
            .where(
                Registration.course_id == course.id,
                Registration.status == RegStatus.WAITLISTED,
            )
            .order_by(Registration.priority, Registration.requested_at, Registration.id)
        )
    )
    positions = {reg_id: n for n, reg_id in enumerate(waiting, start=1)}
    if not scope.is_admin:
        return CourseRegistrations(course, (), len(waiting))
    result = await session.execute(
        select(Registration, Official)
        .join(Official, Official.id == Registration.official_id)
        .join(OrgUnit, OrgUnit.id == Official.unit_id)
        .where(Registration.course_id == course.id, *in_scope(scope))
    )
    pairs = [(reg, official) for reg, official in result.unique()]
    labels = await _unit_labels(session, [official.unit for _reg, official in pairs])
    rows = [
        Registrant(reg, official, labels[official.unit_id], positions.get(reg.id))
        for reg, official in pairs
    ]
    rows.sort(
        key=lambda r: (
            _GROUP.get(r.status, 0),
            r.position or 0,
            r.registration.requested_at,
            r.registration.id,
        )
    )
    return CourseRegistrations(course, tuple(rows), len(waiting))


async def _unit_labels(session: AsyncSession, units: list[OrgUnit]) -> dict[int, str]:
    """Each unit with its nearest parents, from one query for all their ancestors."""
    ids = {int(p) for u in units for p in u.path.strip("/").split("/") if p}
    if not ids:
        return {}
    by_id = {u.id: u for u in await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))}
    labels: dict[int, str] = {}
    for unit in units:
        chain = [by_id[int(p)] for p in unit.path.strip("/").split("/") if p and int(p) in by_id]
        labels[unit.id] = describe_chain(chain or [unit])
    return labels


async def courses_with_registrations(
    session: AsyncSession, scope: Scope, *, since: date, limit: int
) -> list[Course]:
    """Courses not over before `since` that someone in the scope registered for (any
    status), soonest first: what an admin is likely to export."""
    if not scope.is_admin:
        return []
    in_my_scope = (
        select(Registration.course_id)
        .join(Official, Official.id == Registration.official_id)
        .join(OrgUnit, OrgUnit.id == Official.unit_id)
        .where(*in_scope(scope))
    )
    rows = await session.scalars(
        select(Course)
        .where(Course.id.in_(in_my_scope), Course.ends_on >= since)
        .order_by(Course.starts_on, Course.id)
        .limit(limit)
    )
    return list(rows.unique())


def record_export(
    session: AsyncSession,
    data: CourseRegistrations,
    scope: Scope,
    *,
    actor: str,
    at: datetime,
    actor_official_id: int | None = None,
) -> None:
    """Audit one export: who, which course, which scope, how many rows."""
    audit.record(
        session,
        actor=actor,
        actor_official_id=actor_official_id,
        action=AUDIT_ACTION,
        subject=data.course.code,
        affected=len(data.rows),
        detail={
            "course_id": data.course.id,
            "scope": [u.code for u in scope.units],
            "confirmed": data.seated,
            "waitlisted": data.waitlisted,
            "cancelled": data.cancelled,
        },
        at=at,
    )


async def whole_province(session: AsyncSession) -> Scope:
    """The scope of the root units: what the command line exports."""
    roots = await session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id)
    )
    return Scope(tuple(roots))


# --- the workbook --------------------------------------------------------------------------


def status_text(row: Registrant) -> str:
    if row.status == RegStatus.WAITLISTED:
        if row.position is None:
            return _("On the waitlist")
        return _("On the waitlist, no. {n}").format(n=row.position)
    label = _STATUS_LABELS.get(row.status)
    return _(label) if label else row.status


def display_phone(phone: str | None) -> str:
    """ "+84912345678" as HR writes it: "0912345678"."""
    if not phone:
        return ""
    return "0" + phone[3:] if phone.startswith("+84") else phone


def registrations_workbook(
    data: CourseRegistrations, *, scope_name: str, tz: ZoneInfo, now: datetime
) -> bytes:
    """The .xlsx: a header block about the course and the scope, then one row per
    registration with a bold, shaded, frozen and filterable header row."""
    course = data.course
    wb = new_workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = _("Registrations")[:31]
    append_row(sheet, [_("Registrations for course {code}").format(code=course.code)])
    sheet["A1"].font = title_font()
    info = [
        _("Course: {title}").format(title=course.title),
        _("Dates: {start} – {end}").format(
            start=format_date(course.starts_on), end=format_date(course.ends_on)
        ),
        _("Place: {place}").format(place=course.place or _("Online")),
        _("Organiser: {organiser}").format(organiser=course.organiser),
        _("Seats: {taken} of {capacity} taken; {waiting} on the waitlist (whole course)").format(
            taken=format_number(course.seats_taken),
            capacity=format_number(course.capacity),
            waiting=format_number(data.waitlist_total),
        ),
        _("Scope: {scope}").format(scope=scope_name),
        _(
            "In this scope: {n} registrations — {seated} confirmed, {waiting} on the "
            "waitlist, {cancelled} cancelled"
        ).format(
            n=format_number(len(data.rows)),
            seated=format_number(data.seated),
            waiting=format_number(data.waitlisted),
            cancelled=format_number(data.cancelled),
        ),
        _("Exported at {time}").format(time=format_datetime(now, tz)),
    ]
    if course.status == CourseStatus.CANCELLED:
        info.insert(1, _("⚠ This course has been cancelled."))
    for line in info:
        append_row(sheet, [line])
    append_row(sheet, [])
    append_row(
        sheet,
        [
            _("No."),
            _("Employee code"),
            _("Full name"),
            _("Unit"),
            _("Post / rank"),
            _("Phone"),
            _("Status"),
            _("Registered at"),
        ],
    )
    header = sheet.max_row
    from openpyxl.styles import Alignment

    bold_row(sheet, header, solid_fill(HEADER_COLOR))
    for cell in sheet[header]:
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for n, row in enumerate(data.rows, start=1):
        official = row.official
        append_row(
            sheet,
            [
                n,
                official.employee_code,
                official.full_name,
                row.unit,
                official.post_title or "",
                display_phone(official.phone),
                status_text(row),
                # Excel has no time zones: the local wall-clock time, as a real date cell.
                row.registration.requested_at.astimezone(tz).replace(tzinfo=None),
            ],
        )
        sheet.cell(sheet.max_row, 8).number_format = DATETIME_FORMAT
    sheet.freeze_panes = sheet.cell(header + 1, 1)
    sheet.auto_filter.ref = f"A{header}:H{sheet.max_row}"
    set_widths(sheet, WIDTHS)
    return save(wb)
