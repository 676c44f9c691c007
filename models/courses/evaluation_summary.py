"""A class's evaluation summary for its organiser and HR (issue #16.4): per scaled question
the number of answers and the mean, the response rate, and the free-text answers.

Anonymity: nothing here names or orders by a person. Free-text answers are listed in
alphabetical order, not in the order they came. Below MIN_FOR_MEANS responses the means and
the free text are withheld (only counts are shown): with one or two answers, the people
who answered are easy to guess.

Who may read it: an admin whose scope reaches the course's owner unit (a course without
one belongs to the province, so only province admins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel import numbers as babel_numbers
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import current_locale
from locales.collation import vi_key
from models.courses.catalogue import Course, CourseStatus
from models.courses.evaluation import FREE_TEXT, Question, Questionnaire, questionnaire
from models.courses.evaluation_store import EvaluationResponse
from models.courses.registrations import DONE, Registration
from models.org.admins import Scope
from models.org.units import OrgUnit

MIN_FOR_MEANS = 3
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class ScaleSummary:
    question: Question
    count: int  # answers given to this question
    mean: Decimal | None  # rounded to one decimal; None when withheld or unanswered
    counts: dict[int, int]  # answers per point of the scale


@dataclass(frozen=True)
class CommentSummary:
    question: Question
    count: int
    answers: tuple[str, ...]  # empty when withheld


@dataclass(frozen=True)
class EvaluationSummary:
    course: Course
    form: Questionnaire
    responses: int  # under the questionnaire in force
    participants: int  # attended or completed registrations: who could answer
    scales: tuple[ScaleSummary, ...]
    comments: tuple[CommentSummary, ...]
    other_versions: int = 0  # responses to an older wording, not mixed in

    @property
    def withheld(self) -> bool:
        return self.responses < MIN_FOR_MEANS


def mean_of(values: Sequence[int]) -> Decimal | None:
    """The mean to one decimal, halves rounded up (4,25 → 4,3), or None for no values."""
    if not values:
        return None
    return (Decimal(sum(values)) / Decimal(len(values))).quantize(_TENTH, ROUND_HALF_UP)


def format_mean(value: Decimal) -> str:
    """ "4,3" in Vietnamese, "4.3" in English: always one decimal."""
    return babel_numbers.format_decimal(value, format="#,##0.0", locale=current_locale())


def summarise(
    course: Course,
    form: Questionnaire,
    answer_sets: Sequence[dict[str, object]],
    participants: int,
    other_versions: int = 0,
) -> EvaluationSummary:
    """The figures from the answers alone (pure: the tests and the year-end report use it)."""
    withheld = len(answer_sets) < MIN_FOR_MEANS
    scales = []
    for q in form.scaled:
        values = [
            v
            for a in answer_sets
            if isinstance(v := a.get(q.key), int) and form.low <= v <= form.high
        ]
        counts = {point: values.count(point) for point in range(form.low, form.high + 1)}
        scales.append(ScaleSummary(q, len(values), None if withheld else mean_of(values), counts))
    comments = []
    for q in form.questions:
        if q.kind != FREE_TEXT:
            continue
        said = sorted(
            (v for a in answer_sets if isinstance(v := a.get(q.key), str) and v),
            key=vi_key,
        )
        comments.append(CommentSummary(q, len(said), () if withheld else tuple(said)))
    return EvaluationSummary(
        course,
        form,
        len(answer_sets),
        participants,
        tuple(scales),
        tuple(comments),
        other_versions,
    )


async def course_summary(session: AsyncSession, course: Course) -> EvaluationSummary:
    form = questionnaire()
    rows = (
        await session.execute(
            select(EvaluationResponse.questionnaire, EvaluationResponse.answers).where(
                EvaluationResponse.course_id == course.id
            )
        )
    ).all()
    current = [dict(answers or {}) for version, answers in rows if version == form.id]
    participants = await session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.course_id == course.id, Registration.status.in_(DONE))
    )
    return summarise(course, form, current, int(participants or 0), len(rows) - len(current))


async def reaches_course(session: AsyncSession, scope: Scope, course: Course) -> bool:
    if course.owner_unit_id is None:
        return scope.is_province
    owner = await session.get(OrgUnit, course.owner_unit_id)
    return owner is not None and scope.reaches(owner.path)


async def summary_for(
    session: AsyncSession, scope: Scope, course_id: int
) -> EvaluationSummary | None:
    """The course's summary, or None when there is no such course or the scope does not
    reach its owner (the caller answers both alike)."""
    course = await session.get(Course, course_id)
    if course is None or not await reaches_course(session, scope, course):
        return None
    return await course_summary(session, course)


async def courses_to_summarise(
    session: AsyncSession, scope: Scope, *, since: date, limit: int = 10
) -> list[Course]:
    """Courses with attended or completed participants, ended or ending since `since`,
    whose owner the scope reaches; latest first."""
    found = await session.scalars(
        select(Course)
        .where(
            Course.status != CourseStatus.CANCELLED,
            Course.ends_on >= since,
            select(Registration.id)
            .where(Registration.course_id == Course.id, Registration.status.in_(DONE))
            .exists(),
        )
        .order_by(Course.ends_on.desc(), Course.id.desc())
        .limit(limit * 5)
    )
    courses = []
    for course in found:
        if await reaches_course(session, scope, course):
            courses.append(course)
        if len(courses) == limit:
            break
    return courses
