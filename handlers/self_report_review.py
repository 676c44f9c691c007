"""HR's queue of self-reported certificates (#16.8): one submission at a time, its file sent
to the admin (an audited read of personal data), then "Verify" or "Reject" with a reason.
Only admins whose scope reaches the official's unit see or decide it; every id from a
button is checked again in models/requirements/self_reported.py, which audits refusals."""

from __future__ import annotations

from handlers.admin_access import actor_of, admin_scope, audit_read, denied
from handlers.common import chat_catalogue, stale_reply
from handlers.context import Context
from handlers.flows import Flow
from handlers.payloads import (
    REVIEW_NEXT,
    REVIEW_OPEN,
    REVIEW_REASON,
    REVIEW_REJECT,
    REVIEW_VERIFY,
    Values,
)
from handlers.router import Router
from handlers.types import Attachment, Choice, Reply
from locales import _, format_date, format_number
from locales.folding import clean
from models.org import units as org_units
from models.org.admins import Scope
from models.org.officials import Official
from models.requirements import self_reported
from models.requirements.self_reported import OTHER_REASON, REASONS, Decision, Review

router = Router("self_report_review")

REJECTING = Flow("self_report_reject", steps=("reason",), free_text=("reason",))
TYPE_REASON = REJECTING.step("reason")

READ_KIND = "self_reported_certificate"
_TEXT_ONLY_CHANNELS = frozenset({"zalo", "zalo_oa"})
_EXTENSIONS = {self_reported.JPEG: "jpg", self_reported.PNG: "png", self_reported.PDF: "pdf"}


@router.choice(REVIEW_OPEN, REVIEW_NEXT, needs_link=True)
async def on_queue(ctx: Context, values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, REVIEW_OPEN.pack())
    if scope is None:
        return denied(ctx)
    assert ctx.official is not None
    after = values.number("after") if "after" in values else 0
    me = ctx.official.id
    report = await self_reported.next_pending(ctx.session, scope, reviewer_id=me, after_id=after)
    if report is None:
        return [Reply(_("No certificate is waiting for review. Thank you."))]
    review = await self_reported.for_review(ctx.session, scope, report.id, reviewer_id=me)
    if isinstance(review, str):
        return stale_reply(ctx)
    return [await _shown(ctx, scope, review)]


async def _shown(ctx: Context, scope: Scope, review: Review) -> Reply:
    report, official = review.report, review.official
    audit_read(ctx, READ_KIND, scope, people=1, subject=official.employee_code)
    catalogue = await chat_catalogue(ctx)
    assert ctx.official is not None
    waiting = await self_reported.pending_count(ctx.session, scope, reviewer_id=ctx.official.id)
    place = await org_units.unit_label(ctx.session, review.unit)
    lines = [
        _("🗂 Certificate sent by {name} ({code}), {unit}").format(
            name=official.full_name, code=official.employee_code, unit=place
        ),
        "• " + _("Kind: {kind}").format(kind=catalogue.kind_title(report.kind or "")),
        "• " + _("Course: {title}").format(title=report.title or ""),
    ]
    if report.completed_on is not None:
        lines.append("• " + _("Completed on {date}").format(date=format_date(report.completed_on)))
    if report.periods is not None:
        lines.append("• " + _("{n} periods").format(n=format_number(report.periods)))
    if report.submitted_at is not None:
        sent_on = report.submitted_at.astimezone(ctx.settings.timezone).date()
        lines.append("• " + _("Sent on {date}").format(date=format_date(sent_on)))
    if not report.content:
        lines.append(_("The file is no longer available."))
    choices = [
        Choice(_("✅ Verify"), REVIEW_VERIFY.pack(id=report.id)),
        Choice(_("❌ Reject"), REVIEW_REJECT.pack(id=report.id)),
    ]
    if waiting > 1:
        choices.append(Choice(_("⏭ Next"), REVIEW_NEXT.pack(after=report.id)))
    attachments: tuple[Attachment, ...] = ()
    if report.content and report.mime_type in _EXTENSIONS:
        attachments = (
            Attachment(
                file_name=f"chung-chi-{report.id}.{_EXTENSIONS[report.mime_type]}",
                content=report.content,
                mime_type=report.mime_type,
                # Zalo publishes images at open links: there it goes as a one-time link.
                is_image=report.mime_type != self_reported.PDF
                and ctx.account.channel not in _TEXT_ONLY_CHANNELS,
                summary=_("The certificate sent by {name}.").format(name=official.full_name),
            ),
        )
    return Reply("\n".join(lines), choices=tuple(choices), columns=3, attachments=attachments)


@router.choice(REVIEW_VERIFY, needs_link=True)
async def on_verify(ctx: Context, values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, REVIEW_VERIFY.pack(id=values.number("id")))
    if scope is None:
        return denied(ctx)
    assert ctx.official is not None
    decided = await self_reported.verify(
        ctx.session,
        values.number("id"),
        admin=ctx.official,
        scope=scope,
        actor=actor_of(ctx),
        now=ctx.now,
    )
    return await _after(ctx, scope, decided)


@router.choice(REVIEW_REJECT, needs_link=True)
async def on_reject(ctx: Context, values: Values) -> list[Reply]:
    report_id = values.number("id")
    scope = await admin_scope(ctx, REVIEW_REJECT.pack(id=report_id))
    if scope is None:
        return denied(ctx)
    assert ctx.official is not None
    found = await self_reported.for_review(
        ctx.session, scope, report_id, reviewer_id=ctx.official.id
    )
    if isinstance(found, str):
        return await _refused(ctx, scope, report_id, found)
    choices = [
        Choice(_(label), REVIEW_REASON.pack(id=report_id, reason=code))
        for code, label in REASONS.items()
    ]
    choices.append(Choice(_("✍️ Another reason"), REVIEW_REASON.pack(id=report_id, reason="other")))
    return [
        Reply(
            _("Why is the certificate rejected? The official will be told."), choices=tuple(choices)
        )
    ]


@router.choice(REVIEW_REASON, needs_link=True)
async def on_reason(ctx: Context, values: Values) -> list[Reply]:
    report_id, reason = values.number("id"), values.text("reason")
    scope = await admin_scope(ctx, REVIEW_REASON.pack(id=report_id, reason=reason))
    if scope is None:
        return denied(ctx)
    if reason == OTHER_REASON:
        assert ctx.official is not None
        found = await self_reported.for_review(
            ctx.session, scope, report_id, reviewer_id=ctx.official.id
        )
        if isinstance(found, str):
            return await _refused(ctx, scope, report_id, found)
        TYPE_REASON.enter(ctx, report_id=report_id)
        return [Reply(_("Please type the reason in a few words (it is sent to the official)."))]
    return await _reject(ctx, scope, report_id, reason)


@router.step(TYPE_REASON)
async def on_reason_text(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "self_report_reject")
    if scope is None:
        REJECTING.end(ctx)
        return denied(ctx)
    reason = clean(ctx.text)
    if not 3 <= len(reason) <= 500:
        return [Reply(_("Please type the reason in 3 to 500 characters."))]
    report_id = int(REJECTING.data(ctx).get("report_id", 0))
    REJECTING.end(ctx)
    return await _reject(ctx, scope, report_id, reason)


async def _reject(ctx: Context, scope: Scope, report_id: int, reason: str) -> list[Reply]:
    assert ctx.official is not None
    decided = await self_reported.reject(
        ctx.session,
        report_id,
        admin=ctx.official,
        scope=scope,
        reason=reason,
        actor=actor_of(ctx),
        now=ctx.now,
    )
    return await _after(ctx, scope, decided)


async def _after(
    ctx: Context, scope: Scope, decided: Decision | self_reported.Refusal
) -> list[Reply]:
    if isinstance(decided, str):
        return _refusal_reply(ctx, decided)
    official = await ctx.session.get(Official, decided.report.official_id)
    name = official.full_name if official is not None else ""
    if decided.status == self_reported.VERIFIED:
        text = _("✅ Verified. The training record of {name} now includes it.").format(name=name)
    else:
        text = _("❌ Rejected. {name} will be told the reason.").format(name=name)
    assert ctx.official is not None
    waiting = await self_reported.pending_count(ctx.session, scope, reviewer_id=ctx.official.id)
    choices: tuple[Choice, ...] = ()
    if waiting:
        text += "\n" + _("Still waiting: {n}.").format(n=format_number(waiting))
        choices = (Choice(_("⏭ Next"), REVIEW_NEXT.pack(after=decided.report.id)),)
    return [Reply(text, choices=choices)]


async def _refused(
    ctx: Context, scope: Scope, report_id: int, refusal: self_reported.Refusal
) -> list[Reply]:
    """Before a decision (the reasons' step): audited here, as the decision audits its own."""
    assert ctx.official is not None
    self_reported.audit_refusal(
        ctx.session, report_id, refusal, admin=ctx.official, actor=actor_of(ctx), now=ctx.now
    )
    return _refusal_reply(ctx, refusal)


def _refusal_reply(ctx: Context, refusal: self_reported.Refusal) -> list[Reply]:
    if refusal == "decided":
        return [Reply(_("This certificate has already been decided. Nothing was changed."))]
    # Unknown and someone else's look alike: no hint that the id exists.
    return stale_reply(ctx)
