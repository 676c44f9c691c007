"""When reminders fall, computed from dates alone: requirement stages and their relevance,
the stage a planner plans now (also after downtime), course leads, registration deadlines,
the due dates of yearly and by-date rules and the windows that narrow the reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.notices.outbox import REQUIREMENT_DUE, REQUIREMENT_OVERDUE
from models.notices.planning import PlanningSettings
from models.notices.stages import (
    course_day_starts,
    course_start_stages,
    current,
    deadline_stage,
    due_dates_of,
    due_range,
    earliest_completion,
    event_range,
    lead_stages,
    plannable,
    stages_for,
)
from models.requirements.model import Recurrence, Rule
from models.requirements.store import default_catalogue

S = PlanningSettings(tz=ZoneInfo("Asia/Ho_Chi_Minh"))
VN = S.tz
DUE = date(2026, 12, 31)


def local(y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


def rule(recurrence: Recurrence) -> Rule:
    return replace(default_catalogue().rules[0], recurrence=recurrence)


def test_default_stages_are_1_october_15_november_15_december() -> None:
    days = [st.moment.astimezone(VN).date() for st in stages_for(DUE, S)]
    assert days == [date(2026, 10, 1), date(2026, 11, 15), date(2026, 12, 15), date(2027, 1, 1)]


def test_each_stage_is_relevant_until_the_next_begins() -> None:
    stages = stages_for(DUE, S)
    assert [(st.kind, st.days_before) for st in stages] == [
        (REQUIREMENT_DUE, 91),
        (REQUIREMENT_DUE, 46),
        (REQUIREMENT_DUE, 16),
        (REQUIREMENT_OVERDUE, -1),
    ]
    assert [st.relevant_until for st in stages] == [
        local(2026, 11, 15),
        local(2026, 12, 15),
        local(2027, 1, 1, 0),  # the last due stage: until the due day ends
        local(2027, 1, 15),  # the overdue one: 14 days
    ]


def test_configured_days_and_overdue_shift_the_stages() -> None:
    s = PlanningSettings(
        tz=VN, stages_days=(30, 7), overdue_days=3, overdue_relevant_days=2, send_time=time(9, 30)
    )
    stages = stages_for(DUE, s)
    assert [st.moment for st in stages] == [
        local(2026, 12, 1, 9, 30),
        local(2026, 12, 24, 9, 30),
        local(2027, 1, 3, 9, 30),
    ]
    assert stages[-1].days_before == -3
    assert stages[-1].relevant_until == local(2027, 1, 5, 9, 30)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(2026, 10, 1, 1, 59), []),  # more than the 6-hour horizon ahead
        (local(2026, 10, 1, 2), [91]),
        (local(2026, 11, 20), [46]),  # down since before 15 November: the current stage only
        (local(2026, 12, 15, 2), [16]),  # about to begin: supersedes the 46-day stage
        (local(2026, 12, 31, 23, 59), [16]),
        (local(2027, 1, 1), [-1]),
        (local(2027, 1, 15), []),  # the overdue notice is no longer relevant
    ],
)
def test_current_is_the_one_stage_to_plan_now(now: datetime, expected: list[int]) -> None:
    assert [st.days_before for st in current(stages_for(DUE, S), now, S)] == expected


def test_plannable_from_the_horizon_until_relevance_ends() -> None:
    moment, until = local(2026, 10, 1), local(2026, 10, 2)
    assert plannable(moment, until, moment - S.horizon, S)
    assert not plannable(moment, until, moment - S.horizon - timedelta(seconds=1), S)
    assert plannable(moment, until, until - timedelta(seconds=1), S)
    assert not plannable(moment, until, until, S)


def test_lead_stages_are_ordered_and_chained() -> None:
    ends = local(2026, 12, 10, 7, 30)
    assert lead_stages(date(2026, 12, 10), [1, 7, 3, 7], ends, S) == [
        (7, local(2026, 12, 3), local(2026, 12, 7)),
        (3, local(2026, 12, 7), local(2026, 12, 9)),
        (1, local(2026, 12, 9), ends),
    ]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(2026, 12, 2), []),
        (local(2026, 12, 3, 3), [7]),
        # Unlike requirement stages, every lead still relevant is written (keys differ).
        (local(2026, 12, 9, 3), [7, 1]),
        (local(2026, 12, 9), [1]),
        (local(2026, 12, 10, 7, 29), [1]),
        (local(2026, 12, 10, 7, 30), []),  # the course day has begun
    ],
)
def test_course_start_stages_to_write_now(now: datetime, expected: list[int]) -> None:
    found = course_start_stages(date(2026, 12, 10), (7, 1), now, S)
    assert [lead for lead, _moment, _until in found] == expected
    assert all(until <= course_day_starts(date(2026, 12, 10), S) for _l, _m, until in found)


def test_registration_deadline_reminder_runs_until_the_closing_day_ends() -> None:
    assert deadline_stage(date(2026, 12, 15), 2, S) == (
        local(2026, 12, 13),
        local(2026, 12, 16, 0),
    )


def test_due_dates_of_yearly_rules_cover_last_year_and_this_year() -> None:
    yearly = rule(Recurrence("yearly", month_day=(12, 31)))
    assert due_dates_of(yearly, date(2026, 10, 1)) == [date(2025, 12, 31), date(2026, 12, 31)]
    leap = rule(Recurrence("yearly", month_day=(2, 29)))
    assert due_dates_of(leap, date(2028, 3, 1)) == [date(2027, 2, 28), date(2028, 2, 29)]


def test_due_dates_of_by_date_and_event_rules() -> None:
    assert due_dates_of(rule(Recurrence("by_date", due_date=DUE)), date(2026, 1, 1)) == [DUE]
    event = Recurrence("within_months_after_event", event="rank_assigned_on", months=12)
    assert due_dates_of(rule(event), date(2026, 1, 1)) == []


def test_due_range_spans_the_overdue_window_and_the_first_stage() -> None:
    assert due_range(date(2026, 10, 1), S) == (date(2026, 9, 15), date(2027, 1, 2))


def test_event_range_moves_back_by_the_rule_months_with_slack() -> None:
    low, high = date(2026, 9, 15), date(2027, 1, 2)
    within = rule(Recurrence("within_months_after_event", event="rank_assigned_on", months=12))
    assert event_range(within, low, high) == (date(2025, 9, 12), date(2026, 1, 5))
    before = rule(Recurrence("once_before_event", event="rank_assigned_on"))
    assert event_range(before, low, high) == (low, high)


def test_earliest_completion_a_planned_rule_can_count() -> None:
    low = date(2026, 9, 15)
    yearly = rule(Recurrence("yearly", month_day=(12, 31)))
    within = rule(Recurrence("within_months_after_event", event="rank_assigned_on", months=24))
    slots = [(yearly, date(2025, 12, 31)), (yearly, date(2026, 12, 31))]
    assert earliest_completion(slots, [], low, False) == date(2025, 1, 1)
    assert earliest_completion(slots[1:], [within], low, False) == date(2024, 9, 12)
    assert earliest_completion([], [], low, False) is None
    # Any rule that can count older training (or a course deadline) reads everything.
    assert earliest_completion(slots, [], low, True) is None
    by_date = rule(Recurrence("by_date", due_date=DUE))
    assert earliest_completion([(by_date, DUE)], [within], low, False) is None
    before = rule(Recurrence("once_before_event", event="rank_assigned_on"))
    assert earliest_completion(slots, [before], low, False) is None
