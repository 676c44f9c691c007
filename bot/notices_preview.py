"""`python -m bot notices preview`: what the next planning run would send, per channel, with
the ZNS count and its cost; nothing is written (the planners' transaction is rolled back)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import Settings
from bot.db import Database
from bot.notice_service import routing_policy
from locales import _, format_number, use_locale
from models.exports.unreached import REASONS
from models.notices.send_preview import SendPreview, preview_next_run


class _RollBack(Exception):
    pass


async def compute(settings: Settings, db: Database, now: datetime) -> SendPreview:
    found: SendPreview | None = None
    try:
        async with db.transaction() as session:
            found = await preview_next_run(
                session, now=now, planning=settings.planning, policy=routing_policy(settings)
            )
            raise _RollBack
    except _RollBack:
        pass
    assert found is not None
    return found


def render(preview: SendPreview, *, at: str) -> str:
    lines = [_("If planning ran now ({at}), the outbox would send:").format(at=at)]
    for channel, n in sorted(preview.by_channel.items()):
        line = f"  {channel}: {format_number(n)}"
        if channel == "zns" and (cost := preview.zns_cost()):
            line += f" — {cost}"
        lines.append(line)
    if not preview.by_channel:
        lines.append("  " + _("nothing"))
    if preview.unreached:
        lines.append(
            _("Not reachable: {n} notices").format(n=format_number(sum(preview.unreached.values())))
        )
        for reason, n in sorted(preview.unreached.items()):
            lines.append(f"  {_(REASONS.get(reason, reason))}: {format_number(n)}")
    return "\n".join(lines)


async def run(settings: Settings, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    db = Database(settings.database_url)
    try:
        preview = await compute(settings, db, now)
    finally:
        await db.dispose()
    with use_locale(settings.default_locale):
        at = now.astimezone(settings.timezone).strftime("%d/%m/%Y %H:%M")
        return render(preview, at=at)
