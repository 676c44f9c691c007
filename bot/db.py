"""Engine and sessions for SQLite (embedded default) or PostgreSQL (production): the one
engine factory, used by the chat process, the sender and the scheduler alike.

Every update and job runs in one transaction opened here (`Database.transaction`, or
`Database.begin` for Core statements). On SQLite that transaction starts with BEGIN
IMMEDIATE, so a read-then-write never hits SQLITE_BUSY half-way: the writer lock is taken up
front and waits on busy_timeout.

Migrations (the policy, README "Deployment notes"): `python -m bot db upgrade` runs Alembic
under a database-wide lock, so two upgrades at once are harmless; the serving entry points
only check the schema (`require_current_schema`) and refuse an old one with one line.
"""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, pool, text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot import sqlite_inline

if TYPE_CHECKING:
    from alembic.config import Config

    from bot.config import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "models" / "migrations"
# The newest migration's revision. The serving entry points compare the database with this
# constant instead of loading Alembic's script directory (half a second at every start);
# tests/test_migrations.py fails when a new migration does not update it.
SCHEMA_HEAD = "0020"


# Any fixed number: every process that migrates this database asks for the same one.
MIGRATION_LOCK_KEY = 0x7472_6F6C_7900  # "troly"


def sqlite_file(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1]
    return Path(path) if path and path != ":memory:" else None


def ensure_sqlite_dir(url: str) -> None:
    """SQLite creates the file but not its folder (e.g. data/ on a fresh checkout)."""
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA synchronous=NORMAL",
)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        ensure_sqlite_dir(url)
        path = sqlite_file(url)
        if path is not None:
            # A file database: statements run on the loop's thread, only BEGIN and COMMIT
            # hop to a worker (bot/sqlite_inline.py); the connection starts in autocommit
            # mode so that BEGIN IMMEDIATE is ours to say.
            kwargs.setdefault(
                "async_creator", sqlite_inline.creator(str(path), SQLITE_PRAGMAS, timeout=30)
            )
            engine = create_async_engine(url, **kwargs)
        else:
            engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

            @event.listens_for(engine.sync_engine, "connect")
            def _on_connect(dbapi_conn: Any, _record: Any) -> None:
                # Take transaction control from the driver so we can say BEGIN IMMEDIATE.
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                for pragma in SQLITE_PRAGMAS:
                    cur.execute(pragma)
                cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


class Database:
    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Queueing this process's transactions here costs
        # nothing in throughput and saves the CPU that connections would spend spinning in
        # SQLite's busy handler; other processes still wait on busy_timeout.
        self._local_writer = asyncio.Lock() if self.dialect == "sqlite" else None

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The database of a serving process, with its pool settings (DATABASE_POOL_SIZE,
        DATABASE_MAX_OVERFLOW, DATABASE_STATEMENT_CACHE_SIZE; PostgreSQL only)."""
        url = settings.database_url
        return cls(url, **({} if url.startswith("sqlite") else settings.pool.engine_kwargs()))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The unit of work: commit on success, roll back on any exception."""
        if self._local_writer is None:
            async with self.sessions.begin() as session:
                yield session
            return
        async with self._local_writer, self.sessions.begin() as session:
            yield session

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection in one transaction (commit on success, roll back on any
        exception), queued behind the same in-process SQLite writer lock as `transaction`."""
        if self._local_writer is None:
            async with self.engine.begin() as connection:
                yield connection
            return
        async with self._local_writer, self.engine.begin() as connection:
            yield connection

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # Alembic is loaded only when migrating

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision(url: str) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def upgrade(url: str, revision: str = "head") -> None:
    """Run migrations under the migration lock (synchronously: call from a thread or before
    the loop starts). A second upgrade waits for the first, then finds nothing to do."""
    ensure_sqlite_dir(url)
    with _sqlite_file_lock(url):
        asyncio.run(_upgrade(url, revision))


async def _upgrade(url: str, revision: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                # A session-level lock: it outlives the commit below and Alembic's own
                # transactions, and the server drops it if this process dies.
                await connection.execute(
                    text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                await connection.commit()
            await connection.run_sync(_alembic_upgrade, url, revision)
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
                await connection.commit()
    finally:
        await engine.dispose()


def _alembic_upgrade(connection: Connection, url: str, revision: str) -> None:
    cfg = alembic_config(url)
    cfg.attributes["connection"] = connection  # models/migrations/env.py migrates on it
    from alembic import command

    command.upgrade(cfg, revision)


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """SQLite has no advisory locks: an exclusive lock on a file beside the database keeps
    two processes from migrating at once (BEGIN EXCLUSIVE would not cover Alembic's own
    transactions)."""
    path = sqlite_file(url)
    if path is None:
        yield
        return
    with open(path.with_name(path.name + ".migrate-lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class SchemaOutOfDate(SystemExit):
    """The database is not at this release's migration head: stop with one line."""


async def schema_revision(db: Database) -> str | None:
    """The revision the database is at (None: never migrated). Plain SQL on Alembic's own
    table, so a serving process never imports Alembic."""

    def current(connection: Connection) -> str | None:
        if not connection.dialect.has_table(connection, "alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()

    async with db.engine.connect() as connection:
        return await connection.run_sync(current)


async def require_current_schema(db: Database) -> None:
    """Raise SchemaOutOfDate unless the schema is at this release's head."""
    head = SCHEMA_HEAD
    current = await schema_revision(db)
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at {current or 'nothing (never migrated)'}, this release "
            f"needs {head}: run `python -m bot db upgrade`"
        )
