"""The columns a rule can test, read straight from the tables, and the row → `Profile`
conversion: one definition for every bulk reader (planning, compliance), so a new profile
field is added in one place."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, type_coerce

from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.evaluation import Profile, folded

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

_NO_LANGUAGES: frozenset[str] = frozenset()


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
    return Profile(
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
        _languages(languages),
        appointed,
        rank_on,
        started,
        born,
        folded(post_title) if post_title else None,
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
