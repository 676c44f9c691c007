"""What every file import (roster, training, courses, attendance) shares: the result an
apply starts from, the lookup of stored rows by key, what changed, and the outcome line once
a plan was applied or refused."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from locales import _, format_number
from models.imports.plan import Plan
from models.imports.table import TableError
from models.vocabulary import N_

MSG_RESULT_FILE_ERROR = N_("Nothing was imported because the file could not be read.")
MSG_RESULT_ROW_ERRORS = N_(
    "Nothing was imported because {bad} rows of “{file}” have errors. Please correct them and"
    " send the file again, or choose to import only the valid rows."
)

_LOOKUP_CHUNK = 900  # under SQLite's oldest bound-parameter limit


@dataclass
class ImportResult:
    file_name: str
    applied: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    file_error: TableError | None = None
    bad_rows: int = 0

    def counts(self) -> dict[str, int]:
        """For the audit entry."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }


R = TypeVar("R", bound=ImportResult)


def begin_apply(result_type: type[R], plan: Plan[Any], *, now: datetime, skip_bad_rows: bool) -> R:
    """The result an apply starts from: not applied when the file could not be read, or when
    a row is bad and bad rows are not to be skipped (then nothing may be written)."""
    if now.tzinfo is None:
        raise ValueError("an import is applied at an aware datetime")
    bad = len(plan.bad_rows)
    refused = plan.file_error is not None or (bool(plan.errors) and not skip_bad_rows)
    return result_type(
        plan.file_name, not refused, skipped=bad, file_error=plan.file_error, bad_rows=bad
    )


async def rows_by_key(
    session: AsyncSession,
    key: InstrumentedAttribute[Any],
    columns: Sequence[InstrumentedAttribute[Any]],
    keys: Collection[str],
) -> dict[str, dict[str, Any]]:
    """Stored rows whose `key` is one of `keys`, as plain values (`columns` must include
    `key`), in batched queries."""
    wanted = list(dict.fromkeys(k for k in keys if k))
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        rows = await session.execute(
            select(*columns).where(key.in_(wanted[start : start + _LOOKUP_CHUNK]))
        )
        for row in rows:
            values = dict(row._mapping)
            found[values[key.key]] = values
    return found


def changed_values(
    old: Mapping[str, Any], values: Mapping[str, Any], mutable: Collection[str]
) -> dict[str, Any]:
    """The values an import may change that differ from the stored ones. Only columns the
    file has: a file without "Số chứng chỉ" keeps the stored number."""
    return {k: v for k, v in values.items() if k in mutable and old[k] != v}


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
