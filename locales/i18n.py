"""Per-update locale selection and gettext lookups.

Catalogues come from the .po files at first use, so a fresh clone needs no `pybabel
compile` and no stale .mo file can outlive its .po on a server (.mo files are git-ignored;
`python -m locales.catalog compile` only checks that they build). Each .po is compiled once
into a cache named by its content (locales/compiled.py), which later starts read.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from locales import compiled

LOCALE_DIR = Path(__file__).resolve().parent
DOMAIN = "messages"
DEFAULT_LOCALE = "vi"
SUPPORTED_LOCALES = ("vi", "en")

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def normalize_locale(value: str | None, fallback: str = DEFAULT_LOCALE) -> str:
    """Map a platform language hint ("en-US", "vi") to a supported locale."""
    if not value:
        return fallback
    lang = value.replace("_", "-").split("-")[0].lower()
    return lang if lang in SUPPORTED_LOCALES else fallback


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return _gettext.NullTranslations()
    return compiled.load(po_path, locale)


def current_locale() -> str:
    return _current.get()


@contextmanager
def use_locale(locale: str | None) -> Iterator[str]:
    token = _current.set(normalize_locale(locale))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def set_locale(locale: str | None) -> None:
    """Switch the locale for the rest of the current context (e.g. after /ngonngu)."""
    _current.set(normalize_locale(locale))


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def format_number(value: float | int, locale: str | None = None) -> str:
    return babel_numbers.format_decimal(value, locale=Locale.parse(locale or _current.get()))


def format_percent(value: float, locale: str | None = None) -> str:
    return babel_numbers.format_percent(
        value, format="#,##0.#%", locale=Locale.parse(locale or _current.get())
    )


def format_date(value: date | datetime, tz: ZoneInfo | None = None) -> str:
    """dd/mm/yyyy in every locale: officials read dates this way whatever the language."""
    if isinstance(value, datetime) and tz is not None:
        value = value.astimezone(tz)
    # The same pattern and Western digits in every supported locale: strftime gives what
    # Babel would, without parsing the locale on each of the many dates of a reply.
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime, tz: ZoneInfo) -> str:
    return babel_dates.format_datetime(
        value.astimezone(tz), "HH:mm dd/MM/yyyy", tzinfo=tz, locale=Locale.parse(_current.get())
    )
