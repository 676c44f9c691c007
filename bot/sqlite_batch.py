"""A write-only transaction on SQLite in one trip to the driver's thread.

Through SQLAlchemy every call (BEGIN IMMEDIATE, each executemany, COMMIT) is a separate
job on the connection's thread (bot/sqlite_inline.py), and each job costs the event loop a
hand-off, a future and a wake-up, plus SQLAlchemy's per-execution machinery. The sender's
outcome transaction is a few UPDATEs every few messages: that machinery, not SQLite, was
most of its CPU (issue #15 point 4).

`StatementBatch` stands in for the `AsyncConnection` the outbox functions
(models/notices/delivery.py) take: it compiles each Core statement for SQLite and processes
its bound values with the column types' own processors, as SQLAlchemy would, but keeps them.
`run_batch` then runs them all, between BEGIN IMMEDIATE and COMMIT, in one job on the
connection's thread; any error rolls the whole transaction back, as `Database.begin` does.
Only statements whose results nobody reads may go into a batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from bot.db import Database
from bot.sqlite_inline import InlineConnection

CompiledBatch = list[tuple[str, list[tuple[Any, ...]]]]


class StatementBatch:
    """Collects compiled statements and their processed parameters (SQLite only)."""

    def __init__(self, dialect: Dialect) -> None:
        if dialect.name != "sqlite":
            raise ValueError("StatementBatch is for SQLite")
        self.dialect = dialect
        self.statements: CompiledBatch = []

    def as_connection(self) -> AsyncConnection:
        """This batch where the outbox functions expect a connection (they only execute)."""
        return cast(AsyncConnection, self)

    async def execute(
        self,
        statement: ClauseElement,
        parameters: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        rows: Sequence[Mapping[str, Any]]
        if parameters is None:
            rows = [{}]
        elif isinstance(parameters, Mapping):
            rows = [parameters]
        else:
            rows = parameters
        if not rows:
            return
        keys = sorted(rows[0])
        # SQLAlchemy's own statement cache key: the compiled form is reused, and the
        # literal values of this statement (a `now`, a sender id) come from the key.
        cache_key = statement._generate_cache_key()
        entry = None if cache_key is None else _COMPILED.get((cache_key.key, tuple(keys)))
        if entry is None:
            entry = _compile(statement, self.dialect, keys, cache_key)
            if cache_key is not None:
                if len(_COMPILED) > _CACHE_SIZE:
                    _COMPILED.clear()
                _COMPILED[(cache_key.key, tuple(keys))] = entry
        compiled, processors, expanding = entry
        if expanding:
            # An IN list (`chat_id IN (...)`) is expanded when executed: compiled again with
            # its values rendered, not cached (its length varies; rare: blocked chats).
            compiled, processors, _ = _compile(statement, self.dialect, keys, None, expand=True)
            self._add(compiled, processors, rows, None)
            return
        self._add(compiled, processors, rows, None if cache_key is None else cache_key.bindparams)

    def _add(
        self,
        compiled: SQLCompiler,
        processors: _Processors,
        rows: Sequence[Mapping[str, Any]],
        extracted: Any,
    ) -> None:
        values: list[tuple[Any, ...]] = []
        for row in rows:
            bound = compiled.construct_params(dict(row), extracted_parameters=extracted)
            values.append(
                tuple(
                    value if process is None or value is None else process(value)
                    for value, process in ((bound[name], process) for name, process in processors)
                )
            )
        self.statements.append((compiled.string, values))


_Processors = list[tuple[str, Callable[[Any], Any] | None]]
_CACHE_SIZE = 200
_Entry = tuple[SQLCompiler, _Processors, bool]  # the bool: it has an IN list
_COMPILED: dict[tuple[Any, ...], _Entry] = {}


def _compile(
    statement: ClauseElement,
    dialect: Dialect,
    keys: list[str],
    cache_key: Any,
    *,
    expand: bool = False,
) -> _Entry:
    # Compiled with its cache key, as SQLAlchemy compiles for its own cache, so later
    # statements of the same shape can supply their values (`extracted_parameters`).
    compiled = statement.compile(
        dialect=dialect,
        column_keys=keys,
        cache_key=cache_key,
        compile_kwargs={"render_postcompile": True} if expand else {},
    )
    assert isinstance(compiled, SQLCompiler) and compiled.positiontup is not None
    processors: _Processors = []
    for name in compiled.positiontup:
        # An IN list's values are named after its parameter: chat_id_1 -> chat_id_1_1, …
        bind = compiled.binds.get(name)
        if bind is None:
            bind = compiled.binds[name.rsplit("_", 1)[0]]
        processors.append((name, bind.type.dialect_impl(dialect).bind_processor(dialect)))
    return compiled, processors, any(b.expanding for b in compiled.binds.values())


def _run(connection: sqlite3.Connection, statements: CompiledBatch) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
        try:
            for sql, values in statements:
                if len(values) == 1:
                    cursor.execute(sql, values[0])
                else:
                    cursor.executemany(sql, values)
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
    finally:
        cursor.close()


async def run_batch(db: Database, batch: StatementBatch) -> None:
    """Commit everything in `batch` in one transaction and one hop to the driver's thread."""
    if not batch.statements:
        return
    async with db.sqlite_writer(), db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection
        if isinstance(driver, InlineConnection):  # a file database (bot/sqlite_inline.py)
            await driver.run_in_thread(_run, batch.statements)
        else:
            # aiosqlite (in-memory databases): its own way to run a function on its
            # thread, where the sqlite3 connection lives.
            await driver._execute(_run, driver._conn, batch.statements)  # type: ignore[union-attr]
