"""`troly certificate verify CODE`, `troly certificate revoke CODE --reason …` and
`troly certificate pdf CODE [--out FILE]` (#16.5): what the chat does, for the operator.

The command line has no attempt limit (its operator can read the database anyway); its
verifications are logged as requester "cli" and its revocations audited with actor "cli"."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.db import Database
from handlers.certificate_texts import verification_text
from locales import _
from locales.i18n import use_locale
from models.certificates import codes
from models.certificates.issuing import by_code
from models.certificates.pdf import certificate_pdf
from models.certificates.revoking import RevokeOutcome, revoke
from models.certificates.verifying import verify

CLI = "cli"


async def certificate_command(
    db: Database,
    settings: Settings,
    action: str,
    code: str,
    *,
    reason: str = "",
    out: Path | None = None,
    now: datetime | None = None,
) -> int:
    now = now or datetime.now(UTC)
    today = now.astimezone(settings.timezone).date()
    with use_locale(settings.default_locale):
        if action == "verify":
            async with db.transaction() as session:
                found = await verify(session, code, today, now=now, requester=CLI, limit=None)
            print(verification_text(found, settings.timezone))
            return 0 if found.code else 1
        if action == "revoke":
            async with db.transaction() as session:
                result = await revoke(
                    session,
                    admin=None,
                    code=code,
                    reason=reason,
                    now=now,
                    actor=CLI,
                    local_now=now.astimezone(settings.timezone),
                )
            if result.outcome is RevokeOutcome.REVOKED:
                print(_("Certificate {code} is revoked; the official is told.").format(code=code))
                return 0
            if result.outcome is RevokeOutcome.ALREADY:
                print(_("Certificate {code} was already revoked.").format(code=code))
                return 0
            if result.outcome is RevokeOutcome.NO_REASON:
                print(_("Give the reason with --reason."), file=sys.stderr)
                return 2
            print(_("No certificate was found with this code."), file=sys.stderr)
            return 1
        compact = codes.normalize(code)
        async with db.transaction() as session:
            certificate = await by_code(session, compact) if compact else None
        if certificate is None:
            print(_("No certificate was found with this code."), file=sys.stderr)
            return 1
        path = out or Path(f"giay-chung-nhan-{certificate.code}.pdf")
        path.write_bytes(certificate_pdf(certificate, bot_username=settings.telegram_bot_username))
        print(_("Written: {path}").format(path=path))
        return 0
