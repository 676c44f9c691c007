"""Many rows into one table in a single executemany, with the per-value work done once.

SQLAlchemy's executemany builds and type-processes every parameter of every row (dates to
text on SQLite, JSON to text, aware datetimes to UTC): for a 24,150-row roster that was
~2 s of CPU, ten times what SQLite needed to store them. A file's values repeat a lot (one
import moment, a few units and categories, "[]" for most language lists), so each column's
bind processor runs once per distinct value and the driver gets ready tuples.

The statement is SQLAlchemy's own, compiled for the connection's dialect, and the
processors are the column types' own (`TypeEngine.bind_processor`), so what is stored is
exactly what a Core executemany would have stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection

_NOT_CACHED = object()
# Values that are their own memo key: hashable, and no two of them are equal across types.
_PLAIN = (str, date, datetime)
_SCALARS: frozenset[type] = frozenset({str, date, datetime, bool, int, float})


def _memo_key(value: Any) -> Any:
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, list):
        return (list, tuple(_memo_key(v) for v in value))
    if isinstance(value, dict):
        return (dict, tuple(sorted((k, _memo_key(v)) for k, v in value.items())))
    return (type(value), value)  # the type too: True == 1, but they are stored differently


def _memoized(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    cache: dict[Any, Any] = {}

    def run(value: Any) -> Any:
        key = _memo_key(value)
        found = cache.get(key, _NOT_CACHED)
        if found is _NOT_CACHED:
            found = cache[key] = process(value)
        return found

    return run


async def insert_many(
    conn: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """INSERT every row (all with the same keys, as a Core executemany requires)."""
    if not rows:
        return
    await insert_columns(conn, table, {key: [row[key] for row in rows] for key in rows[0]})


async def insert_columns(
    conn: AsyncConnection, table: Table, columns: Mapping[str, Sequence[Any]]
) -> None:
    """INSERT one row per position of `columns` (column key -> that column's values, all of
    one length): a column at a time, so a column's processor and memo are looked up once
    and the driver's tuples are built by `zip` rather than row by row."""
    length = len(next(iter(columns.values()), ()))
    if not length:
        return
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    order = compiled.positiontup
    if order is None:  # a named paramstyle: no driver this project uses
        keys = list(columns)
        rows = [
            dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)
        ]
        await conn.execute(insert(table), rows)
        return
    processed: list[Sequence[Any]] = []
    for name in order:
        values = columns[name]
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        processed.append(values if process is None else _processed(values, process))
    await conn.exec_driver_sql(compiled.string, list(zip(*processed, strict=True)))


def _processed(values: Sequence[Any], process: Callable[[Any], Any]) -> list[Any]:
    """`process` on each value but None, once per distinct value."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if len(kinds) <= 1 and kinds <= _SCALARS:
        # One scalar type (a date column, a flag column): the values are their own memo
        # keys, and no True == 1 can meet another type's value.
        memo = {value: process(value) for value in dict.fromkeys(values) if value is not None}
        memo[None] = None
        return list(map(memo.__getitem__, values))
    run = _memoized(process)
    return [None if value is None else run(value) for value in values]
