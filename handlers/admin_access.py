"""Who may use the admin features, checked on every admin update against the database."""

from __future__ import annotations

from handlers.common import addressed, menu_reply
from handlers.context import Context
from handlers.flows import Flow
from handlers.types import Choice, Reply
from locales import _
from models import audit
from models.org.admins import Scope, scope_of
from models.org.official_search import search_in_scope
from models.org.officials import Official
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


async def cancel_admin_flow(ctx: Context, action: str, flow: Flow) -> list[Reply]:
    """An admin's ❌ Cancel: leave `flow` and say nothing changed (a sender who is no longer
    an admin gets `denied`)."""
    if await admin_scope(ctx, action) is None:
        return denied(ctx)
    flow.end(ctx)
    return [Reply(_("Cancelled. Nothing was changed."))]


async def search_typed_official(ctx: Context, scope: Scope) -> tuple[str, list[Official]]:
    """What the admin typed to find an official (its first 60 characters) and the officials
    of the scope it matches."""
    typed = ctx.text.strip()[:60]
    return typed, await search_in_scope(ctx.session, [u.path for u in scope.units], typed)


def nobody_matches(ctx: Context, typed: str, cancel: Choice) -> list[Reply]:
    """No official of the admin's units matches `typed`: say so and ask again."""
    return [
        Reply(
            addressed(
                _(
                    "Nobody in {title}'s units matches “{query}”. Please type another"
                    " part of the name or the employee code."
                ),
                ctx.official,
                query=typed,
            ),
            choices=(cancel,),
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
