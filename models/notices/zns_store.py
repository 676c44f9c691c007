"""ZNS in the outbox: which due notices go by ZNS, and what Zalo later said about them.

A notice for an official with no reachable linked chat is, for the kinds the province
chose, handed to the "zns" channel at claim time instead of being dropped as "no linked
chat": its `chat_id` becomes the ZNS phone ("84…"), its text the template request (JSON),
and a `zns_deliveries` row records the template and, later, Zalo's delivery callback
(`user_received_message`). The notice's id is the request's `tracking_id`, so a callback
finds its notice without a lookup table of message ids.

ZNS rows are never urgent: ZNS has sending hours of its own and a paid message at night
helps nobody, so the send window (models/notices/send_window.py) always applies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.notices import zns
from models.notices.outbox import PENDING, Notice
from models.org.officials import Official

ROUTED = "routed"
DELIVERED = "delivered"
TRACKING_PREFIX = "n"


class ZnsDelivery(Base):
    __tablename__ = "zns_deliveries"

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True
    )
    phone: Mapped[str] = mapped_column(String(15))
    template_id: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=ROUTED)
    msg_id: Mapped[str | None] = mapped_column(String(64))
    routed_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]


@dataclass(frozen=True, slots=True)
class Unlinked:
    """A due notice whose official has no reachable linked chat (from delivery.claim)."""

    id: int
    official_id: int
    kind: str
    subject: str
    due_at: datetime
    relevant_until: datetime | None


def tracking_id(notice_id: int) -> str:
    return f"{TRACKING_PREFIX}{notice_id}"


def notice_of(tracking: str | None) -> int | None:
    if not tracking or not tracking.startswith(TRACKING_PREFIX):
        return None
    number = tracking[len(TRACKING_PREFIX) :]
    return int(number) if number.isdigit() else None


@dataclass(frozen=True)
class ZnsRoute:
    """delivery.claim's `unlinked` hook: takes the notices ZNS can carry."""

    settings: zns.ZnsSettings
    tz: ZoneInfo

    async def __call__(
        self, conn: AsyncConnection, rows: Sequence[Unlinked], now: datetime
    ) -> set[int]:
        wanted = [r for r in rows if r.kind in self.settings.kinds]
        if not self.settings.enabled or not wanted:
            return set()
        people = {
            oid: (name, code, phone, locale)
            for oid, name, code, phone, locale in await conn.execute(
                select(
                    Official.id,
                    Official.full_name,
                    Official.employee_code,
                    Official.phone,
                    Official.preferred_locale,
                ).where(Official.id.in_(sorted({r.official_id for r in wanted})))
            )
        }
        moves: list[dict[str, Any]] = []
        records: list[dict[str, Any]] = []
        for row in wanted:
            name, code, phone, locale = people.get(row.official_id, (None, None, None, None))
            number = zns.zns_phone(phone)
            template = self.settings.catalogue.for_kind(row.kind, locale or "vi")
            if number is None or template is None or name is None:
                continue
            data = zns.template_data(
                template,
                name=name,
                code=code or "",
                subject=row.subject,
                deadline=row.relevant_until or row.due_at,
                tz=self.tz,
            )
            request = {
                "phone": number,
                "template_id": template.template_id,
                "template_data": data,
                "tracking_id": tracking_id(row.id),
            }
            moves.append({"nid": row.id, "chat": number, "body": json.dumps(request)})
            records.append(
                {
                    "notice_id": row.id,
                    "phone": number,
                    "template_id": template.template_id,
                    "status": ROUTED,
                    "routed_at": now,
                }
            )
        if not moves:
            return set()
        await conn.execute(
            update(Notice)
            .where(Notice.id == bindparam("nid"), Notice.state == PENDING)
            .values(
                channel=zns.CHANNEL, chat_id=bindparam("chat"), text=bindparam("body"), urgent=False
            ),
            moves,
        )
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        await conn.execute(
            insert(ZnsDelivery).on_conflict_do_nothing(index_elements=["notice_id"]), records
        )
        return {m["nid"] for m in moves}


async def record_delivery(
    session: AsyncSession, *, tracking: str | None, msg_id: str | None, delivered_at: datetime
) -> bool:
    """Zalo's `user_received_message` for one ZNS: the notice is marked delivered. False
    when the callback names no notice of ours (a forged or foreign event)."""
    notice_id = notice_of(tracking)
    if notice_id is None:
        return False
    result = await session.execute(
        update(ZnsDelivery)
        .where(ZnsDelivery.notice_id == notice_id)
        .values(status=DELIVERED, delivered_at=delivered_at, msg_id=msg_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delivery_of(session: AsyncSession, notice_id: int) -> ZnsDelivery | None:
    return await session.get(ZnsDelivery, notice_id)
