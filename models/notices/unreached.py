"""Chưa liên lạc được (issue #14.3): officials in an admin's scope whom a notice of the last
30 days could not reach on any channel, and why, so HR can phone them or fix the roster.

A notice counts when it was given up as "no linked chat", "every chat blocked the bot" or
refused by ZNS, or when it is waiting for a closed Zalo OA window. An official who is
reachable again today (linked since, unblocked, a phone added while ZNS is on) is left out:
the list is of people HR must still act on. The reason is today's, from the same channel
order the sender uses (models/notices/channel_order.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from models.notices import outbox as notices
from models.notices.audiences import in_scope
from models.notices.channel_order import channel_order, unreached_reason
from models.notices.delivery import ALL_BLOCKED
from models.notices.outbox import Notice
from models.notices.routing import OA_WAITING, RoutingPolicy, people, situation
from models.notices.zns import CHANNEL as ZNS
from models.org.admins import Scope
from models.org.officials import Official
from models.org.units import OrgUnit

RECENT = timedelta(days=30)
ZNS_REFUSED = "zns_refused"


@dataclass(frozen=True, slots=True)
class Missed:
    kind: str
    subject: str
    at: datetime


@dataclass(frozen=True)
class Unreached:
    official_id: int
    employee_code: str
    full_name: str
    unit: str
    reason: str  # channel_order's reason code, or ZNS_REFUSED
    missed: tuple[Missed, ...]


def _given_up() -> ColumnElement[bool]:
    return or_(
        and_(Notice.state == notices.DROPPED, Notice.last_error == notices.NOT_LINKED),
        and_(Notice.state == notices.BLOCKED, Notice.last_error == ALL_BLOCKED),
        and_(Notice.state == notices.FAILED, Notice.channel == ZNS),
        and_(Notice.state == notices.PENDING, Notice.last_error == OA_WAITING),
    )


async def unreached(
    session: AsyncSession, scope: Scope, *, now: datetime, policy: RoutingPolicy
) -> list[Unreached]:
    rows = (
        await session.execute(
            select(
                Official.id.label("official_id"),
                Official.employee_code,
                Official.full_name,
                OrgUnit.name.label("unit"),
                Notice.kind,
                Notice.subject,
                func.coalesce(Notice.finished_at, Notice.due_at).label("at"),
                Notice.state,
            )
            .join(Official, Official.id == Notice.official_id)
            .join(OrgUnit, OrgUnit.id == Official.unit_id)
            .where(
                _given_up(),
                Notice.due_at >= now - RECENT,
                Official.active.is_(True),
                *in_scope(scope),
            )
            .order_by(Official.id, Notice.due_at, Notice.id)
        )
    ).all()
    by_official: dict[int, list[Any]] = {}
    for row in rows:
        by_official.setdefault(row.official_id, []).append(row)
    if not by_official:
        return []
    conn = await session.connection()
    today = await people(conn, by_official, now=now, policy=policy, with_phones=True)
    found: list[Unreached] = []
    for oid, items in by_official.items():
        person = today[oid]
        still = [
            r for r in items if not channel_order(situation(person, r.kind, now=now, policy=policy))
        ]
        if not still:
            continue
        latest = still[-1]
        reason = (
            ZNS_REFUSED
            if latest.state == notices.FAILED
            else unreached_reason(situation(person, latest.kind, now=now, policy=policy))
        )
        found.append(
            Unreached(
                oid,
                latest.employee_code,
                latest.full_name,
                latest.unit,
                reason,
                tuple(Missed(r.kind, r.subject, r.at) for r in still),
            )
        )
    return found


async def count_unreached(
    session: AsyncSession, scope: Scope, *, now: datetime, policy: RoutingPolicy
) -> int:
    return len(await unreached(session, scope, now=now, policy=policy))
