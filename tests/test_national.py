"""Issue #13 point 10: national figures read each province's database (read-only) and add
up every rule's counts; `troly national` prints them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.__main__ import main
from bot.config import ConfigError
from bot.db import Database
from bot.national import national_figures, parse_sources, province_report, read_only_engine
from models.requirements.store import ensure_default_catalogue
from tests.notice_world import seed_people

TODAY = date(2026, 12, 1)


async def province(db: Database, people: int) -> None:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, datetime.now(UTC))
        await seed_people(session, people)


async def test_figures_add_up_over_provinces(db: Database) -> None:
    await province(db, 7)
    one = await province_report(db.url, year=2026, today=TODAY)
    assert one.officials == 7
    figures = await national_figures(
        [("Tỉnh A", db.url), ("Tỉnh B", db.url)], year=2026, today=TODAY
    )
    assert figures.provinces == [("Tỉnh A", 7), ("Tỉnh B", 7)]
    for rule in one.rules:
        total = figures.rules[rule.rule.id]
        assert (total.applicable, total.met, total.unknown) == (
            2 * rule.applicable,
            2 * rule.met,
            2 * rule.unknown,
        )


async def test_the_reading_connection_cannot_write(db: Database) -> None:
    engine = read_only_engine(db.url)
    try:
        async with engine.connect() as conn:
            with pytest.raises((OperationalError, DBAPIError)):
                await conn.execute(text("DELETE FROM officials"))
    finally:
        await engine.dispose()


def test_sources_are_name_equals_url(tmp_path: Path) -> None:
    listing = tmp_path / "provinces.txt"
    listing.write_text("# the 34\nLai Châu=postgresql://r:pw@lc/troly\n", encoding="utf-8")
    assert parse_sources(["Sơn La=sqlite:///sl.sqlite3"], listing) == [
        ("Sơn La", "sqlite+aiosqlite:///sl.sqlite3"),
        ("Lai Châu", "postgresql+asyncpg://r:pw@lc/troly"),
    ]
    with pytest.raises(ConfigError):
        parse_sources(["postgresql://nobody"], None)


async def test_the_command_prints_the_totals(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    if db.dialect != "sqlite":
        pytest.skip("the command runs its own event loop; SQLite is enough here")
    await province(db, 3)
    await db.dispose()
    import asyncio

    args = ["national", f"A={db.url}", f"B={db.url}", "--year", "2026"]
    code = await asyncio.to_thread(main, args)
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("Số liệu toàn quốc năm 2026: 2 tỉnh, 6 cán bộ."), out
    assert "  A: 3" in out and "  B: 3" in out
    assert "(REG-171-KY-NANG-SO): 0 trên 6 người đạt (0%), 0 người chưa đủ dữ liệu" in out
    assert "REG-QPAN-DOI-TUONG-1" not in out  # nobody it applies to
