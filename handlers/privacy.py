"""/quyenriengtu: the privacy notice on request; /dulieu: the official's own data."""

from __future__ import annotations

from handlers.context import Context
from handlers.privacy_notice import notice_reply
from handlers.router import Router
from handlers.types import Reply
from models.privacy import notice

router = Router("privacy")
router.describe("quyenriengtu", "What data the assistant holds and why", 90)


@router.command("quyenriengtu", "privacy")
async def on_privacy(ctx: Context) -> list[Reply]:
    if ctx.official is not None:
        # Read in full on request: it need not be shown again until it changes.
        notice.record_shown(ctx.account, ctx.settings.privacy)
    return [notice_reply(ctx)]
