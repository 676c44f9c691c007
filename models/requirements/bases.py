"""Legal bases over time: which rules still rest on something in force on a given day.

A catalogue outlives the decrees it cites. Loading one warns about every rule that is
still meant to apply but whose bases have all lapsed, so HR replaces the basis instead of
the bot presenting a repealed decree as a duty.
"""

from __future__ import annotations

from datetime import date

from models.requirements.model import OBLIGATION, Catalogue, Rule
from models.requirements.reader import CatalogueError
from models.vocabulary import N_

MSG_ALL_LAPSED = N_(
    "{where}: every basis it cites has lapsed by {date} ({bases}). It must not be presented "
    "as a legal duty: add a basis in force, or make it advice."
)


MSG_DUTY_WITHOUT_LAW = N_(
    "{where}: it is an obligation, but no legal document it cites is in force on {date} (only "
    "{bases}). Cite the law in force, or make it a target or advice."
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


def duties_without_law(catalogue: Catalogue, day: date) -> list[Rule]:
    """Obligations still meant to apply that rest on no law in force (a province's target
    alone, say): presented as a duty, they would claim a legal force they lack."""
    return [
        rule
        for rule in catalogue.rules
        if rule.item == OBLIGATION
        and still_meant_to_apply(rule, day)
        and not rule.all_bases_lapsed(day)
        and not rule.has_basis_in_force(day)
    ]


def lapse_warnings(catalogue: Catalogue, day: date) -> list[CatalogueError]:
    """One warning per rule still meant to apply whose every basis has lapsed on `day`, and
    one per obligation that rests on no law in force."""
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
    ] + [
        CatalogueError(
            rule.id,
            MSG_DUTY_WITHOUT_LAW,
            {
                "date": day.strftime("%d/%m/%Y"),
                "bases": ", ".join(ref.basis.id for ref in rule.bases_in_force(day)),
            },
        )
        for rule in duties_without_law(catalogue, day)
    ]
