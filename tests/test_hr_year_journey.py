"""HR's whole year on a small province, end to end through the domain functions (#16):
plan → nomination → confirmation → check-in → evaluation → certificate → verification →
year-end report. Each step's bad input (a quota over capacity, a nomination over quota, a
forged answer, an expired or foreign check-in code, a certificate before the evaluation, a
forged verification code) is answered and changes nothing. The same journey over the fake
Telegram server is tests/test_hr_year_telegram.py."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.db import Database
from models.certificates.issuing import IssueOutcome, issue_certificate
from models.certificates.store import Certificate
from models.certificates.verifying import Verdict, verify
from models.courses import attendance
from models.courses.attendance import AttendanceSettings, CheckIn, Close
from models.courses.catalogue import Course
from models.courses.evaluation import (
    EVALUATION_INVITE,
    SCALE,
    EvalOutcome,
    answer,
    start_evaluation,
    submit,
)
from models.courses.nominations import (
    AnswerOutcome,
    NominationOutcome,
    answer_nomination,
    nominate,
)
from models.courses.registrations import RegStatus, registration_of
from models.exports.year_plan import year_plan_file
from models.exports.year_report import YearReport, year_report, year_report_workbook
from models.exports.year_report_template import load_template
from models.notices.outbox import Notice
from models.notices.planning import PlanningSettings
from models.org.admins import scope_of
from models.org.officials import Official
from models.plan.demand import demand
from models.plan.year_plan import Allocation, allocate
from models.requirements.training_records import TrainingRecord
from tests.courses_world import make_course
from tests.plan_world import LAW, NOW, TODAY, build_province

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ATTENDANCE = AttendanceSettings(tz=TZ, secret=b"journey-test-secret")
PLANNING = PlanningSettings(tz=TZ)


def _law_completions(report: YearReport) -> int:
    return next((k.total.completions for k in report.kinds if k.kind == LAW), 0)


def _forged(code: str) -> str:
    """The same code with one character changed (the check character catches it)."""
    swap = "A" if code[0] != "A" else "B"
    return swap + code[1:]


async def test_the_year_runs_end_to_end(db: Database) -> None:
    world = await build_province(db)
    course_id = world.courses["this_year"]
    units = world.units

    # --- the plan: demand, a quota, the workbook ----------------------------------------
    async with db.transaction() as session:
        hr = await session.get(Official, world.people["hr"].id)
        assert hr is not None
        scope = await scope_of(session, hr)
        before = await year_report(session, year=2026, scope=scope, today=TODAY)
        owed = await demand(session, year=2026, today=TODAY, scope=scope)
        assert owed.total(LAW).officials >= 1  # An still owes the yearly update
        over = await allocate(
            session,
            scope=scope,
            course_id=course_id,
            unit_id=units["noi_vu"].id,
            seats=31,
            by=hr,
            actor="test",
            now=NOW,
        )
        assert over.outcome is Allocation.OVER_CAPACITY
        given = await allocate(
            session,
            scope=scope,
            course_id=course_id,
            unit_id=units["noi_vu"].id,
            seats=1,
            by=hr,
            actor="test",
            now=NOW,
        )
        assert given.outcome is Allocation.SET
        plan = await year_plan_file(
            session, year=2026, today=TODAY, scope=scope, scope_name="Tỉnh thử nghiệm"
        )
    book = load_workbook(BytesIO(plan.content), read_only=True)
    assert {"Nhu cầu", "Kế hoạch", "Cân đối"} <= set(book.sheetnames)
    plan_cells = [c for row in book["Kế hoạch"].iter_rows(values_only=True) for c in row]
    assert "K-2026-30" in plan_cells

    # --- nomination within the quota, and one over it ----------------------------------
    async with db.transaction() as session:
        hr = await session.get(Official, world.people["hr"].id)
        assert hr is not None
        nominated = await nominate(
            session,
            admin=hr,
            course_id=course_id,
            official_id=world.people["an"].id,
            today=TODAY,
            now=NOW,
        )
        assert nominated.outcome is NominationOutcome.NOMINATED
        assert nominated.registration is not None
        registration_id = nominated.registration.id
        refused = await nominate(
            session,
            admin=hr,
            course_id=course_id,
            official_id=world.people["ha"].id,
            today=TODAY,
            now=NOW,
        )
        assert refused.outcome is NominationOutcome.OVER_QUOTA
        assert await registration_of(session, course_id, world.people["ha"].id) is None

    # --- the nominee confirms; someone else's answer to it is refused --------------------
    async with db.transaction() as session:
        ha = await session.get(Official, world.people["ha"].id)
        an = await session.get(Official, world.people["an"].id)
        assert ha is not None and an is not None
        foreign = await answer_nomination(
            session,
            official=ha,
            registration_id=registration_id,
            accept=False,
            reason="busy",
            today=TODAY,
            now=NOW,
        )
        assert foreign.outcome is AnswerOutcome.NOT_YOURS
        accepted = await answer_nomination(
            session,
            official=an,
            registration_id=registration_id,
            accept=True,
            reason=None,
            today=TODAY,
            now=NOW,
        )
        assert accepted.outcome is AnswerOutcome.ACCEPTED
        other = await make_course(
            session,
            "K-2026-31",
            kind=LAW,
            starts_on=date(2026, 12, 10),
            registration_closes_on=date(2026, 12, 5),
        )
        other_id = other.id
        course = await session.get(Course, course_id)
        assert course is not None
        days = attendance.sessions_of(course)
    assert len(days) >= 2

    # --- check-in on every session day; bad codes change nothing ------------------------
    for day in days:
        at = datetime.combine(day, time(8, 0), TZ)
        code = attendance.issue_code(course_id, day, at, ATTENDANCE)
        foreign_code = attendance.issue_code(other_id, day, at, ATTENDANCE)
        async with db.transaction() as session:
            an = await session.get(Official, world.people["an"].id)
            ha = await session.get(Official, world.people["ha"].id)
            assert an is not None and ha is not None
            stale = await attendance.check_in(
                session,
                official=an,
                code=code.code,
                now=code.valid_until + timedelta(minutes=1),
                settings=ATTENDANCE,
            )
            assert stale.outcome is CheckIn.WRONG_CODE
            wrong = await attendance.check_in(
                session, official=an, code=foreign_code.code, now=at, settings=ATTENDANCE
            )
            # Another course's genuine code: An holds no seat there, so it says no more.
            assert wrong.outcome is CheckIn.NOT_REGISTERED
            outsider = await attendance.check_in(
                session, official=ha, code=code.code, now=at, settings=ATTENDANCE
            )
            assert outsider.outcome is CheckIn.NOT_REGISTERED
            assert await attendance.present_count(session, course_id, day) == 0
            ok = await attendance.check_in(
                session, official=an, code=code.code, now=at, settings=ATTENDANCE
            )
            assert ok.outcome is CheckIn.CHECKED_IN
            assert await attendance.present_count(session, course_id, day) == 1

    # --- the organiser closes the roster: a training record and an invitation ----------
    closing = datetime.combine(days[-1], time(17, 0), TZ)
    async with db.transaction() as session:
        hr = await session.get(Official, world.people["hr"].id)
        assert hr is not None
        closed = await attendance.close_roster(
            session, admin=hr, course_id=course_id, now=closing, tz=TZ, invite=PLANNING
        )
        assert (closed.outcome, closed.completed, closed.absent) == (Close.CLOSED, 1, 0)
        reg = await registration_of(session, course_id, world.people["an"].id)
        assert reg is not None and reg.status == RegStatus.COMPLETED
        assert reg.training_record_id is not None
        record = await session.get(TrainingRecord, reg.training_record_id)
        assert record is not None and record.kind == LAW
        invited = await session.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.kind == EVALUATION_INVITE, Notice.official_id == world.people["an"].id)
        )
        assert invited == 1
        # The certificate waits for the evaluation.
        early = await issue_certificate(session, registration_id=registration_id, today=days[-1])
        assert early.outcome is IssueOutcome.EVALUATION_MISSING

    # --- evaluation: every question answered with the buttons' values ------------------
    async with db.transaction() as session:
        an = await session.get(Official, world.people["an"].id)
        assert an is not None
        step = await start_evaluation(session, course_id=course_id, official=an, now=closing)
        assert step.outcome is EvalOutcome.QUESTION
        while step.question is not None:
            question = step.question
            value: int | str | None = 5 if question.kind == SCALE else "Thêm bài tập thực hành"
            step = await answer(
                session,
                course_id=course_id,
                official=an,
                question_key=question.key,
                value=value,
                now=closing,
            )
        if step.outcome is not EvalOutcome.SUBMITTED:
            step = await submit(session, course_id=course_id, official=an, now=closing)
        assert step.outcome is EvalOutcome.SUBMITTED

    # --- the certificate and its verification --------------------------------------------
    async with db.transaction() as session:
        issued = await issue_certificate(session, registration_id=registration_id, today=days[-1])
        assert issued.outcome is IssueOutcome.ISSUED and issued.certificate is not None
        certificate_code = issued.certificate.code
        again = await issue_certificate(session, registration_id=registration_id, today=days[-1])
        assert again.outcome is IssueOutcome.ALREADY and again.certificate is not None
        assert again.certificate.code == certificate_code
    async with db.transaction() as session:
        genuine = await verify(
            session, certificate_code.lower(), days[-1], now=closing, requester="test"
        )
        assert genuine.verdict is Verdict.VALID
        assert genuine.full_name == world.people["an"].full_name
        assert genuine.course_code == "K-2026-30"
        forged = await verify(
            session, _forged(certificate_code), days[-1], now=closing, requester="test"
        )
        assert forged.verdict is Verdict.NOT_FOUND and forged.full_name is None
        assert await session.scalar(select(func.count()).select_from(Certificate)) == 1

    # --- the year-end report counts the completion, against the plan -------------------
    async with db.transaction() as session:
        hr = await session.get(Official, world.people["hr"].id)
        assert hr is not None
        scope = await scope_of(session, hr)
        after = await year_report(session, year=2026, scope=scope, today=date(2026, 12, 31))
    assert _law_completions(after) == _law_completions(before) + 1
    law = next(k for k in after.kinds if k.kind == LAW)
    assert law.total.classes >= 1 and law.total.quota_seats >= 1
    content = year_report_workbook(after, load_template(), made_on=date(2026, 12, 31))
    sheet = load_workbook(BytesIO(content), read_only=True).active
    assert sheet is not None
    numbers = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, int)]
    assert _law_completions(after) in numbers
