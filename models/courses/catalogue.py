"""Courses (khóa/lớp bồi dưỡng): the table, eligibility, listing and search.

Seats are counted in `seats_taken` on the course row itself, guarded by CHECK constraints,
so the database, not a read-then-write in Python, is what refuses an overbooking (see
models/courses/registrations.py for the conditional UPDATE that takes a seat).

Search works on `search_text`: the course's code, title, organiser, place and kind names,
folded (no diacritics, "đ" → "d", any Unicode normal form, i/y after a consonant as one
letter: locales/folding.py) and with common abbreviations
expanded (models/courses/data/course_abbreviations.yaml), so "QLNN", "quan ly nha nuoc" and
"Quản lý nhà nước" all find the same courses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import JSON, CheckConstraint, ColumnElement, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from locales.folding import fold_key, same_spelling, search_key
from models.base import Base, utcnow
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.model import Catalogue

ABBREVIATIONS_FILE = Path(__file__).resolve().parent / "data" / "course_abbreviations.yaml"


class CourseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    FINISHED = "finished"


class Mode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class Course(Base):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats_within"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("ends_on >= starts_on", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    organiser: Mapped[str] = mapped_column(String(200))
    mode: Mapped[str] = mapped_column(String(12), default=Mode.IN_PERSON)
    place: Mapped[str | None] = mapped_column(String(300))
    starts_on: Mapped[date] = mapped_column(index=True)
    ends_on: Mapped[date]
    periods: Mapped[int | None]
    # The hours of each teaching day, when the organiser gives them; the calendar file
    # invents none (models/courses/calendar.py).
    daily_starts_at: Mapped[time | None]
    daily_ends_at: Mapped[time | None]
    capacity: Mapped[int]
    seats_taken: Mapped[int] = mapped_column(default=0)
    registration_opens_on: Mapped[date | None]
    registration_closes_on: Mapped[date]
    # Empty lists mean "anyone"; the unit means its whole subtree.
    eligible_levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligible_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligible_ranks: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligible_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    # The organising unit: only an admin whose scope reaches it may change the course.
    # None only for courses made outside an import (the demo, tests): the province's.
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=CourseStatus.OPEN, index=True)
    search_text: Mapped[str] = mapped_column(String(2000), default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    eligible_unit: Mapped[OrgUnit | None] = relationship(
        lazy="joined", foreign_keys=[eligible_unit_id]
    )

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def online(self) -> bool:
        return self.mode == Mode.ONLINE


# --- eligibility and the registration window ---------------------------------------------


@dataclass(frozen=True)
class Ineligibility:
    """One condition the official does not meet: the field, what the course allows, and
    the official's own value (codes; handlers turn them into words)."""

    field: str  # "level", "category", "rank", "unit"
    allowed: tuple[str, ...]
    actual: str | None


def ineligibility(course: Course, official: Official) -> list[Ineligibility]:
    problems: list[Ineligibility] = []
    if course.eligible_levels and official.level not in course.eligible_levels:
        problems.append(Ineligibility("level", tuple(course.eligible_levels), official.level))
    if course.eligible_categories and official.category not in course.eligible_categories:
        problems.append(
            Ineligibility("category", tuple(course.eligible_categories), official.category)
        )
    if course.eligible_ranks and official.rank_tier not in course.eligible_ranks:
        problems.append(Ineligibility("rank", tuple(course.eligible_ranks), official.rank_tier))
    unit = course.eligible_unit
    if unit is not None and not official.unit.path.startswith(unit.path):
        problems.append(Ineligibility("unit", (unit.name,), official.unit.name))
    return problems


class Window(StrEnum):
    """Whether registration is possible today, and if not, why."""

    OPEN = "open"
    NOT_YET = "not_yet"
    PASSED = "passed"  # the registration deadline is over
    STARTED = "started"  # the course has begun (or ended)
    CLOSED = "closed"  # HR closed registration
    CANCELLED = "cancelled"


def window(course: Course, today: date) -> Window:
    if course.status == CourseStatus.CANCELLED:
        return Window.CANCELLED
    if course.status == CourseStatus.FINISHED or today >= course.starts_on:
        return Window.STARTED
    if course.status == CourseStatus.CLOSED:
        return Window.CLOSED
    if today > course.registration_closes_on:
        return Window.PASSED
    if course.registration_opens_on is not None and today < course.registration_opens_on:
        return Window.NOT_YET
    return Window.OPEN


# --- search text -------------------------------------------------------------------------


@cache
def abbreviations() -> dict[tuple[str, ...], tuple[str, ...]]:
    raw = yaml.safe_load(ABBREVIATIONS_FILE.read_text(encoding="utf-8")) or {}
    return {tuple(words(str(k))): tuple(words(str(v))) for k, v in raw.items()}


def words(text: str) -> list[str]:
    """Folded words, one spelling of i/y ("quản lí" = "quản lý"); "_" counts as a separator
    so codes like "quan_ly_nha_nuoc" split."""
    return same_spelling(fold_key(text).replace("_", " ")).split()


def expand(tokens: Sequence[str], *, keep: bool) -> list[str]:
    """Replace (or, with keep, follow) every abbreviation by the words it stands for; the
    longest abbreviation starting at a position wins."""
    table = abbreviations()
    longest = max((len(k) for k in table), default=1)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in range(min(longest, len(tokens) - i), 0, -1):
            found = table.get(tuple(tokens[i : i + n]))
            if found is not None:
                if keep:
                    out.extend(tokens[i : i + n])
                out.extend(found)
                i += n
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def build_search_text(parts: Iterable[str | None]) -> str:
    """Padded with spaces so a whole-word match is `LIKE '% word %'`."""
    tokens: list[str] = []
    for part in parts:
        if part:
            tokens.extend(expand(words(part), keep=True))
    return f" {' '.join(tokens)} "[:2000]


def search_text_of(course: Course, catalogue: Catalogue) -> str:
    kind = catalogue.kinds.get(course.kind)
    names: list[str] = [course.kind]
    if kind is not None:
        names += [kind.title.vi, kind.title.en or "", *kind.aliases]
    mode_words = "truc tuyen online" if course.online else "truc tiep"
    return build_search_text(
        [course.code, course.title, course.organiser, course.place, mode_words, *names]
    )


# Words that open a request ("tìm khóa học …", "lớp bồi dưỡng …") rather than name a course;
# stripped only from the start, so "tin học" or "khoa học công nghệ" keep their words.
LEADING_PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split())
    for p in (
        "tim kiem",
        "tim",
        "xem",
        "cho toi",
        "toi muon",
        "dang ky",
        "danh sach",
        "cac",
        "nhung",
        "khoa hoc",
        "khoa",
        "lop hoc",
        "lop",
        "boi duong",
        "dao tao",
        "ve",
        "mon",
        "find",
        "search",
        "courses",
        "course",
    )
)


def query_terms(text: str) -> list[str]:
    """The folded words a query must all match, each as a whole word of the search text."""
    tokens = words(text)
    stripped = True
    while tokens and stripped:
        stripped = False
        for phrase in LEADING_PHRASES:
            if tuple(tokens[: len(phrase)]) == phrase and len(tokens) >= len(phrase):
                tokens = tokens[len(phrase) :]
                stripped = True
                break
    return list(dict.fromkeys(expand(tokens, keep=False)))


# --- queries -----------------------------------------------------------------------------


def _filters(
    today: date, kinds: Iterable[str] | None, terms: Sequence[str]
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = [
        Course.starts_on > today,
        Course.status.in_((CourseStatus.OPEN, CourseStatus.CLOSED)),
    ]
    if kinds is not None:
        clauses.append(Course.kind.in_(list(kinds)))
    clauses.extend(Course.search_text.like(f"% {term} %") for term in terms)
    return clauses


async def upcoming(
    session: AsyncSession,
    today: date,
    *,
    kinds: Iterable[str] | None = None,
    terms: Sequence[str] = (),
) -> list[Course]:
    """Courses that have not started and are not cancelled, soonest first. All of them:
    a province runs tens to a few hundred a half-year, so handlers page in memory and can
    filter by eligibility and requirements, which SQL cannot see."""
    query = (
        select(Course).where(*_filters(today, kinds, terms)).order_by(Course.starts_on, Course.code)
    )
    return list((await session.scalars(query)).unique())


async def get(session: AsyncSession, course_id: int) -> Course | None:
    return await session.get(Course, course_id)


async def by_code(session: AsyncSession, code: str) -> Course | None:
    return await session.scalar(select(Course).where(Course.code == code.strip()))


SUGGESTION_CUTOFF = 75  # rapidfuzz WRatio, 0-100: below it a guess misleads more than helps


async def suggestion(
    session: AsyncSession, today: date, text: str, catalogue: Catalogue
) -> str | None:
    """When a search finds nothing: the upcoming course title or kind name closest to what
    was typed (a typo, a missing word), as written with its diacritics; None when nothing
    is close."""
    wanted = " ".join(query_terms(text))
    if not wanted:
        return None
    courses = await upcoming(session, today)
    names: list[str] = [c.title for c in courses]
    for kind in dict.fromkeys(c.kind for c in courses):
        if kind in catalogue.kinds:
            names.append(catalogue.kinds[kind].title.vi)
    from rapidfuzz import fuzz, process  # only a search that found nothing suggests a title

    found = process.extractOne(
        wanted,
        list(dict.fromkeys(names)),
        scorer=fuzz.WRatio,
        processor=search_key,
        score_cutoff=SUGGESTION_CUTOFF,
    )
    return found[0] if found else None
