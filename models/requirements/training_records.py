"""Completed training (completions): the table, its queries and the demo records.

A completion is identified by official, kind, date and programme (code, else title): see
`import_key`. Files of completions are imported by models/imports/training.py.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, String, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales.folding import fold_key
from models.base import Base, utcnow
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.evaluation import Completion

_DEMO_BATCH = 5000


class TrainingRecord(Base):
    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    program_code: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(300))
    periods: Mapped[int | None]
    completed_on: Mapped[date] = mapped_column(index=True)
    certificate_no: Mapped[str | None] = mapped_column(String(60))
    provider: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    # What makes two rows the same completion (see `import_key`); unique so a re-import,
    # even by two processes at once, cannot add a duplicate.
    import_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def completion(self) -> Completion:
        return Completion(
            kind=self.kind,
            completed_on=self.completed_on,
            periods=self.periods,
            certificate_no=self.certificate_no,
            program_code=self.program_code,
            title=self.title,
            record_id=self.id,
        )


# What the bulk readers (compliance, planning) fetch of a completion, in the order they
# unpack it: official, kind, day, periods, certificate, programme.
COMPLETION_COLUMNS = (
    TrainingRecord.official_id,
    TrainingRecord.kind,
    TrainingRecord.completed_on,
    TrainingRecord.periods,
    TrainingRecord.certificate_no,
    TrainingRecord.program_code,
)


def import_key(
    official_id: int, kind: str, completed_on: date, program_code: str | None, title: str | None
) -> str:
    identity = fold_key(program_code or "") or fold_key(title or "")
    raw = f"{official_id}|{kind}|{completed_on.isoformat()}|{identity}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Record:
    """One completion as the chat shows it: a plain row, not a tracked ORM object (building
    those was most of /hoso's and /yeucau's cost)."""

    id: int
    official_id: int
    kind: str
    program_code: str | None
    title: str | None
    periods: int | None
    completed_on: date
    certificate_no: str | None
    provider: str | None
    source: str

    def completion(self) -> Completion:
        return Completion(
            kind=self.kind,
            completed_on=self.completed_on,
            periods=self.periods,
            certificate_no=self.certificate_no,
            program_code=self.program_code,
            title=self.title,
            record_id=self.id,
        )


_TABLE = TrainingRecord.__table__.c  # Core columns: the statement skips the ORM layer
_RECORDS_OF = (
    select(*(_TABLE[f.name] for f in fields(Record)))
    .where(_TABLE.official_id == bindparam("official_id"))
    .order_by(_TABLE.completed_on.desc(), _TABLE.id.desc())
)


async def records_of(session: AsyncSession, official_id: int) -> list[Record]:
    """The official's completions, newest first, in one query."""
    rows = await session.execute(_RECORDS_OF, {"official_id": official_id})
    return [Record(*row) for row in rows]


# --- demo records ------------------------------------------------------------------------

_DEMO_SOURCE = "demo"


def demo_providers(province: str) -> tuple[str, ...]:
    """Where the demo's officials trained, named after the province in the database (its
    root unit, "Tỉnh …"), so no other province's name appears in its records."""
    place = province[:1].lower() + province[1:] if province else ""
    return (
        f"Trường Chính trị {place}".strip(),
        f"Sở Nội vụ {place}".strip(),
        "Học viện Hành chính và Quản trị công",
        f"Bộ Chỉ huy Quân sự {place}".strip(),
    )


async def seed_demo_training(session: AsyncSession, *, seed: int, today: date) -> int:
    """About four plausible completions per official, the same for the same seed and roster;
    does nothing when demo records already exist. Returns how many were added."""
    already = await session.scalar(
        select(TrainingRecord.id).where(TrainingRecord.source == _DEMO_SOURCE).limit(1)
    )
    if already is not None:
        return 0
    rows = await session.execute(
        select(
            Official.id,
            Official.category,
            Official.level,
            Official.leadership_tier,
            Official.leadership_appointed_on,
            Official.political_theory_level,
            Official.started_service_on,
        )
        .where(Official.active.is_(True))
        .order_by(Official.id)
    )
    root = await session.scalar(
        select(OrgUnit.name).where(OrgUnit.depth == 0).order_by(OrgUnit.id).limit(1)
    )
    providers = demo_providers(root or "")
    batch: list[dict[str, Any]] = []
    added = 0
    for row in rows:
        batch.extend(_demo_records(random.Random(f"{seed}:{row.id}"), row, today, providers))
        if len(batch) >= _DEMO_BATCH:
            await session.execute(insert(TrainingRecord), batch)
            added += len(batch)
            batch = []
    if batch:
        await session.execute(insert(TrainingRecord), batch)
        added += len(batch)
    return added


def _demo_records(
    rng: random.Random, row: Any, today: date, providers: tuple[str, ...]
) -> list[dict[str, Any]]:
    out: list[tuple[str, date, int, bool]] = []
    this_year_share = (today - date(today.year, 1, 1)).days / 365

    def day_in(year: int, last: date | None = None) -> date:
        start = date(year, 1, 1)
        end = min(last or date(year, 12, 31), today)
        return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))

    if row.category == "vien_chuc":
        yearly = ("dao_duc_cong_vu", "theo_vi_tri_viec_lam")
    elif row.level == "commune":
        yearly = ("cap_nhat_phap_luat_ky_nang", "dao_duc_cong_vu")
    else:
        yearly = ("cap_nhat_phap_luat_ky_nang", "theo_vi_tri_viec_lam")
    for year, chance in ((today.year - 1, 0.85), (today.year, 0.75 * this_year_share + 0.1)):
        for kind in yearly:
            if rng.random() < chance:
                out.append((kind, day_in(year), rng.choice((8, 16, 24, 40)), True))
    if row.political_theory_level in ("so_cap", "trung_cap", "cao_cap"):
        start = row.started_service_on or date(today.year - 10, 1, 1)
        year = rng.randint(min(start.year, today.year - 1), today.year - 1)
        out.append(("ly_luan_chinh_tri", day_in(year), rng.choice((200, 480, 880)), True))
    if row.leadership_tier is not None:
        appointed = row.leadership_appointed_on or date(today.year - 3, 1, 1)
        if rng.random() < 0.6 and appointed < today - timedelta(days=60):
            done = appointed + timedelta(days=rng.randint(30, 300))
            out.append(("lanh_dao_quan_ly", min(done, today), 160, True))
        if rng.random() < 0.5:
            out.append(
                ("quoc_phong_an_ninh", day_in(rng.randint(today.year - 4, today.year)), 96, True)
            )
    if rng.random() < 0.3:
        out.append(
            (
                rng.choice(("tin_hoc", "khoa_hoc_cong_nghe_so", "ngoai_ngu")),
                day_in(rng.randint(today.year - 3, today.year)),
                40,
                False,
            )
        )
    records = []
    for n, (kind, completed, periods, certified) in enumerate(out):
        records.append(
            {
                "official_id": row.id,
                "kind": kind,
                "program_code": None,
                "title": None,
                "periods": periods,
                "completed_on": completed,
                "certificate_no": f"DEMO-{row.id}-{n + 1}" if certified else None,
                "provider": rng.choice(providers),
                "source": _DEMO_SOURCE,
                "import_key": import_key(row.id, kind, completed, f"demo-{n}", None),
            }
        )
    return records
