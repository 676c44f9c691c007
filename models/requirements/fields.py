"""The profile fields a rule may test, the operators each kind of field allows, and the
predicates conditions compile to.

Vocabularies come from models/vocabulary.py; "level" is an enum whose values the catalogue
itself declares (its `levels` section).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from models.vocabulary import (
    CATEGORIES,
    EDUCATION_LEVELS,
    LEADERSHIP_TIERS,
    POLITICAL_THEORY_LEVELS,
    RANK_TIERS,
)

if TYPE_CHECKING:
    from models.requirements.evaluation import Profile
    from models.requirements.model import Rule

ORDERED: dict[str, tuple[str, ...]] = {
    "education_level": tuple(EDUCATION_LEVELS),
    "political_theory_level": tuple(POLITICAL_THEORY_LEVELS),
}
ENUMS: dict[str, tuple[str, ...]] = {
    "category": tuple(CATEGORIES),
    "rank_tier": tuple(RANK_TIERS),
    "leadership_tier": tuple(LEADERSHIP_TIERS),
}
# field -> kind; "level" is an enum whose values the catalogue itself declares.
FIELDS: dict[str, str] = {
    "level": "enum",
    "category": "enum",
    "rank_tier": "enum",
    "leadership_tier": "enum",
    "education_level": "ordered",
    "political_theory_level": "ordered",
    "rank_code": "text",
    "ethnicity": "text",
    "zone": "text",
    "post_title": "phrase",
    "is_leader": "bool",
    "professional_field_matches_post": "bool",
    "ethnic_minority_area": "bool",
    "languages": "set",
    "unit": "unit",
    "leadership_appointed_on": "date",
    "rank_assigned_on": "date",
    "started_service_on": "date",
    "birth_date": "date",
}
# Sensitive personal data (Decree 13/2023/NĐ-CP Art. 2.4: ethnic origin). A rule that reads
# one of these tells whoever sees it next to a name something sensitive about that person
# ("owes the minority-language rule" = "is Kinh"), so only the official sees it named.
SENSITIVE_FIELDS: frozenset[str] = frozenset({"ethnicity"})
OPS: dict[str, tuple[str, ...]] = {
    "enum": ("eq", "ne", "in", "not_in", "is_null", "not_null"),
    "ordered": ("eq", "ne", "in", "not_in", "gte", "lte", "is_null", "not_null"),
    "text": ("eq", "ne", "in", "not_in", "is_null", "not_null"),
    # Free-text titles ("Trưởng Công an xã Sín Thầu"): matched by the phrases they contain.
    "phrase": ("mentions_any", "mentions_none", "is_null", "not_null"),
    "bool": ("eq",),
    "set": ("non_empty", "empty", "contains"),
    "unit": ("under", "not_under"),
    "date": ("gte", "lte", "is_null", "not_null"),
}
NO_VALUE = frozenset({"is_null", "not_null", "non_empty", "empty"})


def predicate(field_name: str, kind: str, op: str, value: Any) -> Callable[[Profile], bool]:
    """A closure over C-level getters and frozensets: this runs rules × officials times."""
    get = attrgetter("unit_path" if kind == "unit" else field_name)
    if op == "is_null":
        return lambda p: get(p) is None
    if op == "not_null":
        return lambda p: get(p) is not None
    if op == "non_empty":
        return lambda p: bool(get(p))
    if op == "empty":
        return lambda p: not get(p)
    if op == "contains":
        return lambda p: value in get(p)
    if op in ("mentions_any", "mentions_none"):
        phrases = tuple(value)
        if op == "mentions_any":
            return lambda p: (v := get(p)) is not None and any(x in v for x in phrases)
        return lambda p: (v := get(p)) is None or not any(x in v for x in phrases)
    if op == "under":
        prefixes = tuple(value)
        return lambda p: get(p).startswith(prefixes)
    if op == "not_under":
        prefixes = tuple(value)
        return lambda p: not get(p).startswith(prefixes)
    if op == "eq":
        return lambda p: get(p) == value
    if op == "ne":
        return lambda p: get(p) != value
    if op in ("in", "not_in"):
        members = frozenset(value)
        if op == "in":
            return lambda p: get(p) in members
        return lambda p: get(p) not in members
    if kind == "ordered":
        order = ORDERED[field_name]
        cut = order.index(value)
        allowed = frozenset(order[cut:] if op == "gte" else order[: cut + 1])
        return lambda p: get(p) in allowed
    if op == "gte":
        return lambda p: (v := get(p)) is not None and v >= value
    return lambda p: (v := get(p)) is not None and v <= value


def allowed_values(field_name: str, levels: Iterable[str]) -> tuple[str, ...]:
    """The values an enum or ordered field may take; `levels` are the catalogue's own."""
    if field_name == "level":
        return tuple(levels)
    return ORDERED.get(field_name) or ENUMS[field_name]


def is_sensitive(rule: Rule) -> bool:
    """Whether the rule's conditions or attribute items read a sensitive field."""
    if any(c.field in SENSITIVE_FIELDS for c in rule.conditions):
        return True
    return any(
        (condition := getattr(item, "condition", None)) is not None
        and condition.field in SENSITIVE_FIELDS
        for item in rule.items
    )
