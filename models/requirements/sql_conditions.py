"""A rule's conditions as SQL, for a reader that wants only the officials the rule can
apply to ("still owes", a province of 24,150 of whom a rule concerns a few hundred).

Each term is implied by its condition: every official the condition admits passes it, so a
reader that still tests the rule in Python (DayRules.applicable) finds the same officials
among fewer rows. Only conditions with an exact twin become terms: plain columns compared
as stored (folded text, phrases, sets, dates and units stay in Python).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from models.org.officials import Official
from models.requirements.model import Condition, Rule

# Profile fields that hold the column's value unchanged (profiles.profile_from_row).
_AS_STORED = {
    "level": Official.level,
    "category": Official.category,
    "rank_tier": Official.rank_tier,
    "leadership_tier": Official.leadership_tier,
    "education_level": Official.education_level,
    "political_theory_level": Official.political_theory_level,
}


def implied_terms(rule: Rule) -> list[ColumnElement[bool]]:
    """WHERE terms every official the rule applies to meets (none: no narrowing)."""
    return [term for c in rule.conditions if (term := _term(c)) is not None]


def _term(condition: Condition) -> ColumnElement[bool] | None:
    op, value = condition.op, condition.value
    if condition.field == "is_leader":  # leadership_tier is not None (profile_from_row)
        if op != "eq":
            return None
        tier = Official.leadership_tier
        return tier.is_not(None) if value else tier.is_(None)
    column = _AS_STORED.get(condition.field)
    if column is None:
        return None
    if op == "is_null":
        return column.is_(None)
    if op == "not_null":
        return column.is_not(None)
    # SQL's NULL is never equal to nor in anything, and neither is Python's None here: the
    # values were checked against the field's vocabulary (rule_parser.scalar).
    if op == "eq" and value is not None:
        return column == value
    if op == "in" and None not in value:
        return column.in_(sorted(value))
    return None  # ne / not_in admit NULL in Python but not in SQL; gte/lte stay in Python
