"""An .ics file for a registered course, so the phone's calendar reminds the official.

Built with the icalendar library (escaping, line folding and VTIMEZONE are easy to get
wrong by hand). The file states only what the course says: with the daily hours known,
one event per teaching day at those hours in the configured time zone (phones in any
zone show them right); without them, all-day events, never invented office hours running
through the nights of a multi-day course. UIDs depend only on the course, the
registration and the day, so sending the file again updates the same calendar entries.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from models.courses.catalogue import Course

if TYPE_CHECKING:
    from icalendar import Event

PRODID = "-//Tro ly Boi duong//Course calendar//VI"
UID_DOMAIN = "troly-boiduong"


def event_uid(course: Course, registration_id: int, day: date | None = None) -> str:
    suffix = f"-{day:%Y%m%d}" if day is not None else ""
    return f"course-{course.id}-reg-{registration_id}{suffix}@{UID_DOMAIN}"


def course_ics(
    course: Course,
    registration_id: int,
    *,
    now: datetime,
    tz: ZoneInfo,
    summary: str,
    location: str,
    description: str,
) -> bytes:
    """The calendar file. Texts come from the caller, already in the reader's language."""
    from icalendar import Calendar  # ~0.1 s and several MB: only a registration's .ics needs it

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    starts, ends = course.daily_starts_at, course.daily_ends_at
    if starts is not None and ends is not None and starts < ends:
        days = (course.ends_on - course.starts_on).days + 1
        for n in range(days):
            day = course.starts_on + timedelta(days=n)
            event = _event(course, event_uid(course, registration_id, day), now)
            event.add("dtstart", datetime.combine(day, starts, tz))
            event.add("dtend", datetime.combine(day, ends, tz))
            _describe(event, summary, location, description, alarm=n == 0)
            cal.add_component(event)
        cal.add_missing_timezones()
    else:
        event = _event(course, event_uid(course, registration_id), now)
        event.add("dtstart", course.starts_on)  # a DATE: all day, no hour claimed
        event.add("dtend", course.ends_on + timedelta(days=1))  # DTEND of a date is exclusive
        event.add("transp", "TRANSPARENT")
        _describe(event, summary, location, description, alarm=True)
        cal.add_component(event)
    return cal.to_ical()


def _event(course: Course, uid: str, now: datetime) -> Event:
    from icalendar import Event  # see course_ics

    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("status", "CANCELLED" if course.status == "cancelled" else "CONFIRMED")
    return event


def _describe(event: Event, summary: str, location: str, description: str, *, alarm: bool) -> None:
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    if alarm:  # one reminder, the day before the course opens
        from icalendar import Alarm  # see course_ics

        reminder = Alarm()
        reminder.add("action", "DISPLAY")
        reminder.add("description", summary)
        reminder.add("trigger", -timedelta(days=1))
        event.add_component(reminder)
