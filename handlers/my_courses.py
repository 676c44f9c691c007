"""Journey 3, acting: register (card → "Đăng ký" → "Xác nhận"), the waitlist, /cuatoi and
cancelling (one tap + confirm).

Button values carry only a course id; the registrant is always `ctx.official`, the
sender's own linked official, so a forged value can at worst name another course:
  REGISTER      ask to confirm        REGISTER_CONFIRMED    register (or join the waitlist)
  UNREGISTER    ask to confirm        UNREGISTER_CONFIRMED  cancel my registration
"""

from __future__ import annotations

import secrets

from handlers.common import addressed, command_choice, stale_reply
from handlers.context import Context
from handlers.course_texts import ineligible_text, window_text
from handlers.flows import Flow
from handlers.payloads import (  # attendance (#16.3)
    CHECK_IN_ASK,
    COURSE_CALENDAR,
    COURSE_CARD,
    COURSE_PAGE,
    EVALUATE,
    EXCUSE_ASK,
    NOMINATION_ACCEPT,
    NOMINATION_DECLINE,
    REGISTER,
    REGISTER_CONFIRMED,
    SELF_REPORT_START,
    UNREGISTER,
    UNREGISTER_CONFIRMED,
    Values,
)
from handlers.router import Router
from handlers.types import Attachment, Choice, Reply
from locales import _, format_date
from models.courses import nominations, registrations
from models.courses.calendar import course_ics
from models.courses.catalogue import Course, Window, ineligibility
from models.courses.catalogue import get as get_course
from models.courses.catalogue import window as course_window
from models.courses.evaluation import awaiting_evaluation
from models.courses.registrations import Outcome, RegStatus, Result

router = Router("my_courses")
router.describe("cuatoi", "My course registrations", 30)
router.menu_item("🗂 My courses", "cuatoi", 30)

_MY_COURSES = "cuatoi"


def _my_courses(label: str) -> Choice:
    return command_choice(label, _MY_COURSES)


def _course_list(label: str) -> Choice:
    return Choice(label, COURSE_PAGE.pack(filter="all", page=1))


# --- register ----------------------------------------------------------------------------


# Showing the confirmation card remembers which course it offered, with a one-off nonce
# that its "Confirm" button carries: a registration happens only from that card, never
# from a forged or older "reg:N:y" (eligibility alone is not consent).
REGISTERING = Flow("register", steps=("confirm",))
CONFIRM_REGISTER = REGISTERING.step("confirm")


def _offer_confirmation(ctx: Context, course_id: int) -> str:
    nonce = secrets.token_hex(4)
    CONFIRM_REGISTER.enter(ctx, course_id=course_id, nonce=nonce)
    return nonce


def _confirms_offer(ctx: Context, values: Values) -> bool:
    """Whether this confirm answers the card this dialog last showed. A match uses the offer
    up; a mismatch leaves it, so the card the user really sees still works."""
    if not CONFIRM_REGISTER.is_current(ctx):
        return False
    offered = REGISTERING.data(ctx)
    answer = (values.number("id"), values.text("nonce"))
    if (offered.get("course_id"), offered.get("nonce")) != answer:
        return False
    REGISTERING.end(ctx)
    return True


@router.choice(REGISTER, REGISTER_CONFIRMED, needs_link=True)
async def on_register(ctx: Context, values: Values) -> list[Reply]:
    course = await get_course(ctx.session, values.number("id"))
    if course is None:
        return stale_reply(ctx)
    if "confirm" in values:
        if not _confirms_offer(ctx, values):
            return stale_reply(ctx)
        official = ctx.official
        assert official is not None
        result = await registrations.register(
            ctx.session, course.id, official, today=ctx.today, now=ctx.now
        )
        return _register_replies(ctx, result)
    return [await _ask_register(ctx, course)]


async def _ask_register(ctx: Context, course: Course) -> Reply:
    """The confirmation step, or at once the reason it cannot go ahead (nothing written)."""
    official = ctx.official
    assert official is not None
    reg = await registrations.registration_of(ctx.session, course.id, official.id)
    if reg is not None and reg.status in (*registrations.ACTIVE, *registrations.DONE):
        place = await registrations.position(ctx.session, reg)
        return _refusal(ctx, Result(_already(reg.status), course, reg, place))
    state = course_window(course, ctx.today)
    if state is not Window.OPEN:
        return _refusal(ctx, Result(Outcome.WINDOW, course, reg, window=state))
    problems = ineligibility(course, official)
    if problems:
        return _refusal(ctx, Result(Outcome.INELIGIBLE, course, reg, problems=problems))
    what = f"{course.code} · {course.title}"
    if course.seats_left == 0:
        place = await registrations.waitlist_length(ctx.session, course.id) + 1
        text = addressed(
            _(
                "Course {course} is full. {Title} would be about number {n} on the "
                "waitlist; when a seat frees up, the first in line gets it "
                "automatically and is told. Join the waitlist?"
            ),
            official,
            course=what,
            n=place,
        )
    else:
        text = addressed(
            _("Register {title} for course {course}, starting {date}?"),
            official,
            course=what,
            date=format_date(course.starts_on),
        )
    nonce = _offer_confirmation(ctx, course.id)
    return Reply(
        text,
        choices=(
            Choice(
                _("✅ Confirm"), REGISTER_CONFIRMED.pack(id=course.id, confirm="y", nonce=nonce)
            ),
            Choice(_("↩️ Not now"), COURSE_CARD.pack(id=course.id)),
        ),
        columns=2,
        replace=True,
    )


def _already(status: str) -> Outcome:
    if status == RegStatus.CONFIRMED:
        return Outcome.ALREADY_CONFIRMED
    if status == RegStatus.WAITLISTED:
        return Outcome.ALREADY_WAITLISTED
    return Outcome.ALREADY_DONE


def _register_replies(ctx: Context, result: Result) -> list[Reply]:
    official, course, reg = ctx.official, result.course, result.registration
    if course is None:
        return [
            Reply(
                _("This course no longer exists. Nothing was changed."),
                choices=(_course_list(_("📚 Course list")),),
                replace=True,
            )
        ]
    if result.outcome is Outcome.CONFIRMED and reg is not None:
        text = addressed(
            _(
                "{Title} is registered for course {code}. It starts on {date}; "
                "{title} can cancel until {deadline}. The calendar file below "
                "adds it to {title}'s phone calendar."
            ),
            official,
            code=course.code,
            date=format_date(course.starts_on),
            deadline=format_date(course.registration_closes_on),
        )
        return [
            Reply(
                text,
                choices=_after_choices(),
                columns=2,
                replace=True,
                attachments=(calendar_attachment(ctx, course, reg.id),),
            )
        ]
    if result.outcome is Outcome.WAITLISTED:
        text = addressed(
            _(
                "Course {code} is full, so {title} is on the waitlist at number {n}. "
                "That is the position as of today ({date}): those who still owe this "
                "training go first, so it can change. When a seat frees up, the first "
                "in line gets it automatically and is told."
            ),
            official,
            code=course.code,
            n=result.position,
            date=format_date(ctx.today),
        )
        return [Reply(text, choices=_after_choices(), columns=2, replace=True)]
    return [_refusal(ctx, result)]


def _refusal(ctx: Context, result: Result) -> Reply:
    """Why nothing happened, precisely, with the way back to the course."""
    official, course = ctx.official, result.course
    assert course is not None
    if result.outcome is Outcome.ALREADY_CONFIRMED:
        text = addressed(
            _("{Title} is already registered for course {code}. Nothing was changed."),
            official,
            code=course.code,
        )
    elif result.outcome is Outcome.ALREADY_WAITLISTED:
        text = addressed(
            _(
                "{Title} is already on the waitlist of course {code}, at number "
                "{n} as of today ({date}). Nothing was changed."
            ),
            official,
            code=course.code,
            n=result.position,
            date=format_date(ctx.today),
        )
    elif result.outcome is Outcome.ALREADY_DONE:
        text = addressed(
            _("{Title} has already taken part in course {code}. Nothing was changed."),
            official,
            code=course.code,
        )
    elif result.outcome is Outcome.INELIGIBLE:
        text = ineligible_text(ctx, course, result.problems) + " " + _("Nothing was changed.")
    else:
        assert result.window is not None
        text = window_text(course, result.window) + " " + _("Nothing was changed.")
    return Reply(
        text,
        choices=(_course_list(_("📚 Course list")), _my_courses(_("🗂 My courses"))),
        columns=2,
        replace=True,
    )


def _after_choices() -> tuple[Choice, ...]:
    return (_my_courses(_("🗂 My courses")), _course_list(_("📚 Course list")))


def calendar_attachment(ctx: Context, course: Course, registration_id: int) -> Attachment:
    place = _("Online") if course.online else (course.place or _("to be announced"))
    summary = f"{course.code} · {course.title}"
    description = "\n".join(
        [
            _("Organiser: {organiser}").format(organiser=course.organiser),
            _("Registration deadline: {date}").format(
                date=format_date(course.registration_closes_on)
            ),
            _("Course code: {code}").format(code=course.code),
        ]
    )
    content = course_ics(
        course,
        registration_id,
        now=ctx.now,
        tz=ctx.tz,
        summary=summary,
        location=place,
        description=description,
    )
    shown = _("📅 {code}: {start} – {end}, {place}").format(
        code=course.code,
        start=format_date(course.starts_on),
        end=format_date(course.ends_on),
        place=place,
    )
    return Attachment(
        file_name=f"{course.code}.ics",
        content=content,
        mime_type="text/calendar",
        summary=shown,
        personal=False,  # the course's dates and place only
    )


@router.choice(COURSE_CALENDAR, needs_link=True)
async def on_calendar(ctx: Context, values: Values) -> list[Reply]:
    """The .ics again, for a seat held now: how a promoted waitlister gets it too."""
    assert ctx.official is not None
    course = await get_course(ctx.session, values.number("id"))
    reg = None
    if course is not None:
        reg = await registrations.registration_of(ctx.session, course.id, ctx.official.id)
    if course is None or reg is None or reg.status != RegStatus.CONFIRMED:
        return stale_reply(ctx)
    text = addressed(
        _("The calendar file below adds course {code} to {title}'s phone calendar."),
        ctx.official,
        code=course.code,
    )
    return [
        Reply(
            text,
            choices=_after_choices(),
            columns=2,
            attachments=(calendar_attachment(ctx, course, reg.id),),
        )
    ]


# --- cancel ------------------------------------------------------------------------------


@router.choice(UNREGISTER, UNREGISTER_CONFIRMED, needs_link=True)
async def on_cancel(ctx: Context, values: Values) -> list[Reply]:
    course = await get_course(ctx.session, values.number("id"))
    if course is None:
        return stale_reply(ctx)
    official = ctx.official
    assert official is not None
    if "confirm" in values:
        result = await registrations.cancel(
            ctx.session, course.id, official, today=ctx.today, now=ctx.now
        )
        return [_cancel_reply(ctx, result)]
    reg = await registrations.registration_of(ctx.session, course.id, official.id)
    if reg is None or reg.status not in registrations.ACTIVE:
        return [_cancel_reply(ctx, Result(Outcome.NOT_REGISTERED, course, reg))]
    if not registrations.can_cancel(course, reg, ctx.today):
        return [_cancel_reply(ctx, Result(Outcome.TOO_LATE, course, reg))]
    if reg.status == RegStatus.WAITLISTED:
        text = addressed(_("Leave the waitlist of course {code}?"), official, code=course.code)
    else:
        text = addressed(
            _(
                "Cancel {title}'s registration for course {code}? The seat goes to "
                "the first person on the waitlist."
            ),
            official,
            code=course.code,
        )
    return [
        Reply(
            text,
            choices=(
                Choice(_("✅ Yes, cancel"), UNREGISTER_CONFIRMED.pack(id=course.id, confirm="y")),
                _my_courses(_("↩️ Keep it")),
            ),
            columns=2,
            replace=True,
        )
    ]


def _cancel_reply(ctx: Context, result: Result) -> Reply:
    official, course = ctx.official, result.course
    if course is None:
        return Reply(
            _("This course no longer exists. Nothing was changed."),
            replace=True,
            choices=_after_choices(),
            columns=2,
        )
    if result.outcome is Outcome.CANCELLED:
        text = addressed(
            _("{Title} has cancelled the registration for course {code}."),
            official,
            code=course.code,
        )
    elif result.outcome is Outcome.TOO_LATE:
        text = addressed(
            _(
                "The cancellation deadline for course {code} was {date}, so it can "
                "no longer be cancelled here. {Title} please contact the HR office. "
                "Nothing was changed."
            ),
            official,
            code=course.code,
            date=format_date(course.registration_closes_on),
        )
    else:
        text = addressed(
            _("{Title} is not registered for course {code}, so there is nothing to cancel."),
            official,
            code=course.code,
        )
    return Reply(text, choices=_after_choices(), columns=2, replace=True)


# --- /cuatoi -----------------------------------------------------------------------------


@router.command("cuatoi", "mycourses", needs_link=True)
@router.intent(
    "của tôi",
    "khóa học của tôi",
    "lớp của tôi",
    "đã đăng ký",
    "hủy đăng ký",
    "khóa đã đăng ký",
    "my courses",
    needs_link=True,
)
async def on_my_courses(ctx: Context) -> list[Reply]:
    official = ctx.official
    assert official is not None
    mine = await registrations.my_registrations(ctx.session, official.id, ctx.today)
    # --- course evaluation (#16.4): courses whose questionnaire is still to fill in ---
    to_evaluate = await awaiting_evaluation(ctx.session, official.id)
    if not mine and to_evaluate:
        return [_evaluation_entries(ctx, to_evaluate, [])]
    if not mine:
        text = addressed(_("{Title} has no course registration yet."), official)
        return [
            Reply(
                text,
                choices=(
                    Choice(_("⭐ Suits me"), COURSE_PAGE.pack(filter="fit", page=1)),
                    _course_list(_("📚 Course list")),
                    _send_certificate(),
                    command_choice(_("📜 Certificates"), "chungnhan"),  # #16.5
                ),
                columns=2,
            )
        ]
    lines = [addressed(_("🗂 {Title}'s course registrations"), official)]
    choices: list[Choice] = []
    for n, (reg, course) in enumerate(mine, start=1):
        lines.append(f"{n}. {course.code} · {course.title}")
        lines.append("    " + await _status_line(ctx, reg, course))
        # --- nominations (#16.2): "được cử đi học" and the answer; answer, not cancel ---
        if reg.source == nominations.NOMINATED:
            lines.append("    " + _nomination_line(ctx, reg))
            if nominations.answer_open(course, reg, ctx.today):
                choices.append(
                    Choice(
                        _("✅ Confirm {code}").format(code=course.code),
                        NOMINATION_ACCEPT.pack(id=reg.id),
                    )
                )
                choices.append(
                    Choice(
                        _("❌ Decline {code}").format(code=course.code),
                        NOMINATION_DECLINE.pack(id=reg.id),
                    )
                )
                continue
        if registrations.can_cancel(course, reg, ctx.today):
            choices.append(
                Choice(
                    _("❌ Cancel {code}").format(code=course.code), UNREGISTER.pack(id=course.id)
                )
            )
        # --- attendance (#16.3) ---
        running = course.ends_on >= ctx.today and course.status != "cancelled"
        if reg.status == RegStatus.CONFIRMED and running and course.starts_on <= ctx.today:
            choices.append(Choice(_("🧾 Check in"), CHECK_IN_ASK.pack()))
        if reg.status == RegStatus.CONFIRMED and running:
            choices.append(
                Choice(
                    _("🙋 Absent with a reason: {code}").format(code=course.code),
                    EXCUSE_ASK.pack(id=course.id),
                )
            )
    choices = list(dict.fromkeys(choices))  # one "Check in" for all courses of the day
    choices.append(_course_list(_("📚 Course list")))
    choices.append(_send_certificate())
    choices.append(command_choice(_("📜 Certificates"), "chungnhan"))  # #16.5
    if to_evaluate:
        return [_evaluation_entries(ctx, to_evaluate, lines, choices)]
    return [Reply("\n".join(lines), choices=tuple(choices), columns=2)]


def _nomination_line(ctx: Context, reg: registrations.Registration) -> str:
    if reg.answer == nominations.ACCEPTED:
        return _("📝 nominated by the unit · attendance confirmed")
    return addressed(_("📝 nominated by the unit · waiting for {title}'s answer"), ctx.official)


def _send_certificate() -> Choice:
    # --- self-reported certificates (#16.8) ---
    return Choice(_("📤 Send an external certificate"), SELF_REPORT_START.pack())


def _evaluation_entries(
    ctx: Context, courses: list[Course], lines: list[str], choices: list[Choice] | None = None
) -> Reply:
    """The courses awaiting the official's evaluation, first in the list (#16.4)."""
    head = [addressed(_("📝 Waiting for {title}'s evaluation:"), ctx.official)]
    head += [f"• {c.code} · {c.title}" for c in courses]
    buttons = [
        Choice(_("📝 Evaluate {code}").format(code=c.code), EVALUATE.pack(id=c.id)) for c in courses
    ]
    text = "\n".join(head + (["", *lines] if lines else []))
    return Reply(text, choices=tuple(buttons + (choices or [])), columns=2)


async def _status_line(ctx: Context, reg: registrations.Registration, course: Course) -> str:
    start = format_date(course.starts_on)
    if course.status == "cancelled":
        return _("❌ course cancelled by the organiser")
    if reg.status == RegStatus.CONFIRMED:
        return _("✅ registered · starts {date} · cancel until {deadline}").format(
            date=start, deadline=format_date(course.registration_closes_on)
        )
    if reg.status == RegStatus.WAITLISTED:
        place = await registrations.position(ctx.session, reg)
        return _("⏳ waitlist number {n} · starts {date}").format(n=place, date=start)
    if reg.status == RegStatus.COMPLETED:
        return _("🎓 completed")
    return _("🎓 attended")
