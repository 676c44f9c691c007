"""The answer to a certificate verification, shared by /xacminh (handlers/certificates.py)
and the QR code's deep link /start xm_<code> (handlers/start.py).

Anyone may ask, linked or not, so the answer carries only what the certificate itself
says — name, course, dates, issuer — and its status; no unit, birth date or ID number."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.context import Context
from handlers.types import Reply
from locales import _, format_date
from models import audit
from models.certificates.verifying import Verdict, Verification, verify


def requester_of(ctx: Context) -> str:
    """Who asked, for the attempt limit and the log: the chat account, never what it typed."""
    return audit.chat_actor(ctx.account.channel, ctx.account.external_user_id)


def _details(found: Verification) -> list[str]:
    assert found.starts_on is not None and found.ends_on is not None
    lines = [
        _("Awarded to: {name}").format(name=found.full_name),
        _("Course: {title} ({code})").format(title=found.course_title, code=found.course_code),
        _("Dates: from {start} to {end}").format(
            start=format_date(found.starts_on), end=format_date(found.ends_on)
        ),
        _("Issued by: {organiser}").format(organiser=found.organiser),
    ]
    if found.issued_on is not None:
        lines.append(_("Date of issue: {date}").format(date=format_date(found.issued_on)))
    return lines


def verification_text(found: Verification, tz: ZoneInfo) -> str:
    if found.verdict is Verdict.LIMITED:
        return _(
            "Too many codes that match no certificate were sent from this chat. Please try "
            "again in an hour, or ask the issuing organiser."
        )
    if found.verdict is Verdict.NOT_FOUND:
        return _(
            "No certificate was found with this code. Please check the code printed on the "
            "certificate (10 characters, e.g. ABCD-EFGH-JK)."
        )
    if found.verdict is Verdict.REVOKED:
        assert found.revoked_at is not None
        head = _("⛔ Certificate {code} is genuine but was revoked on {date}. Reason: {reason}.")
        head = head.format(
            code=found.code,
            date=format_date(found.revoked_at, tz),
            reason=found.revoked_reason or "",
        )
    elif found.verdict is Verdict.EXPIRED:
        assert found.expires_on is not None
        head = _("⌛ Certificate {code} is genuine but expired on {date}.").format(
            code=found.code, date=format_date(found.expires_on)
        )
    else:
        head = _("✅ Certificate {code} is genuine and valid.").format(code=found.code)
        if found.expires_on is not None:
            head += " " + _("It is valid until {date}.").format(date=format_date(found.expires_on))
    return "\n".join([head, *_details(found)])


async def verification_reply(ctx: Context, code: str) -> Reply:
    found = await verify(ctx.session, code, ctx.today, now=ctx.now, requester=requester_of(ctx))
    return Reply(verification_text(found, ctx.tz))
