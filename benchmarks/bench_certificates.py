"""Certificates at province scale (#16.5). Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_certificates.py            # 1.000 vs 100.000 certificates
    .venv/bin/python benchmarks/bench_certificates.py --quick    # 1.000 vs 20.000

A SQLite database (migrated) gets N officials, each with a completed registration and a
certificate expiring on 31/12 (every yearly law update does). Timed, at a small and a large
N: one /xacminh lookup (verify: the attempt count, the code lookup and the log row), and the
expiry-reminder planning the course job runs every minute, in its steady state (everything
due already planned). Both should not grow with N: the lines `RESULT …_ratio` (large / small)
have goal 1.5. A lookup is mostly its transaction's commit.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select

from bot.db import Database, upgrade
from models.certificates import codes
from models.certificates.reminders import plan_expiry_reminders
from models.certificates.store import Certificate
from models.certificates.verifying import verify
from models.courses.catalogue import Course
from models.courses.registrations import Registration
from models.org.officials import Official
from models.org.units import add_unit

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
TZ = ZoneInfo("Asia/" + "Ho_Chi_Minh")
CHUNK = 5000


async def seed(db: Database, n: int) -> list[str]:
    async with db.transaction() as session:
        unit = await add_unit(session, code="T", name="Tỉnh", level="province", kind="province")
        course = Course(
            code="K-1", title="Cập nhật kiến thức pháp luật", kind="cap_nhat_phap_luat_ky_nang",
            organiser="Sở Tư pháp", starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 3),
            capacity=n, registration_closes_on=date(2026, 2, 20), source="bench",
        )  # fmt: skip
        session.add(course)
        await session.flush()
        unit_id, course_id = unit.id, course.id
    made: list[str] = []
    for start in range(0, n, CHUNK):
        ids = range(start + 1, min(n, start + CHUNK) + 1)
        async with db.transaction() as session:
            await session.execute(
                insert(Official),
                [
                    {"id": i, "employee_code": f"B{i:07d}", "full_name": f"Cán bộ {i}",
                     "category": "cong_chuc", "unit_id": unit_id, "level": "province",
                     "languages": [], "active": True, "created_at": NOW, "updated_at": NOW}
                    for i in ids
                ],
            )  # fmt: skip
            await session.execute(
                insert(Registration),
                [
                    {"id": i, "course_id": course_id, "official_id": i, "status": "completed",
                     "priority": 2, "requested_at": NOW, "updated_at": NOW}
                    for i in ids
                ],
            )  # fmt: skip
            batch = [codes.new_code() for _ in ids]
            made.extend(batch)
            await session.execute(
                insert(Certificate),
                [
                    {"registration_id": i, "official_id": i, "course_id": course_id,
                     "code": code, "full_name": f"Cán bộ {i}", "unit_name": "Tỉnh",
                     "course_code": "K-1", "course_title": "Cập nhật kiến thức pháp luật",
                     "organiser": "Sở Tư pháp", "starts_on": date(2026, 3, 1),
                     "ends_on": date(2026, 3, 3), "periods": 16, "result": "completed",
                     "issued_on": date(2026, 3, 5), "expires_on": date(2026, 12, 31),
                     "created_at": NOW}
                    for i, code in zip(ids, batch, strict=True)
                ],
            )  # fmt: skip
    return made


async def measure(n: int, lookups: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        try:
            made = await seed(db, n)
            # Plan everything due once (the first runs after the lead day), then time the
            # steady state: what every minute's run costs from then on.
            while True:
                async with db.transaction() as session:
                    planned = await plan_expiry_reminders(
                        session, now=NOW, tz=TZ, send_time=dtime(8, 0), lead_days=30
                    )
                if not planned:
                    break
            began = time.perf_counter()
            for _ in range(20):
                async with db.transaction() as session:
                    await plan_expiry_reminders(
                        session, now=NOW, tz=TZ, send_time=dtime(8, 0), lead_days=30
                    )
            steady = (time.perf_counter() - began) / 20
            step = max(1, len(made) // lookups)
            wanted = made[::step][:lookups]
            began = time.perf_counter()
            for k, code in enumerate(wanted):
                async with db.transaction() as session:
                    found = await verify(
                        session, codes.display(code).lower(), TODAY, now=NOW,
                        requester=f"telegram:{k % 50}",
                    )  # fmt: skip
                    assert found.code is not None
            per_verify = (time.perf_counter() - began) / len(wanted)
            async with db.transaction() as session:
                assert await session.scalar(select(Certificate.id).limit(1)) is not None
            return per_verify, steady
        finally:
            await db.dispose()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    small, large = 1_000, 20_000 if args.quick else 100_000
    results = {}
    for n in (small, large):
        results[n] = asyncio.run(measure(n, 300))
        verify_s, steady_s = results[n]
        print(
            f"{n:>7} certificates: verify {verify_s * 1000:.2f} ms, "
            f"reminder planning (steady) {steady_s * 1000:.2f} ms"
        )
    print(f"RESULT verify_ratio={results[large][0] / results[small][0]:.2f} goal=1.5")
    print(f"RESULT reminder_steady_ratio={results[large][1] / results[small][1]:.2f} goal=1.5")
    print(f"RESULT verify_ms={results[large][0] * 1000:.2f} goal=50 unit=ms")


if __name__ == "__main__":
    main()
