"""When a certificate stops counting: the end of the period of a yearly rule.

The catalogue's only renewal is `recurrence: yearly` (models/requirements/model.py
RECURRENCES): a completion counts for the yearly window it falls in, from 1 January to the
rule's due day (evaluation._window), so the certificate is good until that due day. A
completion after the due day counts for no later window; its certificate runs to the end
of the calendar year. "once", "state" and the event-bound recurrences have no renewal, and
"once, repeat unknown" says nobody knows whether one is needed: no expiry is claimed then.
Advice and province targets are not duties, so they never make a certificate expire. A
kind that also serves a lasting requirement (a rank's QLNN programme counts towards the
yearly update too) keeps its certificate: what it proves does not lapse.
"""

from __future__ import annotations

import calendar
from datetime import date

from models.requirements.model import OBLIGATION, Catalogue, Rule


def _due_in(rule: Rule, year: int) -> date:
    assert rule.recurrence.month_day is not None
    month, day = rule.recurrence.month_day
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def renewing_rules(catalogue: Catalogue, kind: str, completed_on: date) -> list[Rule]:
    """The yearly obligations in force on the day that a completion of `kind` serves."""
    return [
        rule
        for rule in catalogue.active_on(completed_on)
        if rule.recurrence.type == "yearly"
        and rule.recurrence.month_day is not None
        and rule.item == OBLIGATION
        and not rule.advisory
        and kind in rule.training_kinds
    ]


def expiry_for(catalogue: Catalogue, kind: str, completed_on: date) -> date | None:
    """The last day a completion of `kind` on `completed_on` counts, or None (no renewal).
    With several yearly rules the earliest end wins: past it, some duty is open again."""
    lasting = [
        rule
        for rule in catalogue.active_on(completed_on)
        if kind in rule.training_kinds and rule.recurrence.type != "yearly" and not rule.advisory
    ]
    if lasting:
        return None
    ends: list[date] = []
    for rule in renewing_rules(catalogue, kind, completed_on):
        due = _due_in(rule, completed_on.year)
        ends.append(due if completed_on <= due else date(completed_on.year, 12, 31))
    return min(ends, default=None)
