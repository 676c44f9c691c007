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
    # Whoever can change a record's phone could link a chat to it by phone: admin tools
    # answer only chats linked with a one-time code (one linked before the rule included).
    by_phone = ctx.account.link_method == "phone"
    if scope.is_admin and not by_phone:
        return scope
    ctx.admin_needs_code_link = scope.is_admin
    audit.record(
        ctx.session,
        actor=actor_of(ctx) if ctx.official else chat_actor(ctx),
        actor_official_id=ctx.official.id if ctx.official else None,
        action="admin.denied",
        subject=action,
        detail={
            "choice": (ctx.choice or "")[:64],
            "text": ctx.text[:64],
            **({"reason": "linked_by_phone"} if by_phone and scope.is_admin else {}),
        },
        at=ctx.now,
    )
    return None


def denied(ctx: Context) -> list[Reply]:
    """Non-admins get the ordinary menu, with no hint of what the admin screens contain."""
    if ctx.admin_needs_code_link:
        return [
            menu_reply(
                ctx,
                _(
                    "For the security of HR admin accounts, admin tools work only in a chat "
                    "linked with a one-time link code. Please ask the province HR office for "
                    "a code, then use /huylienket and link again with the code."
                ),
            )
        ]
    return [
        menu_reply(
            ctx,
            _("This function is for HR officers only. Here is what you can do:"),
        )
    ]


def chat_actor(ctx: Context) -> str:
    """The chat account behind an action: channel and the platform's user id."""
    return audit.chat_actor(ctx.account.channel, ctx.account.external_user_id)


def actor_of(ctx: Context) -> str:
    """The chat account and the official it is linked to: a stolen record alone does not
    hide which account acted (pass ctx.official.id as actor_official_id as well)."""
    assert ctx.official is not None
    return audit.chat_actor(
        ctx.account.channel, ctx.account.external_user_id, ctx.official.employee_code
    )


def audit_read(ctx: Context, kind: str, scope: Scope, people: int, subject: str) -> None:
    """Audit that the sender read `people` officials' personal data (issue #11, point 16)."""
    assert ctx.official is not None
    record_read(
        ctx.session,
        reader_official_id=ctx.official.id,
        reader_code=ctx.official.employee_code,
        account=actor_of(ctx),
        kind=kind,
        scope=[u.code for u in scope.units],
        people=people,
        at=ctx.now,
        subject=subject,
    )
