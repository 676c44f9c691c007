"""The columns a rule can test, read straight from the tables, and the row → `Profile`
conversion: one definition for every bulk reader (planning, compliance), so a new profile
field is added in one place."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, null, type_coerce

from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.evaluation import Profile, folded
from models.requirements.model import Rule

# In `Profile`'s field order (before the derived fields); readers select these first, then
# whatever else they need, and join OrgUnit on Official.unit_id.
PROFILE_COLUMNS = (
    Official.id,
    Official.level,
    Official.category,
    OrgUnit.path,
    OrgUnit.ethnic_minority_area,
    OrgUnit.zone,
    Official.rank_code,
    Official.rank_tier,
    Official.leadership_tier,
    Official.education_level,
    Official.political_theory_level,
    Official.professional_field_matches_post,
    Official.ethnicity,
    # The JSON text as stored: most officials list no language, and decoding "[]" through
    # the JSON type for each of them was a third of the time spent reading profiles.
    type_coerce(Official.languages, Text),
    Official.leadership_appointed_on,
    Official.rank_assigned_on,
    Official.started_service_on,
    Official.birth_date,
    Official.post_title,
)
WIDTH = len(PROFILE_COLUMNS)
# The Profile field each column fills (is_leader is derived from leadership_tier).
COLUMN_FIELDS = (
    "official_id",
    "level",
    "category",
    "unit_path",
    "ethnic_minority_area",
    "zone",
    "rank_code",
    "rank_tier",
    "leadership_tier",
    "education_level",
    "political_theory_level",
    "professional_field_matches_post",
    "ethnicity",
    "languages",
    "leadership_appointed_on",
    "rank_assigned_on",
    "started_service_on",
    "birth_date",
    "post_title",
)
# Never left out: the id, and what a profile's non-optional fields hold.
_ALWAYS = frozenset({"official_id", "level", "category", "unit_path"})


def profile_columns(reads: Collection[str] | None = None) -> tuple[Any, ...]:
    """PROFILE_COLUMNS, with NULL in place of the columns no rule in question reads
    (`reads`: Profile field names, see `rule_reads`), so a reader judging one rule does not
    fetch and convert five dates per official for nothing. None: every column."""
    if reads is None:
        return PROFILE_COLUMNS
    wanted = _ALWAYS | set(reads)
    return tuple(
        column if name in wanted else null()
        for name, column in zip(COLUMN_FIELDS, PROFILE_COLUMNS, strict=True)
    )


def rule_reads(rules: Collection[Rule]) -> frozenset[str]:
    """The Profile fields evaluating these rules can read: their conditions', their
    attribute items' and their event dates."""
    fields: set[str] = set()
    for rule in rules:
        conditions = [*rule.conditions]
        conditions += [c for item in rule.items if (c := getattr(item, "condition", None))]
        for condition in conditions:
            name = condition.field
            fields.add({"unit": "unit_path", "is_leader": "leadership_tier"}.get(name, name))
        if rule.recurrence.event:
            fields.add(rule.recurrence.event)
    return frozenset(fields)


_NO_LANGUAGES: frozenset[str] = frozenset()
_new_tuple = tuple.__new__
_NONE_LISTED = "[]"  # how most officials' languages are stored


def profile_from_row(row: Sequence[Any]) -> Profile:
    """A `Profile` from the first `WIDTH` values of a row selected with PROFILE_COLUMNS.
    Positional on purpose: this runs once per official in planning and in reports."""
    (
        oid,
        level,
        category,
        path,
        minority,
        zone,
        rank_code,
        rank_tier,
        tier,
        edu,
        theory,
        matches,
        ethnicity,
        languages,
        appointed,
        rank_on,
        started,
        born,
        post_title,
    ) = row[:WIDTH]
    # tuple.__new__ straight away: Profile(...) is a Python-level __new__ around it, a
    # frame per official for nothing.
    return _new_tuple(
        Profile,
        (
            oid,
            level,
            category,
            path,
            bool(minority),
            folded(zone) if zone else None,
            folded(rank_code) if rank_code else None,
            rank_tier,
            tier,
            tier is not None,
            edu,
            theory,
            matches,
            folded(ethnicity) if ethnicity else None,
            _NO_LANGUAGES if not languages or languages == _NONE_LISTED else _languages(languages),
            appointed,
            rank_on,
            started,
            born,
            folded(post_title) if post_title else None,
        ),
    )


def _languages(raw: str | list[str] | None) -> frozenset[str]:
    if not raw:
        return _NO_LANGUAGES
    if isinstance(raw, str):
        return _parsed_languages(raw)
    return frozenset(folded(x) for x in raw) if raw else _NO_LANGUAGES


@lru_cache(maxsize=4096)
def _parsed_languages(raw: str) -> frozenset[str]:
    # A province's officials share a few dozen distinct lists: parse each once.
    items = json.loads(raw)
    return frozenset(folded(x) for x in items) if items else _NO_LANGUAGES
