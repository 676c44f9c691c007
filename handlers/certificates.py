"""Certificates in the chat (#16.5): /xacminh CODE for anyone; /chungnhan (also "📜
Certificates" under "🗂 My courses") lists the official's own and sends the PDF; /thuhoi
CODE lets an admin whose scope reaches the course's unit revoke one, with a reason.

Button values carry a certificate id only; the PDF goes to its own official alone, and
a revocation is re-authorised against the admin's scope when the reason arrives."""

from __future__ import annotations

from handlers.admin_access import actor_of, admin_scope, audit_read, denied
from handlers.certificate_texts import verification_reply
from handlers.common import addressed, command_choice, stale_reply
from handlers.context import Context
from handlers.flows import Flow
from handlers.payloads import CERT_PDF, CERT_REVOKE_CANCEL, CERT_REVOKE_PICK, EVALUATE, Values
from handlers.router import Router
from handlers.types import Attachment, Choice, Reply
from locales import _, format_date
from models.certificates import codes
from models.certificates.issuing import certificate_by_id, certificates_for
from models.certificates.pdf import certificate_pdf
from models.certificates.revoking import (
    RevokeOutcome,
    find_for_admin,
    for_admin_by_id,
    revocable_of_course,
    revoke,
)
from models.certificates.store import Certificate
from models.org.admins import Scope

router = Router("certificates")
router.describe("xacminh", "Verify a certificate by its code", 36)
router.describe("chungnhan", "My certificates", 31)

PDF = "application/pdf"
REVOKING = Flow("revoke_certificate", steps=("reason",), free_text=("reason",))
REASON = REVOKING.step("reason")
_LISTED = 40  # certificates offered as buttons from one course


# --- /xacminh --------------------------------------------------------------------------


@router.command("xacminh", "verify")
async def on_verify(ctx: Context) -> list[Reply]:
    if not ctx.args.strip():
        return [
            Reply(
                _(
                    "Please send the code printed on the certificate after the command, "
                    "e.g. /xacminh ABCD-EFGH-JK."
                )
            )
        ]
    return [await verification_reply(ctx, ctx.args)]


# --- /chungnhan ------------------------------------------------------------------------


@router.command("chungnhan", "certificates", needs_link=True)
@router.intent("giấy chứng nhận", "chứng nhận của tôi", "my certificates", needs_link=True)
async def on_my_certificates(ctx: Context) -> list[Reply]:
    official = ctx.official
    assert official is not None
    entries = await certificates_for(ctx.session, official.id, today=ctx.today)
    if not entries:
        text = addressed(
            _(
                "{Title} has no certificate yet: a certificate is issued once {title} has "
                "completed a course and answered its evaluation."
            ),
            official,
        )
        return [Reply(text, choices=(command_choice(_("🗂 My courses"), "cuatoi"),))]
    lines = [addressed(_("📜 {Title}'s certificates"), official)]
    choices: list[Choice] = []
    for n, entry in enumerate(entries, start=1):
        course = entry.course
        lines.append(f"{n}. {course.code} · {course.title}")
        certificate = entry.certificate
        if certificate is None:
            lines.append(
                "    "
                + addressed(
                    _(
                        "⏳ waiting for {title}'s course evaluation: please answer the "
                        "evaluation questionnaire the assistant sent after the course "
                        "(or open it from “🗂 My courses”); the certificate follows at once."
                    ),
                    official,
                )
            )
            # The questionnaire one tap away: the certificate waits only for it.
            choices.append(
                Choice(
                    _("📝 Evaluate {code}").format(code=course.code), EVALUATE.pack(id=course.id)
                )
            )
            continue
        shown = codes.display(certificate.code)
        if certificate.revoked_at is not None:
            lines.append(
                "    "
                + _("⛔ code {code}, revoked on {date}").format(
                    code=shown, date=format_date(certificate.revoked_at, ctx.tz)
                )
            )
            continue
        status = _("✅ code {code}").format(code=shown)
        if certificate.expires_on is not None:
            status += " · " + _("valid until {date}").format(
                date=format_date(certificate.expires_on)
            )
        lines.append("    " + status)
        choices.append(
            Choice(_("📄 PDF {code}").format(code=course.code), CERT_PDF.pack(id=certificate.id))
        )
    choices.append(command_choice(_("🗂 My courses"), "cuatoi"))
    return [Reply("\n".join(lines), choices=tuple(choices), columns=2)]


@router.choice(CERT_PDF, needs_link=True)
async def on_pdf(ctx: Context, values: Values) -> list[Reply]:
    official = ctx.official
    assert official is not None
    certificate = await certificate_by_id(ctx.session, values.number("id"))
    # Someone else's certificate (a forged button) looks exactly like a stale one.
    if certificate is None or certificate.official_id != official.id:
        return stale_reply(ctx)
    if certificate.revoked_at is not None:
        return stale_reply(ctx)
    shown = codes.display(certificate.code)
    text = addressed(
        _(
            "Here is {title}'s certificate for course {code}. Anyone can check it with "
            "/xacminh {cert} or by scanning its QR code."
        ),
        official,
        code=certificate.course_code,
        cert=shown,
    )
    return [
        Reply(
            text,
            attachments=(
                Attachment(
                    file_name=f"giay-chung-nhan-{certificate.course_code}-{certificate.code}.pdf",
                    content=certificate_pdf(certificate, bot_username=ctx.bot_username),
                    mime_type=PDF,
                    summary=_("Certificate {code} (PDF)").format(code=shown),
                ),
            ),
        )
    ]


# --- /thuhoi (admins) ------------------------------------------------------------------


@router.command("thuhoi", "revoke", needs_link=True)
async def on_revoke(ctx: Context) -> list[Reply]:
    scope = await admin_scope(ctx, "certificate.revoke")
    if scope is None:
        return denied(ctx)
    assert ctx.official is not None
    if not ctx.args.strip():
        return [
            Reply(
                _(
                    "Please send the certificate's code after the command, e.g. /thuhoi "
                    "ABCD-EFGH-JK."
                )
            )
        ]
    if codes.normalize(ctx.args) is None:  # not a certificate's code: perhaps a course's
        return await _course_certificates(ctx, scope)
    certificate = await find_for_admin(
        ctx.session, ctx.official, ctx.args, actor=actor_of(ctx), now=ctx.now
    )
    if certificate is None:
        return [
            Reply(
                _(
                    "No certificate that you may revoke was found with this code. Nothing "
                    "was changed."
                )
            )
        ]
    return [_ask_reason(ctx, scope, certificate)]


def _ask_reason(ctx: Context, scope: Scope, certificate: Certificate) -> Reply:
    audit_read(ctx, "certificate", scope, 1, f"certificate:{certificate.id}")
    REASON.enter(ctx, certificate_id=certificate.id)
    text = _(
        "Revoke certificate {code} of {name} for course {course}? Please type the reason "
        "(it is shown to whoever verifies the code, and sent to the official)."
    ).format(
        code=codes.display(certificate.code),
        name=certificate.full_name,
        course=f"{certificate.course_code} · {certificate.course_title}",
    )
    return Reply(text, choices=(Choice(_("↩️ Do not revoke"), CERT_REVOKE_CANCEL.pack()),))


async def _course_certificates(ctx: Context, scope: Scope) -> list[Reply]:
    """/thuhoi COURSE-CODE: the course's certificates in force, one button each."""
    assert ctx.official is not None
    found = await revocable_of_course(ctx.session, ctx.official, ctx.args)
    if found is None:
        return [
            Reply(
                _(
                    "No certificate or course that you may revoke certificates of was found "
                    "with this code. Nothing was changed."
                )
            )
        ]
    course, certificates = found
    if not certificates:
        return [Reply(_("Course {code} has no certificate in force.").format(code=course.code))]
    audit_read(ctx, "certificates", scope, len(certificates), f"course:{course.id}")
    shown = certificates[:_LISTED]
    text = _("Certificates of course {code} in force: whose certificate should be revoked?")
    return [
        Reply(
            text.format(code=course.code),
            choices=tuple(
                Choice(f"{c.full_name} · {codes.display(c.code)}", CERT_REVOKE_PICK.pack(id=c.id))
                for c in shown
            ),
        )
    ]


@router.choice(CERT_REVOKE_PICK, needs_link=True)
async def on_revoke_pick(ctx: Context, values: Values) -> list[Reply]:
    scope = await admin_scope(ctx, "certificate.revoke")
    if scope is None:
        return denied(ctx)
    assert ctx.official is not None
    certificate = await for_admin_by_id(ctx.session, ctx.official, values.number("id"))
    if certificate is None or certificate.revoked_at is not None:
        return stale_reply(ctx)
    return [_ask_reason(ctx, scope, certificate)]


@router.choice(CERT_REVOKE_CANCEL, needs_link=True)
async def on_revoke_cancel(ctx: Context, _values: Values) -> list[Reply]:
    REVOKING.end(ctx)
    return [Reply(_("The certificate was not revoked. Nothing was changed."), replace=True)]


@router.step(REASON)
async def on_reason(ctx: Context) -> list[Reply]:
    data = REVOKING.data(ctx)
    REVOKING.end(ctx)
    scope = await admin_scope(ctx, "certificate.revoke")
    if scope is None:
        return denied(ctx)
    assert ctx.official is not None
    certificate = await certificate_by_id(ctx.session, int(data.get("certificate_id") or 0))
    if certificate is None:
        return stale_reply(ctx)
    result = await revoke(
        ctx.session,
        admin=ctx.official,
        code=certificate.code,
        reason=ctx.text,
        now=ctx.now,
        actor=actor_of(ctx),
        local_now=ctx.now.astimezone(ctx.tz),
    )
    shown = codes.display(certificate.code)
    if result.outcome is RevokeOutcome.REVOKED:
        text = _(
            "Certificate {code} is revoked. Verifying it now says so, with the reason, and "
            "the official is told."
        ).format(code=shown)
    elif result.outcome is RevokeOutcome.ALREADY:
        text = _("Certificate {code} was already revoked. Nothing was changed.").format(code=shown)
    elif result.outcome is RevokeOutcome.NO_REASON:
        text = _("A reason is needed to revoke a certificate. Nothing was changed.")
    else:
        text = _(
            "No certificate that you may revoke was found with this code. Nothing was changed."
        )
    return [Reply(text)]
