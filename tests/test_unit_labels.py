"""The unit-label cache of the hot path (models/org/units.py) is per database: one process
may hold two (the CLI tools, the tests), where the same path names different units."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.db import Database
from models.org.units import add_unit, unit_label


async def _commune(database: Database, name: str) -> str:
    async with database.sessions() as session, session.begin():
        root = await add_unit(
            session, code="T99", name="Tỉnh Thử", level="province", kind="province"
        )
        commune = await add_unit(
            session, code="T99-X01", name=name, level="commune", kind="commune", parent=root
        )
    async with database.sessions() as session:
        return await unit_label(session, commune)


async def test_two_databases_in_one_process_keep_their_own_names(
    db: Database, sqlite_template: Path, tmp_path: Path
) -> None:
    other_path = tmp_path / "other.sqlite3"
    with sqlite3.connect(sqlite_template) as source, sqlite3.connect(other_path) as target:
        source.backup(target)
    other = Database(f"sqlite+aiosqlite:///{other_path}")
    try:
        assert await _commune(db, "Xã Sín Thầu") == "Xã Sín Thầu"
        # Same codes, so the same path, in another database: its own name, not the cached one.
        assert await _commune(other, "Xã Núi Cao") == "Xã Núi Cao"
    finally:
        await other.dispose()
