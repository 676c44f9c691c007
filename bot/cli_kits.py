"""`python -m bot template KIND` and `python -m bot link-codes UNIT_CODE`: the files a new
province's HR needs to start, written to disk (the chat sends the same files)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from bot.config import Settings
from bot.db import Database
from bot.progress import progress
from locales import _, format_number
from locales.i18n import use_locale
from models.chat.rollout_kit import issue_kit
from models.imports.kinds import IMPORTERS
from models.imports.templates import importer_template, template_file_name, units_in_scope
from models.org.units import by_code

T = TypeVar("T")

# What people call the kinds on the command line, besides their own names.
KIND_ALIASES = {"roster": "officials", "training_records": "training"}


def template_kinds() -> list[str]:
    return sorted({*IMPORTERS, *KIND_ALIASES})


async def write_template(db: Database, settings: Settings, kind: str, out: Path | None) -> int:
    importer = IMPORTERS.get(KIND_ALIASES.get(kind, kind))
    if importer is None:
        print(_("Unknown kind: {kind}").format(kind=kind), file=sys.stderr)
        return 2
    with use_locale(settings.default_locale):
        async with db.transaction() as session:
            units = await units_in_scope(session, None)
        path = out or Path(template_file_name(importer.kind))
        path.write_bytes(importer_template(importer, units))
        print(_("Template written to {path}.").format(path=path))
    return 0


async def write_link_codes(
    db: Database, settings: Settings, unit_code: str, out: Path | None
) -> int:
    with use_locale(settings.default_locale):
        async with db.transaction() as session:
            unit = await by_code(session, unit_code)
            if unit is None:
                print(_("No unit with code {code}.").format(code=unit_code), file=sys.stderr)
                return 1
            kit = await issue_kit(
                session,
                unit,
                now=datetime.now(UTC),
                actor="cli",
                pepper=settings.link_codes.pepper,
                bot_username=settings.telegram_bot_username,
                track=_tracked(_("Issuing link codes")),
            )
        folder = out or Path(".")
        folder.mkdir(parents=True, exist_ok=True)
        xlsx, pdf = (
            folder / f"ma-lien-ket-{unit.code}.xlsx",
            folder / f"ma-lien-ket-{unit.code}.pdf",
        )
        xlsx.write_bytes(kit.xlsx)
        pdf.write_bytes(kit.pdf)
        print(
            _("{n} link codes for officials not yet linked; written to {xlsx} and {pdf}.").format(
                n=format_number(len(kit.slips)), xlsx=xlsx, pdf=pdf
            )
        )
    return 0


def _tracked(label: str) -> Callable[[list[T]], Iterator[T]]:
    """Walks a batch with the command line's progress bar (plain lines off a terminal)."""

    def track(items: list[T]) -> Iterator[T]:
        with progress(label, total=len(items)) as advance:
            for item in items:
                yield item
                advance(1)

    return track
