"""The course evaluation an official fills in after a course (issue #16.4): the questionnaire
(data: models/courses/data/evaluation.yaml), answering it one question at a time, sending it,
and the invitations that ask for it.

Who may answer: only an official whose registration for the course is attended or
completed, once (`evaluation_responses.registration_id` is unique). Answers given so far
wait in `evaluation_drafts`, so a questionnaire left half-way resumes at the first
unanswered question, on any chat and any day. Only the question asked now can be
answered: a button from an older message, or a forged one, names another question and
changes nothing.

The certificate of completion waits for the response (`evaluation_store.has_answered`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _, use_locale
from models.base import insert_ignore
from models.courses.catalogue import Course, CourseStatus
from models.courses.evaluation_store import EvaluationDraft, EvaluationResponse
from models.courses.registrations import DONE, Registration
from models.notices import outbox, texts
from models.notices.outbox import NewNotice
from models.org.officials import Official
from models.requirements.model import Text

if TYPE_CHECKING:
    from models.notices.planning import PlanningSettings

QUESTIONNAIRE_FILE = Path(__file__).resolve().parent / "data" / "evaluation.yaml"
SCALE, FREE_TEXT = "scale", "text"
MAX_TEXT = 1000  # characters kept of a free-text answer
# Outbox kind of "please evaluate course X"; its button is handlers/payloads.py EVALUATE.
EVALUATION_INVITE = "evaluation_invite"
INVITE_RELEVANT = timedelta(days=30)  # after this an invitation left unsent is dropped
INVITE_LOOKBACK = timedelta(days=30)  # courses that ended this recently are still invited
# Ideas and offensive words are fine; control characters and zero-width marks are not.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf"})


# --- the questionnaire ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    kind: str  # SCALE | FREE_TEXT
    heading: Text
    text: Text  # may hold {title}/{Title}
    optional: bool = False


@dataclass(frozen=True, slots=True)
class BasisNote:
    ref: str
    about: str
    verification: str  # V | W | U, as in the domain note
    note: str


@dataclass(frozen=True)
class Questionnaire:
    id: str
    title: Text
    wording: str  # "team": our own wording under common headings; "official": checked
    basis: tuple[BasisNote, ...]
    low: int
    high: int
    labels: dict[int, Text]
    questions: tuple[Question, ...]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)

    @property
    def scaled(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind == SCALE)

    @property
    def free(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind == FREE_TEXT)

    def next_question(self, answers: dict[str, Any]) -> Question | None:
        return next((q for q in self.questions if q.key not in answers), None)


def question_text(question: Question, gender: str | None = None) -> str:
    """The question in the current language, addressed to the reader ("anh/chị" unknown)."""
    return texts.addressed(question.text.localized(), gender)


def _text(raw: Any) -> Text:
    if isinstance(raw, str):
        return Text(raw)
    return Text(str(raw["vi"]), raw.get("en"))


def parse_questionnaire(raw: dict[str, Any]) -> Questionnaire:
    """The questionnaire file's content, checked: a mistake fails at start, not in a chat."""
    scale = raw["scale"]
    low, high = int(scale["low"]), int(scale["high"])
    questions = tuple(
        Question(
            key=str(q["key"]),
            kind=str(q["kind"]),
            heading=_text(q["heading"]),
            text=_text(q["text"]),
            optional=bool(q.get("optional", False)),
        )
        for q in raw["questions"]
    )
    keys = [q.key for q in questions]
    if len(set(keys)) != len(keys) or not questions:
        raise ValueError("questionnaire: question keys must be distinct and present")
    if any(q.kind not in (SCALE, FREE_TEXT) for q in questions):
        raise ValueError("questionnaire: a question's kind is scale or text")
    if any(q.optional and q.kind == SCALE for q in questions):
        raise ValueError("questionnaire: only free-text questions may be skipped")
    if not 1 <= low < high <= 9 or str(raw.get("wording")) not in ("team", "official"):
        raise ValueError("questionnaire: bad scale or wording")
    if len(str(raw["id"])) > 60:
        raise ValueError("questionnaire: the id is stored in 60 characters")
    return Questionnaire(
        id=str(raw["id"]),
        title=_text(raw["title"]),
        wording=str(raw["wording"]),
        basis=tuple(
            BasisNote(str(b["ref"]), str(b["about"]), str(b["verification"]), str(b["note"]))
            for b in raw.get("basis", [])
        ),
        low=low,
        high=high,
        labels={int(k): _text(v) for k, v in scale["labels"].items()},
        questions=questions,
    )


@cache
def questionnaire() -> Questionnaire:
    """The questionnaire in force (read once per process)."""
    with QUESTIONNAIRE_FILE.open(encoding="utf-8") as f:
        return parse_questionnaire(yaml.safe_load(f))


# --- answering -------------------------------------------------------------------------------


class EvalOutcome(StrEnum):
    QUESTION = "question"  # `question` is the one to answer now
    SUBMITTED = "submitted"  # the response is written; the certificate may follow
    ALREADY_ANSWERED = "already_answered"
    NOT_ELIGIBLE = "not_eligible"  # no attended/completed registration for this course
    NO_COURSE = "no_course"
    WRONG_QUESTION = "wrong_question"  # not the question asked now (stale or forged)
    INVALID = "invalid"  # a value the question does not take
    INCOMPLETE = "incomplete"  # submit with questions still open


@dataclass(frozen=True)
class EvaluationStep:
    """Where the official's questionnaire for a course stands after a call."""

    outcome: EvalOutcome
    course: Course | None = None
    question: Question | None = None  # the next to answer, if any
    answered: int = 0
    total: int = 0

    @property
    def number(self) -> int:
        """The next question's number, 1-based, as shown ("Câu 3/6")."""
        return self.answered + 1


@dataclass
class _Open:
    course: Course
    registration: Registration
    draft: EvaluationDraft | None


async def _open(
    session: AsyncSession, course_id: int, official: Official
) -> _Open | EvaluationStep:
    course = await session.get(Course, course_id)
    if course is None:
        return EvaluationStep(EvalOutcome.NO_COURSE)
    registration = await session.scalar(
        select(Registration).where(
            Registration.course_id == course.id, Registration.official_id == official.id
        )
    )
    if (
        registration is None
        or registration.status not in DONE
        or course.status == CourseStatus.CANCELLED
    ):
        return EvaluationStep(EvalOutcome.NOT_ELIGIBLE, course)
    # Locked: two phones answering at once take turns, and the second sees the first's work.
    draft = await session.scalar(
        select(EvaluationDraft)
        .where(EvaluationDraft.registration_id == registration.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    answered = await session.scalar(
        select(EvaluationResponse.id).where(EvaluationResponse.registration_id == registration.id)
    )
    if answered is not None:
        return EvaluationStep(EvalOutcome.ALREADY_ANSWERED, course)
    return _Open(course, registration, draft)


def _answers(found: _Open, form: Questionnaire) -> dict[str, Any]:
    # A draft begun under an older wording starts again: its answers meant other questions.
    if found.draft is None or found.draft.questionnaire != form.id:
        return {}
    return dict(found.draft.answers or {})


def _step(found: _Open, form: Questionnaire, answers: dict[str, Any]) -> EvaluationStep:
    return EvaluationStep(
        EvalOutcome.QUESTION,
        found.course,
        form.next_question(answers),
        answered=sum(1 for q in form.questions if q.key in answers),
        total=len(form.questions),
    )


async def _open_with_answers(
    session: AsyncSession, course_id: int, official: Official
) -> tuple[_Open, Questionnaire, dict[str, Any]] | EvaluationStep:
    """The official's open evaluation of the course, the questionnaire in force and the
    draft's answers to it; or the step saying why there is nothing to answer."""
    found = await _open(session, course_id, official)
    if isinstance(found, EvaluationStep):
        return found
    form = questionnaire()
    return found, form, _answers(found, form)


async def start_evaluation(
    session: AsyncSession, *, course_id: int, official: Official, now: datetime
) -> EvaluationStep:
    """Begin, or resume at the first unanswered question. Writes nothing."""
    opened = await _open_with_answers(session, course_id, official)
    if isinstance(opened, EvaluationStep):
        return opened
    return _step(*opened)


def clean_text(value: str) -> str:
    """What is kept of a typed answer: NFC, no control or zero-width characters, spaces
    collapsed, at most MAX_TEXT characters."""
    value = unicodedata.normalize("NFC", value)
    value = "".join(
        " " if ch in "\n\r\t" else ch
        for ch in value
        if ch in "\n\r\t" or unicodedata.category(ch) not in _DROPPED_CATEGORIES
    )
    return " ".join(value.split())[:MAX_TEXT]


def _valid(question: Question, form: Questionnaire, value: int | str | None) -> Any:
    """The value to store, or ... (Ellipsis) when the question does not take it."""
    if question.kind == SCALE:
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and form.low <= value <= form.high
        ):
            return value
        return ...
    if value is None:
        return None if question.optional else ...
    if not isinstance(value, str):
        return ...
    kept = clean_text(value)
    if kept:
        return kept
    return None if question.optional else ...


async def answer(
    session: AsyncSession,
    *,
    course_id: int,
    official: Official,
    question_key: str,
    value: int | str | None,
    now: datetime,
) -> EvaluationStep:
    """Record the answer to the question asked now (None skips an optional one). The result
    names the next question, or none when the questionnaire is ready to `submit`."""
    opened = await _open_with_answers(session, course_id, official)
    if isinstance(opened, EvaluationStep):
        return opened
    found, form, answers = opened
    current = form.next_question(answers)
    if current is None or current.key != question_key:
        return EvaluationStep(
            EvalOutcome.WRONG_QUESTION, found.course, current, len(answers), len(form.questions)
        )
    kept = _valid(current, form, value)
    if kept is ...:
        return EvaluationStep(
            EvalOutcome.INVALID, found.course, current, len(answers), len(form.questions)
        )
    answers[current.key] = kept
    if found.draft is None:
        await insert_ignore(
            session,
            EvaluationDraft.__table__,
            {
                "registration_id": found.registration.id,
                "questionnaire": form.id,
                "answers": answers,
                "updated_at": now,
            },
            ["registration_id"],
        )
    else:
        found.draft.questionnaire = form.id
        found.draft.answers = answers
        found.draft.updated_at = now
    return _step(found, form, answers)


async def submit(
    session: AsyncSession, *, course_id: int, official: Official, now: datetime
) -> EvaluationStep:
    """Write the response once every question is answered (skipped free text counts)."""
    opened = await _open_with_answers(session, course_id, official)
    if isinstance(opened, EvaluationStep):
        return opened
    found, form, answers = opened
    if form.next_question(answers) is not None:
        step = _step(found, form, answers)
        return EvaluationStep(
            EvalOutcome.INCOMPLETE, step.course, step.question, step.answered, step.total
        )
    # Skipped questions are left out: the summary counts only what was said.
    kept = {k: v for k, v in answers.items() if v is not None and form.question(k) is not None}
    await insert_ignore(
        session,
        EvaluationResponse.__table__,
        {
            "registration_id": found.registration.id,
            "course_id": found.course.id,
            "questionnaire": form.id,
            "answers": kept,
            "submitted_at": now,
        },
        ["registration_id"],
    )
    await session.execute(
        delete(EvaluationDraft).where(EvaluationDraft.registration_id == found.registration.id)
    )
    return EvaluationStep(
        EvalOutcome.SUBMITTED, found.course, None, len(form.questions), len(form.questions)
    )


def _not_answered() -> Any:
    return ~exists().where(EvaluationResponse.registration_id == Registration.id)


async def awaiting_evaluation(
    session: AsyncSession, official_id: int, *, limit: int = 5
) -> list[Course]:
    """The official's courses attended or completed and not evaluated yet, latest first
    (for "Khóa học của tôi")."""
    rows = await session.scalars(
        select(Course)
        .join(Registration, Registration.course_id == Course.id)
        .where(
            Registration.official_id == official_id,
            Registration.status.in_(DONE),
            Course.status != CourseStatus.CANCELLED,
            _not_answered(),
        )
        .order_by(Course.ends_on.desc(), Course.id.desc())
        .limit(limit)
    )
    return list(rows)


# --- invitations -----------------------------------------------------------------------------


def invitation_text(gender: str | None, code: str, title: str, questions: int) -> str:
    return texts.addressed(
        _(
            "Please, {title}, evaluate course {code} “{course}”. It is {n} short questions "
            "and takes about two minutes; the answers are summarised without names. The "
            "certificate of completion is issued after {title} sends the form."
        ),
        gender,
        code=code,
        course=title,
        n=questions,
    )


async def invite_to_evaluate(
    session: AsyncSession,
    course_id: int,
    *,
    now: datetime,
    settings: PlanningSettings,
) -> int:
    """Queue "please evaluate" for everyone who attended or completed the course and has
    not answered; returns how many notices are new. Safe to call again (insert-or-ignore on
    the notice key): for the roster's closing (#16.3) and completions imports (#16.7) to
    call in their transaction, and for the daily planning after a course ends."""
    course = await session.get(Course, course_id)
    if course is None or course.status == CourseStatus.CANCELLED:
        return 0
    return await _invite(session, [course], now=now, settings=settings)


async def plan_evaluation_invitations(
    session: AsyncSession, *, now: datetime, settings: PlanningSettings
) -> int:
    """The scheduler's part: invitations for courses that ended within INVITE_LOOKBACK."""
    today = now.astimezone(settings.tz).date()
    courses = await session.scalars(
        select(Course).where(
            Course.status != CourseStatus.CANCELLED,
            Course.ends_on < today,
            Course.ends_on >= today - INVITE_LOOKBACK,
        )
    )
    return await _invite(session, list(courses), now=now, settings=settings)


async def _invite(
    session: AsyncSession,
    courses: Sequence[Course],
    *,
    now: datetime,
    settings: PlanningSettings,
) -> int:
    if not courses:
        return 0
    by_id = {c.id: c for c in courses}
    rows = (
        await session.execute(
            select(Registration.course_id, Official.id, Official.gender)
            .join(Official, Official.id == Registration.official_id)
            .where(
                Registration.course_id.in_(list(by_id)),
                Registration.status.in_(DONE),
                Official.active.is_(True),
                _not_answered(),
            )
        )
    ).all()
    if not rows:
        return 0
    locales = await outbox.recipient_locales(
        session, [oid for _c, oid, _g in rows], settings.default_locale
    )
    n = len(questionnaire().questions)
    cache = texts.TextCache()
    batch = []
    for course_id, official_id, gender in rows:
        course = by_id[course_id]
        locale = locales[official_id]
        text = cache.get(
            locale,
            gender,
            ("eval", course.id),
            partial(invitation_text, gender, course.code, course.title, n),
        )
        with use_locale(locale):
            button = _("📝 Evaluate the course")
        # The day after the last class, at the send time: the same moment however often
        # (and by whom) it is planned, so the notice is written once.
        due = settings.at(course.ends_on + timedelta(days=1))
        batch.append(
            NewNotice(
                official_id,
                EVALUATION_INVITE,
                f"eval:{course.id}",
                due,
                text,
                locale,
                max(due, now) + INVITE_RELEVANT,
                choices=((button, f"eval:{course.id}"),),
            )
        )
    return await outbox.enqueue_many(session, batch)
