"""A province is data: the national rules composed with one province's file.

The national file (models/requirements/data/national.yaml) holds what every province
shares: levels, training kinds, laws and decrees, national rules and default parameter
values. A province file holds the province's name and code, its own bases (plans,
decisions), its own rules, its targets with their periods and its parameter values. The
composition is an ordinary catalogue document (docs/requirements.md), so storing, hashing
and compiling it need nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models.requirements.parser import read_document

NATIONAL_FILE = Path(__file__).resolve().parent / "data" / "national.yaml"
# Read by bot/config.py (the send window; the year report's layout), not part of the
# catalogue.
NOT_CATALOGUE = ("holidays", "year_report_template")
# What a province file may hold; anything else is reported by the catalogue's own checks.
PROVINCE_KEYS = (
    *NOT_CATALOGUE,
    "province",
    "catalogue",
    "version",
    "jurisdiction",
    "parameters",
    "bases",
    "rules",
    "targets",
    "levels",
    "training_kinds",
    "notes",
)


def national_document() -> dict[str, Any]:
    return read_document(NATIONAL_FILE)


def compose(national: Mapping[str, Any], province: Mapping[str, Any]) -> dict[str, Any]:
    """One catalogue document: the province's rules first (its own items lead the list),
    then the national ones. A province overrides a parameter's value and explanation and
    may add levels, training kinds and bases (the province's wins on a shared id); a rule
    or target id both files declare is kept twice, so validation reports it as used twice."""
    composed: dict[str, Any] = {
        key: value for key, value in province.items() if key not in PROVINCE_KEYS
    }  # unknown keys survive, so validation names them
    composed["catalogue"] = province.get("catalogue") or national.get("catalogue")
    composed["version"] = province.get("version") or national.get("version")
    composed["jurisdiction"] = province.get("jurisdiction") or national.get("jurisdiction")
    composed["national"] = {
        "catalogue": national.get("catalogue"),
        "version": national.get("version"),
    }
    if "province" in province:
        composed["province"] = province["province"]
    for section in ("levels", "training_kinds", "bases"):
        merged = dict(_mapping(national.get(section)))
        merged.update(_mapping(province.get(section)))
        composed[section] = merged
    parameters = {name: dict(spec) for name, spec in _mapping(national.get("parameters")).items()}
    for name, spec in _mapping(province.get("parameters")).items():
        parameters[name] = {**parameters.get(name, {}), **spec} if isinstance(spec, dict) else spec
    composed["parameters"] = parameters
    composed["rules"] = _list(province.get("rules")) + _list(national.get("rules"))
    composed["targets"] = _list(province.get("targets")) + _list(national.get("targets"))
    if "notes" in province or "notes" in national:
        composed["notes"] = province.get("notes", national.get("notes"))
    return composed


def catalogue_document(province_file: Path | None) -> dict[str, Any]:
    """What applies when no catalogue is stored: the national rules alone, or composed with
    the province file the deployment names (PROVINCE_FILE)."""
    national = national_document()
    if province_file is None:
        return national
    return compose(national, read_document(province_file))


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []
