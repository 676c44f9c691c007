"""Attendance (#16.3): a typed check-in code is matched against every course meeting today
(one HMAC per course and slot), and closing a roster writes one training record per
completion. Prints numbers; not a test.

    .venv/bin/python benchmarks/bench_attendance.py [--quick] [--courses 300] [--class-size 200]

Measured on SQLite, in one process, through the domain functions (models/courses/attendance):
- check-in time with one course meeting today and with `--courses` meeting today: the ratio
  says what a busy day of the province costs over a quiet one (goal: <= 3x);
- closing a roster of `--class-size` officials, per official (goal: <= 5 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, update

from bot.config import Settings
from bot.db import Database, upgrade
from models.courses import attendance
from models.courses.attendance import AttendanceSettings, RosterClosure
from models.courses.catalogue import Course
from models.courses.registrations import Registration
from models.org import admins
from models.org.officials import Official
from models.requirements.store import ensure_default_catalogue
from tests.factories import make_official, small_province

TZ = Settings().timezone
DAY = date(2026, 12, 8)
AT = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
SETTINGS = AttendanceSettings(tz=TZ, secret=b"bench" * 8, max_failures=10**9)
RATIO_GOAL = 3.0
CLOSE_GOAL_MS = 5.0


async def seed(db: Database, courses: int, class_size: int) -> tuple[list[int], Official]:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, AT)
        units = await small_province(session)
        admin = await make_official(
            session, units["tccb"], employee_code="ADMIN1", phone="+84919999999"
        )
        await admins.grant(session, admin, units["root"], actor="bench", now=AT)
        ids: list[int] = []
        for n in range(courses):
            course = Course(
                code=f"B-{n:04d}",
                title=f"Khóa {n}",
                kind="cap_nhat_phap_luat_ky_nang",
                organiser="Sở Nội vụ",
                starts_on=DAY,
                ends_on=DAY,
                periods=8,
                capacity=class_size + 1,
                seats_taken=0,
                registration_closes_on=DAY - timedelta(days=3),
                source="bench",
            )
            session.add(course)
            await session.flush()
            ids.append(course.id)
        people = []
        for n in range(class_size):
            people.append(
                await make_official(
                    session,
                    units["tccb"],
                    employee_code=f"BB{n:06d}",
                    phone=f"+8491{n:07d}",
                )
            )
        await session.execute(
            insert(Registration),
            [
                {
                    "course_id": ids[-1],
                    "official_id": p.id,
                    "status": "confirmed",
                    "requested_at": AT,
                    "confirmed_at": AT,
                    "updated_at": AT,
                }
                for p in people
            ],
        )
        await session.execute(
            update(Course).where(Course.id == ids[-1]).values(seats_taken=class_size)
        )
    return ids, admin


async def time_check_ins(
    db: Database, course_ids: list[int], only: list[int], rounds: int
) -> float:
    """Median ms of one check-in (a fresh official each time) with `only` meeting today."""
    async with db.transaction() as session:
        await session.execute(
            update(Course)
            .where(Course.id.not_in(only))
            .values(starts_on=DAY + timedelta(days=30), ends_on=DAY + timedelta(days=30))
        )
        await session.execute(
            update(Course).where(Course.id.in_(only)).values(starts_on=DAY, ends_on=DAY)
        )
    target = course_ids[-1]
    code = attendance.issue_code(target, DAY, AT, SETTINGS).code
    async with db.transaction() as session:
        people = list(
            await session.scalars(
                Official.__table__.select()
                .with_only_columns(Official.id)
                .where(Official.employee_code.like("BB%"))
                .order_by(Official.id)
                .limit(rounds)
            )
        )
    times: list[float] = []
    for official_id in people:
        async with db.transaction() as session:
            official = await session.get(Official, official_id)
            assert official is not None
            started = time.perf_counter()
            result = await attendance.check_in(
                session, official=official, code=code, now=AT, settings=SETTINGS
            )
            times.append((time.perf_counter() - started) * 1000)
            assert result.outcome is attendance.CheckIn.CHECKED_IN, result
            await session.rollback()
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--courses", type=int, default=300)
    parser.add_argument("--class-size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="a small run while developing")
    args = parser.parse_args()
    if args.quick:
        args.courses, args.class_size, args.rounds = 30, 40, 20
    path = Path(tempfile.mkdtemp(prefix="bench-att-")) / "att.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    db = Database(url)
    try:
        ids, admin = await seed(db, args.courses, args.class_size)
        rounds = min(args.rounds, args.class_size)
        quiet = await time_check_ins(db, ids, [ids[-1]], rounds)
        busy = await time_check_ins(db, ids, ids, rounds)
        async with db.transaction() as session:
            for official_id in list(
                await session.scalars(
                    Official.__table__.select()
                    .with_only_columns(Official.id)
                    .where(Official.employee_code.like("BB%"))
                )
            ):
                session.add(
                    attendance.AttendanceMark(
                        course_id=ids[-1],
                        official_id=official_id,
                        day=DAY,
                        status="present",
                        marked_at=AT,
                    )
                )
        async with db.transaction() as session:
            who = await session.get(Official, admin.id)
            assert who is not None
            started = time.perf_counter()
            result = await attendance.close_roster(
                session, admin=who, course_id=ids[-1], now=AT + timedelta(hours=8), tz=TZ
            )
            close_ms = (time.perf_counter() - started) * 1000
            assert result.completed == args.class_size, result
            assert await session.get(RosterClosure, ids[-1]) is not None
    finally:
        await db.dispose()
    ratio = busy / quiet
    per_official = close_ms / args.class_size
    print(
        f"check-in: {quiet:.2f} ms with 1 course meeting today, {busy:.2f} ms with {args.courses}"
    )
    print(f"closing a roster of {args.class_size}: {close_ms:.0f} ms ({per_official:.2f} ms each)")
    print(f"RESULT checkin_busy_day_ratio={ratio:.2f} goal={RATIO_GOAL}")
    print(f"RESULT close_roster_ms_per_official={per_official:.2f} goal={CLOSE_GOAL_MS} unit=ms")


if __name__ == "__main__":
    asyncio.run(main())
