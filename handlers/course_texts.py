"""Why a course cannot be registered for, in words: shared by the course card (browsing)
and the registration replies (acting), which are separate features."""

from __future__ import annotations

from datetime import date

from handlers.common import addressed
from handlers.context import Context
from locales import _, format_date
from models.courses.catalogue import Course, Ineligibility, Window
from models.vocabulary import CATEGORIES, LEVELS, RANK_TIERS


def vocab_label(vocab: dict[str, str], code: str | None) -> str:
    if code is None:
        return _("not recorded")
    return _(vocab[code]) if code in vocab else code


def window_text(course: Course, state: Window) -> str:
    code = course.code
    if state is Window.CANCELLED:
        return _("Course {code} has been cancelled.").format(code=code)
    if state is Window.STARTED:
        return _("Course {code} started on {date}; registration is over.").format(
            code=code, date=format_date(course.starts_on)
        )
    if state is Window.CLOSED:
        return _("Registration for course {code} has been closed by the organiser.").format(
            code=code
        )
    if state is Window.PASSED:
        return _("The registration deadline for course {code} was {date}.").format(
            code=code, date=format_date(course.registration_closes_on)
        )
    opens = course.registration_opens_on or date.min
    return _("Registration for course {code} opens on {date}.").format(
        code=code, date=format_date(opens)
    )


def ineligible_text(ctx: Context, course: Course, problems: list[Ineligibility]) -> str:
    reasons = [_reason(ctx, p) for p in problems]
    return addressed(
        _("Course {code} is not open to {title}: {reasons}."),
        ctx.official,
        code=course.code,
        reasons="; ".join(reasons),
    )


def _reason(ctx: Context, problem: Ineligibility) -> str:
    if problem.field == "level":
        return addressed(
            _("it is for officials at {allowed}, and {title} works at {actual}"),
            ctx.official,
            allowed=_any(LEVELS, problem.allowed),
            actual=vocab_label(LEVELS, problem.actual),
        )
    if problem.field == "category":
        return addressed(
            _("it is for {allowed}, and {title} is a {actual}"),
            ctx.official,
            allowed=_any(CATEGORIES, problem.allowed),
            actual=vocab_label(CATEGORIES, problem.actual),
        )
    if problem.field == "rank":
        return addressed(
            _("it is for the ranks {allowed}, and {title}'s rank is {actual}"),
            ctx.official,
            allowed=_any(RANK_TIERS, problem.allowed),
            actual=vocab_label(RANK_TIERS, problem.actual),
        )
    return addressed(
        _("it is only for officials of {allowed}, and {title} works at {actual}"),
        ctx.official,
        allowed=problem.allowed[0],
        actual=problem.actual or "",
    )


def _any(vocab: dict[str, str], codes: tuple[str, ...]) -> str:
    return _(" or ").join(vocab_label(vocab, c) for c in codes)
