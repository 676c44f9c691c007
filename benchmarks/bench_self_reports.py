"""HR's queue of self-reported certificates (#16.8): the admin menu counts what waits for the
admin's scope and opens the oldest, on every /quantri. Does that stay cheap as submissions
pile up across the province (most of them decided, outside a commune's scope)?

    .venv/bin/python benchmarks/bench_self_reports.py [--quick]

Prints, for a commune's HR and the province's, the time of one count + oldest read with
few and with many submissions in the table, and the ratio many/few (near 1: the read is
led by the status index and the scope, not by the table's size).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select

from bot.db import Database, upgrade
from models.demo.province import seed_demo_province
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements import self_reported
from models.requirements.self_reported import SelfReport

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


async def _add(db: Database, count: int, pending_share: float) -> None:
    async with db.transaction() as session:
        ids = list(await session.scalars(select(Official.id).order_by(Official.id)))
        rows = []
        for n in range(count):
            pending = (n % 100) < pending_share * 100
            rows.append(
                {
                    "official_id": ids[n % len(ids)],
                    "status": self_reported.PENDING if pending else self_reported.VERIFIED,
                    "kind": "tin_hoc",
                    "title": f"Khóa {n}",
                    "channel": "telegram",
                    "file_ref": f"F{n}",
                    "mime_type": self_reported.JPEG,
                    "file_size": 1000,
                    "content": None,
                    "created_at": NOW,
                    "submitted_at": NOW,
                    "decided_at": None if pending else NOW,
                }
            )
            if len(rows) == 5000:
                await session.execute(insert(SelfReport), rows)
                rows = []
        if rows:
            await session.execute(insert(SelfReport), rows)


async def _time(db: Database, scope_unit_id: int, rounds: int) -> float:
    async with db.transaction() as session:
        unit = await session.get(OrgUnit, scope_unit_id)
        assert unit is not None
        scope = Scope((unit,))
        started = time.perf_counter()
        for _ in range(rounds):
            await self_reported.pending_count(session, scope, reviewer_id=0)  # no one's own
            await self_reported.next_pending(session, scope, reviewer_id=0)
        return (time.perf_counter() - started) / rounds * 1000


async def main(quick: bool) -> None:
    officials = 3000 if quick else 20_000
    few, many = (200, 20_000) if quick else (1000, 200_000)
    rounds = 50 if quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        async with db.transaction() as session:
            await seed_demo_province(session, size=officials, today=NOW.date())
            root = await session.scalar(select(OrgUnit.id).where(OrgUnit.depth == 0))
            commune = await session.scalar(
                select(OrgUnit.id).where(OrgUnit.level == "commune").order_by(OrgUnit.id)
            )
        assert root is not None and commune is not None
        await _add(db, few, 0.05)
        small = {
            n: await _time(db, u, rounds) for n, u in (("commune", commune), ("province", root))
        }
        await _add(db, many - few, 0.05)
        large = {
            n: await _time(db, u, rounds) for n, u in (("commune", commune), ("province", root))
        }
        await db.dispose()
    print(f"officials {officials:,}; submissions {few:,} then {many:,} (5% pending)")
    for name in ("commune", "province"):
        ratio = large[name] / small[name]
        print(
            f"    {name:<9} count + oldest: {small[name]:.2f} ms → {large[name]:.2f} ms"
            f" (×{ratio:.1f})"
        )
        print(f"RESULT queue_{name}_ms={large[name]:.2f} goal=20 unit=ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
