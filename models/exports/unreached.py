"""The "chưa liên lạc được" list as a workbook for HR: code, name, unit, what they were not
told, why. Cells go through `models.exports.sheets`, so no name becomes a formula."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from locales import _
from locales.collation import name_key
from models.exports.sheets import append_row, bold_row, save, set_widths, sheet_title
from models.notices import outbox as notices
from models.notices.channel_order import BLOCKED, NO_CHAT_NO_PHONE, OA_CLOSED, ZNS_OFF
from models.notices.unreached import ZNS_REFUSED, Unreached
from models.notices.zns import notice_ref
from models.vocabulary import N_

REASONS = {
    NO_CHAT_NO_PHONE: N_("No linked chat and no phone number in the roster"),
    ZNS_OFF: N_("No linked chat; ZNS is off or not used for this notice"),
    BLOCKED: N_("Blocked the bot on every linked chat"),
    OA_CLOSED: N_("Only on the Zalo OA, which may not write to them now"),
    ZNS_REFUSED: N_("ZNS refused the message (phone or template)"),
}
KINDS = {
    notices.REQUIREMENT_DUE: N_("Training requirement due"),
    notices.REQUIREMENT_OVERDUE: N_("Training requirement overdue"),
    notices.REGISTRATION_DEADLINE: N_("Registration deadline"),
    notices.COURSE_START: N_("Course starting"),
    notices.COURSE_CHANGED: N_("Course changed"),
    notices.COURSE_CANCELLED: N_("Course cancelled"),
    notices.WAITLIST_PROMOTED: N_("Seat from the waitlist"),
    notices.BROADCAST: N_("Announcement"),
}


def unreached_workbook(found: list[Unreached], *, tz: ZoneInfo) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(_("Not reached"))
    append_row(sheet, [_("Code"), _("Full name"), _("Unit"), _("Not told about"), _("Reason")])
    bold_row(sheet, 1)
    for person in sorted(found, key=lambda u: (name_key(u.full_name), u.employee_code)):
        told = "; ".join(
            f"{_(KINDS[m.kind]) if m.kind in KINDS else m.kind} {notice_ref(m.subject)}"
            f" ({m.at.astimezone(tz):%d/%m/%Y})"
            for m in person.missed
        )
        append_row(
            sheet,
            [
                person.employee_code,
                person.full_name,
                person.unit,
                told,
                _(REASONS.get(person.reason, person.reason)),
            ],
        )
    set_widths(sheet, [14, 30, 36, 60, 50])
    sheet.freeze_panes = "A2"
    return save(workbook)
