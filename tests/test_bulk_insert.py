"""models/imports/bulk.py stores rows exactly as SQLAlchemy's own Core executemany does:
the same statement, the column types' own processors, each distinct value processed once
(issue #13 point 9: the roster import's inserts without SQLAlchemy's per-row overhead)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select, text

from bot.db import Database
from models.imports.bulk import insert_many
from models.org.officials import Official
from models.org.units import add_unit

NOW = datetime(2026, 12, 1, 3, 0, 0, 123456, tzinfo=UTC)


def officials(prefix: str, unit_id: int) -> list[dict[str, Any]]:
    rows = []
    for n, (languages, active, birth) in enumerate(
        [
            ([], True, date(1980, 1, 2)),
            (["en", "fr"], False, None),
            (["en", "fr"], True, date(1980, 1, 2)),  # repeated values: taken from the memo
            ([], None, date(1999, 12, 31)),
        ]
    ):
        rows.append(
            {
                "employee_code": f"{prefix}{n}",
                "full_name": f"Lê Thị Ngọc Ánh {n}",
                "birth_date": birth,
                "category": "cong_chuc",
                "unit_id": unit_id,
                "level": "province",
                "languages": languages,
                "professional_field_matches_post": active,
                "active": bool(active),
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    return rows


async def test_bulk_rows_are_stored_as_core_stores_them(db: Database) -> None:
    async with db.transaction() as session:
        unit = await add_unit(session, code="T1", name="Tỉnh Một", level="province")
        conn = await session.connection()
        await conn.execute(insert(Official.__table__), officials("CORE", unit.id))
        await insert_many(conn, Official.__table__, officials("BULK", unit.id))
    async with db.transaction() as session:
        # As stored, not as read back through the types: the text of dates and datetimes
        # on SQLite, the JSON as written.
        raw = (
            await session.execute(
                text(
                    "SELECT employee_code, birth_date, CAST(languages AS TEXT),"
                    " professional_field_matches_post, active, CAST(created_at AS TEXT)"
                    " FROM officials ORDER BY employee_code"
                )
            )
        ).all()
        typed = (await session.execute(select(Official).order_by(Official.employee_code))).scalars()
        loaded = {o.employee_code: (o.languages, o.birth_date, o.created_at) for o in typed}
    stored = {row[0]: tuple(row[1:]) for row in raw}
    for n in range(4):
        assert stored[f"BULK{n}"] == stored[f"CORE{n}"]
        assert loaded[f"BULK{n}"] == loaded[f"CORE{n}"]
    assert loaded["BULK1"][0] == ["en", "fr"] and loaded["BULK1"][2] == NOW


def test_new_officials_by_column_are_the_rows_new_official_made() -> None:
    """The apply's inserts a column at a time: each row what `_new_official` made of it."""
    from models.imports.officials import PlannedRow, _new_official, _new_officials

    rows = [
        PlannedRow(2, "A1", {"full_name": "Lê Văn A", "unit_id": 3, "level": "commune"}),
        PlannedRow(3, "A2", {"full_name": "B", "languages": ["en"], "active": False}),
        PlannedRow(4, "A3", {"birth_date": date(1980, 1, 2), "phone": "0912345678"}),
    ]
    columns = _new_officials(rows, NOW)
    by_row = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    assert by_row == [_new_official(row, NOW) for row in rows]
