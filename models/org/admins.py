"""HR admin roles, each scoped to an org-unit subtree.

A commune's HR reaches only that commune; Sở Nội vụ's HR, granted the province root,
reaches everyone. Every check is made against the linked official's roles in the database,
never against anything carried in a button.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models import audit
from models.base import Base
from models.org.officials import Official
from models.org.units import OrgUnit


class AdminRole(Base):
    __tablename__ = "admin_roles"
    __table_args__ = (UniqueConstraint("official_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    granted_by: Mapped[str] = mapped_column(String(120))
    granted_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Scope:
    """The units an admin may reach: the union of the subtrees of their roles."""

    units: tuple[OrgUnit, ...]

    @property
    def is_admin(self) -> bool:
        return bool(self.units)

    @property
    def is_province(self) -> bool:
        return any(u.parent_id is None for u in self.units)

    def reaches(self, unit_path: str) -> bool:
        return any(unit_path.startswith(u.path) for u in self.units)

    @property
    def widest(self) -> OrgUnit | None:
        return min(self.units, key=lambda u: u.depth) if self.units else None


NO_SCOPE = Scope(())


async def scope_of(session: AsyncSession, official: Official | None) -> Scope:
    if official is None or not official.active:
        return NO_SCOPE
    rows = await session.scalars(
        select(OrgUnit)
        .join(AdminRole, AdminRole.unit_id == OrgUnit.id)
        .where(AdminRole.official_id == official.id, AdminRole.revoked_at.is_(None))
        .order_by(OrgUnit.depth, OrgUnit.id)
    )
    units = list(rows)
    # A role under another role adds nothing; keep the outermost ones.
    outer = tuple(
        u for u in units if not any(o is not u and u.path.startswith(o.path) for o in units)
    )
    return Scope(outer)


async def grant(
    session: AsyncSession,
    official: Official,
    unit: OrgUnit,
    *,
    actor: str,
    now: datetime,
    actor_official_id: int | None = None,
) -> bool:
    """Make `official` an admin of `unit`'s subtree. Returns False if already granted."""
    role = await session.scalar(
        select(AdminRole).where(AdminRole.official_id == official.id, AdminRole.unit_id == unit.id)
    )
    if role is not None and role.revoked_at is None:
        return False
    if role is None:
        session.add(
            AdminRole(official_id=official.id, unit_id=unit.id, granted_by=actor, granted_at=now)
        )
    else:
        role.revoked_at, role.granted_by, role.granted_at = None, actor, now
    audit.record(
        session,
        actor=actor,
        actor_official_id=actor_official_id,
        action="admin.grant",
        subject=f"{official.employee_code}@{unit.code}",
        affected=1,
        at=now,
    )
    await session.flush()
    return True


async def revoke(
    session: AsyncSession,
    official: Official,
    unit: OrgUnit,
    *,
    actor: str,
    now: datetime,
    actor_official_id: int | None = None,
) -> bool:
    role = await session.scalar(
        select(AdminRole).where(
            AdminRole.official_id == official.id,
            AdminRole.unit_id == unit.id,
            AdminRole.revoked_at.is_(None),
        )
    )
    if role is None:
        return False
    role.revoked_at = now
    audit.record(
        session,
        actor=actor,
        actor_official_id=actor_official_id,
        action="admin.revoke",
        subject=f"{official.employee_code}@{unit.code}",
        affected=1,
        at=now,
    )
    return True


async def admins(session: AsyncSession) -> list[tuple[Official, OrgUnit]]:
    rows = await session.execute(
        select(Official, OrgUnit)
        .join(AdminRole, AdminRole.official_id == Official.id)
        .join(OrgUnit, OrgUnit.id == AdminRole.unit_id)
        .where(AdminRole.revoked_at.is_(None))
        .order_by(OrgUnit.path, Official.employee_code)
    )
    return [(o, u) for o, u in rows]


async def has_admin_role(session: AsyncSession, official_id: int) -> bool:
    """Whether the official holds any admin role now (such accounts link by code only)."""
    found = await session.scalar(
        select(AdminRole.id)
        .where(AdminRole.official_id == official_id, AdminRole.revoked_at.is_(None))
        .limit(1)
    )
    return found is not None


async def province_admin_ids(session: AsyncSession) -> list[int]:
    """Active officials with a role on a root of the unit tree."""
    rows = await session.scalars(
        select(Official.id)
        .join(AdminRole, AdminRole.official_id == Official.id)
        .join(OrgUnit, OrgUnit.id == AdminRole.unit_id)
        .where(AdminRole.revoked_at.is_(None), OrgUnit.parent_id.is_(None), Official.active)
        .distinct()
        .order_by(Official.id)
    )
    return list(rows)


async def role_paths(session: AsyncSession, official_ids: list[int]) -> dict[int, list[str]]:
    """Official id → the tree paths of the units their active admin roles reach."""
    found: dict[int, list[str]] = {}
    for start in range(0, len(official_ids), 900):
        chunk = official_ids[start : start + 900]
        rows = await session.execute(
            select(AdminRole.official_id, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == AdminRole.unit_id)
            .where(AdminRole.official_id.in_(chunk), AdminRole.revoked_at.is_(None))
        )
        for official_id, path in rows:
            found.setdefault(official_id, []).append(path)
    return found
