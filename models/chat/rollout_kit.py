"""The rollout kit: one-time link codes for every official of a unit's subtree who has not
linked a chat yet, as a list (.xlsx) and printable A4 slips (PDF) with a QR code of the
Telegram deep link. Codes are stored hashed (models/chat/link_codes.py): the plaintext
exists only in these two files, and issuing a batch revokes the officials' older codes."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _
from models import audit
from models.chat import link_codes
from models.chat.accounts import ChatAccount
from models.exports.sheets import append_row, bold_row, save, set_widths
from models.org.admins import role_paths
from models.org.officials import Official
from models.org.units import OrgUnit
from models.vocabulary import N_

if TYPE_CHECKING:
    from fpdf import FPDF  # imported when a PDF is made: it is slow to load

FONTS = Path(__file__).resolve().parent.parent / "exports" / "fonts"
AUDIT_ACTION = "link_code.batch"
REISSUE_ACTION = "link_code.reissue"
REISSUE_DENIED_ACTION = "link_code.reissue_denied"
# No setting names the province's Official Account yet (bot/config.py ZaloOaSettings): the
# slips call it by the assistant's name, which is how officials find it in Zalo's search.
ZALO_OA_NAME = N_("the Trợ lý Bồi dưỡng Zalo OA")


@dataclass(frozen=True)
class Slip:
    employee_code: str
    full_name: str
    unit_name: str
    code: str  # as shown: "ABCD-2345"
    deep_link: str | None  # https://t.me/<bot>?start=ABCD2345 when the bot's name is known


@dataclass(frozen=True)
class Kit:
    unit_name: str
    slips: list[Slip]
    xlsx: bytes
    pdf: bytes


def deep_link(bot_username: str | None, code: str) -> str | None:
    compact = code.replace("-", "")
    return f"https://t.me/{bot_username}?start={compact}" if bot_username else None


async def unlinked_officials(session: AsyncSession, unit_path: str) -> list[Official]:
    """Active officials of the subtree with no linked chat, by unit then name."""
    rows = await session.scalars(
        select(Official)
        .join(OrgUnit, OrgUnit.id == Official.unit_id)
        .where(
            OrgUnit.path.startswith(unit_path),
            Official.active.is_(True),
            ~exists().where(
                ChatAccount.official_id == Official.id, ChatAccount.unlinked_at.is_(None)
            ),
        )
        .order_by(OrgUnit.path, Official.full_name, Official.employee_code)
    )
    return list(rows)


async def unlinked_by_unit(
    session: AsyncSession, unit_paths: list[str]
) -> list[tuple[str, list[str]]]:
    """(unit name, names of its unlinked officials) for the units in the subtrees."""
    found: dict[str, list[str]] = {}
    for path in unit_paths:
        for official in await unlinked_officials(session, path):
            found.setdefault(official.unit.name, []).append(official.full_name)
    return list(found.items())


@dataclass(frozen=True)
class UnlinkedUnit:
    code: str
    name: str
    officials: list[Official]


async def unlinked_units(session: AsyncSession, unit_paths: list[str]) -> list[UnlinkedUnit]:
    """The units of the subtrees that have officials with no linked chat, in tree order."""
    found: dict[int, UnlinkedUnit] = {}
    for path in unit_paths:
        for official in await unlinked_officials(session, path):
            unit = official.unit
            found.setdefault(unit.id, UnlinkedUnit(unit.code, unit.name, [])).officials.append(
                official
            )
    return list(found.values())


def unlinked_xlsx(units: list[UnlinkedUnit]) -> bytes:
    """Sheet 1: one row per official not linked yet; sheet 2: the counts by unit."""
    from openpyxl import Workbook

    workbook = Workbook()
    people = workbook.active
    assert people is not None
    people.title = _("Not linked")[:31]
    append_row(people, [_("Unit code"), _("Unit"), _("Employee code"), _("Full name")])
    bold_row(people, 1)
    for unit in units:
        for official in unit.officials:
            append_row(people, [unit.code, unit.name, official.employee_code, official.full_name])
    set_widths(people, [14, 40, 14, 30])
    people.freeze_panes = "A2"
    counts = workbook.create_sheet(_("Counts by unit")[:31])
    append_row(counts, [_("Unit code"), _("Unit"), _("Officials not linked")])
    bold_row(counts, 1)
    for unit in units:
        append_row(counts, [unit.code, unit.name, len(unit.officials)])
    append_row(counts, ["", _("Total"), sum(len(u.officials) for u in units)])
    set_widths(counts, [14, 40, 26])
    return save(workbook)


async def beyond_scope(
    session: AsyncSession, officials: list[Official], scope_paths: list[str]
) -> set[int]:
    """Officials whose admin roles reach outside `scope_paths`: a code for them would hand
    a unit admin a wider admin's account, so a scoped admin may not issue one."""
    roles = await role_paths(session, [o.id for o in officials])
    return {
        official_id
        for official_id, paths in roles.items()
        if not all(any(p.startswith(s) for s in scope_paths) for p in paths)
    }


async def issue_kit(
    session: AsyncSession,
    unit: OrgUnit,
    *,
    now: datetime,
    actor: str,
    pepper: bytes,
    bot_username: str | None,
    actor_official_id: int | None = None,
    ttl: timedelta = link_codes.DEFAULT_TTL,
    scope_paths: list[str] | None = None,
    track: Callable[[list[Official]], Iterable[Official]] = iter,
) -> Kit:
    """Fresh codes for every unlinked official under `unit` (their older codes revoked by
    `link_codes.issue`), one audit entry for the batch naming who issued it. With
    `scope_paths` (a chat admin's), officials with wider admin roles are left out. `track`
    wraps the walk over the officials (the command line's progress bar)."""
    slips: list[Slip] = []
    officials = await unlinked_officials(session, unit.path)
    if scope_paths is not None:
        wider = await beyond_scope(session, officials, scope_paths)
        officials = [o for o in officials if o.id not in wider]
    for official in track(officials):
        code = link_codes.display_code(
            await link_codes.issue(
                session, official, now=now, created_by=actor, pepper=pepper, ttl=ttl
            )
        )
        slips.append(
            Slip(
                official.employee_code,
                official.full_name,
                official.unit.name,
                code,
                deep_link(bot_username, code),
            )
        )
    audit.record(
        session,
        actor=actor,
        actor_official_id=actor_official_id,
        action=AUDIT_ACTION,
        subject=unit.code,
        affected=len(slips),
        detail={"unit_id": unit.id, "expires_at": (now + ttl).isoformat()},
        at=now,
    )
    expires = (now + ttl).strftime("%d/%m/%Y")
    return Kit(unit.name, slips, kit_xlsx(slips, expires), slips_pdf(slips, expires))


async def reissue(
    session: AsyncSession,
    official: Official,
    *,
    now: datetime,
    actor: str,
    actor_official_id: int | None,
    pepper: bytes,
    bot_username: str | None,
    ttl: timedelta = link_codes.DEFAULT_TTL,
) -> Kit:
    """One official's fresh code (their older unused codes revoked) on a one-slip PDF, for
    someone who lost their slip or changed phone; audited with who asked."""
    code = link_codes.display_code(
        await link_codes.issue(session, official, now=now, created_by=actor, pepper=pepper, ttl=ttl)
    )
    slip = Slip(
        official.employee_code,
        official.full_name,
        official.unit.name,
        code,
        deep_link(bot_username, code),
    )
    audit.record(
        session,
        actor=actor,
        actor_official_id=actor_official_id,
        action=REISSUE_ACTION,
        subject=official.employee_code,
        affected=1,
        detail={"official_id": official.id, "expires_at": (now + ttl).isoformat()},
        at=now,
    )
    expires = (now + ttl).strftime("%d/%m/%Y")
    return Kit(official.unit.name, [slip], b"", slips_pdf([slip], expires))


def refuse_reissue(
    session: AsyncSession,
    *,
    actor: str,
    actor_official_id: int,
    official_id: int,
    now: datetime,
) -> None:
    """A code asked for someone outside the admin's reach (a forged button, or a role
    changed meanwhile): nothing is issued, and the attempt is on record."""
    audit.record(
        session,
        actor=actor,
        actor_official_id=actor_official_id,
        action=REISSUE_DENIED_ACTION,
        subject=str(official_id),
        affected=0,
        detail={"official_id": official_id},
        at=now,
    )


def kit_xlsx(slips: list[Slip], expires: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Link codes")[:31]
    append_row(
        sheet,
        [
            _("Employee code"),
            _("Full name"),
            _("Unit"),
            _("Link code"),
            _("Telegram link"),
            _("How to link on Zalo"),
            _("Status"),
        ],
    )
    bold_row(sheet, 1)
    for slip in slips:
        append_row(
            sheet,
            [
                slip.employee_code,
                slip.full_name,
                slip.unit_name,
                slip.code,
                slip.deep_link or "",
                zalo_step(slip.code),
                _("Not linked; single-use code, expires on {date}").format(date=expires),
            ],
        )
    set_widths(sheet, [14, 28, 36, 16, 44, 40, 40])
    sheet.freeze_panes = "A2"
    return save(workbook)


def qr_payload(slip: Slip) -> str:
    """What the slip's QR code holds: the deep link, or the code when there is none."""
    return slip.deep_link or slip.code


def zalo_step(code: str) -> str:
    """What is true on the Zalo OA (docs/zalo-oa.md): following it greets the person, and a
    code typed in the chat links them, as on the Zalo Bot channel."""
    return _("On Zalo: open {oa}, tap “Follow” and send the code {code}.").format(
        oa=_(ZALO_OA_NAME), code=code
    )


def slip_lines(slip: Slip, expires: str) -> list[str]:
    """The slip's three lines under the code: Telegram, Zalo, and the code's limits."""
    return [
        _(
            "On Telegram: scan the QR code on the right and tap “Start”, or send "
            "/start {code} to the assistant."
        ).format(code=slip.code),
        zalo_step(slip.code),
        _("Single-use code, expires on {date}. Do not give the code to anyone else.").format(
            date=expires
        ),
    ]


def fitted_cell(pdf: FPDF, width: float, height: float, text: str, size: float) -> None:
    """One line that never runs into the QR code or off the slip: a long unit name or a
    longer translation is set a little smaller instead."""
    while size > 6 and pdf.get_string_width(text) > width - 1:
        size -= 0.5
        pdf.set_font_size(size)
    pdf.cell(width, height, text)


def dejavu_pdf(title: str, orientation: str = "P") -> FPDF:
    """An A4 document in DejaVu Sans (embedded, so Vietnamese renders anywhere), regular
    and bold as "DejaVu", with no automatic page breaks: every page is laid out by hand.
    Shared by the slips and the certificates (models/certificates/pdf.py)."""
    from fpdf import FPDF

    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(title)
    return pdf


def qr_png(payload: str) -> io.BytesIO:
    """A QR code (error correction M) as PNG bytes, ready for FPDF.image."""
    import segno

    qr = io.BytesIO()
    segno.make(payload, error="m").save(qr, kind="png", scale=6, border=1)
    qr.seek(0)
    return qr


def slips_pdf(slips: list[Slip], expires: str) -> bytes:
    """A4, four slips a page, in DejaVu Sans (embedded, so Vietnamese renders anywhere)."""
    pdf = dejavu_pdf(_("Trợ lý Bồi dưỡng link codes"))
    per_page, height = 4, 297 / 4
    for index, slip in enumerate(slips):
        if index % per_page == 0:
            pdf.add_page()
        top = (index % per_page) * height
        pdf.set_draw_color(160, 160, 160)
        pdf.set_dash_pattern(dash=2, gap=2)  # where to cut
        pdf.line(5, top + height - 0.5, 205, top + height - 0.5)
        pdf.set_dash_pattern()
        pdf.image(qr_png(qr_payload(slip)), x=160, y=top + 10, w=40, h=40)
        pdf.set_xy(12, top + 10)
        pdf.set_font("DejaVu", "B", 14)
        pdf.cell(140, 8, slip.full_name, new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(12)
        pdf.set_font("DejaVu", "", 10)
        unit_line = _("{unit} · Employee code {code}").format(
            unit=slip.unit_name, code=slip.employee_code
        )
        fitted_cell(pdf, 140, 6, unit_line, 10)
        pdf.set_xy(12, top + 27)
        pdf.set_font("DejaVu", "B", 18)
        pdf.cell(140, 10, _("Link code: {code}").format(code=slip.code))
        for offset, line in enumerate(slip_lines(slip, expires)):
            pdf.set_xy(12, top + 41 + offset * 7)
            pdf.set_font("DejaVu", "", 9.5)
            fitted_cell(pdf, 145, 6, line, 9.5)
    if not slips:
        pdf.add_page()
        pdf.set_font("DejaVu", "", 12)
        pdf.cell(0, 10, _("Every official of the unit has linked."))
    return bytes(pdf.output())
