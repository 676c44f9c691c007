"""The privacy notice: what is held, why, who sees what, where it travels, how long, the
official's rights and whom to contact. Its version is a hash of the text in every
language, so any change of wording or of a setting it quotes gives a new version, which
every linked account is shown once."""

from __future__ import annotations

import hashlib
from functools import cache

from locales import SUPPORTED_LOCALES, _, format_number, use_locale
from models.chat.accounts import ChatAccount
from models.privacy.settings import PrivacySettings

# Accounts linked before notices were versioned (migration 0008): shown the notice once.
UNVERSIONED = "unversioned"


def _contact(settings: PrivacySettings) -> str:
    return settings.contact or _("the personnel (HR) office of your agency")


def notice_body(settings: PrivacySettings) -> str:
    """The notice in the current locale, without its heading."""
    parts = [
        _(
            "What the assistant holds about you:\n"
            "• From your agency's HR roster: full name, employee code, date of birth, "
            "gender, ethnicity, phone number, unit, rank, post and leadership post, "
            "education, political theory, ethnic-minority languages and your training "
            "records (courses completed, certificates).\n"
            "• From your use of the assistant: your Telegram or Zalo account and chat "
            "identifiers, when the chat was linked, your course registrations, your "
            "reminder settings, the notices sent to you and a log of who read your data."
        ),
        _(
            "Why: to manage the training of officials and public employees under the "
            "regulations on their training: to tell you which training applies to you, "
            "find courses and remind you of deadlines. It is used for nothing else."
        ),
        _(
            "Who sees what:\n"
            "• You: all of your own data (/hoso, /dulieu).\n"
            "• HR administrators, only for the units they are responsible for: records and "
            "lists with names, to manage training.\n"
            "• The head of your unit: a weekly digest with names and what is still owed, "
            "without sensitive items such as ethnicity.\n"
            "• The system's technical operators, only as far as running it needs."
        ),
        _(
            "Where it travels: messages between you and the assistant pass through the "
            "servers of Telegram (abroad) or of Zalo. That is why chat replies never show "
            "your ethnicity and show your date of birth and phone number only in part; the "
            "file /dulieu sends on Telegram holds your whole record."
        ),
        _(
            "How long: uploaded roster files are cleared as soon as they are used or "
            "cancelled, and after {upload_days} days at the latest; the texts of notices "
            "sent are deleted after {notice_days} days; the access log is kept for "
            "{audit_years} years; your record is kept as long as your agency's roster "
            "lists you."
        ).format(
            upload_days=format_number(settings.upload_days),
            notice_days=format_number(settings.notice_text_days),
            audit_years=format_number(settings.audit_years),
        ),
        # --- self-reported certificates (#16.8) ---
        _(
            "Certificates you send for HR to verify (photos or PDFs): the file itself is "
            "kept only until the HR office has decided; the reference to it on Telegram or "
            "Zalo is deleted {days} days after the decision. A verified certificate becomes "
            "one of your training records."
        ).format(days=format_number(settings.certificate_file_days)),
        _(
            "Your rights (Law on Personal Data Protection No. 91/2025/QH15): to know and "
            "see your data (/dulieu); to have it corrected (through your HR office); to "
            "withdraw your consent and disconnect this chat (/huylienket); to complain "
            "when your rights are not respected."
        ),
        _(
            "Contact about personal data: {contact}. To read this notice again: /quyenriengtu."
        ).format(contact=_contact(settings)),
    ]
    return "\n\n".join(parts)


@cache  # the catalogues are read once at start; this runs on every update
def notice_version(settings: PrivacySettings) -> str:
    """A short hash of the notice in every supported language."""
    digest = hashlib.sha256()
    for locale in SUPPORTED_LOCALES:
        with use_locale(locale):
            digest.update(notice_body(settings).encode())
    return digest.hexdigest()[:12]


def notice_text(settings: PrivacySettings) -> str:
    """The whole notice in the current locale, headed by its version."""
    heading = _("🔒 How the assistant handles your personal data (version {version})").format(
        version=notice_version(settings)
    )
    return heading + "\n\n" + notice_body(settings)


def needs_notice(account: ChatAccount, settings: PrivacySettings) -> bool:
    """A linked account that has not been shown the current version. An account with no
    version at all was linked by a path that showed it none (tests that insert rows);
    accounts linked before versioning carry UNVERSIONED and are shown it."""
    version = account.privacy_notice_version
    return (
        account.official_id is not None
        and version is not None
        and version != notice_version(settings)
    )


def record_shown(account: ChatAccount, settings: PrivacySettings) -> None:
    account.privacy_notice_version = notice_version(settings)
