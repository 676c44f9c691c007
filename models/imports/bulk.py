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
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection

_NOT_CACHED = object()
# Values that are their own memo key: hashable, and no two of them are equal across types.
_PLAIN = (str, date, datetime)


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
    keys = list(rows[0])
    dialect = conn.dialect
    compiled = insert(table).compile(dialect=dialect, column_keys=keys)
    order = compiled.positiontup
    if order is None:  # a named paramstyle: no driver this project uses
        await conn.execute(insert(table), list(rows))
        return
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for i, name in enumerate(order):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((i, _memoized(process)))
    pick = itemgetter(*order)
    params: list[tuple[Any, ...]] = []
    for row in rows:
        values = list(pick(row)) if len(order) > 1 else [row[order[0]]]
        for i, run in processors:
            if values[i] is not None:
                values[i] = run(values[i])
        params.append(tuple(values))
    await conn.exec_driver_sql(compiled.string, params)
