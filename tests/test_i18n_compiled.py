"""The compiled-catalogue cache (locales/compiled.py) serves exactly what compiling the .po
in memory served, and never a catalogue older than its .po."""

from __future__ import annotations

import gettext
import io
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from locales import compiled
from locales.i18n import DOMAIN, LOCALE_DIR, SUPPORTED_LOCALES


def in_memory(po_path: Path, locale: str) -> gettext.GNUTranslations:
    """How locales.i18n compiled a catalogue before the cache, on every start."""
    with po_path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def copy_po(tmp_path: Path, locale: str) -> Path:
    target = tmp_path / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    target.parent.mkdir(parents=True)
    shutil.copy(LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po", target)
    return target


def catalogue(translations: gettext.GNUTranslations) -> dict[object, str]:
    return dict(translations._catalog)  # type: ignore[attr-defined]


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_cached_catalogue_is_the_in_memory_one(locale: str, tmp_path: Path) -> None:
    po = copy_po(tmp_path, locale)
    expected = in_memory(po, locale)
    first = compiled.load(po, locale)  # compiles and stores
    stored = list((po.parent / compiled.CACHE_DIR_NAME).glob("*.mo"))
    assert len(stored) == 1
    second = compiled.load(po, locale)  # reads the stored file
    assert catalogue(first) == catalogue(second) == catalogue(expected)
    assert second.ngettext("{n} day", "{n} days", 2) == expected.ngettext("{n} day", "{n} days", 2)
    assert second.info() == expected.info()


def test_an_edited_po_is_compiled_again(tmp_path: Path) -> None:
    po = copy_po(tmp_path, "vi")
    compiled.load(po, "vi")
    text = po.read_text(encoding="utf-8")
    po.write_text(
        text + '\nmsgid "A message added after the first start"\nmsgstr "Một câu mới"\n',
        encoding="utf-8",
    )
    fresh = compiled.load(po, "vi")
    assert fresh.gettext("A message added after the first start") == "Một câu mới"
    # The earlier version's file is gone: one compiled file per .po.
    assert len(list((po.parent / compiled.CACHE_DIR_NAME).glob("*.mo"))) == 1


def test_a_damaged_cached_file_is_compiled_again(tmp_path: Path) -> None:
    po = copy_po(tmp_path, "en")
    expected = catalogue(compiled.load(po, "en"))
    (stored,) = (po.parent / compiled.CACHE_DIR_NAME).glob("*.mo")
    stored.write_bytes(stored.read_bytes()[:10])
    assert catalogue(compiled.load(po, "en")) == expected
    assert catalogue(compiled.load(po, "en")) == expected  # and stored whole again


def test_an_unwritable_cache_compiles_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    po = copy_po(tmp_path, "vi")

    def refuse(*_args: object, **_kwargs: object) -> tuple[int, str]:
        raise PermissionError("read-only install")

    monkeypatch.setattr(compiled.tempfile, "mkstemp", refuse)
    assert catalogue(compiled.load(po, "vi")) == catalogue(in_memory(po, "vi"))
    assert list((po.parent / compiled.CACHE_DIR_NAME).glob("*.mo")) == []
