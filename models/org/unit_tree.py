"""The unit tree as HR checks it after an import: every unit under its parent, with how
many active officials work in it and below it, closed units marked."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _, format_date, format_number, ngettext
from models.org.officials import Official
from models.org.units import OrgUnit
from models.vocabulary import LEVELS


@dataclass(frozen=True)
class TreeLine:
    code: str
    name: str
    level: str
    depth: int
    own: int  # active officials in the unit itself
    total: int  # in the unit and every unit below it
    valid_to: date | None


async def unit_tree(session: AsyncSession) -> list[TreeLine]:
    """Depth first, children by code: two queries whatever the size of the tree."""
    units = (
        await session.execute(
            select(
                OrgUnit.id,
                OrgUnit.parent_id,
                OrgUnit.code,
                OrgUnit.name,
                OrgUnit.level,
                OrgUnit.valid_to,
            ).order_by(OrgUnit.code)
        )
    ).all()
    rows = await session.execute(
        select(Official.unit_id, func.count())
        .where(Official.active.is_(True))
        .group_by(Official.unit_id)
    )
    counts: dict[int, int] = {uid: int(n) for uid, n in rows}
    by_id = {row.id: row for row in units}
    children: dict[int | None, list[int]] = defaultdict(list)
    for row in units:
        children[row.parent_id if row.parent_id in by_id else None].append(row.id)
    totals: dict[int, int] = {}

    def total(uid: int) -> int:
        if uid not in totals:
            totals[uid] = counts.get(uid, 0) + sum(total(c) for c in children[uid])
        return totals[uid]

    lines: list[TreeLine] = []

    def walk(uid: int, depth: int) -> None:
        row = by_id[uid]
        own = counts.get(uid, 0)
        lines.append(TreeLine(row.code, row.name, row.level, depth, own, total(uid), row.valid_to))
        for child in children[uid]:
            walk(child, depth + 1)

    for root in children[None]:
        walk(root, 0)
    return lines


def format_tree(lines: list[TreeLine], today: date) -> str:
    if not lines:
        return _("No units yet. Import the unit file first: python -m bot import units FILE")
    out = []
    for line in lines:
        officials = ngettext("{n} official", "{n} officials", line.total).format(
            n=format_number(line.total)
        )
        level = _(LEVELS[line.level]) if line.level in LEVELS else line.level  # levels are data
        text = f"{'   ' * line.depth}{line.code}  {line.name}  [{level}]  {officials}"
        if line.valid_to is not None and line.valid_to < today:
            text += "  " + _("(closed since {date})").format(date=format_date(line.valid_to))
        elif line.valid_to is not None:
            text += "  " + _("(in force until {date})").format(date=format_date(line.valid_to))
        out.append(text)
    return "\n".join(out)
