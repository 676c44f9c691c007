"""Officials with linked chat accounts, written in bulk, for notice tests and the sender's
subprocess helper. Chat ids are 100000 + official number, so a test can tell who got what."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.chat.accounts import ChatAccount
from models.notices.outbox import NewNotice, enqueue_many
from models.org.officials import Official
from models.org.units import OrgUnit, add_unit

LINKED_AT = datetime(2026, 1, 1, tzinfo=UTC)


async def province(session: AsyncSession) -> OrgUnit:
    found = await session.scalar(select(OrgUnit).where(OrgUnit.code == "T11"))
    if found is not None:
        return found
    root = await add_unit(
        session, code="T11", name="Tỉnh Điện Biên", level="province", kind="province"
    )
    return await add_unit(
        session, code="SNV", name="Sở Nội vụ", level="province", kind="department", parent=root
    )


async def seed_people(
    session: AsyncSession,
    n: int,
    *,
    start: int = 1,
    channel: str | None = "telegram",
    **fields: Any,
) -> list[int]:
    """n officials (cong_chuc, province level) each linked on `channel`; returns their ids."""
    unit = await province(session)
    rows = [
        {
            "employee_code": f"NT{start + i:07d}",
            "full_name": f"Nguyễn Văn {start + i}",
            "gender": "male" if i % 2 else "female",
            "category": "cong_chuc",
            "level": "province",
            "unit_id": unit.id,
            "languages": [],
            "active": True,
            "birth_date": date(1985, 1, 1),
            **fields,
        }
        for i in range(n)
    ]
    await session.execute(insert(Official), rows)
    codes = [r["employee_code"] for r in rows]
    ids = list(
        await session.scalars(
            select(Official.id).where(Official.employee_code.in_(codes)).order_by(Official.id)
        )
    )
    if channel is not None:
        await session.execute(
            insert(ChatAccount),
            [
                {
                    "channel": channel,
                    "external_user_id": str(100000 + start + i),
                    "chat_id": str(100000 + start + i),
                    "official_id": oid,
                    "linked_at": LINKED_AT,
                    "failed_link_attempts": 0,
                    "created_at": LINKED_AT,
                    "last_seen_at": LINKED_AT,
                }
                for i, oid in enumerate(ids)
            ],
        )
    return ids


async def queue_notices(
    session: AsyncSession,
    ids: list[int],
    *,
    due: datetime,
    per_official: int = 1,
    kind: str = "broadcast",
    **extra: Any,
) -> int:
    rows = [
        NewNotice(oid, kind, f"test:{k}", due, f"notice {oid}/{k}", "vi", **extra)
        for oid in ids
        for k in range(per_official)
    ]
    return await enqueue_many(session, rows)
