"""Every string a person reads is in the catalogue, translated, and formats are Vietnamese."""

from __future__ import annotations

import gettext
import string
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from handlers import ROUTER
from locales import SUPPORTED_LOCALES, _, format_date, format_number, use_locale
from locales.catalog import ROOT, TEMPLATE, extract_args, pybabel
from locales.folding import clean, fold, fold_key
from locales.i18n import DOMAIN, LOCALE_DIR


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def key(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def strings(message: Message) -> tuple[str, ...]:
    value = message.string or ""
    return (value,) if isinstance(value, str) else tuple(value)


def entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


@pytest.fixture(scope="module")
def code_msgids(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The msgids in the code, extracted the way `python -m locales.catalog update` does."""
    output = tmp_path_factory.mktemp("extract") / "messages.pot"
    assert pybabel(extract_args(output)) == 0
    return {key(message) for message in entries(read(output))}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_no_entry_is_empty_or_fuzzy(locale: str) -> None:
    # A fuzzy entry is never shown (the loader skips it) and an empty plural prints nothing.
    catalog = read(po_path(locale), locale)
    assert not catalog.fuzzy, f"{locale}: the catalogue header is marked fuzzy"
    bad = [key(m) for m in entries(catalog) if m.fuzzy or not all(strings(m))]
    assert bad == [], f"{locale}: empty or fuzzy entries"


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_msgid_in_the_code_is_in_the_catalogue(locale: str, code_msgids: set[str]) -> None:
    catalogued = {key(message) for message in entries(read(po_path(locale), locale))}
    assert sorted(code_msgids - catalogued) == [], (
        f"msgids missing from {locale}: run `python -m locales.catalog update` and translate"
    )


def test_the_template_matches_the_code(code_msgids: set[str]) -> None:
    template = {key(message) for message in entries(read(ROOT / TEMPLATE))}
    assert sorted(code_msgids ^ template) == [], (
        f"{TEMPLATE} is stale: run `python -m locales.catalog update`"
    )


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_catalogue_compiles(locale: str, tmp_path: Path) -> None:
    mo = tmp_path / f"{locale}.mo"
    assert pybabel(["compile", "-i", str(po_path(locale)), "-o", str(mo), "-l", locale]) == 0
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in entries(read(po_path(locale), locale)):
        if isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string
        else:
            assert compiled.ngettext(message.id[0], message.id[1], 1) == strings(message)[0]


def placeholders(text: str) -> set[str]:
    return {field for _literal, field, _spec, _conv in string.Formatter().parse(text) if field}


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_translations_use_only_the_msgids_placeholders(locale: str) -> None:
    # A placeholder the code does not pass is a KeyError in front of the official.
    wrong = []
    for message in entries(read(po_path(locale), locale)):
        if "python-brace-format" not in message.flags:
            continue
        ids = (message.id,) if isinstance(message.id, str) else message.id
        # Vietnamese addresses the official ("anh", "Chị") where English needs no word, so
        # the addressing helpers (handlers/common.py, models/notices/texts.py) always pass both.
        allowed = {"title", "Title"}.union(*(placeholders(i) for i in ids))
        if any(placeholders(s) - allowed for s in strings(message)):
            wrong.append(key(message))
    assert wrong == []


def test_vietnamese_is_the_default() -> None:
    assert _("Yes, unlink") == "Có, hủy liên kết"
    with use_locale("en"):
        assert _("Yes, unlink") == "Yes, unlink"
    with use_locale("en-GB"):
        assert _("Yes, unlink") == "Yes, unlink"
    with use_locale("fr"):  # unsupported language: Vietnamese, not a crash
        assert _("Yes, unlink") == "Có, hủy liên kết"


def test_numbers_and_dates() -> None:
    with use_locale("vi"):
        assert format_number(24150) == "24.150"
        assert format_number(60.5) == "60,5"
        assert format_date(date(2026, 12, 31)) == "31/12/2026"
    with use_locale("en"):
        assert format_date(date(2026, 1, 5)) == "05/01/2026"


def test_folding_handles_nfd_tone_styles_and_d() -> None:
    nfd = "Qua\u0309n ly\u0301 nha\u0300 nu\u031bo\u031bc"
    assert fold(nfd) == "quan ly nha nuoc"
    assert fold("khóa") == fold("khoá") == "khoa"
    assert fold("thủy") == fold("thuỷ")
    assert fold("Điện Biên") == "dien bien"
    assert clean("a\u200bb  c ") == "ab c"
    assert fold_key("  Hồ   sơ!! ") == "ho so"


def test_command_descriptions_fit_telegram_limits() -> None:
    for locale in ("vi", "en"):
        with use_locale(locale):
            for _order, command, description in ROUTER.described:
                assert command.islower() and len(command) <= 32
                assert 3 <= len(_(description)) <= 256
