"""Who may use the admin features, checked on every admin update against the database."""

from __future__ import annotations

from handlers.common import menu_reply
from handlers.context import Context
from handlers.types import Reply
from locales import _
from models import audit
from models.org.admins import Scope, scope_of
from models.privacy.reads import record_read


async def admin_scope(ctx: Context, action: str) -> Scope | None:
    """The sender's admin scope, or None after logging the refused attempt."""
    scope = await scope_of(ctx.session, ctx.official)
    if scope.is_admin:
        return scope
    audit.record(
        ctx.session,
        actor=f"{ctx.account.channel}:{ctx.account.external_user_id}",
        actor_official_id=ctx.official.id if ctx.official else None,
        action="admin.denied",
        subject=action,
        detail={"choice": (ctx.choice or "")[:64], "text": ctx.text[:64]},
        at=ctx.now,
    )
    return None


def denied(ctx: Context) -> list[Reply]:
    """Non-admins get the ordinary menu, with no hint of what the admin screens contain."""
    return [
        menu_reply(
            ctx,
            _("This function is for HR officers only. Here is what you can do:"),
        )
    ]


def actor_of(ctx: Context) -> str:
    assert ctx.official is not None
    return f"{ctx.account.channel}:{ctx.official.employee_code}"


def audit_read(ctx: Context, kind: str, scope: Scope, people: int, subject: str) -> None:
    """Audit that the sender read `people` officials' personal data (issue #11, point 16)."""
    assert ctx.official is not None
    record_read(
        ctx.session,
        reader_official_id=ctx.official.id,
        reader_code=ctx.official.employee_code,
        account=f"{ctx.account.channel}:{ctx.account.external_user_id}",
        kind=kind,
        scope=[u.code for u in scope.units],
        people=people,
        at=ctx.now,
        subject=subject,
    )
