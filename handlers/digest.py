"""The "🔔 Remind …" buttons under the weekly unit-head digest (models/notices/digest.py).

A button names a staff member, but its value is untrusted: models.notices.digest.nudge checks
that the linked official pressing it is now a head of that person's unit and that the
person is still on the list today. Anything else gets a polite "this list is out of date",
is audited, and sends nothing.
"""

from __future__ import annotations

from handlers.admin_access import actor_of
from handlers.common import addressed, chat_catalogue
from handlers.context import Context
from handlers.payloads import NUDGE, Values
from handlers.router import Router
from handlers.types import Reply
from locales import _, ngettext
from locales.collation import name_key
from models.notices import digest as unit_digest
from models.notices import texts
from models.notices.digest import NudgeOutcome, NudgeResult

router = Router("digest")


@router.choice(NUDGE, needs_link=True)
async def on_nudge(ctx: Context, values: Values) -> list[Reply]:
    official = ctx.official
    assert official is not None  # registered with needs_link
    catalogue = await chat_catalogue(ctx)
    result = await unit_digest.nudge(
        ctx.session,
        official,
        values.text("who"),
        now=ctx.now,
        actor=actor_of(ctx),
        settings=ctx.settings.digest,
        catalogue=catalogue,
    )
    return [Reply(_answer(ctx, result))]


def _answer(ctx: Context, result: NudgeResult) -> str:
    if not result.allowed:
        return addressed(
            _(
                "Sorry, {title}: this list is out of date, so no reminder was sent. "
                "Next week's digest will have the current list."
            ),
            ctx.official,
        )
    if not result.nudged:
        return addressed(
            _("Nobody on the list needs a reminder any more. Thank you, {title}."), ctx.official
        )
    if not result.everyone:
        [one] = result.nudged
        person = one.person
        if one.outcome is NudgeOutcome.SENT:
            message = _("✅ A reminder was sent to {title} {name}.")
        elif one.outcome is NudgeOutcome.ALREADY:
            message = _("{Title} {name} has already been reminded this week.")
        else:
            message = _(
                "{Title} {name} has not linked a chat with the assistant yet, so the "
                "reminder cannot be delivered. Please remind {title} in person."
            )
        return texts.addressed(message, person.gender, name=person.full_name)
    sent = result.count(NudgeOutcome.SENT)
    already = result.count(NudgeOutcome.ALREADY)
    lines = []
    if sent or not already:
        lines.append(
            ngettext(
                "✅ Reminders were sent to {n} person.",
                "✅ Reminders were sent to {n} people.",
                sent,
            ).format(n=sent)
        )
    if already:
        lines.append(
            ngettext(
                "{n} person had already been reminded this week.",
                "{n} people had already been reminded this week.",
                already,
            ).format(n=already)
        )
    unreachable = sorted(
        (n.person.full_name for n in result.nudged if n.outcome is NudgeOutcome.UNREACHABLE),
        key=name_key,
    )
    if unreachable:
        lines.append(
            _(
                "Not linked with the assistant yet, so please remind them in person: {names}."
            ).format(names=", ".join(unreachable))
        )
    return "\n".join(lines)
