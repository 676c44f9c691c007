"""The reminder before a certificate expires, planned by the course-notice job
(scheduler/jobs.py plan_courses → models/notices/planning.py plan_course_notices).

One row per certificate: the subject names the certificate and the due moment is fixed
(the send time, `lead` days before the expiry), so planning twice writes it once (the
outbox's unique key), and the sender's send window keeps it out of the night. The job runs
every minute, so a certificate once planned is marked and not read again. A
certificate revoked meanwhile, or of an official who left, is not reminded; one whose
reminder moment passed before it was issued is reminded at once, until its last day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _, format_date, use_locale
from models.certificates import codes
from models.certificates.store import Certificate
from models.notices import outbox
from models.notices.outbox import NewNotice
from models.notices.texts import addressed
from models.org.officials import Official

CERTIFICATE_EXPIRING = "certificate_expiring"  # a notice kind (models/notices/outbox.py)
BATCH = 5000


def expiring_text(gender: str | None, code: str, course: str, expires_on: date) -> str:
    return addressed(
        _(
            "{Title}'s certificate {code} for course {course} is valid until {date}. "
            "After that day the training must be taken again: {title} can find a "
            "matching course with /khoahoc."
        ),
        gender,
        code=code,
        course=course,
        date=format_date(expires_on),
    )


async def plan_expiry_reminders(
    session: AsyncSession,
    *,
    now: datetime,
    tz: ZoneInfo,
    send_time: time,
    lead_days: int,
    default_locale: str = "vi",
) -> int:
    """Write the reminders due within `lead_days`; returns how many rows were new."""
    today = now.astimezone(tz).date()
    rows = (
        await session.execute(
            select(Certificate, Official.gender)
            .join(Official, Official.id == Certificate.official_id)
            .where(
                Certificate.expires_on.between(today, today + timedelta(days=lead_days)),
                Certificate.revoked_at.is_(None),
                Certificate.reminder_planned_at.is_(None),
                Official.active.is_(True),
            )
            .order_by(Certificate.id)
            .limit(BATCH)  # the rest on the next run, a minute later
        )
    ).all()
    if not rows:
        return 0
    locales = await outbox.recipient_locales(
        session, [c.official_id for c, _g in rows], default_locale
    )
    batch: list[NewNotice] = []
    for certificate, gender in rows:
        assert certificate.expires_on is not None
        locale = locales[certificate.official_id]
        with use_locale(locale):
            text = expiring_text(
                gender,
                codes.display(certificate.code),
                f"{certificate.course_code} · {certificate.course_title}",
                certificate.expires_on,
            )
        due = datetime.combine(certificate.expires_on - timedelta(days=lead_days), send_time, tz)
        batch.append(
            NewNotice(
                certificate.official_id,
                CERTIFICATE_EXPIRING,
                f"certificate:{certificate.id}:expiry",
                due,
                text,
                locale,
                datetime.combine(certificate.expires_on + timedelta(days=1), time(0), tz),
            )
        )
    written = await outbox.enqueue_many(session, batch)
    ids = [c.id for c, _g in rows]
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        await session.execute(
            update(Certificate)
            .where(Certificate.id.in_(ids[start : start + 900]))
            .values(reminder_planned_at=now)
        )
    return written
