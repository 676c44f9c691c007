"""An .ics file for a registered course, so the phone's calendar reminds the official.

Built with the icalendar library (escaping, line folding and VTIMEZONE are easy to get
wrong by hand). Courses carry dates, not hours; the event runs from the usual opening
time on the first day to the usual closing time on the last, in the configured time zone, which
phones in any time zone then show correctly. The UID depends only on the course and the
registration, so sending the file again updates the same calendar entry.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event

from models.courses.catalogue import Course

DAY_STARTS = time(7, 30)  # Vietnamese offices and schools open at 07:00–07:30
DAY_ENDS = time(17, 0)
PRODID = "-//Tro ly Boi duong//Course calendar//VI"
UID_DOMAIN = "troly-boiduong"


def event_uid(course: Course, registration_id: int) -> str:
    return f"course-{course.id}-reg-{registration_id}@{UID_DOMAIN}"


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
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", event_uid(course, registration_id))
    event.add("dtstamp", now)
    event.add("dtstart", datetime.combine(course.starts_on, DAY_STARTS, tz))
    event.add("dtend", datetime.combine(course.ends_on, DAY_ENDS, tz))
    event.add("summary", summary)
    event.add("location", location)
    event.add("description", description)
    event.add("status", "CANCELLED" if course.status == "cancelled" else "CONFIRMED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", -timedelta(days=1))
    event.add_component(alarm)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
