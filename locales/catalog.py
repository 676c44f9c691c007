"""The standard Babel workflow with this project's arguments, written down once.

    python -m locales.catalog update    # pybabel extract, then pybabel update
    python -m locales.catalog compile   # pybabel compile (a check: the bot reads the .po files)

The same by hand, from the repository root:

    pybabel extract -F babel.cfg -k describe:2 -k menu_item:1 --project=troly-boiduong \\
        --sort-output -w 100 -o locales/messages.pot .
    pybabel update -i locales/messages.pot -d locales -D messages -w 100 --ignore-obsolete
    pybabel compile -d locales -D messages --statistics

The .po files are the only source of translations: after `update`, fill in the new or fuzzy
entries of every language (`en` too: an empty plural entry would print nothing).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from locales.i18n import DOMAIN, LOCALE_DIR

ROOT = LOCALE_DIR.parent
TEMPLATE = Path("locales") / f"{DOMAIN}.pot"
# `_`, `gettext`, `ngettext` and `N_` are among Babel's default keywords; these are the
# router's calls whose argument is a msgid (a command's description, a menu label).
KEYWORDS = ("describe:2", "menu_item:1")
WIDTH = "100"


def extract_args(output: Path = TEMPLATE) -> list[str]:
    keywords = [arg for keyword in KEYWORDS for arg in ("-k", keyword)]
    return [
        "extract",
        "-F",
        "babel.cfg",
        *keywords,
        "--project=troly-boiduong",
        "--sort-output",
        "-w",
        WIDTH,
        "-o",
        str(output),
        ".",
    ]


def update_args() -> list[str]:
    # Obsolete entries are dropped: fuzzy matching already offers a reworded msgid the old
    # translation, and the test that every code msgid is translated stays exact.
    return [
        "update",
        "-i",
        str(TEMPLATE),
        "-d",
        "locales",
        "-D",
        DOMAIN,
        "-w",
        WIDTH,
        "--ignore-obsolete",
    ]


def compile_args() -> list[str]:
    return ["compile", "-d", "locales", "-D", DOMAIN, "--statistics"]


def pybabel(args: Sequence[str], *, quiet: bool = True) -> int:
    """Run pybabel in this process, from the repository root (babel.cfg's paths are relative)."""
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        status = CommandLineInterface().run(["pybabel", *(["--quiet"] if quiet else []), *args])
    finally:
        os.chdir(previous)
    return int(status or 0)


def main(argv: Sequence[str]) -> int:
    if list(argv) == ["update"]:
        return pybabel(extract_args()) or pybabel(update_args())
    if list(argv) == ["compile"]:
        return pybabel(compile_args(), quiet=False)
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
