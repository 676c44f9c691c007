"""Shared fixtures: every database test runs on a real SQLite file and on a real
PostgreSQL server that the suite starts itself (see tests/pg_server.py)."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.db import Database, upgrade
from models.demo import PROVINCE_FILE as DEMO_PROVINCE_FILE
from models.requirements.store import province_file, use_province_file
from tests.fake_bot_api import FakeBotApi
from tests.transcript import CHANNELS

REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
# The tests' world is the demo province: its file composes with the national rules, as
# `troly demo` does (tests of another province or none call use_province_file themselves).
use_province_file(DEMO_PROVINCE_FILE)
_pg_tests_passed = 0


# Tests that measure real time (pacing within a rate ceiling, an event loop's gaps, a
# crowd against a connection pool's timeout) or kill and restart processes: scripts/test.sh
# runs them after the parallel workers, alone on the machine, so another worker's load
# cannot make a correct bot miss a deadline.
SERIAL_MODULES = frozenset(
    {
        "test_big_files",
        "test_broadcast_e2e",
        "test_courses_concurrency",
        "test_delivery_faults",
        "test_deploy_smoke",
        "test_scheduler_processes",
        "test_sender_faults",
        "test_sender_restart",
        "test_zalo_oa_tokens",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in SERIAL_MODULES:
            item.add_marker(pytest.mark.serial)


@pytest.fixture(autouse=True)
def _demo_province_again() -> Iterator[None]:
    """Whatever a test chose (another province, or `main()` run as a non-demo command: the
    national rules only), the next one starts in the demo province again."""
    yield
    if province_file() != DEMO_PROVINCE_FILE:
        use_province_file(DEMO_PROVINCE_FILE)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from tests.pg_server import PostgresUnavailable, start_postgres

    # Not under pytest's basetemp: pytest resets /tmp/pytest-of-<user> to 0700 whenever a
    # session starts, which would lock the unprivileged server user out mid-run.
    base = Path(tempfile.mkdtemp(prefix="troly-pg-"))
    try:
        server = start_postgres(base)
    except PostgresUnavailable as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (REQUIRE_POSTGRES=1) but could not start: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield server
    finally:
        _drops.shutdown(wait=True)
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


# One thread: the drops of a worker's databases run one after another, behind its tests.
_drops = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")
_CLONED_FROM_TEMPLATE = pytest.StashKey[bool]()


def _drop_later(server: Any, name: str) -> None:
    def drop() -> None:
        with contextlib.suppress(Exception):
            server.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    _drops.submit(drop)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    """The fake Bot API server over HTTP; it fails the test on any error of its own."""
    server = await FakeBotApi(max_poll_wait=1.0).start()
    try:
        yield server
    finally:
        await server.stop()
    assert not server.internal_errors, server.internal_errors


@pytest.fixture(params=CHANNELS)
def channel(request: pytest.FixtureRequest) -> str:
    """The chat channel a transcript talks on; see tests/transcript.py for how each one
    chooses. A test that only one channel can express parametrizes `channel` itself."""
    return str(request.param)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    server = request.getfixturevalue("pg_server")
    name = "t_" + uuid.uuid4().hex[:12]
    if "db" in request.fixturenames:
        # A test that gets `db` gets the migrated schema: clone the template straight away.
        # Creating an empty database first and replacing it cost two more 9 MB copies'
        # worth of server time (~40 % of a PostgreSQL test's set-up).
        template = request.getfixturevalue("pg_template")
        server.psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        request.node.stash[_CLONED_FROM_TEMPLATE] = True
    else:
        server.create_database(name)
    yield str(server.url(name))
    # Hundreds of 8 MB copies left to the session's end cost gigabytes of disk and a minute
    # of clean-up; FORCE ends any connection a child process left behind. The drop runs
    # behind the next test (nothing reuses the name), not in this one's teardown.
    _drop_later(server, name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    _in_a_thread(upgrade, f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template(pg_server: Any) -> str:
    """A PostgreSQL database migrated once per session, copied by CREATE DATABASE TEMPLATE."""
    name = "t_migrated_template"
    pg_server.create_database(name)
    _in_a_thread(upgrade, str(pg_server.url(name)))
    return name


def _in_a_thread(function: Callable[[str], None], argument: str) -> None:
    # Session fixtures are first asked for from inside a test's event loop, where upgrade's
    # own asyncio.run cannot start.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(function, argument).result()


@pytest.fixture
async def db(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[Database]:
    # Migrating from empty costs 0.3-0.6 s a test, most of the suite's set-up time; a copy of
    # a database migrated once per session is the same schema in ~10 ms. tests/
    # test_migrations.py still migrates empty databases itself.
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        with sqlite3.connect(template) as source, sqlite3.connect(str(url.database)) as target:
            source.backup(target)
    else:
        if not request.node.stash.get(_CLONED_FROM_TEMPLATE, False):
            # `db` asked for late (getfixturevalue): db_url made an empty database.
            server = request.getfixturevalue("pg_server")
            template = request.getfixturevalue("pg_template")
            server.psql(f'DROP DATABASE "{url.database}"')
            server.psql(f'CREATE DATABASE "{url.database}" TEMPLATE "{template}"')
    database = Database(db_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    callspec = getattr(item, "callspec", None)
    if callspec is not None and callspec.params.get("db_url") == "postgresql":
        # user_properties travel with the report from an xdist worker to the controller,
        # which is where the count below is taken.
        report.user_properties.append(("database", "postgresql"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _pg_tests_passed
    if (
        report.when == "call"
        and report.passed
        and ("database", "postgresql") in report.user_properties
    ):
        _pg_tests_passed += 1


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # CI must not go green on SQLite alone: PostgreSQL is the production database.
    if _is_xdist_worker(session.config):
        return  # each worker sees only its share; the controller sees every report
    if REQUIRE_POSTGRES and session.testscollected and _pg_tests_passed == 0:
        print("\nREQUIRE_POSTGRES=1 but no PostgreSQL test passed")
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _is_xdist_worker(terminalreporter.config):
        return
    terminalreporter.write_line(f"PostgreSQL tests passed: {_pg_tests_passed}")
