"""Planning notices into the outbox with an injected clock: stage days, downtime, withdrawal,
overdue, event-based due dates, idempotence, person-level changes and course notices (the
stage arithmetic alone: tests/test_notice_stages.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update

from bot.db import Database
from models.courses.catalogue import Course, CourseStatus
from models.courses.registrations import Registration, RegStatus
from models.imports.officials import OfficialChange
from models.notices import outbox as notices
from models.notices.outbox import Notice
from models.notices.planning import (
    PlanningSettings,
    PlanStats,
    plan_change_notices,
    plan_course_notices,
)
from models.notices.preferences import set_kind, set_lead_days
from models.org.officials import Official
from models.requirements.store import ensure_default_catalogue
from models.requirements.training_records import TrainingRecord, import_key
from scheduler.jobs import plan_courses, plan_requirements
from tests.notice_world import seed_people

S = PlanningSettings(tz=ZoneInfo("Asia/Ho_Chi_Minh"))
VN = S.tz


def at(y: int, m: int, d: int, hh: int = 7, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN).astimezone(UTC)


async def rows(db: Database, **where: object) -> list[Notice]:
    async with db.transaction() as session:
        query = select(Notice).order_by(Notice.id)
        for name, value in where.items():
            query = query.where(getattr(Notice, name) == value)
        return list(await session.scalars(query))


async def world(db: Database) -> list[int]:
    async with db.transaction() as session:
        await ensure_default_catalogue(session, at(2026, 1, 1))
        ids = await seed_people(session, 4)
        await seed_people(session, 1, start=50, channel=None)  # not linked: never planned
    return ids


async def test_stage_day_plans_once_for_linked_officials_who_owe_it(db: Database) -> None:
    ids = await world(db)
    async with db.transaction() as session:  # one official already did this year's update
        await session.execute(
            insert(TrainingRecord).values(
                official_id=ids[0],
                kind="cap_nhat_phap_luat_ky_nang",
                completed_on=date(2026, 3, 1),
                periods=16,
                source="test",
                import_key=import_key(
                    ids[0], "cap_nhat_phap_luat_ky_nang", date(2026, 3, 1), None, None
                ),
            )
        )
    first = await plan_requirements(db.transaction, now=at(2026, 10, 1, 6), settings=S)
    again = await plan_requirements(db.transaction, now=at(2026, 10, 1, 6, 30), settings=S)
    planned = await rows(db, subject="rule:DB-SEED-03:2026-12-31")
    assert sorted(r.official_id for r in planned) == ids[1:]
    assert {r.kind for r in planned} == {notices.REQUIREMENT_DUE}
    assert {r.due_at for r in planned} == {at(2026, 10, 1, 8)}
    assert all(r.relevant_until == at(2026, 11, 15, 8) for r in planned)
    assert "còn 91 ngày" in planned[0].text and "31/12/2026" in planned[0].text
    assert first.planned >= 3 and again.planned == 0


async def test_a_planner_that_was_down_plans_the_current_stage_only(db: Database) -> None:
    await world(db)
    await plan_requirements(db.transaction, now=at(2026, 11, 20, 9), settings=S)
    planned = await rows(db, subject="rule:DB-SEED-03:2026-12-31")
    assert {r.due_at for r in planned} == {at(2026, 11, 15, 8)}  # not the 1 October one
    assert "còn 46 ngày" in planned[0].text


async def test_completion_before_the_moment_withdraws_the_pending_notice(db: Database) -> None:
    ids = await world(db)
    await plan_requirements(db.transaction, now=at(2026, 12, 15, 6), settings=S)
    async with db.transaction() as session:
        await session.execute(
            insert(TrainingRecord).values(
                official_id=ids[1],
                kind="quan_ly_nha_nuoc",
                completed_on=date(2026, 12, 14),
                periods=40,
                source="test",
                import_key=import_key(ids[1], "quan_ly_nha_nuoc", date(2026, 12, 14), None, None),
            )
        )
    stats = await plan_requirements(db.transaction, now=at(2026, 12, 15, 7), settings=S)
    assert stats.withdrawn >= 1  # the same course can meet two rules
    mine = await rows(db, official_id=ids[1], subject="rule:DB-SEED-03:2026-12-31")
    assert [(r.state, r.last_error) for r in mine] == [(notices.DROPPED, notices.RESOLVED)]


async def test_overdue_notice_after_the_due_date(db: Database) -> None:
    await world(db)
    await plan_requirements(db.transaction, now=at(2027, 1, 1, 6), settings=S)
    overdue = await rows(db, kind=notices.REQUIREMENT_OVERDUE)
    assert overdue and {r.subject for r in overdue} >= {"rule:DB-SEED-03:2026-12-31"}
    assert "quá hạn" in overdue[0].text


async def test_event_based_due_date_is_planned_from_the_appointment(db: Database) -> None:
    await world(db)
    async with db.transaction() as session:
        [leader] = await seed_people(
            session,
            1,
            start=60,
            leadership_tier="truong_phong",
            leadership_appointed_on=date(2025, 12, 20),
        )
    # Due 12 months after appointment: 20/12/2026; 16 days before is 04/12/2026.
    await plan_requirements(db.transaction, now=at(2026, 12, 4, 6), settings=S)
    mine = await rows(db, official_id=leader, subject="rule:REG-171-LEADER-QLNN:2026-12-20")
    assert [r.due_at for r in mine] == [at(2026, 12, 4, 8)]


async def test_roster_change_produces_one_notice_listing_what_applies(db: Database) -> None:
    ids = await world(db)
    now = at(2026, 11, 26, 10)
    change = OfficialChange("NT0000002", ids[1], {"leadership_tier": (None, "pho_truong_phong")})
    ignored = OfficialChange("NT0000003", ids[2], {"phone": ("+849", "+848")})
    async with db.transaction() as session:
        assert await plan_change_notices(session, [change, ignored], now=now, settings=S) == 1
        assert await plan_change_notices(session, [change], now=now, settings=S) == 0  # same change
    [notice] = await rows(db, kind=notices.PERSON_CHANGE)
    assert notice.official_id == ids[1]
    assert "Cập nhật kiến thức pháp luật hằng năm" in notice.text and "31/12/2026" in notice.text


async def course(db: Database, **fields: object) -> int:
    values: dict[str, object] = {
        "code": "K-2026-14",
        "title": "Bồi dưỡng QLNN ngạch chuyên viên chính",
        "kind": "quan_ly_nha_nuoc",
        "organiser": "Trường Chính trị tỉnh",
        "mode": "in_person",
        "place": "Hội trường A",
        "starts_on": date(2026, 12, 8),
        "ends_on": date(2026, 12, 12),
        "capacity": 30,
        "seats_taken": 0,
        "registration_closes_on": date(2026, 12, 3),
        "eligible_levels": [],
        "eligible_categories": [],
        "eligible_ranks": [],
        "status": CourseStatus.OPEN,
        "search_text": "",
        "source": "test",
        "created_at": at(2026, 11, 1),
        "updated_at": at(2026, 11, 1),
    }
    values.update(fields)
    async with db.transaction() as session:
        result = await session.execute(insert(Course).values(**values).returning(Course.id))
        return int(result.scalar_one())


async def register(
    db: Database, course_id: int, official_id: int, status: str, **fields: object
) -> None:
    async with db.transaction() as session:
        await session.execute(
            insert(Registration).values(
                course_id=course_id,
                official_id=official_id,
                status=status,
                priority=2,
                requested_at=at(2026, 11, 2),
                updated_at=at(2026, 11, 2),
                **fields,
            )
        )


async def test_course_start_reminders_follow_each_officials_lead_times(db: Database) -> None:
    ids = await world(db)
    course_id = await course(db)
    for oid in ids[:3]:
        await register(db, course_id, oid, RegStatus.CONFIRMED)
    async with db.transaction() as session:
        await set_lead_days(session, ids[1], [7], now=at(2026, 11, 20))
        await set_kind(session, ids[2], notices.COURSE_START, enabled=False, now=at(2026, 11, 20))
    await plan_courses(db.transaction, now=at(2026, 12, 1, 6), settings=S)  # 7 days before
    await plan_courses(db.transaction, now=at(2026, 12, 5, 6), settings=S)  # 3 days before
    await plan_courses(db.transaction, now=at(2026, 12, 5, 7), settings=S)
    got = sorted((r.official_id, r.subject) for r in await rows(db, kind=notices.COURSE_START))
    assert got == [(ids[0], f"course:{course_id}:lead3"), (ids[1], f"course:{course_id}:lead7")]
    [three] = await rows(db, official_id=ids[0], kind=notices.COURSE_START)
    assert "K-2026-14" in three.text and "08/12/2026" in three.text
    assert three.relevant_until == at(2026, 12, 7, 8)  # superseded by the 1-day reminder


async def test_registration_deadline_reaches_those_who_still_need_the_kind(db: Database) -> None:
    ids = await world(db)
    course_id = await course(
        db,
        registration_closes_on=date(2026, 12, 3),
        starts_on=date(2026, 12, 10),
        ends_on=date(2026, 12, 12),
    )
    await register(db, course_id, ids[3], RegStatus.CONFIRMED)  # already registered
    await plan_requirements(db.transaction, now=at(2026, 12, 1, 6), settings=S)
    got = await rows(db, kind=notices.REGISTRATION_DEADLINE)
    assert sorted(r.official_id for r in got) == ids[:3]
    assert "03/12/2026" in got[0].text


async def test_promotion_and_cancellation_are_told_once(db: Database) -> None:
    ids = await world(db)
    course_id = await course(db)
    await register(
        db,
        course_id,
        ids[0],
        RegStatus.CONFIRMED,
        promoted_at=at(2026, 11, 25),
        confirmed_at=at(2026, 11, 25),
    )
    await register(db, course_id, ids[1], RegStatus.WAITLISTED)
    first = await plan_course_notices_now(db, at(2026, 11, 26, 9))
    assert first.by_kind == {notices.WAITLIST_PROMOTED: 1}
    async with db.transaction() as session:
        await session.execute(
            update(Course)
            .where(Course.id == course_id)
            .values(status=CourseStatus.CANCELLED, updated_at=at(2026, 11, 27, 9))
        )
    await plan_course_notices_now(db, at(2026, 11, 27, 10))
    await plan_course_notices_now(db, at(2026, 11, 27, 11))
    cancelled = await rows(db, kind=notices.COURSE_CANCELLED)
    assert sorted(r.official_id for r in cancelled) == ids[:2]
    assert len(await rows(db, kind=notices.WAITLIST_PROMOTED)) == 1


async def plan_course_notices_now(db: Database, now: datetime) -> PlanStats:
    async with db.transaction() as session:
        return await plan_course_notices(session, now=now, settings=S)


async def test_inactive_officials_get_nothing(db: Database) -> None:
    ids = await world(db)
    async with db.transaction() as session:
        await session.execute(update(Official).where(Official.id == ids[1]).values(active=False))
    await plan_requirements(db.transaction, now=at(2026, 10, 1, 6), settings=S)
    assert ids[1] not in {r.official_id for r in await rows(db)}
