"""Overbooking, the anchors' most reported bug: many people press "Xác nhận" at once.

Each registration is its own update through the real path (Dispatcher.handle, its own
transaction and session). PostgreSQL gets 200 people for 30 seats; SQLite 50, spread over
several engines (as several processes would be), so BEGIN IMMEDIATE and busy_timeout are
what must hold, and no "database is locked" may surface.
"""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from bot.db import Database
from models.courses import registrations
from models.courses.catalogue import Course
from models.courses.registrations import Registration, RegStatus
from models.org.officials import Official
from tests.courses_world import NOW, link, make_course
from tests.factories import small_province
from tests.transcript import Clock, Person, make_dispatcher

SEATS = 30


async def _crowd(db: Database, people: int) -> tuple[int, list[str]]:
    async with db.transaction() as session:
        from models.requirements.store import ensure_default_catalogue

        await ensure_default_catalogue(session, NOW)
        units = await small_province(session)
        course = await make_course(session, "K-2026-99", capacity=SEATS)
        session.add_all(
            Official(
                employee_code=f"C{n:05d}",
                full_name=f"Nguyễn Văn {n}",
                category="cong_chuc",
                unit_id=units["tccb"].id,
                level="province",
                languages=[],
            )
            for n in range(people)
        )
        await session.flush()
        officials = list(await session.scalars(select(Official).order_by(Official.id)))
        chats = []
        for official in officials:
            chats.append(f"c{official.id}")
            await link(session, official, chats[-1])
        # One person on two phones (two channels) as well.
        await link(session, officials[0], "second-phone", channel="zalo")
    return course.id, chats


async def _press_all(dispatchers: list, chats: list[tuple[str, str]], value: str) -> list[str]:
    people = [
        Person(dispatchers[n % len(dispatchers)], chat, channel=channel)
        for n, (chat, channel) in enumerate(chats)
    ]
    action, course_id, _yes = value.split(":")
    for p in people:
        # A confirm counts only from the prompt its dialog showed: everyone opens it first.
        if p.channel == "zalo":  # choices are typed by number there
            await p.say("/khoahoc")
            await p.press(f"crs:{course_id}")
        await p.press(f"{action}:{course_id}")
    confirms = [next(v for v in p.values if v.startswith(value)) for p in people]
    await asyncio.gather(*(p.press(v) for p, v in zip(people, confirms, strict=True)))
    return [p.text for p in people]


async def _counts(db: Database, course_id: int) -> dict[str, int]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(Registration.status, func.count())
            .where(Registration.course_id == course_id)
            .group_by(Registration.status)
        )
        return {status: n for status, n in rows}


async def test_capacity_holds_under_a_crowd(db: Database) -> None:
    people = 200 if db.dialect == "postgresql" else 50
    course_id, chats = await _crowd(db, people)
    clock = Clock(NOW)
    extra: list[Database] = []
    if db.dialect == "sqlite":  # other "processes": their own engines and connections
        extra = [Database(db.url) for _ in range(3)]
    dispatchers = [make_dispatcher(d, clock) for d in (db, *extra)]
    try:
        started = time.perf_counter()
        texts = await _press_all(
            dispatchers,
            [(c, "telegram") for c in chats] + [("second-phone", "zalo")],
            f"reg:{course_id}:y",
        )
        register_seconds = time.perf_counter() - started
        assert not [t for t in texts if "Xin lỗi" in t or "locked" in t]
        assert sum(t.startswith("Anh/chị đã đăng ký khóa K-2026-99.") for t in texts) == SEATS
        assert sum("vào danh sách chờ" in t for t in texts) == people - SEATS
        counts = await _counts(db, course_id)
        assert counts == {RegStatus.CONFIRMED: SEATS, RegStatus.WAITLISTED: people - SEATS}
        async with db.transaction() as session:
            course = await session.get(Course, course_id)
            assert course is not None and course.seats_taken == SEATS
            waiting = list(
                await session.scalars(
                    select(Registration)
                    .where(
                        Registration.course_id == course_id,
                        Registration.status == RegStatus.WAITLISTED,
                    )
                    .order_by(Registration.priority, Registration.requested_at, Registration.id)
                )
            )
            positions = [await registrations.position(session, r) for r in waiting]
            holders = list(
                await session.scalars(
                    select(Registration.official_id).where(
                        Registration.course_id == course_id,
                        Registration.status == RegStatus.CONFIRMED,
                    )
                )
            )
        assert positions == list(range(1, people - SEATS + 1))
        # The position each person was told is the one the waitlist order gives them.
        told = sorted(
            int(t.split("vị trí ")[1].split(".")[0]) for t in texts if "vào danh sách chờ" in t
        )
        assert told == positions

        # Ten seat holders cancel at once: exactly ten people move up, first in line first.
        leavers = holders[:10]
        first_ten = [r.official_id for r in waiting[:10]]
        started = time.perf_counter()
        texts = await _press_all(
            dispatchers, [(f"c{o}", "telegram") for o in leavers], f"unreg:{course_id}:y"
        )
        cancel_seconds = time.perf_counter() - started
        assert all(t.startswith("Anh/chị đã hủy đăng ký khóa K-2026-99.") for t in texts)
        counts = await _counts(db, course_id)
        assert counts[RegStatus.CONFIRMED] == SEATS
        assert counts[RegStatus.CANCELLED] == 10
        async with db.transaction() as session:
            promoted = await registrations.pending_promotions(session)
            course = await session.get(Course, course_id)
            assert course is not None and course.seats_taken == SEATS
        assert sorted(r.official_id for r, _c, _o in promoted) == sorted(first_ten)
        print(
            f"\n{db.dialect}: {people + 1} concurrent registrations in {register_seconds:.2f}s,"
            f" 10 concurrent cancellations in {cancel_seconds:.2f}s"
        )
    finally:
        for d in extra:
            await d.dispose()
