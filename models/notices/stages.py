"""When reminders fall: the stage arithmetic of planning, with no I/O and no clock.

For a due date D the requirement stages are D minus each of `stages_days` at the send time,
plus one overdue notice `overdue_days` after D. A stage stays relevant until the next one
begins (the last until D ends; the overdue one for `overdue_relevant_days`), so a planner
that was down plans the stage that is current, never a superseded one. A stage is planned
once its moment is within `horizon` of now. Course-start reminders and registration
deadlines follow the same pattern with their own lead days.

Quiet hours and holidays are not applied here: the sender defers a notice whose moment
falls in them (models/notices/send_window.py), so planning stays a function of the dates.
Everything takes `now` or `today` from the caller; settings come as any object with the
fields of `StageSettings` (planning passes its PlanningSettings).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, Protocol

from models.notices.outbox import REQUIREMENT_DUE, REQUIREMENT_OVERDUE
from models.requirements.evaluation import add_months
from models.requirements.model import Rule

COURSE_DAY_STARTS = time(7, 30)  # a course-start notice is pointless once the day began
# Month arithmetic on event dates clamps to month ends; a few days' slack keeps a SQL date
# filter wide enough, and the exact stage is decided afterwards in Python.
EVENT_SLACK = timedelta(days=3)


class StageSettings(Protocol):
    @property
    def stages_days(self) -> tuple[int, ...]: ...
    @property
    def overdue_days(self) -> int: ...
    @property
    def overdue_relevant_days(self) -> int: ...
    @property
    def horizon(self) -> timedelta: ...

    def at(self, day: date, moment: time | None = None) -> datetime:
        """The local moment on `day` (the send time unless `moment` is given)."""
        ...


class Stage(NamedTuple):
    kind: str
    days_before: int  # negative for the overdue notice
    moment: datetime
    relevant_until: datetime


def plannable(moment: datetime, relevant_until: datetime, now: datetime, s: StageSettings) -> bool:
    """Whether a reminder at `moment` is to be written now: due within the horizon and not
    yet superseded."""
    return moment <= now + s.horizon and now < relevant_until


def stages_for(due: date, s: StageSettings) -> list[Stage]:
    days = [d for d in s.stages_days if d >= 0]
    moments = [s.at(due - timedelta(days=d)) for d in days]
    ends = [*moments[1:], s.at(due + timedelta(days=1), time(0))]
    stages = [Stage(REQUIREMENT_DUE, d, m, e) for d, m, e in zip(days, moments, ends, strict=True)]
    overdue = s.at(due + timedelta(days=s.overdue_days))
    stages.append(
        Stage(
            REQUIREMENT_OVERDUE,
            -s.overdue_days,
            overdue,
            overdue + timedelta(days=s.overdue_relevant_days),
        )
    )
    return stages


def current(stages: Sequence[Stage], now: datetime, s: StageSettings) -> list[Stage]:
    """The stage to plan now: the latest whose moment is within the horizon and which is
    still relevant. One at most: a stage about to begin supersedes the one before it."""
    found = [st for st in stages if plannable(st.moment, st.relevant_until, now, s)]
    return found[-1:]


def lead_stages(
    event: date, leads: Sequence[int], ends: datetime, s: StageSettings
) -> list[tuple[int, datetime, datetime]]:
    """(lead days, moment, relevant until) for reminders before an event, e.g. a course."""
    ordered = sorted(set(leads), reverse=True)
    moments = [s.at(event - timedelta(days=d)) for d in ordered]
    return list(zip(ordered, moments, [*moments[1:], ends], strict=True))


def course_day_starts(day: date, s: StageSettings) -> datetime:
    """When a course day begins: course notices stop being relevant then."""
    return s.at(day, COURSE_DAY_STARTS)


def course_start_stages(
    starts: date, leads: Sequence[int], now: datetime, s: StageSettings
) -> list[tuple[int, datetime, datetime]]:
    """The course-start reminders (lead days, moment, relevant until) to write now."""
    stages = lead_stages(starts, leads, course_day_starts(starts, s), s)
    return [st for st in stages if plannable(st[1], st[2], now, s)]


def deadline_stage(closes: date, lead_days: int, s: StageSettings) -> tuple[datetime, datetime]:
    """(moment, relevant until) of the reminder that registration closes on `closes`."""
    moment = s.at(closes - timedelta(days=lead_days))
    return moment, s.at(closes + timedelta(days=1), time(0))


def due_dates_of(rule: Rule, today: date) -> list[date]:
    """The due dates a yearly or by-date rule has for everyone around `today` (last year's
    may still have its overdue stage running); none for event-based rules."""
    rec = rule.recurrence
    if rec.type == "yearly" and rec.month_day is not None:
        month, day = rec.month_day
        found = []
        for year in (today.year - 1, today.year):
            try:
                found.append(date(year, month, day))
            except ValueError:  # 29 Feb in a common year
                found.append(date(year, month, 28))
        return found
    if rec.type == "by_date" and rec.due_date is not None:
        return [rec.due_date]
    return []


def due_range(today: date, s: StageSettings) -> tuple[date, date]:
    """The due dates that can have a current stage today, with a day's margin each side."""
    low = today - timedelta(days=s.overdue_days + s.overdue_relevant_days + 1)
    high = today + timedelta(days=max(s.stages_days) + 2)
    return low, high


def event_range(rule: Rule, low: date, high: date) -> tuple[date, date]:
    """The event dates that put an event-based rule's due date within [low, high]."""
    months = rule.recurrence.months or 0
    if rule.recurrence.type == "once_before_event":
        return low, high
    return add_months(low, -months) - EVENT_SLACK, add_months(high, -months) + EVENT_SLACK


def earliest_completion(
    due_dates: Sequence[tuple[Rule, date]],
    event_rules: Sequence[Rule],
    low: date,
    any_course: bool,
) -> date | None:
    """The oldest completion date any rule being planned can count; None: all of them."""
    if any_course:
        return None
    starts: list[date] = []
    for rule, due in due_dates:
        if rule.recurrence.type != "yearly":
            return None
        starts.append(date(due.year, 1, 1))
    for rule in event_rules:
        if rule.recurrence.type != "within_months_after_event":
            return None
        starts.append(add_months(low, -(rule.recurrence.months or 0)) - EVENT_SLACK)
    return min(starts) if starts else None
