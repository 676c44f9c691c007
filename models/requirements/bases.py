"""Legal bases over time: which rules still rest on something in force on a given day.

A catalogue outlives the decrees it cites. Loading one warns about every rule that is
still meant to apply but whose bases have all lapsed, so HR replaces the basis instead of
the bot presenting a repealed decree as a duty.
"""

from __future__ import annotations

from datetime import date

from models.requirements.model import Catalogue, Rule
from models.requirements.reader import CatalogueError
from models.vocabulary import N_

MSG_ALL_LAPSED = N_(
    "{where}: every basis it cites has lapsed by {date} ({bases}). It must not be presented "
    "as a legal duty: add a basis in force, or make it advice."
)


def still_meant_to_apply(rule: Rule, day: date) -> bool:
    """Valid on `day` or later: a rule whose own window ended is history, not a problem."""
    return rule.valid_to is None or rule.valid_to >= day


def lapsed_rules(catalogue: Catalogue, day: date) -> list[Rule]:
    return [
        rule
        for rule in catalogue.rules
        if still_meant_to_apply(rule, day) and rule.all_bases_lapsed(day)
    ]


def lapse_warnings(catalogue: Catalogue, day: date) -> list[CatalogueError]:
    """One warning per rule still meant to apply whose every basis has lapsed on `day`."""
    return [
        CatalogueError(
            rule.id,
            MSG_ALL_LAPSED,
            {
                "date": day.strftime("%d/%m/%Y"),
                "bases": ", ".join(ref.basis.id for ref in rule.basis),
            },
        )
        for rule in lapsed_rules(catalogue, day)
    ]
