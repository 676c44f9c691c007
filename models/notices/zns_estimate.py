"""How many of an audience the channel order sends by ZNS, and what that costs: the line
"ước tính 7.245.000 ₫ cho 24.150 tin ZNS" in the broadcast preview and in
`python -m bot notices preview` (issue #14.2). Counted with the sender's own routing
(models/notices/routing.py), so the estimate is what the sender will do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from models.notices.routing import RoutingPolicy, decide, people
from models.notices.zns import CHANNEL as ZNS
from models.notices.zns import cost_line


@dataclass(frozen=True)
class ZnsEstimate:
    official_ids: tuple[int, ...] = ()  # those the order sends this kind to by ZNS
    price_vnd: int = 0
    phone_only: int = 0  # of them, those no linked chat reaches (ZNS adds them)

    @property
    def messages(self) -> int:
        return len(self.official_ids)

    def line(self) -> str | None:
        return cost_line(self.messages, self.price_vnd) if self.official_ids else None


async def estimate(
    session: AsyncSession,
    official_ids: Iterable[int],
    *,
    kind: str,
    now: datetime,
    policy: RoutingPolicy,
) -> ZnsEstimate:
    """One notice of `kind` to each of these officials: who would get it by ZNS."""
    ids = sorted(set(official_ids))
    if not ids or not policy.zns.enabled or kind not in policy.zns.kinds:
        return ZnsEstimate(price_vnd=policy.zns.price_vnd)
    conn = await session.connection()
    found = await people(conn, ids, now=now, policy=policy)
    chosen = tuple(
        oid
        for oid, person in found.items()
        if (d := decide(person, kind, now=now, policy=policy)).route is not None
        and d.route.channel == ZNS
    )
    phone_only = sum(1 for oid in chosen if not found[oid].accounts)
    return ZnsEstimate(chosen, policy.zns.price_vnd, phone_only)
