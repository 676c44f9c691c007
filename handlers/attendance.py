"""🧾 Attendance (#16.3): the organiser's check-in code and QR, officials checking in,
"vắng có lý do", the roster and closing it.

Button values carry a course id (and a day, a reason) only. Every organiser button
re-checks that the linked official's admin scope reaches the course's organising unit
(models/courses/attendance.organiser_scope); every official's button acts on `ctx.official`
alone. A forged or stale value gets the polite "no longer valid" answer:
  att:menu           the organiser's courses (running or ended in the last 30 days)
  att:code:<id>      today's code, the QR of the deep link, "🔄 Mã mới"
  att:roster:<id>    presence per official (an audited read)
  att:close:<id>     ask, then (…:y) close the roster
  ci:ask             "🧾 Điểm danh": type the code
  exc:<id>[:day[:reason]]   "🙋 Báo vắng": the day, then the reason
"""

from __future__ import annotations

import io
from datetime import date

from handlers.admin_access import actor_of, admin_scope, audit_read, denied
from handlers.common import addressed, command_choice, stale_reply
from handlers.context import Context
from handlers.flows import (
    AWAITING_CHECK_IN_CODE,
    AWAITING_EXCUSE_NOTE,
    CHECKING_IN,
    EXCUSING,
)
from handlers.payloads import (
    ATTENDANCE_CLOSE,
    ATTENDANCE_CLOSE_CONFIRMED,
    ATTENDANCE_CODE,
    ATTENDANCE_MENU,
    ATTENDANCE_ROSTER,
    CHECK_IN_ASK,
    EXCUSE_ASK,
    EXCUSE_DAY,
    EXCUSE_REASON,
    Values,
)
from handlers.router import Router
from handlers.types import Attachment, Choice, Reply
from locales import _, format_date, format_number, ngettext
from locales.wording import shorten
from models.courses import attendance
from models.courses.attendance import CheckIn, Close, Excuse, Reason
from models.courses.catalogue import Course, CourseStatus
from models.courses.catalogue import get as get_course
from models.courses.registrations import RegStatus, registration_of
from models.org.admins import Scope

router = Router("attendance")
router.describe("diemdanh", "Check in to today's session with its code", 35)

ROSTER_SHOWN = 60  # lines in the chat; the rest are counted


def _day_number(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _day_of(number: int) -> date | None:
    try:
        return date(number // 10_000, number // 100 % 100, number % 100)
    except ValueError:
        return None


def _reason_label(reason: str) -> str:
    labels = {
        Reason.SICK.value: _("illness"),
        Reason.WORK.value: _("work assignment"),
        Reason.FAMILY.value: _("family matters"),
    }
    return labels.get(reason, _("other reason"))


# --- the organiser -------------------------------------------------------------------------


async def _organised(ctx: Context, values: Values) -> tuple[Scope, Course] | list[Reply]:
    """The button's course with the sender's scope, when the sender is an admin (checked
    first, on every press) who organises it; else the reply that refuses the button."""
    if await admin_scope(ctx, "attendance") is None:
        return denied(ctx)
    assert ctx.official is not None
    course = await get_course(ctx.session, values.number("id"))
    scope = (
        await attendance.organiser_scope(ctx.session, ctx.official, course)
        if course is not None
        else None
    )
    if course is None or scope is None:
        return stale_reply(ctx)
    return scope, course


def _heading(course: Course) -> str:
    return f"🧾 {course.code} · {course.title}"


def _organiser_choices(course: Course) -> tuple[Choice, ...]:
    return (
        Choice(_("🔄 New code"), ATTENDANCE_CODE.pack(id=course.id)),
        Choice(_("👥 Attendance list"), ATTENDANCE_ROSTER.pack(id=course.id)),
        Choice(_("✅ Close the roster"), ATTENDANCE_CLOSE.pack(id=course.id)),
        Choice(_("🧾 Other courses"), ATTENDANCE_MENU.pack()),
    )


@router.choice(ATTENDANCE_MENU, needs_link=True)
async def on_menu(ctx: Context, _values: Values) -> list[Reply]:
    if await admin_scope(ctx, "attendance") is None:
        return denied(ctx)
    assert ctx.official is not None
    courses = await attendance.organised_courses(ctx.session, ctx.official, ctx.today)
    if not courses:
        text = addressed(
            _(
                "No course organised within {title}'s scope is running today or ended in "
                "the last 30 days."
            ),
            ctx.official,
        )
        return [Reply(text)]
    text = addressed(_("🧾 Attendance: which course is {title} organising?"), ctx.official)
    choices = tuple(
        Choice(shorten(f"{c.code} — {c.title}", 60), ATTENDANCE_CODE.pack(id=c.id)) for c in courses
    )
    return [Reply(text, choices=choices)]


@router.choice(ATTENDANCE_CODE, needs_link=True)
async def on_code(ctx: Context, values: Values) -> list[Reply]:
    found = await _organised(ctx, values)
    if isinstance(found, list):
        return found
    _scope, course = found
    today = ctx.today
    if today not in attendance.sessions_of(course):
        text = _(
            "There is no session of this course today ({date}); a code works only on the "
            "day of its session. Sessions: {start} – {end}."
        ).format(
            date=format_date(today),
            start=format_date(course.starts_on),
            end=format_date(course.ends_on),
        )
        return [Reply(f"{_heading(course)}\n{text}", choices=_organiser_choices(course)[1:])]
    issued = attendance.issue_code(course.id, today, ctx.now, ctx.settings.attendance)
    present = await attendance.present_count(ctx.session, course.id, today)
    seats = await attendance.seated_count(ctx.session, course.id)
    lines = [
        _heading(course),
        _("Session of {date}. Check-in code: {code} (valid until {time}).").format(
            date=format_date(today),
            code=issued.shown,
            time=issued.valid_until.strftime("%H:%M"),
        ),
        _(
            "Participants scan the QR code, or send “/diemdanh {code}” to the assistant, or "
            "press “🧾 Check in” in “My courses” and type the code."
        ).format(code=issued.code),
        _("Checked in today: {present} of {seats}.").format(
            present=format_number(present), seats=format_number(seats)
        ),
    ]
    attachments: tuple[Attachment, ...] = ()
    username = ctx.bot_username
    if username:
        link = f"https://t.me/{username}?start={attendance.deep_link_arg(course.id, issued.code)}"
        import segno  # only the organiser's code screen draws a QR: not loaded at start

        png = io.BytesIO()
        segno.make(link, error="m").save(png, kind="png", scale=8, border=2)
        attachments = (
            Attachment(
                file_name=f"diem-danh-{course.code}.png",
                content=png.getvalue(),
                mime_type="image/png",
                is_image=True,
                summary=_("Check-in code: {code}").format(code=issued.shown),
                personal=False,  # the course and a code that expires within minutes
            ),
        )
    return [Reply("\n".join(lines), choices=_organiser_choices(course), attachments=attachments)]


@router.choice(ATTENDANCE_ROSTER, needs_link=True)
async def on_roster(ctx: Context, values: Values) -> list[Reply]:
    found = await _organised(ctx, values)
    if isinstance(found, list):
        return found
    scope, course = found
    current = await attendance.roster(ctx.session, course.id)
    assert current is not None
    audit_read(ctx, "attendance", scope, len(current.lines), course.code)
    total = len(current.sessions)
    lines = [
        _heading(course),
        ngettext(
            "{n} session, {people} participants, {full} present at every session.",
            "{n} sessions, {people} participants, {full} present at every session.",
            total,
        ).format(
            n=format_number(total),
            people=format_number(len(current.lines)),
            full=format_number(current.full_attendance),
        ),
    ]
    for n, line in enumerate(current.lines[:ROSTER_SHOWN], start=1):
        text = _("{n}. {name} ({code}): present {present}/{total}").format(
            n=n,
            name=line.official.full_name,
            code=line.official.employee_code,
            present=len(line.present),
            total=total,
        )
        if line.excused:
            text += "; " + _("excused: {days}").format(
                days=", ".join(
                    f"{format_date(e.day)} ({_reason_label(e.reason)})" for e in line.excused
                )
            )
        lines.append(text)
    hidden = len(current.lines) - ROSTER_SHOWN
    if hidden > 0:
        lines.append(_("… and {n} more.").format(n=format_number(hidden)))
    if current.closed is not None:
        lines.append(_closed_text(ctx, current.closed.completed, current.closed.absent))
    return [Reply("\n".join(lines), choices=_organiser_choices(course))]


def _closed_text(ctx: Context, completed: int, absent: int) -> str:
    return addressed(
        _(
            "The roster is closed: {completed} completed, {absent} absent. The completions "
            "are in the training records."
        ),
        ctx.official,
        completed=format_number(completed),
        absent=format_number(absent),
    )


@router.choice(ATTENDANCE_CLOSE, ATTENDANCE_CLOSE_CONFIRMED, needs_link=True)
async def on_close(ctx: Context, values: Values) -> list[Reply]:
    found = await _organised(ctx, values)
    if isinstance(found, list):
        return found
    _scope, course = found
    assert ctx.official is not None
    if "confirm" not in values:
        current = await attendance.roster(ctx.session, course.id)
        assert current is not None
        if current.closed is not None:
            text = _closed_text(ctx, current.closed.completed, current.closed.absent)
            return [Reply(f"{_heading(course)}\n{text} " + _("Nothing was changed."))]
        text = addressed(
            _(
                "Close the roster of course {code}? Participants present at every session "
                "({full} of {people}) become “completed” and get a training record; the "
                "others, excused absences included, become “absent” (Circular 01/2018/TT-BNV: "
                "a certificate requires full attendance). This cannot be undone in the chat."
            ),
            ctx.official,
            code=course.code,
            full=format_number(current.full_attendance),
            people=format_number(len(current.lines)),
        )
        return [
            Reply(
                text,
                choices=(
                    Choice(
                        _("✅ Confirm"), ATTENDANCE_CLOSE_CONFIRMED.pack(id=course.id, confirm="y")
                    ),
                    Choice(_("↩️ Not now"), ATTENDANCE_CODE.pack(id=course.id)),
                ),
                columns=2,
            )
        ]
    result = await attendance.close_roster(
        ctx.session,
        admin=ctx.official,
        course_id=course.id,
        now=ctx.now,
        tz=ctx.tz,
        actor=actor_of(ctx),
        invite=ctx.settings.planning,
    )
    if result.outcome is Close.CLOSED:
        text = _closed_text(ctx, result.completed, result.absent)
    elif result.outcome is Close.ALREADY_CLOSED:
        text = _closed_text(ctx, result.completed, result.absent) + " " + _("Nothing was changed.")
    elif result.outcome is Close.NOT_OVER:
        text = _(
            "Course {code} ends on {date}; the roster can be closed from that day on. "
            "Nothing was changed."
        ).format(code=course.code, date=format_date(course.ends_on))
    elif result.outcome is Close.CANCELLED:
        text = _("Course {code} was cancelled; there is no roster to close.").format(
            code=course.code
        )
    else:
        return stale_reply(ctx)
    return [Reply(f"{_heading(course)}\n{text}")]


# --- checking in ---------------------------------------------------------------------------


@router.command("diemdanh", "checkin", needs_link=True)
async def on_check_in_command(ctx: Context) -> list[Reply]:
    link = attendance.parse_deep_link_arg(ctx.args) if ctx.args else None
    if link is not None:
        return await _check_in(ctx, link[1], course_id=link[0])
    if ctx.args.startswith(attendance.DEEP_LINK_PREFIX):
        return [_check_in_reply(ctx, attendance.CheckInResult(CheckIn.MALFORMED))]
    if ctx.args:
        return await _check_in(ctx, ctx.args)
    return _ask_code(ctx)


@router.choice(CHECK_IN_ASK, needs_link=True)
async def on_check_in_button(ctx: Context, _values: Values) -> list[Reply]:
    return _ask_code(ctx)


def _ask_code(ctx: Context) -> list[Reply]:
    AWAITING_CHECK_IN_CODE.enter(ctx)
    text = addressed(
        _(
            "🧾 Please type the check-in code the organiser shows in class (six letters and "
            "digits, for example K7M-2QX), or scan its QR code."
        ),
        ctx.official,
    )
    return [Reply(text)]


@router.step(AWAITING_CHECK_IN_CODE)
async def on_code_typed(ctx: Context) -> list[Reply]:
    return await _check_in(ctx, ctx.text)


async def _check_in(ctx: Context, code: str, *, course_id: int | None = None) -> list[Reply]:
    assert ctx.official is not None
    result = await attendance.check_in(
        ctx.session,
        official=ctx.official,
        code=code,
        now=ctx.now,
        settings=ctx.settings.attendance,
        course_id=course_id,
    )
    if result.outcome not in (CheckIn.WRONG_CODE, CheckIn.MALFORMED):
        CHECKING_IN.end(ctx)
    elif not CHECKING_IN.is_active(ctx):
        AWAITING_CHECK_IN_CODE.enter(ctx)  # the next text is another try
    return [_check_in_reply(ctx, result)]


def _check_in_reply(ctx: Context, result: attendance.CheckInResult) -> Reply:
    official, course = ctx.official, result.course
    mine = command_choice(_("🗂 My courses"), "cuatoi")
    if result.outcome is CheckIn.CHECKED_IN and course is not None and result.at is not None:
        text = addressed(
            _("✅ {Title} is checked in for course {code}, session of {date}, at {time}."),
            official,
            code=course.code,
            date=format_date(ctx.today),
            time=result.at.astimezone(ctx.tz).strftime("%H:%M"),
        )
    elif result.outcome is CheckIn.ALREADY and course is not None and result.at is not None:
        text = addressed(
            _("{Title} already checked in for course {code} today at {time}. Nothing was changed."),
            official,
            code=course.code,
            time=result.at.astimezone(ctx.tz).strftime("%H:%M"),
        )
    elif result.outcome is CheckIn.NOT_REGISTERED:
        text = addressed(
            _(
                "This code cannot check {title} in: {title} holds no seat in the class it "
                "belongs to. If {title} was sent to this course, please ask the organiser or "
                "the HR office. Nothing was recorded."
            ),
            official,
        )
    elif result.outcome is CheckIn.BLOCKED and result.until is not None:
        text = addressed(
            _(
                "Too many wrong codes. For safety, checking in is paused for {title} until "
                "{time}. Please ask the organiser for the current code."
            ),
            official,
            time=result.until.astimezone(ctx.tz).strftime("%H:%M"),
        )
    elif result.outcome is CheckIn.MALFORMED:
        text = addressed(
            _(
                "That is not a check-in code. A code has six letters and digits, for example "
                "K7M-2QX. Please type it again."
            ),
            official,
        )
    else:
        text = addressed(
            _(
                "This code is not valid now: codes change every few minutes and work only on "
                "the day of their session. Please type the code shown now ({n} tries left). "
                "Nothing was recorded."
            ),
            official,
            n=result.attempts_left or 0,
        )
    return Reply(text, choices=(mine,))


# --- "vắng có lý do" -----------------------------------------------------------------------


async def _seat(ctx: Context, course_id: int) -> Course | None:
    """The course, when it still takes place and the sender holds a confirmed seat in it."""
    assert ctx.official is not None
    course = await get_course(ctx.session, course_id)
    if course is None or course.status == CourseStatus.CANCELLED:
        return None
    reg = await registration_of(ctx.session, course.id, ctx.official.id)
    if reg is None or reg.status != RegStatus.CONFIRMED:
        return None
    return course


@router.choice(EXCUSE_ASK, needs_link=True)
async def on_excuse(ctx: Context, values: Values) -> list[Reply]:
    course = await _seat(ctx, values.number("id"))
    if course is None:
        return stale_reply(ctx)
    days = [d for d in attendance.sessions_of(course) if d >= ctx.today][:10]
    if not days:
        return stale_reply(ctx)
    text = addressed(
        _("🙋 Course {code}: which session will {title} miss?"), ctx.official, code=course.code
    )
    choices = tuple(
        Choice(format_date(d), EXCUSE_DAY.pack(id=course.id, day=_day_number(d))) for d in days
    )
    return [Reply(text, choices=choices, columns=2)]


@router.choice(EXCUSE_DAY, needs_link=True)
async def on_excuse_day(ctx: Context, values: Values) -> list[Reply]:
    course = await _seat(ctx, values.number("id"))
    day = _day_of(values.number("day"))
    if course is None or day is None or day not in attendance.sessions_of(course):
        return stale_reply(ctx)
    text = addressed(
        _("Why will {title} be absent on {date}?"), ctx.official, date=format_date(day)
    )
    number = _day_number(day)
    choices = tuple(
        Choice(label, EXCUSE_REASON.pack(id=course.id, day=number, reason=reason.value))
        for reason, label in (
            (Reason.SICK, _("🤒 Illness")),
            (Reason.WORK, _("💼 Work assignment")),
            (Reason.FAMILY, _("🏠 Family matters")),
            (Reason.OTHER, _("✏️ Another reason")),
        )
    )
    return [Reply(text, choices=choices, columns=2)]


@router.choice(EXCUSE_REASON, needs_link=True)
async def on_excuse_reason(ctx: Context, values: Values) -> list[Reply]:
    course = await _seat(ctx, values.number("id"))
    day = _day_of(values.number("day"))
    if course is None or day is None:
        return stale_reply(ctx)
    reason = Reason(values.text("reason"))
    if reason is Reason.OTHER:
        AWAITING_EXCUSE_NOTE.enter(ctx, course_id=course.id, day=day.isoformat())
        return [Reply(addressed(_("Please type the reason in a few words."), ctx.official))]
    return [await _excuse(ctx, course, day, reason, None)]


@router.step(AWAITING_EXCUSE_NOTE)
async def on_excuse_note(ctx: Context) -> list[Reply]:
    data = EXCUSING.data(ctx)
    EXCUSING.end(ctx)
    course = await _seat(ctx, int(data.get("course_id", 0)))
    note = ctx.text.strip()
    if course is None or not note:
        return stale_reply(ctx)
    return [await _excuse(ctx, course, date.fromisoformat(str(data["day"])), Reason.OTHER, note)]


async def _excuse(
    ctx: Context, course: Course, day: date, reason: Reason, note: str | None
) -> Reply:
    assert ctx.official is not None
    outcome = await attendance.mark_excused(
        ctx.session,
        course_id=course.id,
        official_id=ctx.official.id,
        day=day,
        reason=reason,
        note=note,
        by=ctx.official,
        now=ctx.now,
    )
    if outcome is Excuse.MARKED:
        text = addressed(
            _(
                "Recorded: {title} is absent with a reason ({reason}) on {date}, course "
                "{code}. Full attendance is needed for completion, so please talk to the "
                "organiser about catching up."
            ),
            ctx.official,
            reason=_reason_label(reason.value) if note is None else shorten(note, 60),
            date=format_date(day),
            code=course.code,
        )
    elif outcome is Excuse.ALREADY_PRESENT:
        text = addressed(
            _("{Title} is already checked in on {date}. Nothing was changed."),
            ctx.official,
            date=format_date(day),
        )
    elif outcome is Excuse.CLOSED:
        text = _("The roster of course {code} is closed. Nothing was changed.").format(
            code=course.code
        )
    else:
        return stale_reply(ctx)[0]
    return Reply(text, choices=(command_choice(_("🗂 My courses"), "cuatoi"),))
