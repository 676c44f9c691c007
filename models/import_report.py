"""Words shared by every file import (roster, training, courses, attendance): the outcome
line once a plan was applied or refused. Each importer keeps its own kind-specific msgids."""

from __future__ import annotations

from typing import Protocol

from locales import _, format_number
from models.tabular import TableError
from models.vocabulary import N_

MSG_RESULT_FILE_ERROR = N_("Nothing was imported because the file could not be read.")


class ImportResult(Protocol):
    file_name: str
    applied: bool
    created: int
    updated: int
    unchanged: int
    skipped: int
    file_error: TableError | None
    bad_rows: int


def format_outcome(result: ImportResult, *, done: str, refused: str) -> str:
    """`done` takes {file} {created} {updated} {unchanged} {skipped}; `refused` takes
    {bad} {file}. Both are msgids, translated here."""
    if not result.applied:
        if result.file_error is not None:
            return "\n".join([_(MSG_RESULT_FILE_ERROR), result.file_error.message()])
        return _(refused).format(bad=format_number(result.bad_rows), file=result.file_name)
    return _(done).format(
        file=result.file_name,
        created=format_number(result.created),
        updated=format_number(result.updated),
        unchanged=format_number(result.unchanged),
        skipped=format_number(result.skipped),
    )
