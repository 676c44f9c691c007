"""An official's own data, everything the assistant holds about them (Law 91/2025/QH15,
the right of access): their record, training records, registrations, chat accounts, the
notices sent to them and the audit of who read their data. As JSON for a file, and as text
for a channel that must not carry personal data as an attachment (Zalo)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _
from models.audit import AuditEntry
from models.chat.accounts import ChatAccount
from models.courses.catalogue import Course
from models.courses.registrations import Registration
from models.notices.outbox import Notice
from models.org.officials import Official
from models.org.units import OrgUnit
from models.privacy.reads import READ
from models.requirements import self_reported
from models.requirements.training_records import records_of
from models.vocabulary import N_

RECORD_FIELDS: dict[str, str] = {
    "employee_code": N_("Employee code"),
    "id_number": N_("Personal identification number"),
    "full_name": N_("Full name"),
    "gender": N_("Gender"),
    "birth_date": N_("Date of birth"),
    "ethnicity": N_("Ethnicity"),
    "phone": N_("Phone"),
    "email": N_("Email"),
    "unit": N_("Unit"),
    "level": N_("Level"),
    "category": N_("Category"),
    "rank_code": N_("Rank code"),
    "rank_tier": N_("Rank tier"),
    "rank_assigned_on": N_("Rank since"),
    "post_title": N_("Post"),
    "leadership_tier": N_("Leadership post"),
    "leadership_appointed_on": N_("Appointed on"),
    "education_level": N_("Education"),
    "professional_field_matches_post": N_("Field of study matches the post"),
    "political_theory_level": N_("Political theory"),
    "languages": N_("Ethnic-minority languages"),
    "started_service_on": N_("In service since"),
    "active": N_("Active"),
}
# Chat texts pass through the platforms' servers: these stay out of them (/hoso does the same).
CHAT_HIDDEN = frozenset({"ethnicity"})
_READS_SCANNED = 5000  # newest read entries looked at; each is about a whole scope


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def my_data(session: AsyncSession, official: Official) -> dict[str, Any]:
    unit = official.unit
    record = {
        name: _plain(unit.name if name == "unit" else getattr(official, name))
        for name in RECORD_FIELDS
        if name != "id_number"
    }
    # Only the masked form is stored (models/org/id_numbers): its owner sees that too.
    record["id_number"] = official.id_number_masked
    training = [
        {
            "kind": r.kind,
            "title": r.title,
            "completed_on": r.completed_on.isoformat(),
            "periods": r.periods,
            "certificate_no": r.certificate_no,
            "provider": r.provider,
            "source": r.source,
        }
        for r in await records_of(session, official.id)
    ]
    registrations = [
        {
            "course": code,
            "title": title,
            "status": reg.status,
            "requested_at": _plain(reg.requested_at),
            "confirmed_at": _plain(reg.confirmed_at),
            "cancelled_at": _plain(reg.cancelled_at),
        }
        for reg, code, title in await session.execute(
            select(Registration, Course.code, Course.title)
            .join(Course, Course.id == Registration.course_id)
            .where(Registration.official_id == official.id)
            .order_by(Registration.requested_at)
        )
    ]
    accounts = [
        {
            "channel": a.channel,
            "user_id": a.external_user_id,
            "chat_id": a.chat_id,
            "linked_at": _plain(a.linked_at),
            "privacy_notice_version": a.privacy_notice_version,
        }
        for a in await session.scalars(
            select(ChatAccount).where(ChatAccount.official_id == official.id)
        )
    ]
    notices = [
        {
            "kind": n.kind,
            "due_at": _plain(n.due_at),
            "state": n.state,
            "finished_at": _plain(n.finished_at),
            "text": n.text,
        }
        for n in await session.scalars(
            select(Notice).where(Notice.official_id == official.id).order_by(Notice.due_at)
        )
    ]
    # Certificates the official sent (#16.8): whether the file is still kept is part of it.
    certificates = [
        {
            "kind": c.kind,
            "title": c.title,
            "completed_on": _plain(c.completed_on),
            "periods": c.periods,
            "status": c.status,
            "submitted_at": _plain(c.submitted_at),
            "decided_at": _plain(c.decided_at),
            "reason": c.reason,
            "file_kept": c.file_ref is not None or c.content is not None,
        }
        for c in await self_reported.submissions_of(session, official.id)
    ]
    return {
        "record": record,
        "training_records": training,
        "registrations": registrations,
        "self_reported_certificates": certificates,
        "chat_accounts": accounts,
        "notices": notices,
        "audit": await _audit_about(session, official),
    }


async def _audit_about(session: AsyncSession, official: Official) -> list[dict[str, Any]]:
    """Entries about this official (by code), and reads whose scope holds their unit."""
    ancestors = [int(p) for p in official.unit.path.strip("/").split("/") if p]
    codes = set(await session.scalars(select(OrgUnit.code).where(OrgUnit.id.in_(ancestors))))
    rows = await session.scalars(
        select(AuditEntry)
        .where(or_(AuditEntry.subject == official.employee_code, AuditEntry.action == READ))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(_READS_SCANNED)
    )
    found = []
    for entry in rows:
        if entry.action == READ and not codes & set(entry.detail.get("scope") or ()):
            continue
        found.append(
            {
                "at": _plain(entry.at),
                "action": entry.action,
                "by": entry.detail.get("reader") or entry.actor,
                "what": entry.detail.get("kind") or entry.subject,
                "people": entry.affected,
            }
        )
    return found


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def _shown(value: Any) -> str:
    """ISO dates as dd/mm/yyyy, the way every text of the bot writes them."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return date.fromisoformat(value[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def as_text(data: dict[str, Any], *, shown: int = 20) -> str:
    """The same, for reading in a chat: the record whole, the lists' newest `shown` items."""
    lines = [_("📂 Your data held by the assistant"), "", _("Your record:")]
    for name, label in RECORD_FIELDS.items():
        value = data["record"].get(name)
        if name in CHAT_HIDDEN or value in (None, [], ""):
            continue
        if name == "birth_date":
            lines.append(f"• {_('Year of birth: {value}').format(value=value[:4])}")
            continue
        lines.append(f"• {_(label)}: {_shown(value)}")
    lines.append(
        _(
            "Ethnicity and the full date of birth are not shown in a chat; your HR office "
            "can show them to you."
        )
    )
    sections = (
        (_("Training records:"), "training_records", ("completed_on", "kind", "title")),
        (_("Registrations:"), "registrations", ("requested_at", "course", "status")),
        (
            _("Certificates you sent:"),
            "self_reported_certificates",
            ("submitted_at", "title", "status"),
        ),
        (_("Linked chats:"), "chat_accounts", ("channel", "user_id", "linked_at")),
        (_("Notices sent to you:"), "notices", ("due_at", "kind", "state")),
        (_("Who read your data:"), "audit", ("at", "by", "what")),
    )
    for heading, key, fields in sections:
        items = data[key]
        lines += ["", f"{heading} {len(items)}"]
        for item in items[-shown:] if key != "audit" else items[:shown]:
            lines.append("• " + " · ".join(_shown(item[f]) for f in fields if item.get(f)))
    return "\n".join(lines)
