"""Journey 2: /yeucau — what I still owe, by when, and "Vì sao?" — why it applies to me.

Thin on purpose: the catalogue, evaluation and records live in models; this module only
loads them for the linked official and turns statuses into words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from handlers.common import addressed, chat_catalogue, command_choice, stale_reply
from handlers.context import Context
from handlers.payloads import SELF_REPORT_START, WHY, Values
from handlers.router import Router
from handlers.types import Choice, Reply
from locales import _, format_date, ngettext
from locales.wording import lower_first
from models.courses.catalogue import Course
from models.org.officials import Official
from models.requirements.condition_words import condition_words, fact_words
from models.requirements.evaluation import (
    Profile,
    RecordsByKind,
    RuleStatus,
    Status,
    evaluate_rule,
    item_status,
    matched_facts,
    topics_progress,
)
from models.requirements.model import (
    STANDARD,
    TARGET,
    AttributeItem,
    Basis,
    Catalogue,
    Condition,
    Item,
    Rule,
    Target,
    TopicsItem,
)
from models.requirements.statuses import OfficialStatuses, official_statuses
from models.vocabulary import (
    CATEGORIES,
    EDUCATION_LEVELS,
    LEADERSHIP_TIERS,
    N_,
    POLITICAL_THEORY_LEVELS,
    RANK_TIERS,
)

router = Router("requirements")
router.describe("yeucau", "What training I still need, and why", 10)
router.menu_item("📋 My training requirements", "yeucau", 10)

_ICONS = {
    Status.OVERDUE: "❗",
    Status.DUE: "⚠️",
    Status.IN_PROGRESS: "⏳",
    Status.NOT_MET: "⚠️",
    Status.NO_DATA: "❔",
    Status.DONE: "✅",
}
_ADVISORY_ICON = "💡"
_CONTEXT_ICON = "ℹ️"  # a province target: context, never the official's own deadline
# "Verified" only where the legal text itself was read; news and mirrors say so.
_BASIS_LABELS = {
    "primary": N_("verified against the legal text"),
    "secondary": N_("secondary source"),
    "unverified": N_("unverified"),
}


async def _load(ctx: Context, *, count_seats: bool = True) -> tuple[Official, OfficialStatuses]:
    official = ctx.official
    assert official is not None  # routes are registered with needs_link
    owed = await official_statuses(
        ctx.session, official, ctx.today, await chat_catalogue(ctx), count_seats=count_seats
    )
    return official, owed


@router.command("yeucau", "requirements", needs_link=True)
@router.intent(
    "tôi cần học gì",
    "cần học gì",
    "phải học gì",
    "còn thiếu gì",
    "thiếu gì",
    "yêu cầu",
    "yêu cầu bồi dưỡng",
    "còn nợ gì",
    "cần bồi dưỡng gì",
    "requirements",
    needs_link=True,
)
async def on_requirements(ctx: Context) -> list[Reply]:
    # A confirmed seat in a matching course makes an unmet requirement "in progress".
    official, owed = await _load(ctx)
    statuses, registered = owed.statuses, owed.registered
    header = addressed(
        _("📋 Training requirements for {title} (year {year})"), official, year=ctx.today.year
    )
    # --- self-reported certificates (#16.8) ---
    send = Choice(_("📤 Send an external certificate"), SELF_REPORT_START.pack())
    if not statuses:
        text = addressed(_("No training requirement applies to {title} at the moment."), official)
        return [Reply(f"{header}\n{text}", choices=(send,))]
    lines = [header]
    choices = []
    for n, status in enumerate(statuses, start=1):
        text = status_text(status, official, owed.catalogue, ctx.today, owed.completions)
        if status.status is Status.IN_PROGRESS:
            text = registered_text(status.rule, registered) or text
        lines.append(f"{n}. {icon_of(status)} {status.rule.title.localized()} — {text}")
        choices.append(Choice(_("❓ Why #{n}?").format(n=n), WHY.pack(rule=status.rule.id)))
    lines.append("")
    lines.append(addressed(_("Press “Why” to see why a requirement applies to {title}."), official))
    choices.append(send)
    return [Reply("\n".join(lines), choices=tuple(choices), columns=4)]


@router.choice(WHY, needs_link=True)
async def on_why(ctx: Context, values: Values) -> list[Reply]:
    # The explanation does not depend on seats held, so none are looked up.
    official, owed = await _load(ctx, count_seats=False)
    catalogue, profile, grouped = owed.catalogue, owed.profile, owed.completions
    rule = catalogue.rules_by_id.get(values.text("rule"))
    if rule is None:
        return stale_reply(ctx)
    status = evaluate_rule(rule, profile, grouped, ctx.today)
    # Only the official's own, currently applicable rules: a forged or outdated button
    # gets the stale answer, never someone else's explanation.
    if status.status is Status.NOT_APPLICABLE:
        return stale_reply(ctx)
    return [
        Reply(
            explain(catalogue, status, official, profile, grouped, ctx.today),
            choices=(command_choice(_("📋 Back to my requirements"), "yeucau"),),
        )
    ]


@router.intent(
    "chứng chỉ ngoại ngữ",
    "chứng chỉ tin học",
    "ngoại ngữ tin học",
    "tin học ngoại ngữ",
    "foreign language certificate",
    "IT certificate",
)
async def on_language_and_it_certificates(ctx: Context) -> list[Reply]:
    # Information, not a rule: 89/2021 removed both contents and Decree 171/2025 lists
    # neither (training-rules.md §12); only the certificate part rests on secondary sources.
    text = addressed(
        _(
            "Foreign-language and IT certificates: since 10/12/2021 foreign languages and "
            "IT are no longer among the compulsory training contents, and for civil "
            "servants Decree 171/2025/NĐ-CP does not list them either. The requirement to "
            "hold these certificates in rank and professional-title standards has also been "
            "dropped (secondary source: the legal text was not read). So {title} does not "
            "need these certificates to meet a training requirement. If {title}'s job "
            "position has its own requirement, please ask the personnel department."
        ),
        ctx.official,
    )
    return [Reply(text)]


# --- list wording ------------------------------------------------------------------------


def icon_of(status: RuleStatus) -> str:
    if status.rule.item == TARGET:
        return _CONTEXT_ICON
    if status.rule.advisory and status.status in (Status.DUE, Status.OVERDUE):
        return _ADVISORY_ICON
    return _ICONS[status.status]


def _days(status: RuleStatus) -> str:
    days = status.days_left or 0
    if days == 0:
        return _("due today")
    if days < 0:
        return ngettext("{n} day overdue", "{n} days overdue", -days).format(n=-days)
    return ngettext("{n} day left", "{n} days left", days).format(n=days)


def status_text(
    status: RuleStatus,
    official: Official,
    catalogue: Catalogue,
    today: date,
    records: RecordsByKind | None = None,
) -> str:
    """Worded by the kind of item: only an obligation has a due date and a day count.
    `records` (the official's completions by kind) let a topics rule say how far it is."""
    rule = status.rule
    text = _state_text(status, official, today, records)
    if rule.item != TARGET:
        return text
    target = target_of(catalogue, rule, today)
    label = target.period_label if target is not None else None
    if label is None:
        return addressed(
            _("{state} — a province target, for information (not a deadline of {title})"),
            official,
            state=text,
        )
    return addressed(
        _("{state} — a province target for {period}, for information (not a deadline of {title})"),
        official,
        state=text,
        period=label,
    )


def _state_text(
    status: RuleStatus, official: Official, today: date, records: RecordsByKind | None
) -> str:
    rule = status.rule
    if status.status is Status.NO_DATA:
        return addressed(_("no data yet — {title} please ask the personnel office"), official)
    if status.status is Status.NOT_MET:
        return _("not met yet")
    if status.status is Status.DONE:
        if status.record is not None:
            return _("done {date}").format(date=format_date(status.record.completed_on))
        return _("met")
    if status.status is Status.IN_PROGRESS:
        text = _("registered for a matching course")
    elif rule.advisory:
        return _("not yet (recommended)")
    elif any(isinstance(item, AttributeItem) for item in rule.items):
        text = _("not met yet")  # a standard to reach (a degree, a language), not a course
    else:
        text = _topics_text(rule, records, status.period_start, today) or _("not done yet")
    if status.due is None:
        return text
    return _("{status}, due {date} ({days})").format(
        status=text, date=format_date(status.due), days=_days(status)
    )


def _topics_text(
    rule: Rule, records: RecordsByKind | None, start: date | None, today: date
) -> str | None:
    """ "đã học 2/3 chuyên đề; còn thiếu chuyên đề bắt buộc: …" for a rule of topics."""
    item = next((i for i in rule.items if isinstance(i, TopicsItem)), None)
    if item is None or records is None:
        return None
    progress = topics_progress(item, records, start, today)
    text = _("{done}/{required} topics done").format(done=progress.counted, required=item.at_least)
    if progress.missing_compulsory:
        text = _("{progress}; compulsory topics still missing: {topics}").format(
            progress=text, topics=", ".join(t.label() for t in progress.missing_compulsory)
        )
    return text


# --- "Vì sao?" ---------------------------------------------------------------------------


def explain(
    catalogue: Catalogue,
    status: RuleStatus,
    official: Official,
    profile: Profile,
    records: dict[str, Any],
    today: date,
) -> str:
    rule = status.rule
    lines = [f"❓ {rule.title.localized()}"]
    if rule.description is not None:
        lines.append(rule.description.localized())
    reasons = [_reason(catalogue, c, v, official) for c, v in matched_facts(rule, profile)]
    lines.append(
        addressed(
            _("This applies to {title} because {title} {reasons}."),
            official,
            reasons=", ".join(reasons),
        )
    )
    lines.append(_("What counts: {what}.").format(what=_requirement(catalogue, rule)))
    timing = _timing(rule, status, official)
    if timing:
        lines.append(timing)
    lines.append(
        _("Status: {status}.").format(
            status=status_text(status, official, catalogue, today, records)
        )
    )
    if status.status is not Status.DONE:
        checked = item_status(rule, profile, records, status.period_start, today)
        missing = [_item(catalogue, item) for item, ok in checked if ok is False]
        if missing and not rule.any_of and len(rule.items) > 1:
            lines.append(_("Still missing: {items}.").format(items="; ".join(missing)))
        unknown = [_item(catalogue, item) for item, ok in checked if ok is None]
        if unknown and status.status is Status.NO_DATA:
            lines.append(
                addressed(
                    _(
                        "The roster has no data yet on: {items}. {Title} please ask the "
                        "personnel office to add it."
                    ),
                    official,
                    items="; ".join(unknown),
                )
            )
    if rule.advisory:
        lines.append(_("This is a recommendation, not an obligation with a deadline."))
    for target in catalogue.targets_by_rule.get(rule.id, ()):
        lines.append(_target_line(target, today))
    lines += basis_lines(rule, today)
    for param in rule.parameters:
        if param.explain is not None:
            lines.append(f"ℹ️ {param.explain.localized()}")
    return "\n".join(lines)


def target_of(catalogue: Catalogue, rule: Rule, today: date) -> Target | None:
    """The rule's target for this year's plan period, else its latest one."""
    own = catalogue.targets_by_rule.get(rule.id, ())
    current = [t for t in own if t.covers(today.year)]
    if current:
        return current[0]
    return max(own, key=lambda t: t.period_to or date.min, default=None)


def _target_line(target: Target, today: date) -> str:
    title, label = target.title.localized(), target.period_label
    if label is None:
        return _("Province target: {target}.").format(target=title)
    if target.ended_on(today) and target.period_to is not None:
        return _("Province target for {period} (this period ended on {date}): {target}.").format(
            period=label, date=format_date(target.period_to), target=title
        )
    return _("Province target for {period}: {target}.").format(period=label, target=title)


def basis_label(basis: Basis) -> str:
    label = _(_BASIS_LABELS[basis.verification])
    if basis.kind == "province_target":
        return _("province target, {label}").format(label=label)
    return label


def basis_lines(rule: Rule, today: date) -> list[str]:
    """Only bases in force today: a repealed decree is never given as the reason."""
    lines = [_("Basis:")]
    for ref in rule.bases_in_force(today):
        line = f"• {ref.basis.title.localized()} ({basis_label(ref.basis)})"
        if ref.note is not None:
            line += f" — {ref.note.localized()}"
        lines.append(line)
    if not rule.has_basis_in_force(today):
        if len(lines) == 1:
            lines.append("• " + _("no legal document in force today"))
        lines.append(
            _(
                "No legal document in force today makes this an obligation: it is the "
                "province's target or advice."
            )
        )
    return lines


def _label(vocab: dict[str, str], code: Any) -> str:
    return _(vocab[code]) if code in vocab else str(code)


def _reason(catalogue: Catalogue, condition: Condition, value: Any, official: Official) -> str:
    """The official's own fact that met a condition, in words."""
    name = condition.field
    if name == "level":
        level = catalogue.levels.get(value)
        return _("you work at {value}").format(value=level.localized() if level else value)
    if name == "category":
        return _("you are a {value}").format(value=_label(CATEGORIES, value))
    if name == "leadership_tier":
        return _("you hold the post of {value}").format(value=_label(LEADERSHIP_TIERS, value))
    if name == "is_leader":
        return _("you hold a leadership post") if value else _("you hold no leadership post")
    if name == "ethnicity":
        return _("you are of {value} ethnicity").format(value=official.ethnicity or value)
    if name == "ethnic_minority_area":
        if value:
            return _("you work in an ethnic-minority and mountainous area")
        return _("you work outside ethnic-minority areas")
    if name == "unit":
        names = [n for path, n in catalogue.unit_names.items() if value.startswith(path)]
        return _("you work in {value}").format(value=names[0] if names else official.unit.name)
    if name == "leadership_appointed_on":
        return _("you were appointed to the post on {value}").format(value=format_date(value))
    if name == "rank_assigned_on":
        return _("you were appointed to the rank on {value}").format(value=format_date(value))
    if name == "started_service_on":
        return _("you were recruited on {value}").format(value=format_date(value))
    if name == "education_level":
        return _("your qualification is {value}").format(value=_label(EDUCATION_LEVELS, value))
    if name == "political_theory_level":
        return _("your political theory level is {value}").format(
            value=_label(POLITICAL_THEORY_LEVELS, value)
        )
    if name == "rank_tier":
        return _("your rank is {value}").format(value=_label(RANK_TIERS, value))
    if name == "rank_code":
        return _("your rank code is {value}").format(value=official.rank_code or value)
    if name == "zone":
        return _("your commune is in zone {value}").format(value=official.unit.zone or value)
    if name == "professional_field_matches_post":
        if value:
            return _("your field of study matches your post")
        return _("your field of study does not match your post")
    if name == "post_title":
        if not official.post_title:
            return _("your post title is not recorded")
        return _("your post is {value}").format(value=official.post_title)
    if name == "languages":
        if value:
            return _("you use an ethnic-minority language")
        return _("you do not use an ethnic-minority language yet")
    return fact_words(name, value, _catalogue_names(catalogue))


def _catalogue_names(catalogue: Catalogue) -> dict[str, str]:
    """The catalogue's own codes with their names: levels and unit paths."""
    names = {code: level.localized() for code, level in catalogue.levels.items()}
    return {**names, **catalogue.unit_names}


def _item(catalogue: Catalogue, item: Item) -> str:
    if isinstance(item, AttributeItem):
        return _attribute(item.condition, _catalogue_names(catalogue))
    if isinstance(item, TopicsItem):
        return _topics_item(item)
    text = lower_first(catalogue.kind_title(item.kind))
    if item.min_periods:
        text += (
            " ("
            + ngettext("at least {n} period", "at least {n} periods", item.min_periods).format(
                n=item.min_periods
            )
            + ")"
        )
    if item.certificate_required:
        text += " " + _("with a certificate")
    if item.program_code:
        text += " " + _("in programme {code}").format(code=item.program_code)
    return text


def _topics_item(item: TopicsItem) -> str:
    topics = ", ".join(t.label() for t in item.topics)
    text = ngettext(
        "at least {k} of these {n} topic: {topics}",
        "at least {k} of these {n} topics: {topics}",
        len(item.topics),
    ).format(k=item.at_least, n=len(item.topics), topics=topics)
    if item.compulsory:
        labels = {t.code: t.label() for t in item.topics}
        text = _("{text}, including the compulsory {topics}").format(
            text=text, topics=_(" and ").join(labels[c] for c in item.compulsory)
        )
    return text


def _attribute(condition: Condition, names: Mapping[str, str]) -> str:
    name, op, value = condition.field, condition.op, condition.value
    if name == "education_level" and op == "gte":
        return _("a qualification of {value} or higher").format(
            value=_label(EDUCATION_LEVELS, value)
        )
    if name == "political_theory_level" and op == "gte":
        return _("political theory at {value} level or higher").format(
            value=_label(POLITICAL_THEORY_LEVELS, value)
        )
    if name == "professional_field_matches_post" and op == "eq" and value is True:
        return _("a field of study that matches the post")
    if name == "languages" and op == "non_empty":
        return _("use of at least one ethnic-minority language")
    return condition_words(condition, names)


def _requirement(catalogue: Catalogue, rule: Rule) -> str:
    parts = [_item(catalogue, item) for item in rule.items]
    joiner = _(" or ") if rule.any_of else _(" and ")
    return joiner.join(parts)


_EVENTS = {
    "leadership_appointed_on": N_("appointment to the post"),
    "rank_assigned_on": N_("appointment to the rank"),
    "started_service_on": N_("recruitment"),
}


def _timing(rule: Rule, status: RuleStatus, official: Official) -> str | None:
    if rule.item == TARGET:
        return addressed(
            _(
                "This is the province's measure over all the officials concerned, shown "
                "for information: it sets no deadline for {title}."
            ),
            official,
        )
    if rule.item == STANDARD:
        return _("A standard of the post or rank to hold at all times.")
    recurrence = rule.recurrence
    due = format_date(status.due) if status.due is not None else ""
    if recurrence.type == "yearly":
        return _("Every calendar year, by {date} this year.").format(date=due)
    if recurrence.type == "within_months_after_event":
        months = recurrence.months or 0
        return ngettext(
            "Within {n} month after {event}, that is by {date}.",
            "Within {n} months after {event}, that is by {date}.",
            months,
        ).format(n=months, event=_(_EVENTS[recurrence.event or ""]), date=due)
    if recurrence.type == "once_before_event":
        return _("Before {event} ({date}).").format(
            event=_(_EVENTS[recurrence.event or ""]), date=due
        )
    if recurrence.type == "by_date":
        return _("Deadline: {date}.").format(date=due)
    if recurrence.type == "state":
        return _("A standard to hold at all times.")
    if not recurrence.repeat_known:
        return _("Once; whether it must be repeated is not yet known.")
    return _("Once; it does not need repeating.")


# --- a seat that counts -------------------------------------------------------------------------


def registered_text(rule: Rule, registered: Mapping[str, Course]) -> str | None:
    """ "đã đăng ký khóa K-…, khai giảng dd/mm/yyyy" for an in-progress requirement."""
    found = [c for kind, c in registered.items() if kind in rule.training_kinds]
    if not found:
        return None
    course = min(found, key=lambda c: c.starts_on)
    return _("registered for course {code}, starting {date}").format(
        code=course.code, date=format_date(course.starts_on)
    )
