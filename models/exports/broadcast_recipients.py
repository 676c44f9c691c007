"""Who a broadcast did not reach, as a workbook HR can act on: code, name, unit, reason.

Cells are written with `models.exports.sheets.put`, so a name or unit that begins
with "=", "+", "-" or "@" stays text and never becomes a formula.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _
from locales.collation import name_key
from models.exports.sheets import new_workbook, put, save
from models.notices.broadcasts import Broadcast, missed
from models.notices.reception import Reception
from models.org.officials import Official
from models.vocabulary import N_

REASONS = {
    Reception.FAILED: N_("Failed, or the answer from the chat app was lost"),
    Reception.STOPPED: N_("Stopped before sending"),
    Reception.BLOCKED: N_("Blocked the bot"),
    Reception.NOT_LINKED: N_("Not linked to the bot"),
}


async def missed_workbook(session: AsyncSession, broadcast: Broadcast) -> tuple[bytes, int]:
    """The workbook and how many people it lists, in the current locale."""
    missing = await missed(session, broadcast)
    by_id = {m.official_id: m.reception for m in missing}
    officials = (
        sorted(
            await session.scalars(
                select(Official)
                .where(Official.id.in_(list(by_id)))
                .order_by(Official.employee_code)
            ),
            # HR reads the list by name; the code keeps namesakes in a stable order.
            key=lambda o: name_key(o.full_name),
        )
        if by_id
        else []
    )
    from openpyxl.styles import Font

    workbook = new_workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Not received")[:31]
    header = [_("Code"), _("Full name"), _("Unit"), _("Reason")]
    for col, title in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=col)
        put(cell, title)
        cell.font = Font(bold=True)
    for row, official in enumerate(officials, start=2):
        values = (
            official.employee_code,
            official.full_name,
            official.unit.name,
            _(REASONS[by_id[official.id]]),
        )
        for col, value in enumerate(values, start=1):
            put(sheet.cell(row=row, column=col), value)
    for letter, width in zip("ABCD", (14, 30, 40, 45), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    return save(workbook), len(officials)
