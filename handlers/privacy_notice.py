"""The privacy notice as a reply, shared by linking (start), /quyenriengtu (privacy) and
routing, which shows a changed notice once to every linked chat."""

from __future__ import annotations

from handlers.context import Context
from handlers.types import Reply
from models.privacy import notice


def notice_reply(ctx: Context) -> Reply:
    return Reply(notice.notice_text(ctx.settings.privacy))


def shown_at_linking(ctx: Context) -> Reply:
    """The notice for a chat that was just linked, its version recorded with the account."""
    notice.record_shown(ctx.account, ctx.settings.privacy)
    return notice_reply(ctx)


def changed_notice(ctx: Context) -> list[Reply]:
    """The notice once, for a linked chat that was shown an older version."""
    if ctx.official is None or not notice.needs_notice(ctx.account, ctx.settings.privacy):
        return []
    notice.record_shown(ctx.account, ctx.settings.privacy)
    return [notice_reply(ctx)]
