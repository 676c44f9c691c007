"""Nominations ("cử đi học", #16.2) in the chat: HR picks a course with a quota, finds an
official of their units and confirms; the official answers from the notice's two buttons
(a decline asks for a reason: one tap for the usual ones, typed text for "Khác").

Every step re-reads the sender's admin scope and the nomination from the database; the ids
in a button are only a question (models/courses/nominations.py answers it)."""

from __future__ import annotations

from handlers.admin_access import (
    actor_of,
    admin_scope,
    audit_read,
    cancel_admin_flow,
    denied,
    nobody_matches,
    search_typed_official,
)
from handlers.common import addressed, stale_reply
from handlers.context import Context
from handlers.flows import DECLINE_REASON, DECLINING, NOMINATE_SEARCH, NOMINATING
from handlers.payloads import (
    ADMIN_NOMINATE,
    COURSE_CALENDAR,
    NOMINATE_CANCEL,
    NOMINATE_CONFIRM,
    NOMINATE_COURSE,
    NOMINATE_PICK,
    NOMINATION_ACCEPT,
    NOMINATION_DECLINE,
    NOMINATION_REASON,
    Values,
)
from handlers.router import Router
from handlers.types import Choice, Reply
from locales import _, format_date, format_number
from locales.wording import shorten
from models.courses import nominations
from models.courses.nomination_texts import reason_label
from models.courses.nominations import (
    AnswerOutcome,
    AnswerResult,
    NominationOutcome,
    NominationResult,
)
from models.courses.registrations import ACTIVE, Registration
from models.org.officials import Official

router = Router("nominations")

_CANCEL = NOMINATE_CANCEL.pack()


def _cancel_choice() -> Choice:
    return Choice(_("❌ Cancel"), _CANCEL)


# --- HR: choose a course, find the official, confirm --------------------------------------


@router.choice(ADMIN_NOMINATE, needs_link=True)
async def on_nominate_menu(ctx: Context, _values: Values) -> list[Reply]:
    if await admin_scope(ctx, ADMIN_NOMINATE.pack()) is None:
        return denied(ctx)
    assert ctx.official is not None
    NOMINATING.end(ctx)
    open_courses = await nominations.nominable_courses(ctx.session, ctx.official, ctx.today)
    if not open_courses:
        return [
            Reply(
                addressed(
                    _(
                        "No open course has a seat quota for {title}'s units at the moment."
                        " Quotas are set in the year's plan by the province HR office."
                    ),
                    ctx.official,
                )
            )
        ]
    choices = [
        Choice(
            shorten(
                _("{code} · {left}/{seats} seats left · {title}").format(
                    code=course.code,
                    title=course.title,
                    left=format_number(quota.left),
                    seats=format_number(quota.seats),
                ),
                60,
            ),
            NOMINATE_COURSE.pack(id=course.id),
        )
        for course, quota in open_courses[:10]
    ]
    return [
        Reply(
            _("📝 Nominate for a course: choose the course."),
            choices=(*choices, _cancel_choice()),
        )
    ]


@router.choice(NOMINATE_COURSE, needs_link=True)
async def on_nominate_course(ctx: Context, values: Values) -> list[Reply]:
    if await admin_scope(ctx, NOMINATE_COURSE.pack(id=values.number("id"))) is None:
        return denied(ctx)
    assert ctx.official is not None
    found = [
        (course, quota)
        for course, quota in await nominations.nominable_courses(
            ctx.session, ctx.official, ctx.today
        )
        if course.id == values.number("id")
    ]
    if not found:
        return stale_reply(ctx)
    course, quota = found[0]
    NOMINATE_SEARCH.enter(ctx, course_id=course.id)
    return [
        Reply(
            addressed(
                _(
                    "📝 Course {code} · {course}. Quota of {unit}: {left} of {seats} seats"
                    " left.\nWhom should the unit nominate? {Title} can type part of the"
                    " name (with or without diacritics) or the employee code."
                ),
                ctx.official,
                code=course.code,
                course=course.title,
                unit=quota.unit.name,
                left=format_number(quota.left),
                seats=format_number(quota.seats),
            ),
            choices=(_cancel_choice(),),
        )
    ]


@router.choice(NOMINATE_CANCEL, needs_link=True)
async def on_nominate_cancel(ctx: Context, _values: Values) -> list[Reply]:
    return await cancel_admin_flow(ctx, _CANCEL, NOMINATING)


@router.step(NOMINATE_SEARCH)
async def on_nominate_search(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "nominate")
    if scope is None:
        ctx.dialog.end()
        return denied(ctx)
    course_id = int(NOMINATING.data(ctx).get("course_id", 0))
    typed, found = await search_typed_official(ctx, scope)
    if not found:
        return nobody_matches(ctx, typed, _cancel_choice())
    audit_read(ctx, "nomination_search", scope, len(found), f"course:{course_id}")
    choices = [
        Choice(
            shorten(f"{o.full_name} · {o.employee_code} · {o.unit.name}", 60),
            NOMINATE_PICK.pack(course=course_id, official=o.id),
        )
        for o in found
    ]
    return [
        Reply(
            _("Choose the official (type again to search again):"),
            choices=(*choices, _cancel_choice()),
        )
    ]


@router.choice(NOMINATE_PICK, needs_link=True)
async def on_nominate_pick(ctx: Context, values: Values) -> list[Reply]:
    course_id, official_id = values.number("course"), values.number("official")
    scope = await admin_scope(ctx, NOMINATE_PICK.pack(course=course_id, official=official_id))
    if scope is None:
        return denied(ctx)
    assert ctx.official is not None
    official = await ctx.session.get(Official, official_id)
    courses = {
        c.id: (c, q)
        for c, q in await nominations.nominable_courses(ctx.session, ctx.official, ctx.today)
    }
    if official is None or not official.active or not scope.reaches(official.unit.path):
        return _refused(ctx)
    if course_id not in courses:
        return stale_reply(ctx)
    course, _quota = courses[course_id]
    # The id is the button's: walking ids would list people unaudited, unlike the search.
    audit_read(ctx, "nomination_pick", scope, 1, f"course:{course_id}")
    return [
        Reply(
            _("Nominate {name} ({code}, {unit}) for course {course} · {title}?").format(
                name=official.full_name,
                code=official.employee_code,
                unit=official.unit.name,
                course=course.code,
                title=course.title,
            ),
            choices=(
                Choice(
                    _("✅ Nominate"),
                    NOMINATE_CONFIRM.pack(course=course_id, official=official_id),
                ),
                _cancel_choice(),
            ),
            columns=2,
        )
    ]


@router.choice(NOMINATE_CONFIRM, needs_link=True)
async def on_nominate_confirm(ctx: Context, values: Values) -> list[Reply]:
    course_id, official_id = values.number("course"), values.number("official")
    if (
        await admin_scope(ctx, NOMINATE_CONFIRM.pack(course=course_id, official=official_id))
        is None
    ):
        return denied(ctx)
    assert ctx.official is not None
    NOMINATING.end(ctx)
    result = await nominations.nominate(
        ctx.session,
        admin=ctx.official,
        course_id=course_id,
        official_id=official_id,
        today=ctx.today,
        now=ctx.now,
        actor=actor_of(ctx),
    )
    return [_nominate_reply(ctx, result)]


def _refused(ctx: Context) -> list[Reply]:
    NOMINATING.end(ctx)
    return [
        Reply(
            addressed(
                _(
                    "Sorry, {title} cannot nominate this official: they are not in {title}'s"
                    " units. Nothing was changed."
                ),
                ctx.official,
            )
        )
    ]


def _nominate_reply(ctx: Context, r: NominationResult) -> Reply:
    if r.outcome is NominationOutcome.NOT_IN_SCOPE:
        return _refused(ctx)[0]
    if r.course is None or r.official is None:
        return stale_reply(ctx)[0]
    values = {"name": r.official.full_name, "code": r.course.code}
    more = Choice(_("📝 Nominate someone else"), NOMINATE_COURSE.pack(id=r.course.id))
    if r.outcome is NominationOutcome.NOMINATED:
        text = _(
            "✅ Done: {name} is nominated for course {code} and holds a seat. They have"
            " been asked to confirm; the unit head has been told. Quota used: {used}/{seats}."
        )
    elif r.outcome is NominationOutcome.WAITLISTED:
        text = _(
            "⏳ {name} is nominated for course {code}, but the course is full: they are number"
            " {n} on the waitlist and will move up when a seat is freed. Quota used:"
            " {used}/{seats}."
        )
    elif r.outcome is NominationOutcome.OVER_QUOTA:
        text = _(
            "The quota is used up: {unit} has already nominated {used} of {seats} officials"
            " for course {code}. {name} was not nominated."
        )
        more = Choice(_("📝 Back to the courses"), ADMIN_NOMINATE.pack())
    elif r.outcome is NominationOutcome.NO_QUOTA:
        text = _(
            "{name}'s unit has no seat quota on course {code}, so they cannot be nominated"
            " for it. They may still register themselves."
        )
    elif r.outcome is NominationOutcome.ALREADY_REGISTERED:
        text = _("{name} is already registered for course {code}. Nothing was changed.")
    elif r.outcome is NominationOutcome.INELIGIBLE:
        text = _("{name} does not meet the conditions of course {code}. Nothing was changed.")
    else:  # the window closed between the list and the press
        text = _("Course {code} is no longer open for registration. Nothing was changed.")
        more = Choice(_("📝 Back to the courses"), ADMIN_NOMINATE.pack())
    return Reply(
        text.format(
            **values,
            used=format_number(r.quota_used or 0),
            seats=format_number(r.quota_seats or 0),
            unit=r.quota_unit.name if r.quota_unit else "",
            n=format_number(r.position or 0),
        ),
        choices=(more,),
    )


# --- the nominee: confirm, or decline with a reason ---------------------------------------


@router.choice(NOMINATION_ACCEPT, needs_link=True)
async def on_accept(ctx: Context, values: Values) -> list[Reply]:
    return await _answer(ctx, values.number("id"), accept=True, reason=None)


@router.choice(NOMINATION_DECLINE, needs_link=True)
async def on_decline(ctx: Context, values: Values) -> list[Reply]:
    assert ctx.official is not None
    reg_id = values.number("id")
    found = await nominations.own_nomination(
        ctx.session, official=ctx.official, registration_id=reg_id, now=ctx.now,
        actor=actor_of(ctx),
    )  # fmt: skip
    if found is None:
        return stale_reply(ctx)
    reg, course = found
    if not nominations.answer_open(course, reg, ctx.today):
        return [_answer_reply(ctx, AnswerResult(_closed_outcome(reg), course, reg))]
    choices = tuple(
        Choice(reason_label(code), NOMINATION_REASON.pack(id=reg_id, reason=code))
        for code in nominations.REASONS
    )
    return [
        Reply(
            addressed(
                _("Why can {title} not attend course {code}? Please choose a reason:"),
                ctx.official,
                code=course.code,
            ),
            choices=choices,
            columns=2,
        )
    ]


@router.choice(NOMINATION_REASON, needs_link=True)
async def on_reason(ctx: Context, values: Values) -> list[Reply]:
    reg_id, code = values.number("id"), values.text("reason")
    if code != "other":
        return await _answer(ctx, reg_id, accept=False, reason=code)
    assert ctx.official is not None
    found = await nominations.own_nomination(
        ctx.session, official=ctx.official, registration_id=reg_id, now=ctx.now,
        actor=actor_of(ctx),
    )  # fmt: skip
    if found is None:
        return stale_reply(ctx)
    reg, course = found
    if not nominations.answer_open(course, reg, ctx.today):
        return [_answer_reply(ctx, AnswerResult(_closed_outcome(reg), course, reg))]
    DECLINE_REASON.enter(ctx, registration_id=reg_id)
    return [
        Reply(
            addressed(_("Please type the reason in a few words."), ctx.official),
        )
    ]


@router.step(DECLINE_REASON)
async def on_reason_text(ctx: Context) -> list[Reply]:
    reg_id = int(DECLINING.data(ctx).get("registration_id", 0))
    DECLINING.end(ctx)
    typed = " ".join(ctx.text.split())
    if not typed:
        return [Reply(_("Please type the reason in a few words."))]
    return await _answer(ctx, reg_id, accept=False, reason=f"other: {typed}")


def _closed_outcome(reg: Registration) -> AnswerOutcome:
    if reg.answer != nominations.PENDING or reg.status not in ACTIVE:
        return AnswerOutcome.ALREADY_ANSWERED
    return AnswerOutcome.TOO_LATE


async def _answer(ctx: Context, reg_id: int, *, accept: bool, reason: str | None) -> list[Reply]:
    assert ctx.official is not None
    result = await nominations.answer_nomination(
        ctx.session,
        official=ctx.official,
        registration_id=reg_id,
        accept=accept,
        reason=reason,
        today=ctx.today,
        now=ctx.now,
        actor=actor_of(ctx),
    )
    if result.outcome is AnswerOutcome.NOT_YOURS:
        return stale_reply(ctx)
    return [_answer_reply(ctx, result)]


def _answer_reply(ctx: Context, r: AnswerResult) -> Reply:
    assert r.course is not None and r.registration is not None
    course, reg = r.course, r.registration
    if r.outcome is AnswerOutcome.ACCEPTED:
        return Reply(
            addressed(
                _(
                    "✅ Thank you. {Title} has confirmed attending course {code}, which starts"
                    " on {date}. The unit's HR office has been told."
                ),
                ctx.official,
                code=course.code,
                date=format_date(course.starts_on),
            ),
            choices=(Choice(_("📅 Calendar file"), COURSE_CALENDAR.pack(id=course.id)),),
        )
    if r.outcome is AnswerOutcome.DECLINED:
        return Reply(
            addressed(
                _(
                    "Noted: {title} declined the nomination for course {code} (reason:"
                    " {reason}). The seat has been given back and the unit's HR office has"
                    " been told."
                ),
                ctx.official,
                code=course.code,
                reason=reason_label(reg.decline_reason or "other"),
            )
        )
    if r.outcome is AnswerOutcome.ALREADY_ANSWERED:
        state = (
            _("confirmed attending")
            if reg.answer == nominations.ACCEPTED
            else _("declined or withdrawn")
        )
        return Reply(
            addressed(
                _(
                    "{Title} has already answered the nomination for course {code}: {state}."
                    " Nothing was changed."
                ),
                ctx.official,
                code=course.code,
                state=state,
            )
        )
    return Reply(
        addressed(
            _(
                "Course {code} has already started or been cancelled, so the answer can no"
                " longer be recorded. Nothing was changed. {Title} may contact the unit's HR"
                " office if needed."
            ),
            ctx.official,
            code=course.code,
        )
    )
