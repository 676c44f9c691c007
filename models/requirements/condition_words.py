"""Any rule condition in the reader's words, for the conditions "Vì sao?" has no sentence of
its own for: a catalogue can test any field with any operator, and a reply never shows a
field code, an operator or a coded value ("languages contains Mông").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from locales import _, format_date
from models.requirements.model import Condition
from models.vocabulary import (
    CATEGORIES,
    EDUCATION_LEVELS,
    LEADERSHIP_TIERS,
    N_,
    POLITICAL_THEORY_LEVELS,
    RANK_TIERS,
)

FIELD_NAMES: dict[str, str] = {
    "level": N_("level of government"),
    "category": N_("category"),
    "rank_tier": N_("rank"),
    "leadership_tier": N_("leadership post"),
    "education_level": N_("qualification"),
    "political_theory_level": N_("political theory level"),
    "rank_code": N_("rank code"),
    "ethnicity": N_("ethnicity"),
    "zone": N_("commune zone"),
    "is_leader": N_("holding a leadership post"),
    "professional_field_matches_post": N_("field of study matching the post"),
    "ethnic_minority_area": N_("working in an ethnic-minority area"),
    "languages": N_("ethnic-minority languages used"),
    "unit": N_("unit"),
    "leadership_appointed_on": N_("date of appointment to the post"),
    "rank_assigned_on": N_("date of appointment to the rank"),
    "started_service_on": N_("date of recruitment"),
    "birth_date": N_("date of birth"),
    "post_title": N_("post title"),
}
_VOCABULARIES: dict[str, dict[str, str]] = {
    "category": CATEGORIES,
    "rank_tier": RANK_TIERS,
    "leadership_tier": LEADERSHIP_TIERS,
    "education_level": EDUCATION_LEVELS,
    "political_theory_level": POLITICAL_THEORY_LEVELS,
}
_OPS: dict[str, str] = {
    "eq": N_("{field} is {value}"),
    "ne": N_("{field} is not {value}"),
    "in": N_("{field} is one of: {value}"),
    "not_in": N_("{field} is none of: {value}"),
    "gte": N_("{field} is {value} or higher"),
    "lte": N_("{field} is at most {value}"),
    "is_null": N_("no {field} is recorded"),
    "not_null": N_("a {field} is recorded"),
    "non_empty": N_("at least one {field} is recorded"),
    "empty": N_("no {field} is recorded"),
    "contains": N_("{field} include {value}"),
    "under": N_("{field} is in {value}"),
    "not_under": N_("{field} is outside {value}"),
    "mentions_any": N_("{field} mentions one of: {value}"),
    "mentions_none": N_("{field} mentions none of: {value}"),
}
_DATE_OPS: dict[str, str] = {
    "gte": N_("{field} is on or after {value}"),
    "lte": N_("{field} is on or before {value}"),
}


def field_name(field: str) -> str:
    label = FIELD_NAMES.get(field)
    return _(label) if label else field.replace("_", " ")


def value_words(field: str, value: Any, names: Mapping[str, str] | None = None) -> str:
    """A coded value (or several) as people read it; `names` maps the catalogue's own codes
    (levels, unit paths) to their names."""
    if isinstance(value, (tuple, list, set, frozenset)):
        parts = [value_words(field, v, names) for v in value]
        return ", ".join(sorted(parts) if isinstance(value, (set, frozenset)) else parts)
    if value is None:
        return _("not recorded")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return format_date(value)
    vocab = _VOCABULARIES.get(field)
    if vocab and value in vocab:
        return _(vocab[value])
    if names and str(value) in names:
        return names[str(value)]
    if field == "unit":
        # A unit path is the database's internal key, never something a reader knows.
        return _("a unit not named in the catalogue")
    return str(value)


def condition_words(condition: Condition, names: Mapping[str, str] | None = None) -> str:
    """ "ngày bổ nhiệm chức vụ từ ngày 01/07/2025 trở đi", never "leadership_appointed_on gte"."""
    op = condition.op
    template = _DATE_OPS.get(op) if isinstance(condition.value, date) else None
    template = template or _OPS.get(op, N_("{field} is {value}"))
    return _(template).format(
        field=field_name(condition.field),
        value=value_words(condition.field, condition.value, names),
    )


def fact_words(field: str, value: Any, names: Mapping[str, str] | None = None) -> str:
    """The official's own value of a field: "your {field} is {value}"."""
    return _("your {field} is {value}").format(
        field=field_name(field), value=value_words(field, value, names)
    )
