"""Organisation units: a tree of any depth (province → department → division, commune → …).

Levels are data, not code: `level` holds a code such as "province", "commune" or the
pre-July-2025 "district"; nothing here assumes how many levels exist. Subtree queries use a
materialised path ("/1/7/42/") so "everyone under Sở Nội vụ" is one indexed prefix match.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Boolean, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class OrgUnit(Base):
    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(30), index=True)
    kind: Mapped[str] = mapped_column(String(30), default="unit")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True, default="/")
    depth: Mapped[int] = mapped_column(default=0)
    ethnic_minority_area: Mapped[bool] = mapped_column(Boolean, default=False)
    zone: Mapped[str | None] = mapped_column(String(10))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    def contains(self, other: OrgUnit) -> bool:
        return other.path.startswith(self.path)


async def add_unit(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    level: str,
    parent: OrgUnit | None = None,
    kind: str = "unit",
    ethnic_minority_area: bool = False,
    zone: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> OrgUnit:
    unit = OrgUnit(
        code=code,
        name=name,
        level=level,
        kind=kind,
        parent_id=parent.id if parent else None,
        depth=(parent.depth + 1) if parent else 0,
        ethnic_minority_area=ethnic_minority_area,
        zone=zone,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    session.add(unit)
    await session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    await session.flush()
    return unit


async def ancestors(session: AsyncSession, unit: OrgUnit) -> list[OrgUnit]:
    """The unit's chain from the root down to the unit itself."""
    ids = [int(p) for p in unit.path.strip("/").split("/") if p]
    rows = (await session.scalars(select(OrgUnit).where(OrgUnit.id.in_(ids)))).all()
    by_id = {u.id: u for u in rows}
    return [by_id[i] for i in ids if i in by_id]


def describe_chain(chain: Iterable[OrgUnit], parts: int = 2) -> str:
    """ "Phòng Tổ chức, Sở Nội vụ": the unit and its nearest parents, skipping the root."""
    names = [u.name for u in chain if u.depth > 0]
    return ", ".join(reversed(names[-parts:])) if names else ", ".join(u.name for u in chain)


# Unit names change a few times a year (reorganisations); a greeting may show an old name
# for a few minutes after one, and in exchange the hot path saves a query per update.
LABEL_TTL_SECONDS = 300.0
# Keyed by the database too: one process may hold two (the tools, the tests), and the same
# path names different units in each.
_labels: dict[tuple[object, str, int], tuple[float, str]] = {}


def forget_labels() -> None:
    """After the tree changed (an import), so greetings show the new names at once."""
    _labels.clear()


async def unit_label(session: AsyncSession, unit: OrgUnit, parts: int = 2) -> str:
    """describe_chain(ancestors(unit)) with a short process-local cache."""
    key = (session.bind, unit.path, parts)
    hit = _labels.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < LABEL_TTL_SECONDS:
        return hit[1]
    label = describe_chain(await ancestors(session, unit), parts=parts)
    if len(_labels) > 10_000:
        _labels.clear()
    _labels[key] = (now, label)
    return label


async def by_code(session: AsyncSession, code: str) -> OrgUnit | None:
    return await session.scalar(select(OrgUnit).where(OrgUnit.code == code))
