"""Journey 4: /nhacnho — my upcoming notices, which optional kinds I receive, how long before
a course I am reminded, and on which channel.

Every button value is re-checked here against the linked official: a kind must be one the
official may switch, a lead time one of the offered options, a channel one they are linked
on. Anything else gets the stale answer and changes nothing.
"""

from __future__ import annotations

from handlers.common import addressed, command_choice, stale_reply
from handlers.context import Context
from handlers.payloads import (
    REMINDER_CHANNEL,
    REMINDER_LEAD_DAY,
    REMINDER_LEAD_MENU,
    REMINDER_SWITCH,
    Values,
)
from handlers.router import Router
from handlers.types import Choice, Reply
from locales import _, format_datetime, ngettext
from locales.wording import capitalize_first, shorten
from models.notices import digest as unit_digest
from models.notices import outbox as notices
from models.notices import preferences as prefs
from models.vocabulary import N_

router = Router("reminders")
router.describe("nhacnho", "My reminders and how I receive them", 40)
router.menu_item("🔔 My reminders", "nhacnho", 40)

_KIND_NAMES = {
    notices.COURSE_START: N_("before a course I registered for starts"),
    notices.REGISTRATION_DEADLINE: N_("before registration closes for a course I need"),
    notices.COURSE_CHANGED: N_("when a course I registered for changes"),
    prefs.UNIT_DIGEST: N_("every week about my staff's overdue training (unit heads)"),
}
_CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "zalo_oa": "Zalo OA"}
_SHOWN = 10
_PREVIEW_CHARS = 90


def _days(days: tuple[int, ...]) -> str:
    return ", ".join(ngettext("{n} day", "{n} days", d).format(n=d) for d in days)


async def _overview(ctx: Context, notice: str | None = None) -> list[Reply]:
    official = ctx.official
    assert official is not None  # registered with needs_link
    pref = await prefs.preferences_of(ctx.session, official.id)
    upcoming = await notices.upcoming(ctx.session, official.id, now=ctx.now, limit=_SHOWN)
    lines = [notice] if notice else []
    lines.append(addressed(_("🔔 Reminders for {title}"), official))
    if upcoming:
        lines.append(_("Coming up:"))
        window = ctx.settings.send_window
        for row in upcoming:
            # Shown when it will really go out: quiet hours and holidays hold it.
            at = window.next_open(max(row.send_at, ctx.now)) if not row.urgent else row.send_at
            first = shorten(row.text.split("\n", 1)[0], _PREVIEW_CHARS)
            lines.append(f"• {format_datetime(at, ctx.tz)} — {first}")
    else:
        lines.append(addressed(_("No reminder is planned for {title} at the moment."), official))
    lines.append("")
    # No decree named here: the basis depends on the rule and the day, and "Vì sao?"
    # cites the one in force (a fixed citation went stale when 171/2025 replaced 101/2017).
    lines.append(
        addressed(
            _(
                "Training deadline reminders: always on. They are training requirements "
                "that apply to {title} (the basis in force is under “Why?” in /yeucau), "
                "so they cannot be switched off."
            ),
            official,
        )
    )
    choices = []
    kinds = list(notices.OPTIONAL_KINDS)
    # The digest switch only for those who get it (or switched it off and may want it back).
    if prefs.UNIT_DIGEST in pref.disabled_kinds or await unit_digest.is_head(ctx.session, official):
        kinds.append(prefs.UNIT_DIGEST)
    for kind in kinds:
        on = pref.wants(kind)
        state = _("on") if on else _("off")
        lines.append(f"• {capitalize_first(_(_KIND_NAMES[kind]))}: {state}")
        label = _("Switch off: {what}") if on else _("Switch on: {what}")
        choices.append(
            Choice(
                label.format(what=_(_KIND_NAMES[kind])),
                REMINDER_SWITCH.pack(switch="off" if on else "on", kind=kind),
            )
        )
    lines.append(_("Days before a course: {days}.").format(days=_days(pref.course_lead_days)))
    choices.append(Choice(_("⏱ Change the days before a course"), REMINDER_LEAD_MENU.pack()))
    channels = await prefs.linked_channels(ctx.session, official.id)
    if len(channels) > 1:
        current = pref.channel if pref.channel in channels else None
        where = _CHANNEL_NAMES.get(current or "", _("the chat I used last"))
        lines.append(_("Reminders go to: {channel}.").format(channel=where))
        for channel in channels:
            if channel != current:
                choices.append(
                    Choice(
                        _("Send reminders to {channel}").format(
                            channel=_CHANNEL_NAMES.get(channel, channel)
                        ),
                        REMINDER_CHANNEL.pack(channel=channel),
                    )
                )
    return [Reply("\n".join(lines), choices=tuple(choices))]


@router.command("nhacnho", needs_link=True)
@router.intent("nhắc nhở", "nhac nho", "lịch nhắc", "reminders", needs_link=True)
async def on_reminders(ctx: Context) -> list[Reply]:
    return await _overview(ctx)


@router.choice(REMINDER_SWITCH, needs_link=True)
async def on_switch(ctx: Context, values: Values) -> list[Reply]:
    official = ctx.official
    assert official is not None
    kind, switch_on = values.text("kind"), values.text("switch") == "on"
    if kind not in prefs.SWITCHABLE_KINDS:
        return stale_reply(ctx)
    await prefs.set_kind(ctx.session, official.id, kind, enabled=switch_on, now=ctx.now)
    done = _("Switched on.") if switch_on else _("Switched off.")
    return await _overview(ctx, "✅ " + done)


@router.choice(REMINDER_LEAD_MENU, needs_link=True)
async def on_lead_menu(ctx: Context, _values: Values) -> list[Reply]:
    return await _lead_menu(ctx)


@router.choice(REMINDER_LEAD_DAY, needs_link=True)
async def on_lead_day(ctx: Context, values: Values) -> list[Reply]:
    official = ctx.official
    assert official is not None
    days = values.number("days")
    if days not in prefs.LEAD_DAY_OPTIONS:
        return stale_reply(ctx)
    current = set((await prefs.preferences_of(ctx.session, official.id)).course_lead_days)
    current ^= {days}
    if not current:
        return [
            Reply(
                addressed(
                    _(
                        "At least one reminder before a course is needed. To stop them, "
                        "{title} "
                        "can switch off course reminders instead."
                    ),
                    official,
                ),
                choices=(_back_to_reminders(),),
            )
        ]
    await prefs.set_lead_days(ctx.session, official.id, current, now=ctx.now)
    return await _lead_menu(ctx)


@router.choice(REMINDER_CHANNEL, needs_link=True)
async def on_channel(ctx: Context, values: Values) -> list[Reply]:
    official = ctx.official
    assert official is not None
    channel = values.text("channel")
    if channel not in await prefs.linked_channels(ctx.session, official.id):
        return stale_reply(ctx)
    await prefs.set_channel(ctx.session, official.id, channel, now=ctx.now)
    return await _overview(
        ctx,
        "✅ "
        + _("Reminders will go to {channel}.").format(channel=_CHANNEL_NAMES.get(channel, channel)),
    )


def _back_to_reminders() -> Choice:
    return command_choice(_("🔔 Back to my reminders"), "nhacnho")


async def _lead_menu(ctx: Context) -> list[Reply]:
    assert ctx.official is not None
    pref = await prefs.preferences_of(ctx.session, ctx.official.id)
    text = _("Days before a course: {days}. Press a number to add or remove it.").format(
        days=_days(pref.course_lead_days)
    )
    choices = [
        Choice(
            ("✅ " if d in pref.course_lead_days else "▫️ ")
            + ngettext("{n} day", "{n} days", d).format(n=d),
            REMINDER_LEAD_DAY.pack(days=d),
        )
        for d in prefs.LEAD_DAY_OPTIONS
    ]
    choices.append(_back_to_reminders())
    return [Reply(text, choices=tuple(choices), columns=4, replace=True)]
