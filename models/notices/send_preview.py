"""What the next planning run would send, per channel (issue #14.2/#14.3): the planners run
in the caller's transaction (which the caller rolls back), then every pending notice is
routed with the sender's own channel order. The ZNS count comes with its price."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models.notices.bundling import bundle_pending
from models.notices.outbox import PENDING, TO_CHAT, Notice
from models.notices.planning import (
    PlanningSettings,
    plan_course_notices,
    plan_requirement_notices,
)
from models.notices.routing import RoutingPolicy, decisions
from models.notices.zns import CHANNEL as ZNS
from models.notices.zns import cost_line


@dataclass(frozen=True)
class SendPreview:
    by_channel: Counter[str] = field(default_factory=Counter)
    unreached: Counter[str] = field(default_factory=Counter)  # reason → notices
    price_vnd: int = 0

    @property
    def zns(self) -> int:
        return self.by_channel[ZNS]

    def zns_cost(self) -> str | None:
        return cost_line(self.zns, self.price_vnd) if self.zns else None


async def preview_next_run(
    session: AsyncSession, *, now: datetime, planning: PlanningSettings, policy: RoutingPolicy
) -> SendPreview:
    """Plans (writes!) in the caller's transaction: the caller must roll it back."""
    await plan_requirement_notices(session, now=now, settings=planning)
    await plan_course_notices(session, now=now, settings=planning)
    await bundle_pending(session, now=now, tz=planning.tz)
    rows = (
        await session.execute(
            select(Notice.id, Notice.official_id, Notice.kind, Notice.channel, Notice.chat_id)
            .where(Notice.state == PENDING)
            .order_by(Notice.send_at, Notice.id)
        )
    ).all()
    by_channel: Counter[str] = Counter()
    unreached: Counter[str] = Counter()
    routed: list[tuple[int, int, str]] = []
    for nid, official_id, kind, channel, chat_id in rows:
        if chat_id and channel and (kind == TO_CHAT or channel == ZNS):
            by_channel[channel] += 1  # already addressed: sent as it is
        else:
            routed.append((nid, official_id, kind))
    conn = await session.connection()
    for decision in (await decisions(conn, routed, now=now, policy=policy)).values():
        if decision.route is not None:
            by_channel[decision.route.channel] += 1
        else:
            unreached[decision.reason or ""] += 1
    return SendPreview(by_channel, unreached, policy.zns.price_vnd)
