"""The words of planned notices, rendered in the recipient's language when the row is
written. Planning renders the same few texts for thousands of officials, so `TextCache`
renders each distinct (locale, form of address, message) once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date

from locales import _, format_date, ngettext, use_locale


def title_for(gender: str | None) -> str:
    """ "anh" / "chị" / "anh/chị" — the same msgids as handlers.common.title_of (models may
    not import handlers)."""
    if gender == "male":
        return _("sir")
    if gender == "female":
        return _("madam")
    return _("sir/madam")


def addressed(message: str, gender: str | None, **values: object) -> str:
    title = title_for(gender)
    return message.format(title=title, Title=title[:1].upper() + title[1:], **values)


class TextCache:
    def __init__(self) -> None:
        self._texts: dict[tuple[str, str | None, Hashable], str] = {}

    def get(self, locale: str, gender: str | None, key: Hashable, render: Callable[[], str]) -> str:
        form = gender if gender in ("male", "female") else None
        found = self._texts.get((locale, form, key))
        if found is None:
            with use_locale(locale):
                found = render()
            if len(self._texts) > 10_000:
                self._texts.clear()
            self._texts[(locale, form, key)] = found
        return found


def requirement_due(gender: str | None, title: str, due: date, days_left: int) -> str:
    if days_left <= 0:
        first = addressed(
            _("Reminder for {title}: today is the deadline for “{rule}”."), gender, rule=title
        )
    else:
        first = addressed(
            ngettext(
                "Reminder for {title}: {n} day left until the deadline for “{rule}” ({date}).",
                "Reminder for {title}: {n} days left until the deadline for “{rule}” ({date}).",
                days_left,
            ),
            gender,
            n=days_left,
            rule=title,
            date=format_date(due),
        )
    return (
        first
        + "\n"
        + addressed(
            _("{Title} can find a matching course with /khoahoc; /yeucau shows all requirements."),
            gender,
        )
    )


def requirement_overdue(gender: str | None, title: str, due: date) -> str:
    return addressed(
        _(
            "“{rule}” is overdue since {date}. {Title} please register for a matching course "
            "(/khoahoc) or contact the HR office."
        ),
        gender,
        rule=title,
        date=format_date(due),
    )


def person_change(gender: str | None, lines: list[tuple[str, date | None]]) -> str:
    head = addressed(
        _(
            "{Title}'s record was updated (post, rank or position). These training "
            "requirements now apply to {title}:"
        ),
        gender,
    )
    body = []
    for title, due in lines:
        if due is None:
            body.append("• " + title)
        else:
            body.append("• " + _("{rule} — by {date}").format(rule=title, date=format_date(due)))
    return "\n".join([head, *body, _("Details: /yeucau")])


def course_start(
    gender: str | None, code: str, title: str, starts: date, days: int, place: str | None
) -> str:
    text = addressed(
        ngettext(
            "Reminder for {title}: course {code} “{course}” starts in {n} day, on {date}.",
            "Reminder for {title}: course {code} “{course}” starts in {n} days, on {date}.",
            days,
        ),
        gender,
        code=code,
        course=title,
        n=days,
        date=format_date(starts),
    )
    if place:
        text += "\n" + _("Place: {place}").format(place=place)
    return text


def registration_deadline(
    gender: str | None, code: str, title: str, closes: date, rule: str
) -> str:
    return addressed(
        _(
            "Reminder for {title}: registration for course {code} “{course}” closes on {date}. "
            "It counts towards “{rule}”, which {title} still needs. Register with /khoahoc."
        ),
        gender,
        code=code,
        course=title,
        date=format_date(closes),
        rule=rule,
    )


def waitlist_promoted(gender: str | None, code: str, title: str, starts: date) -> str:
    return addressed(
        _(
            "Good news for {title}: a seat became free and {title} is now registered for course "
            "{code} “{course}”, starting {date}. See /cuatoi."
        ),
        gender,
        code=code,
        course=title,
        date=format_date(starts),
    )


def course_cancelled(gender: str | None, code: str, title: str, starts: date) -> str:
    return addressed(
        _(
            "We are sorry to tell {title}: course {code} “{course}” (planned to start {date}) "
            "has been cancelled. {Title} can choose another course with /khoahoc."
        ),
        gender,
        code=code,
        course=title,
        date=format_date(starts),
    )


def course_changed(
    gender: str | None, code: str, title: str, starts: date, place: str | None
) -> str:
    text = addressed(
        _("Please note, {title}: course {code} “{course}” has changed. It now starts on {date}."),
        gender,
        code=code,
        course=title,
        date=format_date(starts),
    )
    if place:
        text += "\n" + _("Place: {place}").format(place=place)
    return text
