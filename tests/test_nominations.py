"""Nominations ("cử đi học", #16.2) as domain functions: every outcome of `nominate` and
`answer_nomination`, the shared seats and waitlist, the one reminder, and quotas holding
under concurrent nominations (SQLite over several engines, and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.db import Database
from models.audit import AuditEntry
from models.courses import nominations, registrations
from models.courses.nominations import AnswerOutcome, NominationOutcome
from models.courses.registrations import Registration, RegStatus
from models.notices.outbox import Notice
from models.notices.planning import PlanningSettings
from models.org import admins
from models.org.officials import Official
from scheduler.jobs import plan_courses
from tests.nomination_world import NOW, TODAY, NominationWorld, build


async def _nominate(
    w: NominationWorld, admin: str, who: str, **kw: object
) -> nominations.NominationResult:
    async with w.db.transaction() as session:
        return await nominations.nominate(
            session,
            admin=await w.official(session, admin),
            course_id=int(kw.get("course_id", w.course_id)),  # type: ignore[call-overload]
            official_id=w.people[who].id,
            today=TODAY,
            now=NOW,
        )


async def _answer(
    w: NominationWorld, who: str, registration_id: int, accept: bool, reason: str | None = None
) -> nominations.AnswerResult:
    async with w.db.transaction() as session:
        return await nominations.answer_nomination(
            session,
            official=await w.official(session, who),
            registration_id=registration_id,
            accept=accept,
            reason=reason,
            today=TODAY,
            now=NOW + timedelta(hours=1),
        )


async def _notices(w: NominationWorld, kind: str) -> list[Notice]:
    async with w.db.transaction() as session:
        return list(
            await session.scalars(select(Notice).where(Notice.kind == kind).order_by(Notice.id))
        )


async def _seats(w: NominationWorld) -> int:
    async with w.db.transaction() as session:
        return (await w.course(session)).seats_taken


async def test_a_nomination_holds_a_seat_and_tells_the_official_and_the_unit_head(
    db: Database,
) -> None:
    w = await build(db)
    result = await _nominate(w, "hr", "nhung")
    assert result.outcome is NominationOutcome.NOMINATED
    assert (result.quota_seats, result.quota_used) == (2, 1)
    reg = result.registration
    assert reg is not None and reg.status == RegStatus.CONFIRMED
    assert (reg.source, reg.answer) == (nominations.NOMINATED, nominations.PENDING)
    assert reg.nominated_by_official_id == w.people["hr"].id
    assert await _seats(w) == 1
    [told] = await _notices(w, nominations.NOMINATION)
    assert told.official_id == w.people["nhung"].id
    assert "Chị đã được đơn vị cử đi học" in told.text and "K-2026-40" in told.text
    assert told.choices == [
        ["✅ Xác nhận tham gia", f"nom:yes:{reg.id}"],
        ["❌ Từ chối", f"nom:no:{reg.id}"],
    ]
    assert not told.urgent  # quiet hours apply, as for other notices
    [head] = await _notices(w, nominations.NOMINATION_HEAD)
    assert head.official_id == w.people["head"].id
    assert "Lò Thị Nhung (DB000020)" in head.text and "Giàng A Tủa" in head.text
    async with db.transaction() as session:
        audited = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == nominations.NOMINATE_ACTION)
        )
        assert audited is not None and audited.actor_official_id == w.people["hr"].id


async def test_over_quota_no_quota_and_outside_the_scope_change_nothing(db: Database) -> None:
    w = await build(db, commune_quota=2)
    assert (await _nominate(w, "hr", "nhung")).outcome is NominationOutcome.NOMINATED
    assert (await _nominate(w, "hr", "pao")).outcome is NominationOutcome.NOMINATED
    over = await _nominate(w, "hr", "sinh")
    assert over.outcome is NominationOutcome.OVER_QUOTA
    assert (over.quota_seats, over.quota_used) == (2, 2)
    # The province division has no quota on this course.
    assert (await _nominate(w, "province_hr", "nam")).outcome is NominationOutcome.NO_QUOTA
    # A commune's HR does not reach the province; a province division's HR not the commune;
    # someone with no admin role reaches nobody.
    assert (await _nominate(w, "hr", "nam")).outcome is NominationOutcome.NOT_IN_SCOPE
    assert (await _nominate(w, "province_hr", "sinh")).outcome is NominationOutcome.NOT_IN_SCOPE
    assert (await _nominate(w, "nhung", "sinh")).outcome is NominationOutcome.NOT_IN_SCOPE
    assert await _seats(w) == 2
    async with db.transaction() as session:
        rows = await session.scalar(select(func.count()).select_from(Registration))
        refused = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == nominations.REFUSED_ACTION)
        )
    assert (rows, refused) == (2, 3)


async def test_ineligible_already_registered_and_closed_courses(db: Database) -> None:
    w = await build(db)
    async with db.transaction() as session:
        official = await w.official(session, "pao")
        done = await registrations.register(session, w.course_id, official, today=TODAY, now=NOW)
        assert done.outcome is registrations.Outcome.CONFIRMED
    already = await _nominate(w, "hr", "pao")
    assert already.outcome is NominationOutcome.ALREADY_REGISTERED
    assert already.registration is not None and already.registration.source == nominations.SELF
    async with db.transaction() as session:
        course = await w.course(session)
        course.eligible_levels = ["province"]
    ineligible = await _nominate(w, "hr", "nhung")
    assert ineligible.outcome is NominationOutcome.INELIGIBLE and ineligible.problems
    async with db.transaction() as session:
        course = await w.course(session)
        course.eligible_levels, course.status = [], "closed"
    closed = await _nominate(w, "hr", "nhung")
    assert closed.outcome is NominationOutcome.WINDOW
    assert await _seats(w) == 1


async def test_a_full_course_puts_the_nomination_on_the_shared_waitlist(db: Database) -> None:
    w = await build(db, capacity=1)
    async with db.transaction() as session:
        await registrations.register(
            session, w.course_id, await w.official(session, "pao"), today=TODAY, now=NOW
        )
    result = await _nominate(w, "hr", "nhung")
    assert result.outcome is NominationOutcome.WAITLISTED and result.position == 1
    assert result.quota_used == 1  # a waitlisted nomination uses the quota all the same
    [told] = await _notices(w, nominations.NOMINATION)
    assert "danh sách chờ" in told.text
    # Pao gives the seat back: the nominated official moves up, as anyone would.
    async with db.transaction() as session:
        cancelled = await registrations.cancel(
            session, w.course_id, await w.official(session, "pao"), today=TODAY, now=NOW
        )
    assert [r.official_id for r in cancelled.promoted] == [w.people["nhung"].id]


async def test_accepting_keeps_the_seat_and_a_second_answer_changes_nothing(
    db: Database,
) -> None:
    w = await build(db)
    reg = (await _nominate(w, "hr", "nhung")).registration
    assert reg is not None
    accepted = await _answer(w, "nhung", reg.id, True)
    assert accepted.outcome is AnswerOutcome.ACCEPTED
    assert accepted.registration is not None
    assert accepted.registration.answer == nominations.ACCEPTED
    again = await _answer(w, "nhung", reg.id, False, "busy")
    assert again.outcome is AnswerOutcome.ALREADY_ANSWERED
    assert await _seats(w) == 1
    [hr] = await _notices(w, nominations.NOMINATION_ANSWER)
    assert hr.official_id == w.people["hr"].id and "xác nhận tham gia" in hr.text


async def test_declining_frees_the_seat_for_the_waitlist_and_the_quota_seat(
    db: Database,
) -> None:
    w = await build(db, capacity=1, commune_quota=1)
    reg = (await _nominate(w, "hr", "nhung")).registration
    assert reg is not None
    async with db.transaction() as session:
        waiting = await registrations.register(
            session, w.course_id, await w.official(session, "sinh"), today=TODAY, now=NOW
        )
        assert waiting.outcome is registrations.Outcome.WAITLISTED
    assert (await _nominate(w, "hr", "pao")).outcome is NominationOutcome.OVER_QUOTA
    declined = await _answer(w, "nhung", reg.id, False, "busy")
    assert declined.outcome is AnswerOutcome.DECLINED
    assert [r.official_id for r in declined.promoted] == [w.people["sinh"].id]
    assert declined.registration is not None
    assert declined.registration.status == RegStatus.CANCELLED
    assert declined.registration.decline_reason == "busy"
    assert await _seats(w) == 1
    # The quota seat is back: HR may send someone else (to the waitlist: the seat went on).
    again = await _nominate(w, "hr", "pao")
    assert again.outcome is NominationOutcome.WAITLISTED and again.quota_used == 1
    [hr] = await _notices(w, nominations.NOMINATION_ANSWER)
    assert "từ chối" in hr.text and "Bận công tác" in hr.text
    heads = await _notices(w, nominations.NOMINATION_HEAD)
    assert [n.subject.rsplit(":", 1)[1] for n in heads] == ["nominated", "declined", "nominated"]
    # A declined official may be nominated again later: the same row is reused.
    async with db.transaction() as session:
        await nominations.answer_nomination(
            session, official=await w.official(session, "pao"),
            registration_id=again.registration.id if again.registration else 0,
            accept=False, reason="other:   đi công tác nước ngoài  ", today=TODAY, now=NOW,
        )  # fmt: skip
        row = await session.get(Registration, again.registration.id if again.registration else 0)
        assert row is not None and row.decline_reason == "other: đi công tác nước ngoài"
    renominated = await _nominate(w, "hr", "nhung")
    assert renominated.outcome is NominationOutcome.WAITLISTED
    assert renominated.registration is not None and renominated.registration.id == reg.id


async def test_a_forged_or_foreign_answer_is_refused_and_audited(db: Database) -> None:
    w = await build(db)
    reg = (await _nominate(w, "hr", "nhung")).registration
    assert reg is not None
    async with db.transaction() as session:
        own = await registrations.register(
            session, w.course_id, await w.official(session, "sinh"), today=TODAY, now=NOW
        )
        assert own.registration is not None
        self_registered = own.registration.id
    for forged in (reg.id, self_registered, 999_999):
        result = await _answer(w, "pao", forged, False, "busy")
        assert result.outcome is AnswerOutcome.NOT_YOURS
    # Even the owner of a self-registration cannot "decline" it as a nomination.
    assert (await _answer(w, "sinh", self_registered, False)).outcome is AnswerOutcome.NOT_YOURS
    async with db.transaction() as session:
        row = await session.get(Registration, reg.id)
        assert row is not None and row.answer == nominations.PENDING
        forged_entries = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == nominations.FORGED_ACTION)
        )
    assert forged_entries == 4
    assert await _seats(w) == 2


async def test_an_answer_after_the_course_was_cancelled_or_started_changes_nothing(
    db: Database,
) -> None:
    w = await build(db)
    nhung = (await _nominate(w, "hr", "nhung")).registration
    pao = (await _nominate(w, "hr", "pao")).registration
    assert nhung is not None and pao is not None
    async with db.transaction() as session:
        (await w.course(session)).status = "cancelled"
    assert (await _answer(w, "nhung", nhung.id, True)).outcome is AnswerOutcome.TOO_LATE
    async with db.transaction() as session:
        course = await w.course(session)
        course.status, course.starts_on = "open", TODAY
    assert (await _answer(w, "pao", pao.id, False, "ill")).outcome is AnswerOutcome.TOO_LATE
    async with db.transaction() as session:
        rows = list(await session.scalars(select(Registration).order_by(Registration.id)))
    assert [(r.status, r.answer) for r in rows] == [("confirmed", "pending")] * 2


async def test_one_reminder_near_the_deadline_then_the_nomination_stays(db: Database) -> None:
    w = await build(db)
    reg = (await _nominate(w, "hr", "nhung")).registration
    assert reg is not None
    async with db.transaction() as session:
        course = await w.course(session)
        deadline = course.registration_closes_on
    early = deadline - timedelta(days=nominations.REMIND_DAYS_BEFORE + 1)
    for day, expected in ((early, 0), (deadline - timedelta(days=1), 1), (deadline, 0)):
        async with db.transaction() as session:
            queued = await nominations.plan_answer_reminders(session, today=day, now=NOW)
        assert queued == expected, day
    # The scheduler's course job plans it too, and never twice.
    async with db.transaction() as session:
        (await session.get(Registration, reg.id)).answer_reminded_at = None  # type: ignore[union-attr]
    settings = PlanningSettings(tz=ZoneInfo("Asia/Ho_Chi_Minh"))
    on_deadline = datetime.combine(deadline, time(3, 0), UTC)
    for _ in range(2):
        await plan_courses(db.transaction, now=on_deadline, settings=settings)
    assert len(await _notices(w, nominations.NOMINATION_REMINDER)) == 2
    reminder = (await _notices(w, nominations.NOMINATION_REMINDER))[0]
    assert "chưa trả lời" in reminder.text and reminder.choices is not None
    async with db.transaction() as session:
        row = await session.get(Registration, reg.id)
        assert row is not None and (row.status, row.answer) == ("confirmed", "pending")


async def test_a_quota_holds_under_concurrent_nominations(db: Database) -> None:
    """N nominations of N different officials at once by two HR officers of the commune,
    each its own transaction (on SQLite over several engines, as several processes would
    be): exactly `quota` are nominated, everyone else is told "hết chỉ tiêu"."""
    people, quota = (24, 6) if db.dialect == "postgresql" else (16, 5)
    w = await build(db, capacity=30, commune_quota=quota)
    async with db.transaction() as session:
        commune = w.units["sin_thau"]
        second_hr = await session.get(Official, w.people["pao"].id)
        assert second_hr is not None
        await admins.grant(session, second_hr, commune, actor="test", now=NOW)
        crowd = [
            Official(
                employee_code=f"DX{n:05d}", full_name=f"Nguyễn Văn {n}", category="cong_chuc",
                unit_id=commune.id, level="commune", languages=[],
            )
            for n in range(people)
        ]  # fmt: skip
        session.add_all(crowd)
        await session.flush()
        ids = [o.id for o in crowd]
    engines = [db] + ([Database(db.url) for _ in range(3)] if db.dialect == "sqlite" else [])

    async def one(n: int, official_id: int) -> NominationOutcome:
        engine = engines[n % len(engines)]
        async with engine.transaction() as session:
            admin = await session.get(Official, w.people["hr" if n % 2 else "pao"].id)
            assert admin is not None
            result = await nominations.nominate(
                session, admin=admin, course_id=w.course_id, official_id=official_id,
                today=TODAY, now=NOW,
            )  # fmt: skip
            return result.outcome

    try:
        outcomes = await asyncio.gather(*(one(n, i) for n, i in enumerate(ids)))
    finally:
        for extra in engines[1:]:
            await extra.dispose()
    assert outcomes.count(NominationOutcome.NOMINATED) == quota
    assert outcomes.count(NominationOutcome.OVER_QUOTA) == people - quota
    async with db.transaction() as session:
        held = await session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.source == nominations.NOMINATED)
        )
        assert held == quota and (await w.course(session)).seats_taken == quota
