"""Officials (cán bộ, công chức, viên chức): the HR roster the bot serves."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.org.units import OrgUnit


class Official(Base):
    __tablename__ = "officials"

    id: Mapped[int] = mapped_column(primary_key=True)
    employee_code: Mapped[str] = mapped_column(String(40), unique=True)
    # The personal identification number is not stored: its keyed hash finds and keeps it
    # unique (models/org/id_numbers.keyed_hash), the masked form is what people see.
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(12))
    full_name: Mapped[str] = mapped_column(String(120))
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None]
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    level: Mapped[str] = mapped_column(String(30), index=True)
    rank_code: Mapped[str | None] = mapped_column(String(20))
    rank_tier: Mapped[str | None] = mapped_column(String(40))
    professional_title_code: Mapped[str | None] = mapped_column(String(40))
    rank_assigned_on: Mapped[date | None]
    post_title: Mapped[str | None] = mapped_column(String(200))
    leadership_tier: Mapped[str | None] = mapped_column(String(40))
    leadership_appointed_on: Mapped[date | None]
    education_level: Mapped[str | None] = mapped_column(String(20))
    professional_field_matches_post: Mapped[bool | None] = mapped_column(Boolean)
    political_theory_level: Mapped[str | None] = mapped_column(String(20))
    ethnicity: Mapped[str | None] = mapped_column(String(40))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_service_on: Mapped[date | None]
    preferred_locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[OrgUnit] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_leader(self) -> bool:
        return self.leadership_tier is not None

    @property
    def given_name(self) -> str:
        """Vietnamese names put the family name first: the given name is the last word."""
        parts = self.full_name.split()
        return parts[-1] if parts else self.full_name


# Fields the roster import may set, in the order the README documents them.
ROSTER_FIELDS: tuple[str, ...] = (
    "employee_code",
    "full_name",
    "gender",
    "birth_date",
    "phone",
    "email",
    "category",
    "unit_code",
    "level",
    "rank_code",
    "rank_tier",
    "professional_title_code",
    "rank_assigned_on",
    "post_title",
    "leadership_tier",
    "leadership_appointed_on",
    "education_level",
    "professional_field_matches_post",
    "political_theory_level",
    "ethnicity",
    "languages",
    "started_service_on",
    "preferred_locale",
    "id_number",
)


async def by_employee_code(session: AsyncSession, code: str) -> Official | None:
    return await session.scalar(select(Official).where(Official.employee_code == code.strip()))


async def by_phone(session: AsyncSession, phone_e164: str) -> list[Official]:
    rows = await session.scalars(
        select(Official).where(Official.phone == phone_e164, Official.active.is_(True))
    )
    return list(rows)
