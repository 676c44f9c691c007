"""/thongbao: an HR admin announces something to an audience inside their scope.

Steps: audience → (its value) → text → (attach a course) → preview with counts and the
expected duration → confirm. Sending goes through the notice outbox; bot/broadcast_progress
keeps a progress message up to date and reports at the end.
"""

from __future__ import annotations

import math

from sqlalchemy import select

from handlers.admin_access import actor_of, admin_scope, denied
from handlers.context import Context
from handlers.router import router
from handlers.types import Choice, Reply
from locales import _, format_date, format_number, use_locale
from locales.folding import fold_key
from models.courses.catalogue import Course, CourseStatus
from models.notices import audiences, broadcasts
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.store import CATALOGUE_TTL_SECONDS, current_catalogue
from models.vocabulary import CATEGORIES, LEVELS, N_, RANK_TIERS

router.describe("thongbao", "Send an announcement (HR officers only)", 72)

FLOW = "broadcast"
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
    ctx.dialog.go(FLOW, "audience")
    return [
        Reply(
            _("📣 New announcement. Who should receive it?"),
            choices=(
                *(Choice(_(label), f"bc:aud:{k}") for k, label in _KIND_LABELS.items()),
                Choice(_("❌ Cancel"), "bc:cancel"),
            ),
        )
    ]


@router.choice("bc", needs_link=True)
async def on_choice(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "thongbao")
    if scope is None:
        ctx.dialog.end()
        return denied(ctx)
    parts = (ctx.choice or "").split(":", 2)
    action = parts[1] if len(parts) > 1 else ""
    arg = parts[2] if len(parts) > 2 else ""
    if action == "stop":
        return await _stop(ctx, arg)
    if ctx.dialog.flow != FLOW:
        return await router.special["stale"](ctx)
    if action == "cancel":
        ctx.dialog.end()
        return [Reply(_("Cancelled. Nothing was sent."))]
    if action == "aud" and arg in audiences.KINDS:
        return await _pick_audience(ctx, scope, arg)
    if action == "val" and ctx.dialog.step == "value":
        return await _set_value(ctx, scope, arg)
    if action == "course" and ctx.dialog.step == "course":
        ctx.dialog.go(FLOW, "course", course_id=int(arg) if arg.isdigit() else None)
        return await _preview(ctx, scope)
    if action == "urgent" and ctx.dialog.step == "preview":
        ctx.dialog.go(FLOW, "preview", urgent=not ctx.dialog.data.get("urgent", False))
        return await _preview(ctx, scope)
    if action == "send" and ctx.dialog.step == "preview":
        return await _send(ctx, scope)
    return await router.special["stale"](ctx)


async def _pick_audience(ctx: Context, scope: Scope, kind: str) -> list[Reply]:
    ctx.dialog.go(FLOW, "value", kind=kind, value="", label=_(_KIND_LABELS[kind]))
    if kind == "all":
        return await _set_value(ctx, scope, "")
    options = await _options(ctx, scope, kind)
    if kind in ("unit", "course") or not options:
        prompt = {
            "unit": _("Type the code or part of the name of the unit."),
            "course": _("Type the course code, or choose one of the upcoming courses:"),
        }.get(kind, _("Nothing to choose from in your scope."))
        return [Reply(prompt, choices=tuple(options[:SHOWN]))]
    return [Reply(_("Choose:"), choices=tuple(options))]


async def _options(ctx: Context, scope: Scope, kind: str) -> list[Choice]:
    if kind == "level":
        levels = await ctx.session.scalars(
            select(Official.level)
            .join(OrgUnit, OrgUnit.id == Official.unit_id)
            .where(Official.active.is_(True), *audiences.in_scope(scope))
            .distinct()
        )
        return [Choice(_(LEVELS.get(v, v)), f"bc:val:{v}") for v in sorted(levels)]
    if kind == "category":
        return [Choice(_(label), f"bc:val:{code}") for code, label in CATEGORIES.items()]
    if kind == "rank":
        return [Choice(_(label), f"bc:val:{code}") for code, label in RANK_TIERS.items()]
    if kind == "owes":
        catalogue = await current_catalogue(ctx.session, max_age=CATALOGUE_TTL_SECONDS)
        return [
            Choice(rule.title.localized()[:60], f"bc:val:{rule.id}")
            for rule in catalogue.rules
            if len(f"bc:val:{rule.id}".encode()) <= 64
        ]
    if kind == "course":
        courses = await ctx.session.scalars(
            select(Course)
            .where(Course.status == CourseStatus.OPEN, Course.starts_on >= ctx.today)
            .order_by(Course.starts_on, Course.id)
            .limit(SHOWN)
        )
        return [Choice(f"{c.code} — {c.title}"[:60], f"bc:val:{c.id}") for c in courses]
    return []


@router.step(FLOW, "value")
async def on_value_typed(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "thongbao")
    if scope is None:
        ctx.dialog.end()
        return denied(ctx)
    kind = ctx.dialog.data.get("kind")
    text = ctx.text.strip()
    if kind == "unit":
        units = await _find_units(ctx, scope, text)
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
                choices=tuple(Choice(u.name[:60], f"bc:val:{u.id}") for u in units[:SHOWN]),
            )
        ]
    if kind == "course":
        course = await ctx.session.scalar(select(Course).where(Course.code == text.upper()))
        if course is None:
            return [Reply(_("No course has the code “{code}”.").format(code=text[:40]))]
        return await _set_value(ctx, scope, str(course.id))
    return [Reply(_("Please choose one of the buttons above."))]


async def _find_units(ctx: Context, scope: Scope, text: str) -> list[OrgUnit]:
    exact = await ctx.session.scalar(select(OrgUnit).where(OrgUnit.code == text))
    if exact is not None and scope.reaches(exact.path):
        return [exact]
    key = fold_key(text)
    if not key:
        return []
    rows = await ctx.session.scalars(select(OrgUnit).where(*audiences.in_scope(scope)))
    return [u for u in rows if key in fold_key(u.name)][: SHOWN + 1]


async def _set_value(ctx: Context, scope: Scope, value: str) -> list[Reply]:
    kind = ctx.dialog.data.get("kind", "")
    label = await _describe(ctx, scope, kind, value)
    if label is None:
        return await router.special["stale"](ctx)
    ctx.dialog.go(FLOW, "text", value=value, label=label)
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
        catalogue = await current_catalogue(ctx.session, max_age=CATALOGUE_TTL_SECONDS)
        rule = catalogue.rules_by_id.get(value)
        return _("still owe: {rule}").format(rule=rule.title.localized()) if rule else None
    if kind == "course":
        course = await ctx.session.get(Course, int(value)) if value.isdigit() else None
        return (
            _("eligible for {code} and not registered").format(code=course.code) if course else None
        )
    return None


@router.step(FLOW, "text")
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
    ctx.dialog.go(FLOW, "course", text=text)
    if ctx.dialog.data.get("kind") == "course":
        ctx.dialog.go(FLOW, "course", course_id=int(ctx.dialog.data["value"]))
        return await _preview(ctx, scope)
    courses = await _options(ctx, scope, "course")
    return [
        Reply(
            _("Attach a course? Its message will carry a “Register” button."),
            choices=(
                Choice(_("No course"), "bc:course:none"),
                *(Choice(c.label, c.value.replace("bc:val:", "bc:course:")) for c in courses),
            ),
        )
    ]


async def _audience_ids(ctx: Context, scope: Scope) -> tuple[int, ...] | None:
    catalogue = await current_catalogue(ctx.session, max_age=CATALOGUE_TTL_SECONDS)
    audience = audiences.Audience(ctx.dialog.data.get("kind", ""), ctx.dialog.data.get("value", ""))
    return await audiences.resolve(
        ctx.session, audience, scope, today=ctx.today, catalogue=catalogue
    )


async def _course(ctx: Context) -> Course | None:
    course_id = ctx.dialog.data.get("course_id")
    return await ctx.session.get(Course, course_id) if isinstance(course_id, int) else None


async def _preview(ctx: Context, scope: Scope) -> list[Reply]:
    ids = await _audience_ids(ctx, scope)
    if ids is None:
        ctx.dialog.end()
        return await router.special["stale"](ctx)
    reach = await audiences.reach(ctx.session, ids)
    ctx.dialog.go(FLOW, "preview")
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
        _("⚡ Urgent: sent even during quiet hours (21:00–07:00).")
        if urgent
        else _("Quiet hours apply: nothing is sent 21:00–07:00; it continues in the morning."),
    ]
    return [
        Reply(
            "\n".join(lines),
            choices=(
                Choice(
                    _("✅ Send to {n} people").format(n=format_number(reach.reachable)), "bc:send"
                ),
                Choice(_("Mark as not urgent") if urgent else _("⚡ Mark as urgent"), "bc:urgent"),
                Choice(_("❌ Cancel"), "bc:cancel"),
            ),
        )
    ]


def _duration(seconds: int) -> str:
    if seconds < 60:
        return _("{n} seconds").format(n=max(seconds, 1))
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return _("{n} minutes").format(n=minutes)
    return _("{n} hours").format(n=format_number(round(minutes / 60, 1)))


def _course_line(course: Course) -> str:
    return _("📚 Course {code}: {title}, from {start}. Register with the button below.").format(
        code=course.code, title=course.title, start=format_date(course.starts_on)
    )


async def _send(ctx: Context, scope: Scope) -> list[Reply]:
    ids = await _audience_ids(ctx, scope)
    unit = scope.widest
    if ids is None or unit is None or ctx.official is None:
        ctx.dialog.end()
        return await router.special["stale"](ctx)
    reach = await audiences.reach(ctx.session, ids)
    data = ctx.dialog.data
    course = await _course(ctx)
    broadcast = broadcasts.Broadcast(
        admin_official_id=ctx.official.id,
        scope_unit_id=unit.id,
        scope_name=unit.name,
        audience_kind=data.get("kind", ""),
        audience_value=str(data.get("value", "")),
        audience_label=str(data.get("label", ""))[:300],
        text=data.get("text", ""),
        course_id=course.id if course else None,
        urgent=bool(data.get("urgent")),
        state=broadcasts.DRAFT,
        recipients=len(ids),
        not_linked=reach.not_linked,
        unreachable=reach.unreachable,
        admin_channel=ctx.account.channel,
        admin_chat_id=ctx.account.chat_id,
        created_at=ctx.now,
    )
    ctx.session.add(broadcast)
    await ctx.session.flush()
    lines: dict[str, str] = {}
    if course is not None:
        for locale in ("vi", "en"):
            with use_locale(locale):
                lines[locale] = _course_line(course)
    queued = await broadcasts.queue(
        ctx.session, broadcast, ids, now=ctx.now, course_line=lines or None, actor=actor_of(ctx)
    )
    ctx.dialog.end()
    return [
        Reply(
            _(
                "📣 Announcement #{id} is queued for {n} people. I will show the progress here "
                "and a report at the end."
            ).format(id=broadcast.id, n=format_number(queued)),
            choices=(Choice(_("⏹ Stop sending"), f"bc:stop:{broadcast.id}"),),
        )
    ]


async def _stop(ctx: Context, arg: str) -> list[Reply]:
    broadcast = await ctx.session.get(broadcasts.Broadcast, int(arg)) if arg.isdigit() else None
    # Only the admin who sent it may stop it; anyone else's press is a stale button.
    if broadcast is None or ctx.official is None or broadcast.admin_official_id != ctx.official.id:
        return await router.special["stale"](ctx)
    if broadcast.state != broadcasts.QUEUED:
        return [Reply(_("Announcement #{id} is no longer being sent.").format(id=broadcast.id))]
    dropped = await broadcasts.cancel(ctx.session, broadcast, now=ctx.now, actor=actor_of(ctx))
    return [
        Reply(
            _("⏹ Announcement #{id} stopped; {n} messages were not sent.").format(
                id=broadcast.id, n=format_number(dropped)
            )
        )
    ]
