"""🗓 The year's plan (#16.1), for HR admins: /kehoach (or the admin menu) → a year → the
workbook (demand, courses, balance) and the year's courses → a course → "Phân bổ chỉ tiêu"
→ a unit → the seats, typed.

Every update re-reads the sender's admin scope; a button carries only ids, looked up again
and checked against the scope (`models.plan.year_plan.allocate` checks once more under the
course's lock), so a stale, forged or foreign button changes nothing.
"""

from __future__ import annotations

from handlers.admin_access import actor_of, admin_scope, audit_read, denied
from handlers.common import addressed, chat_catalogue, stale_reply
from handlers.context import Context
from handlers.flows import PLAN_QUOTA, TYPE_SEATS
from handlers.payloads import (
    PLAN_ALLOCATE,
    PLAN_CANCEL,
    PLAN_COURSE,
    PLAN_MENU,
    PLAN_UNIT,
    PLAN_YEAR,
    Values,
)
from handlers.router import Router
from handlers.types import XLSX, Attachment, Choice, Reply
from locales import _, format_date, format_number
from locales.wording import shorten
from models import audit
from models.courses import catalogue as courses
from models.courses.catalogue import Course
from models.exports.year_plan import balance, year_plan_file
from models.org.admins import Scope
from models.org.units import OrgUnit
from models.plan.quotas import quotas_of
from models.plan.year_plan import (
    Allocation,
    allocate,
    may_plan,
    open_to,
    owner_of,
    plannable,
    units_to_allocate,
)

router = Router("year_plan")
router.describe("kehoach", "The year's training plan (HR officers only)", 76)

SHOWN_COURSES = 12
SHOWN_KINDS = 6
MAX_SEATS = 100_000


async def _scope(ctx: Context) -> Scope | None:
    scope = await admin_scope(ctx, "kehoach")
    if scope is None:
        PLAN_QUOTA.end(ctx)
    return scope


def _years(ctx: Context) -> tuple[int, int]:
    return ctx.today.year, ctx.today.year + 1


@router.command("kehoach", "plan", needs_link=True)
async def on_plan_command(ctx: Context) -> list[Reply]:
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    picked = ctx.args.strip()
    if picked:
        if not picked.isdigit() or not 2000 <= int(picked) <= ctx.today.year + 1:
            return [Reply(_("Please choose a year below."), choices=_year_choices(ctx))]
        return await _year(ctx, scope, int(picked))
    return [_chooser(ctx)]


@router.choice(PLAN_MENU, needs_link=True)
async def on_plan_menu(ctx: Context, _values: Values) -> list[Reply]:
    if await _scope(ctx) is None:
        return denied(ctx)
    return [_chooser(ctx)]


def _year_choices(ctx: Context) -> tuple[Choice, ...]:
    return tuple(
        Choice(_("Year {year}").format(year=y), PLAN_YEAR.pack(year=y)) for y in _years(ctx)
    )


def _chooser(ctx: Context) -> Reply:
    return Reply(
        addressed(_("🗓 The year's training plan. Which year would {title} like?"), ctx.official),
        choices=_year_choices(ctx),
        columns=2,
    )


@router.choice(PLAN_YEAR, needs_link=True)
async def on_plan_year(ctx: Context, values: Values) -> list[Reply]:
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    year = values.number("year")
    if year not in _years(ctx):
        return stale_reply(ctx)
    return await _year(ctx, scope, year)


async def _year(ctx: Context, scope: Scope, year: int) -> list[Reply]:
    assert ctx.official is not None
    scope_name = ", ".join(u.name for u in scope.units)
    found = await year_plan_file(
        ctx.session, year=year, today=ctx.today, scope=scope, scope_name=scope_name
    )
    codes = "+".join(u.code for u in scope.units)
    audit.record(
        ctx.session,
        actor=actor_of(ctx),
        actor_official_id=ctx.official.id,
        action="report.year_plan",
        subject=f"{codes}:{year}"[:200],
        affected=found.people,
        at=ctx.now,
    )
    # Counts by unit, no names; a small unit's count is about people all the same.
    audit_read(ctx, "year_plan", scope, found.people, f"{codes}:{year}")
    catalogue = await chat_catalogue(ctx)
    plan = found.plan
    lines = [
        _("🗓 Training plan {year} — {scope}").format(year=year, scope=scope_name),
        _("Demand as of {date}; {courses} courses start in {year}.").format(
            date=format_date(found.demand.as_of),
            courses=format_number(len(plan.courses)),
            year=year,
        ),
    ]
    rows = balance(found.demand, plan)
    for item in rows[:SHOWN_KINDS]:
        lines.append(
            _(
                "• {kind}: {demand} will owe; {planned} seats planned, {quota} given as quotas"
            ).format(
                kind=catalogue.kind_title(item.kind),
                demand=format_number(item.demand),
                planned=format_number(item.planned),
                quota=format_number(item.quota),
            )
        )
    if not rows:
        lines.append(_("Nobody in the scope will owe training, and no course is planned."))
    mine = await plannable(ctx.session, scope, [p.course for p in plan.courses])
    choices = [
        Choice(shorten(f"{c.code} — {c.title}", 60), PLAN_COURSE.pack(id=c.id))
        for c in mine[:SHOWN_COURSES]
    ]
    if len(mine) > SHOWN_COURSES:
        lines.append(
            _("The first {n} courses are shown here; the workbook lists them all.").format(
                n=format_number(SHOWN_COURSES)
            )
        )
    if choices:
        lines += ["", addressed(_("Choose a course to give its seats to units:"), ctx.official)]
    other = year + 1 if year == ctx.today.year else ctx.today.year
    if other in _years(ctx):
        choices.append(Choice(_("Year {year}").format(year=other), PLAN_YEAR.pack(year=other)))
    attachment = Attachment(
        file_name=found.file_name,
        content=found.content,
        mime_type=XLSX,
        summary=_("Workbook: demand, course plan and balance for {year}.").format(year=year),
    )
    return [Reply("\n".join(lines), choices=tuple(choices), attachments=(attachment,))]


async def _course_in_view(ctx: Context, scope: Scope, course_id: int) -> Course | None:
    course = await courses.get(ctx.session, course_id)
    if course is None or not open_to(scope, course):
        return None
    return course


async def _scope_and_course(ctx: Context, course_id: int) -> tuple[Scope, Course] | list[Reply]:
    """The admin's scope and the course (open to it) a button names, or the reply when the
    sender is no admin or the course is out of view."""
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    course = await _course_in_view(ctx, scope, course_id)
    if course is None:
        return stale_reply(ctx)
    return scope, course


def _not_yours(ctx: Context, course: Course, owner: OrgUnit | None) -> list[Reply]:
    return [
        Reply(
            addressed(
                _(
                    "Course {code} is organised by {owner}, outside the units {title} manages, "
                    "so its seats cannot be given from this account. Nothing was changed."
                ),
                ctx.official,
                code=course.code,
                owner=owner.name if owner else "",
            )
        )
    ]


@router.choice(PLAN_COURSE, needs_link=True)
async def on_plan_course(ctx: Context, values: Values) -> list[Reply]:
    found = await _scope_and_course(ctx, values.number("id"))
    if isinstance(found, list):
        return found
    scope, course = found
    lines = [
        f"🗓 {course.code} · {course.title}",
        _("{start} – {end}; {taken}/{capacity} seats taken.").format(
            start=format_date(course.starts_on),
            end=format_date(course.ends_on),
            taken=format_number(course.seats_taken),
            capacity=format_number(course.capacity),
        ),
    ]
    given = await _quota_lines(ctx, scope, course)
    lines += given or [_("No seats given to units in the scope yet.")]
    if not await may_plan(ctx.session, scope, course):
        refusal = _not_yours(ctx, course, await owner_of(ctx.session, course))[0].text
        return [Reply("\n".join([*lines, refusal]))]
    return [
        Reply(
            "\n".join(lines),
            choices=(
                Choice(_("Give seats to units"), PLAN_ALLOCATE.pack(id=course.id)),
                Choice(_("❌ Cancel"), PLAN_CANCEL.pack()),
            ),
        )
    ]


async def _quota_lines(ctx: Context, scope: Scope, course: Course) -> list[str]:
    lines = []
    for quota in await quotas_of(ctx.session, course.id):
        unit = await ctx.session.get(OrgUnit, quota.unit_id)
        if unit is not None and scope.reaches(unit.path):
            lines.append(
                _("• {unit}: {seats} seats").format(
                    unit=unit.name, seats=format_number(quota.seats)
                )
            )
    return lines


@router.choice(PLAN_ALLOCATE, needs_link=True)
async def on_plan_allocate(ctx: Context, values: Values) -> list[Reply]:
    found = await _scope_and_course(ctx, values.number("id"))
    if isinstance(found, list):
        return found
    scope, course = found
    if not await may_plan(ctx.session, scope, course):
        return _not_yours(ctx, course, await owner_of(ctx.session, course))
    given = {q.unit_id: q.seats for q in await quotas_of(ctx.session, course.id)}
    choices = [
        Choice(
            shorten(f"{unit.name} ({format_number(given.get(unit.id, 0))})", 60),
            PLAN_UNIT.pack(id=course.id, unit=unit.id),
        )
        for unit in await units_to_allocate(ctx.session, scope)
    ]
    choices.append(Choice(_("❌ Cancel"), PLAN_CANCEL.pack()))
    return [
        Reply(
            _("Course {code}: which unit gets seats? (In brackets: the seats it has now.)").format(
                code=course.code
            ),
            choices=tuple(choices),
        )
    ]


@router.choice(PLAN_UNIT, needs_link=True)
async def on_plan_unit(ctx: Context, values: Values) -> list[Reply]:
    found = await _scope_and_course(ctx, values.number("id"))
    if isinstance(found, list):
        return found
    scope, course = found
    unit = await ctx.session.get(OrgUnit, values.number("unit"))
    if unit is None:
        return stale_reply(ctx)
    if not await may_plan(ctx.session, scope, course):
        return _not_yours(ctx, course, await owner_of(ctx.session, course))
    if not scope.reaches(unit.path):
        return _unit_not_yours(ctx, unit)
    given = {q.unit_id: q.seats for q in await quotas_of(ctx.session, course.id)}
    others = sum(s for u, s in given.items() if u != unit.id)
    TYPE_SEATS.enter(ctx, course_id=course.id, unit_id=unit.id)
    return [
        Reply(
            addressed(
                _(
                    "How many seats of course {code} for {unit}? It has {now} now; {title} can "
                    "give it at most {most}. Please type a number."
                ),
                ctx.official,
                code=course.code,
                unit=unit.name,
                now=format_number(given.get(unit.id, 0)),
                most=format_number(max(course.capacity - others, 0)),
            ),
            choices=(Choice(_("❌ Cancel"), PLAN_CANCEL.pack()),),
        )
    ]


def _unit_not_yours(ctx: Context, unit: OrgUnit) -> list[Reply]:
    return [
        Reply(
            addressed(
                _(
                    "{unit} is outside the units {title} manages, so it cannot be given seats "
                    "from this account. Nothing was changed."
                ),
                ctx.official,
                unit=unit.name,
            )
        )
    ]


@router.choice(PLAN_CANCEL, needs_link=True)
async def on_plan_cancel(ctx: Context, _values: Values) -> list[Reply]:
    if await _scope(ctx) is None:
        return denied(ctx)
    PLAN_QUOTA.end(ctx)
    return [Reply(_("Cancelled. Nothing was changed."))]


@router.step(TYPE_SEATS)
async def on_seats_typed(ctx: Context) -> list[Reply]:
    scope = await _scope(ctx)
    if scope is None:
        ctx.dialog.end()
        return denied(ctx)
    assert ctx.official is not None
    data = PLAN_QUOTA.data(ctx)
    typed = ctx.text.strip().replace(".", "")
    if not typed.isdigit() or int(typed) > MAX_SEATS:
        return [
            Reply(
                _("Please type the number of seats as a whole number, e.g. 5."),
                choices=(Choice(_("❌ Cancel"), PLAN_CANCEL.pack()),),
            )
        ]
    result = await allocate(
        ctx.session,
        scope=scope,
        course_id=int(data.get("course_id", 0)),
        unit_id=int(data.get("unit_id", 0)),
        seats=int(typed),
        by=ctx.official,
        actor=actor_of(ctx),
        now=ctx.now,
    )
    course, unit = result.course, result.unit
    if result.outcome is Allocation.OVER_CAPACITY:
        assert course is not None and unit is not None
        return [
            Reply(
                addressed(
                    _(
                        "Course {code} has {capacity} seats and the other units already have "
                        "{others} of them, so {unit} can get at most {most}. Nothing was "
                        "changed. Please type a smaller number."
                    ),
                    ctx.official,
                    code=course.code,
                    capacity=format_number(course.capacity),
                    others=format_number(course.capacity - result.available),
                    unit=unit.name,
                    most=format_number(result.available),
                ),
                choices=(Choice(_("❌ Cancel"), PLAN_CANCEL.pack()),),
            )
        ]
    PLAN_QUOTA.end(ctx)
    if course is None or unit is None or result.outcome is Allocation.UNKNOWN:
        return stale_reply(ctx)
    if result.outcome is Allocation.COURSE_NOT_YOURS:
        return _not_yours(ctx, course, await owner_of(ctx.session, course))
    if result.outcome is Allocation.UNIT_NOT_YOURS:
        return _unit_not_yours(ctx, unit)
    if result.outcome is Allocation.CANCELLED:
        return [
            Reply(_("Course {code} was cancelled. Nothing was changed.").format(code=course.code))
        ]
    if result.outcome is Allocation.UNCHANGED:
        return [
            Reply(
                _("{unit} already has {seats} seats of course {code}. Nothing was changed.").format(
                    unit=unit.name, seats=format_number(result.seats), code=course.code
                )
            )
        ]
    given = course.capacity - result.available + result.seats
    return [
        Reply(
            _(
                "Done: {unit} has {seats} seats of course {code}. Seats given on this course: "
                "{given} of {capacity}."
            ).format(
                unit=unit.name,
                seats=format_number(result.seats),
                code=course.code,
                given=format_number(given),
                capacity=format_number(course.capacity),
            ),
            choices=(Choice(_("Give seats to another unit"), PLAN_ALLOCATE.pack(id=course.id)),),
        )
    ]
