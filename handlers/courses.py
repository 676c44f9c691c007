"""Journey 3, browsing: /khoahoc — upcoming courses page by page, filters by kind and
"phù hợp với tôi", search by words (any diacritics, abbreviations) and the course card.

Buttons (declared in handlers/payloads.py; ids and filters re-validated here): a page of
the list (COURSE_PAGE; filter all | fit | k.<kind> | q.<word+word>), the kind filter menu
(COURSE_KINDS), asking for search words (COURSE_SEARCH) and a course card (COURSE_CARD).
Registering and cancelling live in handlers/my_courses.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.common import addressed, chat_catalogue, stale_reply
from handlers.context import Context
from handlers.course_texts import ineligible_text, vocab_label, window_text
from handlers.flows import Flow
from handlers.payloads import (
    COURSE_CARD,
    COURSE_KINDS,
    COURSE_PAGE,
    COURSE_SEARCH,
    REGISTER,
    UNREGISTER,
    Values,
)
from handlers.router import Router
from handlers.types import Choice, Reply
from locales import _, format_date, format_number, ngettext
from locales.folding import clean, fold_words
from models.courses import registrations
from models.courses.catalogue import (
    Course,
    Window,
    ineligibility,
    query_terms,
    suggestion,
    upcoming,
)
from models.courses.catalogue import get as get_course
from models.courses.catalogue import window as course_window
from models.courses.registrations import Registration, RegStatus
from models.requirements.evaluation import RuleStatus, Status
from models.requirements.model import Catalogue
from models.requirements.statuses import official_statuses
from models.vocabulary import CATEGORIES, LEVELS, N_, RANK_TIERS

BROWSING = Flow("courses", steps=("search",))
SEARCH_WORDS = BROWSING.step("search")

router = Router("courses")
router.describe("khoahoc", "Upcoming courses: search and register", 20)
router.menu_item("📚 Courses", "khoahoc", 20)

PAGE_SIZE = 8
MAX_VALUE_BYTES = 64  # Telegram's callback_data limit
UNMET = (Status.DUE, Status.OVERDUE)
# Short button labels for the kinds people filter by most; others use the catalogue's name.
KIND_LABELS = {
    "ly_luan_chinh_tri": N_("Political theory (LLCT)"),
    "quan_ly_nha_nuoc": N_("State management (QLNN)"),
    "theo_vi_tri_viec_lam": N_("Job skills"),
    "cap_nhat_phap_luat_ky_nang": N_("Law update"),
    "dao_duc_cong_vu": N_("Ethics"),
    "quoc_phong_an_ninh": N_("Defence and security (QP-AN)"),
    "ngoai_ngu": N_("Foreign language"),
    "tin_hoc": N_("IT"),
    "tieng_dan_toc": N_("Ethnic language"),
    "khoa_hoc_cong_nghe_so": N_("Digital skills"),
    "lanh_dao_quan_ly": N_("Leadership"),
    "chuc_danh_nghe_nghiep": N_("Professional title"),
}


# --- what the official needs -------------------------------------------------------------


@dataclass
class Needs:
    """The official's open requirements, to mark courses that satisfy one."""

    catalogue: Catalogue
    statuses: list[RuleStatus]

    def unmet_kinds(self) -> frozenset[str]:
        return frozenset(
            k for s in self.statuses if s.status in UNMET for k in s.rule.training_kinds
        )

    def served_by(self, course: Course) -> list[RuleStatus]:
        return [
            s
            for s in self.statuses
            if s.status in (*UNMET, Status.IN_PROGRESS) and course.kind in s.rule.training_kinds
        ]


async def needs_of(ctx: Context) -> Needs:
    official = ctx.official
    assert official is not None
    owed = await official_statuses(
        ctx.session, official, ctx.today, catalogue=await chat_catalogue(ctx)
    )
    return Needs(owed.catalogue, owed.statuses)


def fits(course: Course, ctx: Context, needs: Needs) -> bool:
    assert ctx.official is not None
    return course.kind in needs.unmet_kinds() and not ineligibility(course, ctx.official)


# --- the list ----------------------------------------------------------------------------


@router.command("khoahoc", "courses", needs_link=True)
async def on_courses(ctx: Context) -> list[Reply]:
    if ctx.args:
        return await show_search(ctx, ctx.args)
    return [await page_reply(ctx, "all", 1)]


@router.choice(COURSE_PAGE, needs_link=True)
async def on_page(ctx: Context, values: Values) -> list[Reply]:
    flt = values.text("filter")
    if not _valid_filter(flt):
        return stale_reply(ctx)
    return [await page_reply(ctx, flt, values.number("page"), replace=True)]


def _valid_filter(flt: str) -> bool:
    return flt in ("all", "fit") or (flt.startswith(("k.", "q.")) and len(flt) > 2)


async def page_reply(
    ctx: Context, flt: str, page: int, *, replace: bool = False, typed: str | None = None
) -> Reply:
    """`typed`: the official's own search words, shown in the header as written."""
    needs = await needs_of(ctx)
    courses = await _filtered(ctx, flt, needs)
    pages = max((len(courses) + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(page, 1), pages)
    shown = courses[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    mine = await registrations.statuses_for(ctx.session, _official_id(ctx), [c.id for c in shown])
    lines = [_header(ctx, flt, needs, page, pages, len(courses), typed)]
    guess: str | None = None
    if not shown:
        lines.append(_empty_text(ctx, flt))
        if flt.startswith("q.") and typed:
            guess = await suggestion(ctx.session, ctx.today, typed, needs.catalogue)
        if guess:
            lines.append(addressed(_("Did {title} mean “{guess}”?"), ctx.official, guess=guess))
    for n, course in enumerate(shown, start=1):
        lines.append(_list_line(n, course, ctx, needs, mine.get(course.id)))
    if shown:
        lines.append("")
        lines.append(addressed(_("Press a number to see the course and register."), ctx.official))
    choices = [Choice(str(n), COURSE_CARD.pack(id=c.id)) for n, c in enumerate(shown, start=1)]
    if guess:
        choices.append(
            Choice(
                f"🔎 {guess}", COURSE_PAGE.pack(filter=search_filter(query_terms(guess)), page=1)
            )
        )
    if page > 1:
        choices.append(Choice(_("◀️ Previous"), COURSE_PAGE.pack(filter=flt, page=page - 1)))
    if page < pages:
        choices.append(Choice(_("Next ▶️"), COURSE_PAGE.pack(filter=flt, page=page + 1)))
    choices.append(Choice(_("🔎 Search"), COURSE_SEARCH.pack()))
    choices.append(Choice(_("🗂 By kind"), COURSE_KINDS.pack()))
    if flt == "fit":
        choices.append(all_courses_choice())
    else:
        choices.append(suits_me_choice())
    return Reply("\n".join(lines), choices=tuple(choices), columns=4, replace=replace)


async def _filtered(ctx: Context, flt: str, needs: Needs) -> list[Course]:
    if flt.startswith("k."):
        return await upcoming(ctx.session, ctx.today, kinds=[flt[2:]])
    if flt.startswith("q."):
        return await upcoming(ctx.session, ctx.today, terms=flt[2:].split("+"))
    if flt == "fit":
        unmet = needs.unmet_kinds()
        found = await upcoming(ctx.session, ctx.today, kinds=unmet) if unmet else []
        return [c for c in found if fits(c, ctx, needs)]
    return await upcoming(ctx.session, ctx.today)


def _header(
    ctx: Context, flt: str, needs: Needs, page: int, pages: int, total: int, typed: str | None
) -> str:
    if flt == "fit":
        title = addressed(_("📚 Courses that meet {title}'s open requirements"), ctx.official)
    elif flt.startswith("k."):
        title = _("📚 Upcoming courses: {kind}").format(kind=kind_label(needs.catalogue, flt[2:]))
    elif flt.startswith("q."):
        words = typed or " ".join(flt[2:].split("+"))
        title = _("🔎 Courses matching “{words}”").format(words=words)
    else:
        title = _("📚 Upcoming courses")
    count = ngettext("{n} course", "{n} courses", total).format(n=format_number(total))
    return _("{title} — {count}, page {page}/{pages}").format(
        title=title, count=count, page=page, pages=pages
    )


def _empty_text(ctx: Context, flt: str) -> str:
    if flt.startswith("q."):
        return addressed(
            _(
                "No upcoming course matches these words. {Title} could try other "
                "words, for example “QLNN”, “pháp luật” or “quốc phòng”."
            ),
            ctx.official,
        )
    if flt == "fit":
        return addressed(
            _(
                "No upcoming course meets an open requirement of {title} right "
                "now. {Title} can still browse all courses."
            ),
            ctx.official,
        )
    return _("No upcoming course is open at the moment.")


def _list_line(n: int, course: Course, ctx: Context, needs: Needs, reg: Registration | None) -> str:
    star = "⭐ " if fits(course, ctx, needs) else ""
    mark = ""
    if reg is not None and reg.status == RegStatus.CONFIRMED:
        mark = " · " + _("✅ registered")
    elif reg is not None and reg.status == RegStatus.WAITLISTED:
        mark = " · " + _("⏳ on the waitlist")
    elif course_window(course, ctx.today) in (Window.CLOSED, Window.PASSED):
        mark = " · " + _("⛔ registration closed")
    return (
        f"{n}. {star}{course.code} · {course.title}\n"
        f"    🗓 {format_date(course.starts_on)} · {course.organiser} · "
        f"{seats_text(course)}{mark}"
    )


def all_courses_choice(label: str | None = None) -> Choice:
    return Choice(label or _("📚 All courses"), COURSE_PAGE.pack(filter="all", page=1))


def suits_me_choice() -> Choice:
    return Choice(_("⭐ Suits me"), COURSE_PAGE.pack(filter="fit", page=1))


def seats_text(course: Course) -> str:
    if course.seats_left == 0:
        return _("full")
    return ngettext("{n} seat left", "{n} seats left", course.seats_left).format(
        n=format_number(course.seats_left)
    )


def kind_label(catalogue: Catalogue, kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return _(label) if label else catalogue.kind_title(kind)


@router.choice(COURSE_KINDS, needs_link=True)
async def on_kinds(ctx: Context, _values: Values) -> list[Reply]:
    catalogue = await chat_catalogue(ctx)
    kinds = list(dict.fromkeys(c.kind for c in await upcoming(ctx.session, ctx.today)))
    kinds.sort(key=lambda k: list(catalogue.kinds).index(k) if k in catalogue.kinds else 99)
    choices = [
        Choice(kind_label(catalogue, k), COURSE_PAGE.pack(filter=f"k.{k}", page=1))
        for k in kinds
        # Room for a longer page number once the list is paged.
        if len(f"{COURSE_PAGE.tag}:k.{k}:1".encode()) <= MAX_VALUE_BYTES - 3
    ]
    choices.append(all_courses_choice())
    return [
        Reply(
            addressed(_("Which kind of training?"), ctx.official),
            choices=tuple(choices),
            columns=2,
            replace=True,
        )
    ]


# --- search ------------------------------------------------------------------------------


@router.choice(COURSE_SEARCH, needs_link=True)
async def on_find(ctx: Context, _values: Values) -> list[Reply]:
    return ask_search_words(ctx)


def ask_search_words(ctx: Context) -> list[Reply]:
    SEARCH_WORDS.enter(ctx)
    return [
        Reply(
            addressed(
                _(
                    "Please type a few words of the course name, for example "
                    "“quản lý nhà nước”, “QLNN”, “pháp luật” or “tin học”. "
                    "Diacritics are optional."
                ),
                ctx.official,
            )
        )
    ]


@router.step(SEARCH_WORDS)
async def on_search_words(ctx: Context) -> list[Reply]:
    if not query_terms(ctx.text):
        return ask_search_words(ctx)
    ctx.dialog.end()
    return await show_search(ctx, ctx.text)


async def show_search(ctx: Context, text: str) -> list[Reply]:
    terms = query_terms(text)
    if not terms:
        return [await page_reply(ctx, "all", 1)]
    return [await page_reply(ctx, search_filter(terms), 1, typed=clean(text))]


def search_filter(terms: list[str]) -> str:
    """The filter for a button value: as many words as fit in Telegram's 64 bytes."""
    kept = list(terms)
    while len(kept) > 1 and not _fits(f"q.{'+'.join(kept)}"):
        kept.pop()
    flt = f"q.{'+'.join(kept)}"
    while not _fits(flt):
        flt = flt[:-1]
    return flt


def _fits(flt: str) -> bool:
    """Whether a page button of this filter fits Telegram's limit, at any page up to 999."""
    return len(f"{COURSE_PAGE.tag}:{flt}:999".encode()) <= MAX_VALUE_BYTES


@router.intent(
    "khóa học",
    "lớp bồi dưỡng",
    "lớp học",
    "đăng ký học",
    "đăng ký khóa",
    "đăng ký",
    "tìm khóa",
    "tìm lớp",
    "tìm khóa học",
    "courses",
    "course",
    "QLNN",
    "LLCT",
    "QP-AN",
    "QPAN",
    "CNTT",
    "quản lý nhà nước",
    "lý luận chính trị",
    "quốc phòng an ninh",
    "quốc phòng",
    "tin học",
    "ngoại ngữ",
    "tiếng dân tộc",
    "kỹ năng số",
    "chuyển đổi số",
    "đạo đức công vụ",
    "cập nhật pháp luật",
    "cập nhật kiến thức pháp luật",
    needs_link=True,
)
async def on_course_text(ctx: Context) -> list[Reply]:
    if query_terms(ctx.text):
        return await show_search(ctx, ctx.text)
    if "tim" in fold_words(ctx.text):
        return ask_search_words(ctx)
    return [await page_reply(ctx, "all", 1)]


# --- the card ----------------------------------------------------------------------------


@router.choice(COURSE_CARD, needs_link=True)
async def on_card(ctx: Context, values: Values) -> list[Reply]:
    course = await get_course(ctx.session, values.number("id"))
    if course is None:
        return stale_reply(ctx)
    return [await card_reply(ctx, course)]


async def card_reply(ctx: Context, course: Course, *, replace: bool = False) -> Reply:
    official = ctx.official
    assert official is not None
    needs = await needs_of(ctx)
    reg = await registrations.registration_of(ctx.session, course.id, official.id)
    lines = card_lines(course, needs.catalogue)
    served = needs.served_by(course)
    if served:
        lines.append(addressed(_("✅ Meets {title}'s requirements:"), official))
        lines.extend(f"   • {s.rule.title.localized()}" for s in served)
    choices: list[Choice] = []
    state = course_window(course, ctx.today)
    if reg is not None and reg.status == RegStatus.CONFIRMED:
        lines.append(addressed(_("🟢 {Title} is registered for this course."), official))
    elif reg is not None and reg.status == RegStatus.WAITLISTED:
        place = await registrations.position(ctx.session, reg)
        lines.append(addressed(_("⏳ {Title} is number {n} on the waitlist."), official, n=place))
    elif reg is not None and reg.status in registrations.DONE:
        lines.append(addressed(_("🎓 {Title} has taken part in this course."), official))
    elif state is not Window.OPEN:
        lines.append("⛔ " + window_text(course, state))
    elif problems := ineligibility(course, official):
        lines.append("⛔ " + ineligible_text(ctx, course, problems))
    elif course.seats_left == 0:
        choices.append(Choice(_("⏳ Join the waitlist"), REGISTER.pack(id=course.id)))
    else:
        choices.append(Choice(_("✍️ Register"), REGISTER.pack(id=course.id)))
    if reg is not None and registrations.can_cancel(course, reg, ctx.today):
        choices.append(Choice(_("❌ Cancel registration"), UNREGISTER.pack(id=course.id)))
    choices.append(all_courses_choice(_("📚 Course list")))
    return Reply("\n".join(lines), choices=tuple(choices), columns=2, replace=replace)


def card_lines(course: Course, catalogue: Catalogue) -> list[str]:
    lines = [
        f"📚 {course.code} · {course.title}",
        _("Kind: {kind}").format(kind=catalogue.kind_title(course.kind)),
        _("Organiser: {organiser}").format(organiser=course.organiser),
    ]
    dates = _("{start} – {end}").format(
        start=format_date(course.starts_on), end=format_date(course.ends_on)
    )
    if course.periods:
        dates += (
            " ("
            + ngettext("{n} period", "{n} periods", course.periods).format(
                n=format_number(course.periods)
            )
            + ")"
        )
    lines.append(_("🗓 Dates: {dates}").format(dates=dates))
    if course.online:
        lines.append(_("💻 Online"))
    else:
        lines.append(_("📍 Place: {place}").format(place=course.place or _("to be announced")))
    lines.append(
        _("🪑 Seats: {seats} (of {capacity})").format(
            seats=seats_text(course), capacity=format_number(course.capacity)
        )
    )
    lines.append(
        _("⏰ Registration deadline: {date}").format(
            date=format_date(course.registration_closes_on)
        )
    )
    audience = audience_text(course)
    if audience:
        lines.append(_("👥 For: {audience}").format(audience=audience))
    return lines


def audience_text(course: Course) -> str:
    parts: list[str] = []
    if course.eligible_categories:
        parts.append(", ".join(vocab_label(CATEGORIES, c) for c in course.eligible_categories))
    if course.eligible_levels:
        parts.append(", ".join(vocab_label(LEVELS, c) for c in course.eligible_levels))
    if course.eligible_ranks:
        parts.append(
            _("rank {ranks}").format(
                ranks=", ".join(vocab_label(RANK_TIERS, r) for r in course.eligible_ranks)
            )
        )
    if course.eligible_unit is not None:
        parts.append(_("officials of {unit}").format(unit=course.eligible_unit.name))
    return "; ".join(parts)


def _official_id(ctx: Context) -> int:
    assert ctx.official is not None
    return ctx.official.id
