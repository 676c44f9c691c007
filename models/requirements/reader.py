"""Reading the catalogue document: the problems validation reports (each with where it
is), and the small readers every section uses to check a value and record a problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from locales import _
from models.requirements.model import Text
from models.vocabulary import N_

# Translated when the error is shown, in the reader's locale (CatalogueError.message).
MSG_YAML = N_("The catalogue could not be read as YAML: {error}")
MSG_MAPPING = N_("{where}: expected a mapping (key: value).")
MSG_LIST = N_("{where}: expected a list with at least one item.")
MSG_MISSING = N_("{where}: “{key}” is missing.")
MSG_UNKNOWN_KEY = N_("{where}: unknown key “{key}”.")
MSG_DUPLICATE = N_("{where}: the id “{id}” is used twice.")
MSG_BAD_ID = N_("{where}: “{id}” is not a valid id (letters, digits, “-”, “_”, “.”; at most 48).")
MSG_UNKNOWN_FIELD = N_("{where}: unknown field “{field}”. Known fields: {known}.")
MSG_BAD_OP = N_("{where}: the operator “{op}” cannot be used with “{field}”. Allowed: {allowed}.")
MSG_BAD_VALUE = N_("{where}: “{value}” is not a valid value for “{field}”. Allowed: {allowed}.")
MSG_UNKNOWN_KIND = N_("{where}: unknown training kind “{kind}”.")
MSG_UNKNOWN_PARAM = N_("{where}: unknown parameter “{param}”.")
MSG_UNKNOWN_BASIS = N_("{where}: unknown basis “{ref}”.")
MSG_UNKNOWN_RULE = N_("{where}: unknown rule “{rule}”.")
MSG_BAD_DATE = N_("{where}: “{value}” is not a date (YYYY-MM-DD).")
MSG_BAD_MONTH_DAY = N_("{where}: “{value}” is not a month and day (MM-DD).")
MSG_BAD_NUMBER = N_("{where}: “{value}” must be a whole number of at least {min}.")
MSG_BAD_CHOICE = N_("{where}: “{value}” is not allowed. Allowed: {allowed}.")
MSG_BAD_WINDOW = N_("{where}: “from” is after “to”.")
MSG_BAD_THRESHOLD = N_("{where}: the threshold must be a number between 0 and 1.")
MSG_NO_TEXT = N_("{where}: needs a Vietnamese text (vi).")
MSG_ITEM = N_("{where}: each item needs either “training” or “field”.")
MSG_BAD_TOPIC = N_(
    "{where}: “{value}” is not a topic; write its code (e.g. PL-01) or a code with its title"
    " (code: PL-01, vi: …)."
)
MSG_TOPIC_TWICE = N_("{where}: the topic “{code}” is listed twice.")
MSG_TOPICS_TOO_MANY = N_(
    "{where}: “at_least” is {at_least} but only {count} topics are listed; the rule cannot ask"
    " for more topics than it names."
)
MSG_TOPICS_COMPULSORY_ABOVE = N_(
    "{where}: {compulsory} topics are compulsory but “at_least” is {at_least}; the compulsory"
    " topics cannot be more than the topics required."
)
MSG_TOPICS_UNKNOWN_COMPULSORY = N_(
    "{where}: the compulsory topic “{code}” is not one of the topics listed."
)
MSG_SATISFIED = N_("{where}: needs exactly one of “any_of” or “all_of”.")


@dataclass(frozen=True)
class CatalogueError:
    where: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        return _(self.msgid).format(where=self.where, **self.params)

    def __str__(self) -> str:
        return self.msgid.format(where=self.where, **self.params)


class Reader:
    """Reads values out of the document; each problem is recorded, never raised, so one
    pass reports all of them. Readers that share `errors` report into one list."""

    def __init__(self, errors: list[CatalogueError] | None = None) -> None:
        self.errors: list[CatalogueError] = [] if errors is None else errors

    def error(self, where: str, msgid: str, **params: Any) -> None:
        self.errors.append(CatalogueError(where, msgid, params))

    def mapping(self, value: Any, where: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.error(where, MSG_MAPPING)
        return None

    def text(self, value: Any, where: str, *, required: bool = True) -> Text | None:
        if value is None and not required:
            return None
        if isinstance(value, str) and value.strip():
            return Text(value.strip())
        if isinstance(value, dict) and isinstance(value.get("vi"), str) and value["vi"].strip():
            en = value.get("en")
            return Text(value["vi"].strip(), en.strip() if isinstance(en, str) else None)
        self.error(where, MSG_NO_TEXT)
        return None

    def day(self, value: Any, where: str) -> date | None:
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.error(where, MSG_BAD_DATE, value=value)
            return None

    def whole(self, value: Any, where: str, minimum: int) -> int | None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        self.error(where, MSG_BAD_NUMBER, value=value, min=minimum)
        return None

    def check_keys(self, data: Mapping[str, Any], allowed: set[str], where: str) -> None:
        for key in data:
            if key not in allowed:
                self.error(where, MSG_UNKNOWN_KEY, key=key)
