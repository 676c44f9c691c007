"""The words of nomination notices, rendered in the recipient's language when queued
(models/courses/nominations.py), and of a decline's reasons (shown in the chat and to HR)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from locales import _, format_date
from models.notices.texts import addressed

if TYPE_CHECKING:
    from models.courses.catalogue import Course
    from models.courses.registrations import Registration
    from models.org.officials import Official


def accept_label() -> str:
    return _("✅ Confirm I will attend")


def decline_label() -> str:
    return _("❌ Decline")


def reason_label(code: str) -> str:
    labels = {
        "busy": _("Busy with official duties"),
        "ill": _("Ill"),
        "done": _("Already attended this training"),
        "other": _("Other reason"),
    }
    if code in labels:
        return labels[code]
    if code.startswith("other: "):
        return code[len("other: ") :]
    return code


def _course_line(course: Course) -> str:
    return _("Course {code} · {title}, from {starts} to {ends}.").format(
        code=course.code,
        title=course.title,
        starts=format_date(course.starts_on),
        ends=format_date(course.ends_on),
    )


def nominated(gender: str | None, course: Course, *, waitlisted: bool) -> str:
    lines = [
        addressed(_("📝 {Title} has been nominated by the unit to attend a course."), gender),
        _course_line(course),
    ]
    if waitlisted:
        lines.append(
            addressed(
                _(
                    "The course is full for now, so {title} is on its waitlist and will be"
                    " told when a seat becomes free."
                ),
                gender,
            )
        )
    lines.append(
        addressed(
            _("Please confirm that {title} will attend, or decline with a reason, by {date}."),
            gender,
            date=format_date(course.registration_closes_on),
        )
    )
    return "\n".join(lines)


def reminder(gender: str | None, course: Course) -> str:
    return "\n".join(
        (
            addressed(
                _(
                    "⏰ Reminder: {title} has not yet answered the nomination for course"
                    " {code}. The answer is due by {date}."
                ),
                gender,
                code=course.code,
                date=format_date(course.registration_closes_on),
            ),
            _course_line(course),
        )
    )


def head_nominated(gender: str | None, course: Course, official: Official, admin: Official) -> str:
    return "\n".join(
        (
            addressed(
                _("📝 For {title}'s information: {name} ({code}) has been nominated by {hr}."),
                gender,
                name=official.full_name,
                code=official.employee_code,
                hr=admin.full_name,
            ),
            _course_line(course),
        )
    )


def answer_for_hr(gender: str | None, course: Course, official: Official, reg: Registration) -> str:
    if reg.answer == "accepted":
        first = _("✅ {name} ({code}) confirmed attending course {course}.")
    else:
        first = _(
            "❌ {name} ({code}) declined the nomination for course {course}. Reason: {reason}."
        )
    text = first.format(
        name=official.full_name,
        code=official.employee_code,
        course=course.code,
        reason=reason_label(reg.decline_reason or "other"),
    )
    if reg.answer != "accepted":
        text += "\n" + addressed(
            _("The seat has been given back; {title} may nominate someone else."), gender
        )
    return text
