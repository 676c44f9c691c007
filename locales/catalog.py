"""Keep the gettext catalogues in step with the code.

    python -m locales.catalog update   # extract msgids, merge locales/pending/*.<lang>.json
    python -m locales.catalog check    # list msgids without a translation (exit 1 if any)

Msgids are short English sentences. `en` translations are usually the msgid itself, but may
differ where English needs other words (Vietnamese puts "anh/chị" where English has none).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from locales.i18n import DOMAIN, LOCALE_DIR, SUPPORTED_LOCALES

ROOT = LOCALE_DIR.parent
SOURCE_DIRS = ("bot", "handlers", "models", "scheduler", "locales")
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "describe": (2,),
    "menu_item": (1,),
}


def extract() -> Catalog:
    catalog = Catalog(project="troly-boiduong", fuzzy=False)
    for folder in SOURCE_DIRS:
        base = ROOT / folder
        if not base.exists():
            continue
        for filename, lineno, message, comments, context in extract_from_dir(
            base, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            catalog.add(
                message,
                None,
                [(f"{folder}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(locale: str) -> Catalog:
    path = po_path(locale)
    if not path.exists():
        return Catalog(locale=locale, fuzzy=False)
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def pending(locale: str) -> dict[str, str | list[str]]:
    merged: dict[str, str | list[str]] = {}
    for path in sorted((LOCALE_DIR / "pending").glob(f"*.{locale}.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def update() -> None:
    template = extract()
    for locale in SUPPORTED_LOCALES:
        old = load(locale)
        extra = pending(locale)
        new = Catalog(locale=locale, project="troly-boiduong", fuzzy=False)
        for message in template:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            previous = old.get(message.id)
            string: str | tuple[str, ...] | None = previous.string if previous else None
            if key in extra:
                value = extra[key]
                string = tuple(value) if isinstance(value, list) else value
            if not string and locale == "en":
                string = message.id if isinstance(message.id, str) else tuple(message.id)
            new.add(message.id, string, message.locations, auto_comments=message.auto_comments)
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, new, width=100, omit_header=False, sort_output=True)


def missing(locale: str) -> list[str]:
    """Msgids used in the code that have no (or only a fuzzy) translation."""
    catalog = load(locale)
    problems = []
    for message in extract():
        if not message.id:
            continue
        found = catalog.get(message.id)
        key = message.id if isinstance(message.id, str) else message.id[0]
        if found is None or found.fuzzy:
            problems.append(key)
            continue
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        if not all(strings):
            problems.append(key)
    return problems


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
        return 0
    if argv[:1] == ["check"]:
        bad = {loc: missing(loc) for loc in SUPPORTED_LOCALES}
        for loc, ids in bad.items():
            for msgid in ids:
                print(f"{loc}: untranslated: {msgid!r}")
        return 1 if any(bad.values()) else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
