"""The weekly unit-head digest and the nudges it offers (issue #6, item 6).

Who is a head: in each org unit, the active officials whose leadership tier is the most
senior tier present among that unit's own active officials (`LEADERSHIP_SENIORITY`), and
among those the ones whose post title names the head ("Giám đốc", "Bí thư", "Chủ tịch"…)
rather than a deputy ("Phó …") or a head of department; peers are all heads. Units are a
tree of any depth and nothing here looks at their level.

Their staff: the other active officials whose unit is that same unit. Not the subtree: each
child unit has heads of its own, and a provincial head must not get a whole province.

What is listed: each staff member's requirements that are overdue, or due within
`window_days` (30), from the same engine and catalogue as /yeucau; a requirement with a
matching confirmed course is "in progress" there and so not listed, and advisory rules are
never listed. Overdue people first (oldest first), then by the nearest due date.

Delivery is through the notice outbox: one row per head and ISO week (kind "digest",
subject "digest:2026-W49", due at the week's configured moment), so planning twice in a week
writes nothing twice. A nudge is one row per staff member and week (kind "nudge"), however
many heads press however often. Nudges re-check everything at the moment of the press.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _, format_date, format_number, ngettext, use_locale
from locales.collation import name_key
from locales.folding import fold
from models import audit
from models.notices import outbox as notices
from models.notices import texts
from models.notices.outbox import NewNotice
from models.notices.planning import registered_kinds
from models.notices.preferences import UNIT_DIGEST, Preferences, preferences_for, recipients
from models.org.officials import Official
from models.org.units import OrgUnit
from models.privacy.reads import OUTBOX, record_read
from models.requirements.compliance import load_population
from models.requirements.evaluation import RuleStatus, Status, evaluate
from models.requirements.fields import is_sensitive
from models.requirements.model import Catalogue
from models.requirements.store import current_catalogue
from models.vocabulary import DEPUTY_TITLE_PREFIX, HEAD_TITLE_PREFIXES, LEADERSHIP_SENIORITY

log = logging.getLogger(__name__)

DIGEST = UNIT_DIGEST  # the notice kind; /nhacnho can switch it off
NUDGE = "nudge"  # a head's reminder to one staff member; part of the duty to train
SHOWN = 10  # people named in one digest; the rest are counted
NUDGE_RELEVANT = timedelta(days=3)
_UNITS_PER_QUERY = 500
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestSettings:
    """Built from the environment by bot/config.py (digest_settings)."""

    tz: ZoneInfo
    weekday: int | None = 1  # ISO weekday (1 = Monday) the digest is due; None: no digests
    send_time: time = time(8, 0)
    window_days: int = 30  # "due soon" means due within this many days
    default_locale: str = "vi"

    @property
    def cron_day(self) -> str:
        """The weekday for APScheduler's CronTrigger ("mon"…)."""
        return WEEKDAYS[(self.weekday or 1) - 1]

    def week_start(self, now: datetime) -> datetime:
        """Monday 00:00 local of the ISO week `now` falls in."""
        today = now.astimezone(self.tz).date()
        return datetime.combine(today - timedelta(days=today.weekday()), time(0), self.tz)

    def moment(self, now: datetime) -> datetime:
        """When this week's digest is due: the configured weekday and time."""
        start = self.week_start(now)
        return datetime.combine(
            start.date() + timedelta(days=(self.weekday or 1) - 1), self.send_time, self.tz
        )


def week_label(day: date) -> str:
    year, week, _day = day.isocalendar()
    return f"{year}-W{week:02d}"


# --- who is a head, who is listed ---------------------------------------------------------------


def title_rank(title: str | None) -> int:
    """2 for a title naming the unit's head ("Giám đốc", "Chủ tịch UBND xã"), 0 for a
    deputy ("Phó …"), 1 for anything else or no title."""
    words = fold(title or "")
    if words.startswith(DEPUTY_TITLE_PREFIX):
        return 0
    return 2 if words.startswith(HEAD_TITLE_PREFIXES) else 1


def heads_among(members: Iterable[tuple[int, str | None, str | None]]) -> frozenset[int]:
    """Rule 1 for one unit, given its active officials as (official id, leadership tier,
    post title): those holding the most senior tier present, and among them those whose
    title ranks highest (`title_rank`). Nobody when no one holds a ranked tier."""
    best = (0, 0)
    found: list[int] = []
    for official_id, tier, title in members:
        tier_rank = LEADERSHIP_SENIORITY.get(tier or "", 0)
        if not tier_rank:
            continue
        rank = (tier_rank, title_rank(title))
        if rank > best:
            best, found = rank, [official_id]
        elif rank == best:
            found.append(official_id)
    return frozenset(found)


async def unit_heads(
    session: AsyncSession, unit_ids: Collection[int] | None = None
) -> dict[int, frozenset[int]]:
    """Unit id -> its heads, for every unit with one (or only `unit_ids`)."""
    query = select(
        Official.unit_id, Official.id, Official.leadership_tier, Official.post_title
    ).where(Official.active.is_(True), Official.leadership_tier.in_(sorted(LEADERSHIP_SENIORITY)))
    if unit_ids is not None:
        query = query.where(Official.unit_id.in_(sorted(unit_ids)))
    members: dict[int, list[tuple[int, str | None, str | None]]] = {}
    for unit_id, official_id, tier, title in await session.execute(query):
        members.setdefault(unit_id, []).append((official_id, tier, title))
    return {unit_id: heads_among(found) for unit_id, found in members.items()}


async def is_head(session: AsyncSession, official: Official) -> bool:
    """Whether the official is now a head of their own unit."""
    if not official.active or official.leadership_tier not in LEADERSHIP_SENIORITY:
        return False
    heads = await unit_heads(session, [official.unit_id])
    return official.id in heads.get(official.unit_id, frozenset())


@dataclass(frozen=True)
class Listed:
    """A staff member on a head's list and what they owe, most urgent first."""

    official_id: int
    employee_code: str
    full_name: str
    gender: str | None
    owed: tuple[RuleStatus, ...]

    @property
    def given_name(self) -> str:
        parts = self.full_name.split()
        return parts[-1] if parts else self.full_name

    def sort_key(self) -> tuple[bool, date, tuple[object, ...], int]:
        first = self.owed[0]
        assert first.due is not None
        return (
            first.status is not Status.OVERDUE,
            first.due,
            name_key(self.full_name),
            self.official_id,
        )


def owed_soon(
    statuses: Iterable[RuleStatus], today: date, window_days: int
) -> tuple[RuleStatus, ...]:
    """Rule 3 on one official's evaluated statuses (already most urgent first)."""
    horizon = today + timedelta(days=window_days)
    return tuple(
        st
        for st in statuses
        if not st.rule.advisory
        and st.due is not None
        and (st.status is Status.OVERDUE or (st.status is Status.DUE and st.due <= horizon))
    )


def _chunks(ids: Sequence[int], size: int = 900) -> Iterable[Sequence[int]]:
    """IN lists of a size both databases take (asyncpg allows 32,767 parameters)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _unit_of(path: str) -> int:
    """A unit's id is the last part of its materialised path ("/1/7/42/" -> 42)."""
    return int(path.rstrip("/").rsplit("/", 1)[-1])


async def listed_staff(
    session: AsyncSession,
    heads: Mapping[int, Collection[int]],
    *,
    today: date,
    catalogue: Catalogue,
    window_days: int = 30,
) -> dict[int, list[Listed]]:
    """Unit id -> its listed staff in order, for the units in `heads` (unit id -> the
    unit's heads, who are never listed in their own unit). Units listing nobody are left
    out."""
    owing: dict[int, tuple[int, tuple[RuleStatus, ...]]] = {}
    for chunk in _chunks(sorted(heads), _UNITS_PER_QUERY):
        population = await load_population(session, as_of=today, unit_ids=chunk)
        staff = [(p, r) for p, r in population if p.official_id not in heads[_unit_of(p.unit_path)]]
        if not staff:
            continue
        ids = [p.official_id for p, _r in staff]
        registered = await registered_kinds(session, min(ids), max(ids), today)
        for profile, records in staff:
            statuses = evaluate(
                catalogue,
                profile,
                records,
                today,
                registered_kinds=registered.get(profile.official_id, frozenset()),
            )
            owed = owed_soon(statuses, today, window_days)
            if owed:
                owing[profile.official_id] = (_unit_of(profile.unit_path), owed)
    found: dict[int, list[Listed]] = {}
    for chunk in _chunks(sorted(owing)):
        rows = await session.execute(
            select(Official.id, Official.employee_code, Official.full_name, Official.gender).where(
                Official.id.in_(chunk)
            )
        )
        for official_id, code, name, gender in rows:
            unit_id, owed = owing[official_id]
            found.setdefault(unit_id, []).append(Listed(official_id, code, name, gender, owed))
    for people in found.values():
        people.sort(key=Listed.sort_key)
    return found


# --- words ----------------------------------------------------------------------------------


def when_text(status: RuleStatus) -> str:
    assert status.due is not None
    if status.status is Status.OVERDUE:
        return _("overdue since {date}").format(date=format_date(status.due))
    return _("due {date}").format(date=format_date(status.due))


def owed_words(owed: Sequence[RuleStatus]) -> str:
    """What one person owes, as a head or broadcaster may read it: the first requirement that
    reads no sensitive field, named with its date; the rest, and every sensitive one, only
    counted ("1 yêu cầu khác")."""
    named = [st for st in owed if not is_sensitive(st.rule)]
    if not named:
        return ngettext("{n} other requirement", "{n} other requirements", len(owed)).format(
            n=len(owed)
        )
    first = named[0]
    words = f"{first.rule.title.localized()} — {when_text(first)}"
    more = len(owed) - 1
    if more:
        words += " " + ngettext(
            "(and {n} more requirement)", "(and {n} more requirements)", more
        ).format(n=more)
    return words


def digest_text(
    unit_name: str,
    people: Sequence[Listed],
    gender: str | None,
    window_days: int,
    head_name: str = "",
) -> str:
    """The digest for one head, in the current locale, addressed by the head's gender and
    given name ("Kính gửi chị Nhung, …"); without a name, by the title alone."""
    lines = [
        _("📋 Weekly training digest — {unit}").format(unit=unit_name),
        texts.addressed(
            _(
                "Dear {title} {name}, these staff members of the unit are overdue, or due "
                "within {days} days, on training requirements:"
            ),
            gender,
            name=head_name,
            days=window_days,
        ).replace(" ,", ","),
    ]
    for n, person in enumerate(people[:SHOWN], start=1):
        lines.append(f"{n}. {person.full_name} — {owed_words(person.owed)}")
    rest = len(people) - SHOWN
    if rest > 0:
        lines.append(
            ngettext("… and {n} other person.", "… and {n} other people.", rest).format(
                n=format_number(rest)
            )
        )
    lines.append("")
    lines.append(
        texts.addressed(
            _(
                "{Title} can press 🔔 to send a polite reminder to one person or to everyone "
                "on the "
                "list. This digest can be switched off in /nhacnho."
            ),
            gender,
        )
    )
    return "\n".join(lines)


def digest_choices(people: Sequence[Listed]) -> tuple[tuple[str, str], ...]:
    """[label, value] pairs for the notice's buttons, in the current locale. Values stay
    far below Telegram's 64-byte callback limit ("nudge:" + an id)."""
    shown = people[:SHOWN]
    given = Counter(p.given_name for p in shown)
    choices = [
        (
            _("🔔 Remind {name}").format(
                name=p.given_name if given[p.given_name] == 1 else p.full_name
            ),
            f"nudge:{p.official_id}",
        )
        for p in shown
    ]
    if len(people) > 1:
        choices.append((_("🔔 Remind everyone"), "nudge:all"))
    return tuple(choices)


def nudge_text(person: Listed) -> str:
    """What the staff member reads, in the current locale (theirs)."""
    lines = [
        texts.addressed(
            _(
                "Dear {title} {name}, your unit's leadership reminds {title} to complete these "
                "training requirements:"
            ),
            person.gender,
            name=person.given_name,
        )
    ]
    for status in person.owed:
        lines.append(f"• {status.rule.title.localized()} ({when_text(status)})")
    lines.append(_("Type /yeucau for the details, or /khoahoc to find a matching course."))
    return "\n".join(lines)


# --- the weekly plan --------------------------------------------------------------------------


@dataclass
class DigestStats:
    heads: int = 0  # heads who could receive one this week (reachable, not switched off)
    units: int = 0  # units of those heads listing somebody
    planned: int = 0  # digest rows written (new)
    by_unit: dict[int, int] = field(default_factory=dict)  # unit id -> people listed


async def plan_unit_digests(
    session: AsyncSession,
    *,
    now: datetime,
    settings: DigestSettings,
    catalogue: Catalogue | None = None,
) -> DigestStats:
    """This week's digests, in the caller's transaction. Nothing before the week's moment;
    from then until the week ends, every run is safe: heads who already have this week's
    digest are skipped and the rows are insert-or-ignore on their key."""
    s = settings
    stats = DigestStats()
    if s.weekday is None:
        return stats
    moment = s.moment(now)
    until = s.week_start(now) + timedelta(days=7)
    if not moment <= now < until:
        return stats
    today = now.astimezone(s.tz).date()
    subject = f"digest:{week_label(today)}"
    heads = await unit_heads(session)
    reachable, _blocked = await recipients(session, {h for hs in heads.values() for h in hs})
    prefs = await preferences_for(session, reachable)
    done: set[int] = set()
    for chunk in _chunks(sorted(reachable)):  # by official first: the outbox key's index
        done.update(
            await session.scalars(
                select(notices.Notice.official_id).where(
                    notices.Notice.official_id.in_(chunk),
                    notices.Notice.kind == DIGEST,
                    notices.Notice.subject == subject,
                )
            )
        )
    wanted = {h for h in reachable if h not in done and prefs.get(h, Preferences()).wants(DIGEST)}
    units = {unit_id: hs for unit_id, hs in heads.items() if hs & wanted}
    stats.heads = len(wanted)
    if not units:
        return stats
    catalogue = catalogue or await current_catalogue(session)
    listed = await listed_staff(
        session, units, today=today, catalogue=catalogue, window_days=s.window_days
    )
    if not listed:
        return stats
    receivers = sorted({h for unit_id in listed for h in units[unit_id] & wanted})
    locales = await notices.recipient_locales(session, receivers, s.default_locale)
    genders: dict[int, str | None] = {}
    given_names: dict[int, str] = {}
    codes: dict[int, str] = {}
    for chunk in _chunks(receivers):
        rows = await session.execute(
            select(Official.id, Official.gender, Official.full_name, Official.employee_code).where(
                Official.id.in_(chunk)
            )
        )
        for official_id, gender, full_name, code in rows:
            genders[official_id], codes[official_id] = gender, code
            parts = (full_name or "").split()
            given_names[official_id] = parts[-1] if parts else ""
    names: dict[int, str] = {}
    unit_codes: dict[int, str] = {}
    for chunk in _chunks(sorted(listed)):
        named = await session.execute(
            select(OrgUnit.id, OrgUnit.name, OrgUnit.code).where(OrgUnit.id.in_(chunk))
        )
        for unit_id, name, code in named:
            names[unit_id], unit_codes[unit_id] = name, code
    cache = texts.TextCache()
    buttons: dict[tuple[int, str], tuple[tuple[str, str], ...]] = {}
    batch: list[NewNotice] = []
    for unit_id, people in listed.items():
        stats.units += 1
        stats.by_unit[unit_id] = len(people)
        for head in sorted(units[unit_id] & wanted):
            locale, gender, given = locales[head], genders.get(head), given_names.get(head, "")
            text = cache.get(
                locale,
                gender,
                ("digest", unit_id, given),
                partial(digest_text, names[unit_id], people, gender, s.window_days, given),
            )
            if (unit_id, locale) not in buttons:
                with use_locale(locale):
                    buttons[(unit_id, locale)] = digest_choices(people)
            record_read(
                session,
                reader_official_id=head,
                reader_code=codes.get(head, ""),
                account=OUTBOX,
                kind="digest",
                scope=[unit_codes[unit_id]],
                people=len(people),
                at=now,
                subject=subject,
            )
            batch.append(
                NewNotice(
                    head,
                    DIGEST,
                    subject,
                    moment,
                    text,
                    locale,
                    until,
                    choices=buttons[(unit_id, locale)],
                )
            )
    stats.planned = await notices.enqueue_many(session, batch)
    return stats


# --- nudges -----------------------------------------------------------------------------------


class NudgeOutcome(StrEnum):
    SENT = "sent"
    ALREADY = "already"  # already nudged this week (by anyone)
    UNREACHABLE = "unreachable"  # no linked chat that still reaches them


@dataclass(frozen=True)
class Nudged:
    person: Listed
    outcome: NudgeOutcome


@dataclass(frozen=True)
class NudgeResult:
    allowed: bool  # False: out-of-date or forged button; nothing was sent
    everyone: bool = False  # the "remind everyone" button
    nudged: tuple[Nudged, ...] = ()

    def count(self, outcome: NudgeOutcome) -> int:
        return sum(1 for n in self.nudged if n.outcome is outcome)


async def nudge(
    session: AsyncSession,
    head: Official,
    value: str,
    *,
    now: datetime,
    actor: str,
    settings: DigestSettings,
    catalogue: Catalogue | None = None,
) -> NudgeResult:
    """A head pressed "nudge:<value>" (a staff member's id, or "all"). Authorised against
    `head`, the linked official pressing it, never the id in the button: `head` must now be
    a head of their own unit and the staff member still listed there today. Audited either
    way; only allowed nudges write notices."""
    s = settings
    today = now.astimezone(s.tz).date()
    everyone = value == "all"
    target = int(value) if value.isascii() and value.isdigit() and len(value) <= 12 else None
    reason: str | None = None
    if not everyone and target is None:
        reason = "bad value"
    heads = await unit_heads(session, [head.unit_id]) if reason is None else {}
    unit_heads_now = heads.get(head.unit_id, frozenset())
    if reason is None and (not head.active or head.id not in unit_heads_now):
        reason = "not a head of their unit"
    people: list[Listed] = []
    if reason is None:
        catalogue = catalogue or await current_catalogue(session)
        listed = await listed_staff(
            session,
            {head.unit_id: unit_heads_now},
            today=today,
            catalogue=catalogue,
            window_days=s.window_days,
        )
        people = listed.get(head.unit_id, [])
        if not everyone:
            people = [p for p in people if p.official_id == target]
            if not people:
                reason = "not on the list"
    if reason is not None:
        audit.record(
            session,
            actor=actor,
            actor_official_id=head.id,
            action="digest.nudge_refused",
            subject=f"nudge:{value}"[:200],
            detail={"reason": reason, "unit_id": head.unit_id},
            at=now,
        )
        log.info("nudge refused for official %s: %s (%r)", head.id, reason, value[:64])
        return NudgeResult(False)
    nudged = await _send_nudges(session, people, now=now, today=today, s=s)
    sent = [n.person.official_id for n in nudged if n.outcome is NudgeOutcome.SENT]
    audit.record(
        session,
        actor=actor,
        actor_official_id=head.id,
        action="digest.nudge",
        subject="all" if everyone else people[0].employee_code,
        affected=len(sent),
        detail={
            "unit_id": head.unit_id,
            "week": week_label(today),
            "sent": sent,
            "already": [n.person.official_id for n in nudged if n.outcome is NudgeOutcome.ALREADY],
            "unreachable": [
                n.person.official_id for n in nudged if n.outcome is NudgeOutcome.UNREACHABLE
            ],
        },
        at=now,
    )
    return NudgeResult(True, everyone, tuple(nudged))


async def _send_nudges(
    session: AsyncSession,
    people: Sequence[Listed],
    *,
    now: datetime,
    today: date,
    s: DigestSettings,
) -> list[Nudged]:
    if not people:
        return []
    ids = [p.official_id for p in people]
    reachable, _blocked = await recipients(session, ids)
    locales = await notices.recipient_locales(session, ids, s.default_locale)
    # One key per person and week: the week's start is the due moment (already past, so the
    # sender sends at once, inside its quiet-hours window), whoever presses and how often.
    subject = f"nudge:{week_label(today)}"
    due = s.week_start(now)
    found: list[Nudged] = []
    for person in people:
        if person.official_id not in reachable:
            found.append(Nudged(person, NudgeOutcome.UNREACHABLE))
            continue
        locale = locales[person.official_id]
        with use_locale(locale):
            text = nudge_text(person)
        row = NewNotice(person.official_id, NUDGE, subject, due, text, locale, now + NUDGE_RELEVANT)
        new = await notices.enqueue_many(session, [row]) == 1
        found.append(Nudged(person, NudgeOutcome.SENT if new else NudgeOutcome.ALREADY))
    return found
