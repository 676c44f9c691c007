"""Translations (gettext catalogues under locales/<lang>/LC_MESSAGES) and text helpers."""

from locales.i18n import (
    DEFAULT_LOCALE,
    SUPPORTED_LOCALES,
    current_locale,
    format_date,
    format_datetime,
    format_number,
    gettext,
    ngettext,
    use_locale,
)

_ = gettext

__all__ = [
    "DEFAULT_LOCALE",
    "SUPPORTED_LOCALES",
    "_",
    "current_locale",
    "format_date",
    "format_datetime",
    "format_number",
    "gettext",
    "ngettext",
    "use_locale",
]
