"""/thongbao: an HR admin announces something to an audience inside their scope.

Steps: audience → (its value) → text → (attach a course) → preview with counts and the
expected duration → confirm. Sending goes through the notice outbox; bot/broadcast_progress
keeps a progress message up to date and reports at the end.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from handlers.admin_access import actor_of, admin_scope, audit_read, denied
from handlers.common import chat_catalogue, stale_reply
from handlers.context import Context
from handlers.flows import Flow
from handlers.payloads import (
    BROADCAST_AUDIENCE,
    BROADCAST_CANCEL,
    BROADCAST_COURSE,
    BROADCAST_MISSED,
    BROADCAST_NO_COURSE,
    BROADCAST_RESEND,
    BROADCAST_SEND,
    BROADCAST_STOP,
    BROADCAST_URGENT,
    BROADCAST_VALUE,
    MAX_BYTES,
    Values,
)
from handlers.router import Router
from handlers.types import XLSX, Attachment, Choice, Reply
from locales import _, format_date, format_number, ngettext, use_locale
from locales.wording import shorten
from models.courses import catalogue as courses
from models.courses.catalogue import Course
from models.exports.broadcast_recipients import missed_workbook
from models.notices import audiences, broadcasts, zns_estimate
from models.notices.outbox import BROADCAST as BROADCAST_KIND
from models.notices.reception import RESENDABLE
from models.notices.zns_estimate import ZnsEstimate
from models.org.admins import Scope
from models.org.units import OrgUnit
from models.vocabulary import CATEGORIES, LEVELS, N_, RANK_TIERS

BROADCAST = Flow(
    "broadcast",
    steps=("audience", "value", "text", "course", "preview"),
    free_text=("value", "text", "course"),
)
AUDIENCE = BROADCAST.step("audience")
VALUE = BROADCAST.step("value")
TEXT = BROADCAST.step("text")
COURSE = BROADCAST.step("course")
PREVIEW = BROADCAST.step("preview")

router = Router("broadcast")
router.describe("thongbao", "Send an announcement (HR officers only)", 72)

SHOWN = 10
_KIND_LABELS = {
    "all": N_("Everyone in my scope"),
    "level": N_("By level"),
    "unit": N_("By unit"),
    "category": N_("By category"),
    "rank": N_("By rank"),
    "owes": N_("Those who still owe a requirement"),
    "course": N_("Those eligible for a course, not registered"),
}


@router.command("thongbao", "broadcast", needs_link=True)
async def on_broadcast(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "thongbao")
    if scope is None:
        return denied(ctx)
    AUDIENCE.enter(ctx)
    return [
        Reply(
            _("📣 New announcement. Who should receive it?"),
            choices=(
                *(
                    Choice(_(label), BROADCAST_AUDIENCE.pack(kind=k))
                    for k, label in _KIND_LABELS.items()
                ),
                Choice(_("❌ Cancel"), BROADCAST_CANCEL.pack()),
            ),
        )
    ]


async def _scope(ctx: Context) -> Scope | None:
    """Every button re-reads the admin scope; a refused press leaves the dialog."""
    scope = await admin_scope(ctx, "thongbao")
    if scope is None:
        ctx.dialog.end()
    return scope


@router.choice(BROADCAST_STOP, needs_link=True)
async def on_stop(ctx: Context, values: Values) -> list[Reply]:
    if await _scope(ctx) is None:
        return denied(ctx)
    return await _stop(ctx, values.number("id"))


@router.choice(BROADCAST_CANCEL, needs_link=True)
async def on_cancel(ctx: Context, _values: Values) -> list[Reply]:
    if await _scope(ctx) is None:
        return denied(ctx)
    if not BROADCAST.is_active(ctx):
        return stale_reply(ctx)
    ctx.dialog.end()
    return [Reply(_("Cancelled. Nothing was sent."))]


@router.choice(BROADCAST_AUDIENCE, needs_link=True)
async def on_audience(ctx: Context, values: Values) -> list[Reply]:
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    kind = values.text("kind")
    if not BROADCAST.is_active(ctx) or kind not in audiences.KINDS:
        return stale_reply(ctx)
    return await _pick_audience(ctx, scope, kind)


@router.choice(BROADCAST_VALUE, needs_link=True)
async def on_value(ctx: Context, values: Values) -> list[Reply]:
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    if not VALUE.is_current(ctx):
        return stale_reply(ctx)
    return await _set_value(ctx, scope, values.text("value"))


@router.choice(BROADCAST_COURSE, BROADCAST_NO_COURSE, needs_link=True)
async def on_course(ctx: Context, values: Values) -> list[Reply]:
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    if not COURSE.is_current(ctx):
        return stale_reply(ctx)
    COURSE.enter(ctx, course_id=values.number("id") if "id" in values else None)
    return await _preview(ctx, scope)


@router.choice(BROADCAST_URGENT, needs_link=True)
async def on_urgent(ctx: Context, _values: Values) -> list[Reply]:
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    if not PREVIEW.is_current(ctx):
        return stale_reply(ctx)
    PREVIEW.enter(ctx, urgent=not ctx.dialog.data.get("urgent", False))
    return await _preview(ctx, scope)


@router.choice(BROADCAST_SEND, needs_link=True)
async def on_send(ctx: Context, _values: Values) -> list[Reply]:
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    if not PREVIEW.is_current(ctx):
        return stale_reply(ctx)
    return await _send(ctx, scope)


async def _pick_audience(ctx: Context, scope: Scope, kind: str) -> list[Reply]:
    VALUE.enter(ctx, kind=kind, value="", label=_(_KIND_LABELS[kind]))
    if kind == "all":
        return await _set_value(ctx, scope, "")
    options = await _options(ctx, scope, kind)
    if kind in ("unit", "course") or not options:
        prompt = {
            "unit": _("Type the code or part of the name of the unit."),
            "course": _(
                "Type a course code or words from its title, or choose one of the upcoming courses:"
            ),
        }.get(kind, _("Nothing to choose from in your scope."))
        return [Reply(prompt, choices=tuple(options[:SHOWN]))]
    return [Reply(_("Choose:"), choices=tuple(options))]


async def _options(ctx: Context, scope: Scope, kind: str) -> list[Choice]:
    if kind == "level":
        levels = await audiences.levels_in_scope(ctx.session, scope)
        return [Choice(_(LEVELS.get(v, v)), _value(v)) for v in levels]
    if kind == "category":
        return [Choice(_(label), _value(code)) for code, label in CATEGORIES.items()]
    if kind == "rank":
        return [Choice(_(label), _value(code)) for code, label in RANK_TIERS.items()]
    if kind == "owes":
        catalogue = await chat_catalogue(ctx)
        return [
            Choice(shorten(rule.title.localized(), 60), _value(rule.id))
            for rule in catalogue.rules
            if _fits(BROADCAST_VALUE.tag, rule.id) and audiences.may_target(rule)
        ]
    if kind == "course":
        found = await audiences.open_courses(ctx.session, ctx.today, limit=SHOWN)
        return [Choice(_course_label(c), _value(str(c.id))) for c in found]
    return []


def _value(value: str) -> str:
    return BROADCAST_VALUE.pack(value=value)


def _fits(tag: str, value: str) -> bool:
    return len(f"{tag}:{value}".encode()) <= MAX_BYTES


@router.step(VALUE)
async def on_value_typed(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "thongbao")
    if scope is None:
        ctx.dialog.end()
        return denied(ctx)
    kind = ctx.dialog.data.get("kind")
    text = ctx.text.strip()
    if kind == "unit":
        units = await audiences.find_units(ctx.session, scope, text, limit=SHOWN + 1)
        if len(units) == 1:
            return await _set_value(ctx, scope, str(units[0].id))
        if not units:
            return [
                Reply(
                    _("No unit in your scope matches “{text}”. Please try again.").format(
                        text=text[:40]
                    )
                )
            ]
        return [
            Reply(
                _("Several units match. Choose one:"),
                choices=tuple(
                    Choice(shorten(u.name, 60), _value(str(u.id))) for u in units[:SHOWN]
                ),
            )
        ]
    if kind == "course":
        found = await audiences.find_courses(ctx.session, ctx.today, text, limit=SHOWN + 1)
        if len(found) == 1:
            return await _set_value(ctx, scope, str(found[0].id))
        return _courses_found(text, found, lambda c: _value(str(c.id)))
    return [Reply(_("Please choose one of the buttons above."))]


def _courses_found(text: str, found: list[Course], pack: Callable[[Course], str]) -> list[Reply]:
    """The answer to a typed course search that did not name exactly one course."""
    if not found:
        return [
            Reply(
                _(
                    "No open course matches “{text}”. Please type a course code or other words."
                ).format(text=text[:40])
            )
        ]
    return [
        Reply(
            _("Several courses match. Choose one:"),
            choices=tuple(Choice(_course_label(c), pack(c)) for c in found[:SHOWN]),
        )
    ]


def _course_label(course: Course) -> str:
    return f"{course.code} — {course.title}"[:60]


async def _set_value(ctx: Context, scope: Scope, value: str) -> list[Reply]:
    kind = ctx.dialog.data.get("kind", "")
    label = await _describe(ctx, scope, kind, value)
    if label is None:
        return stale_reply(ctx)
    TEXT.enter(ctx, value=value, label=label)
    return [
        Reply(
            _(
                "Audience: {label}.\nNow type the announcement (at most {n} characters). It is "
                "sent exactly as you write it, under a header naming your unit."
            ).format(label=label, n=format_number(broadcasts.MAX_TEXT))
        )
    ]


async def _describe(ctx: Context, scope: Scope, kind: str, value: str) -> str | None:
    """The audience in words, or None when the value is unknown or outside the scope."""
    if kind == "all":
        return _("everyone in my scope")
    if kind == "level":
        return _(LEVELS[value]) if value in LEVELS else value or None
    if kind == "category":
        return _(CATEGORIES[value]) if value in CATEGORIES else None
    if kind == "rank":
        return _(RANK_TIERS[value]) if value in RANK_TIERS else None
    if kind == "unit":
        unit = await ctx.session.get(OrgUnit, int(value)) if value.isdigit() else None
        return unit.name if unit is not None and scope.reaches(unit.path) else None
    if kind == "owes":
        catalogue = await chat_catalogue(ctx)
        rule = catalogue.rules_by_id.get(value)
        return _("still owe: {rule}").format(rule=rule.title.localized()) if rule else None
    if kind == "course":
        course = await courses.get(ctx.session, int(value)) if value.isdigit() else None
        return (
            _("eligible for {code} and not registered").format(code=course.code) if course else None
        )
    return None


@router.step(TEXT)
async def on_text(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "thongbao")
    if scope is None:
        ctx.dialog.end()
        return denied(ctx)
    text = ctx.text.strip()
    if not text:
        return [Reply(_("Please type the announcement."))]
    if len(text) > broadcasts.MAX_TEXT:
        return [
            Reply(
                _(
                    "The announcement is {n} characters long; at most {max} fit. Please "
                    "shorten it and send it again."
                ).format(n=format_number(len(text)), max=format_number(broadcasts.MAX_TEXT))
            )
        ]
    COURSE.enter(ctx, text=text)
    if ctx.dialog.data.get("kind") == "course":
        COURSE.enter(ctx, course_id=int(ctx.dialog.data["value"]))
        return await _preview(ctx, scope)
    found = await audiences.open_courses(ctx.session, ctx.today, limit=SHOWN)
    return [
        Reply(
            _(
                "Attach a course? Its message will carry a “Register” button. Choose one of "
                "the soonest courses, or type a course code or words from its title."
            ),
            choices=(
                Choice(_("No course"), BROADCAST_NO_COURSE.pack()),
                *(Choice(_course_label(c), BROADCAST_COURSE.pack(id=c.id)) for c in found),
            ),
        )
    ]


@router.step(COURSE)
async def on_course_typed(ctx: Context) -> list[Reply]:
    """A course code or words, searched like /khoahoc: any course, not only the soonest."""
    scope = await _scope(ctx)
    if scope is None:
        return denied(ctx)
    text = ctx.text.strip()
    found = await audiences.find_courses(ctx.session, ctx.today, text, limit=SHOWN + 1)
    if len(found) == 1:
        COURSE.enter(ctx, course_id=found[0].id)
        return await _preview(ctx, scope)
    return _courses_found(text, found, lambda c: BROADCAST_COURSE.pack(id=c.id))


async def _audience_ids(ctx: Context, scope: Scope) -> tuple[int, ...] | None:
    catalogue = await chat_catalogue(ctx)
    audience = audiences.Audience(ctx.dialog.data.get("kind", ""), ctx.dialog.data.get("value", ""))
    return await audiences.resolve(
        ctx.session, audience, scope, today=ctx.today, catalogue=catalogue
    )


async def _course(ctx: Context) -> Course | None:
    course_id = ctx.dialog.data.get("course_id")
    return await courses.get(ctx.session, course_id) if isinstance(course_id, int) else None


async def _preview(ctx: Context, scope: Scope) -> list[Reply]:
    ids = await _audience_ids(ctx, scope)
    if ids is None:
        ctx.dialog.end()
        return stale_reply(ctx)
    reach = await audiences.reach(ctx.session, ids)
    by_zns = await _by_zns(ctx, ids)
    PREVIEW.enter(ctx)
    course = await _course(ctx)
    urgent = bool(ctx.dialog.data.get("urgent"))
    seconds = math.ceil(reach.reachable / max(ctx.send_rate, 0.1))
    unit = scope.widest
    assert unit is not None
    draft = broadcasts.Broadcast(scope_name=unit.name, text=ctx.dialog.data.get("text", ""))
    sample = broadcasts.message_text(draft, _course_line(course) if course else None)
    lines = [
        _("Preview — recipients will read:"),
        "────────",
        sample,
        "────────",
        _("Audience: {label}").format(label=ctx.dialog.data.get("label", "")),
        _(
            "Recipients: {n} · reachable in the chat: {reach} · not linked: {nl} · blocked the "
            "bot: {blocked}"
        ).format(
            n=format_number(len(ids)),
            reach=format_number(reach.reachable),
            nl=format_number(reach.not_linked),
            blocked=format_number(reach.unreachable),
        ),
        _("Expected duration: about {duration} at {rate} messages/s.").format(
            duration=_duration(seconds), rate=format_number(ctx.send_rate)
        ),
        _quiet_line(ctx, urgent=urgent),
    ]
    cost = by_zns.line()
    if cost is not None:
        lines.append(_("📱 By ZNS to their phones: {cost}.").format(cost=cost))
    count = reach.reachable + by_zns.phone_only
    return [
        Reply(
            "\n".join(lines),
            choices=(
                Choice(
                    ngettext("✅ Send to {n} person", "✅ Send to {n} people", count).format(
                        n=format_number(count)
                    ),
                    BROADCAST_SEND.pack(),
                ),
                Choice(
                    _("Mark as not urgent") if urgent else _("⚡ Mark as urgent"),
                    BROADCAST_URGENT.pack(),
                ),
                Choice(_("❌ Cancel"), BROADCAST_CANCEL.pack()),
            ),
        )
    ]


async def _by_zns(ctx: Context, ids: tuple[int, ...]) -> ZnsEstimate:
    return await zns_estimate.estimate(
        ctx.session, ids, kind=BROADCAST_KIND, now=ctx.now, policy=ctx.routing
    )


def _quiet_line(ctx: Context, *, urgent: bool) -> str:
    """The quiet hours the sender really applies (ctx.settings.send_window), or none."""
    quiet = ctx.settings.send_window.quiet
    if quiet is None:
        return _("No quiet hours are set: it is sent at any hour.")
    start, end = (t.strftime("%H:%M") for t in quiet)
    if urgent:
        return _("⚡ Urgent: sent even during quiet hours ({start}–{end}).").format(
            start=start, end=end
        )
    return _("Quiet hours apply: nothing is sent {start}–{end}; it continues afterwards.").format(
        start=start, end=end
    )


def _duration(seconds: int) -> str:
    if seconds < 60:
        shown = max(seconds, 1)
        return ngettext("{n} second", "{n} seconds", shown).format(n=format_number(shown))
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return ngettext("{n} minute", "{n} minutes", minutes).format(n=format_number(minutes))
    hours = round(minutes / 60, 1)
    # "1.5 hours" is plural in English: only exactly one is singular.
    return ngettext("{n} hour", "{n} hours", 1 if hours == 1 else 2).format(n=format_number(hours))


def _course_line(course: Course) -> str:
    return _("📚 Course {code}: {title}, from {start}. Register with the button below.").format(
        code=course.code, title=course.title, start=format_date(course.starts_on)
    )


async def _send(ctx: Context, scope: Scope) -> list[Reply]:
    ids = await _audience_ids(ctx, scope)
    unit = scope.widest
    if ids is None or unit is None or ctx.official is None:
        ctx.dialog.end()
        return stale_reply(ctx)
    data = ctx.dialog.data
    course = await _course(ctx)
    draft = broadcasts.Broadcast(
        audience_kind=data.get("kind", ""),
        audience_value=str(data.get("value", "")),
        audience_label=str(data.get("label", ""))[:300],
        text=data.get("text", ""),
        course_id=course.id if course else None,
        urgent=bool(data.get("urgent")),
    )
    ctx.dialog.end()
    return await _queue(ctx, scope, draft, ids, course)


async def _queue(
    ctx: Context,
    scope: Scope,
    broadcast: broadcasts.Broadcast,
    ids: tuple[int, ...],
    course: Course | None,
) -> list[Reply]:
    """Queue a broadcast (its audience fields set) from the admin, to `ids`; audited."""
    unit = scope.widest
    assert unit is not None and ctx.official is not None
    reach = await audiences.reach(ctx.session, ids)
    broadcast.admin_official_id = ctx.official.id
    broadcast.scope_unit_id = unit.id
    broadcast.scope_name = unit.name
    broadcast.state = broadcasts.DRAFT
    broadcast.recipients = len(ids)
    broadcast.not_linked = reach.not_linked
    broadcast.unreachable = reach.unreachable
    broadcast.admin_channel = ctx.account.channel
    broadcast.admin_chat_id = ctx.account.chat_id
    broadcast.created_at = ctx.now
    await broadcasts.add_draft(ctx.session, broadcast)
    lines: dict[str, str] = {}
    if course is not None:
        for locale in ("vi", "en"):
            with use_locale(locale):
                lines[locale] = _course_line(course)
    queued = await broadcasts.queue(
        ctx.session,
        broadcast,
        ids,
        now=ctx.now,
        course_line=lines or None,
        actor=actor_of(ctx),
        by_zns=(await _by_zns(ctx, ids)).official_ids,
    )
    return [
        Reply(
            ngettext(
                "📣 Announcement #{id} is queued for {n} person. I will show the progress here "
                "and a report at the end.",
                "📣 Announcement #{id} is queued for {n} people. I will show the progress here "
                "and a report at the end.",
                queued,
            ).format(id=broadcast.id, n=format_number(queued)),
            choices=(Choice(_("⏹ Stop sending"), BROADCAST_STOP.pack(id=broadcast.id)),),
        )
    ]


async def _own(ctx: Context, broadcast_id: int) -> broadcasts.Broadcast | None:
    """The broadcast, if the admin pressing its button is the one who sent it."""
    broadcast = await broadcasts.get(ctx.session, broadcast_id)
    if broadcast is None or ctx.official is None or broadcast.admin_official_id != ctx.official.id:
        return None
    return broadcast


@router.choice(BROADCAST_RESEND, needs_link=True)
async def on_resend(ctx: Context, values: Values) -> list[Reply]:
    """A new broadcast with the same words to exactly those the report counts as not
    received (failed, answer lost, stopped), still inside the admin's scope."""
    scope = await admin_scope(ctx, "thongbao")
    if scope is None:
        return denied(ctx)
    original = await _own(ctx, values.number("id"))
    if original is None:
        return stale_reply(ctx)
    if not broadcasts.is_closed(original):
        return [Reply(_("Announcement #{id} is still being sent.").format(id=original.id))]
    earlier = await broadcasts.resent_as(ctx.session, original)
    if earlier is not None:
        return [
            Reply(
                _("Announcement #{id} was already sent again as announcement #{new}.").format(
                    id=original.id, new=earlier.id
                )
            )
        ]
    missing = await broadcasts.missed(ctx.session, original)
    wanted = [m.official_id for m in missing if m.reception in RESENDABLE]
    ids = await audiences.within_scope(ctx.session, scope, wanted)
    if not ids:
        return [Reply(_("Nobody is left to send announcement #{id} to.").format(id=original.id))]
    course = await courses.get(ctx.session, original.course_id) if original.course_id else None
    draft = broadcasts.Broadcast(
        audience_kind=broadcasts.RESEND,
        audience_value=str(original.id),
        audience_label=_("those who did not receive announcement #{id}").format(id=original.id),
        text=original.text,
        course_id=original.course_id,
        urgent=original.urgent,
    )
    return await _queue(ctx, scope, draft, ids, course)


@router.choice(BROADCAST_MISSED, needs_link=True)
async def on_missed_list(ctx: Context, values: Values) -> list[Reply]:
    """The report's "who did not receive it" as a workbook."""
    scope = await admin_scope(ctx, "thongbao")
    if scope is None:
        return denied(ctx)
    broadcast = await _own(ctx, values.number("id"))
    if broadcast is None:
        return stale_reply(ctx)
    content, listed = await missed_workbook(ctx.session, broadcast)
    if listed:
        audit_read(ctx, "broadcast_missed", scope, listed, f"broadcast:{broadcast.id}")
    attachment = Attachment(
        file_name=f"thong-bao-{broadcast.id}-chua-nhan.xlsx",
        content=content,
        mime_type=XLSX,
        summary=_("Workbook: who did not receive announcement #{id}.").format(id=broadcast.id),
    )
    return [
        Reply(
            ngettext(
                "{n} person did not receive announcement #{id}: code, name, unit and reason.",
                "{n} people did not receive announcement #{id}: code, name, unit and reason.",
                listed,
            ).format(n=format_number(listed), id=broadcast.id),
            attachments=(attachment,),
        )
    ]


async def _stop(ctx: Context, broadcast_id: int) -> list[Reply]:
    # Only the admin who sent it may stop it; anyone else's press is a stale button.
    broadcast = await _own(ctx, broadcast_id)
    if broadcast is None:
        return stale_reply(ctx)
    if broadcast.state != broadcasts.QUEUED:
        return [Reply(_("Announcement #{id} is no longer being sent.").format(id=broadcast.id))]
    dropped = await broadcasts.cancel(ctx.session, broadcast, now=ctx.now, actor=actor_of(ctx))
    return [
        Reply(
            ngettext(
                "⏹ Announcement #{id} stopped; {n} message was not sent. The progress "
                "message will show the final figures.",
                "⏹ Announcement #{id} stopped; {n} messages were not sent. The progress "
                "message will show the final figures.",
                dropped,
            ).format(id=broadcast.id, n=format_number(dropped))
        )
    ]
