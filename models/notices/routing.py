"""Where each due notice goes, decided at claim time (issue #14.3): the facts about a batch
of recipients are read once, then `channel_order` (a pure function) picks per notice.

Without ZNS and without OA accounts this gives exactly what `preferences.recipients`
gives (the chosen channel, else the chat used last), so installs that use neither see no
change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from models.notices import zns
from models.notices.bundling import carriers_among
from models.notices.channel_order import Route, Situation, channel_order, unreached_reason
from models.notices.oa_window import (
    OA,
    OaCaps,
    OaState,
    oa_can_carry,
    oa_states,
    window_open,
)
from models.notices.preferences import chosen_and_linked
from models.org.officials import Official

# On a pending row that waits for the OA (its window closed or its cap used, no other
# channel): HR's "chưa liên lạc được" list shows it while it waits.
OA_WAITING = "waiting: the Zalo OA may not write to this person now"


@dataclass(frozen=True)
class RoutingPolicy:
    zns: zns.ZnsSettings = field(default_factory=zns.ZnsSettings)
    oa: OaCaps = field(default_factory=OaCaps)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    def by_zns(self, kind: str, locale: str | None) -> bool:
        """ZNS carries this kind here: on, chosen by the province, and a template exists."""
        return (
            self.zns.enabled
            and kind in self.zns.kinds
            and self.zns.catalogue.for_kind(kind, locale or "vi") is not None
        )


@dataclass(frozen=True, slots=True)
class Person:
    accounts: tuple[Route, ...] = ()  # reachable, most recently used first
    blocked: bool = False
    chosen: str | None = None
    zns_phone: str | None = None
    locale: str | None = None
    oa: OaState = field(default_factory=OaState)


@dataclass(frozen=True, slots=True)
class Decision:
    route: Route | None  # None: nobody can carry it (see reason)
    reason: str | None = None


async def people(
    conn: AsyncConnection,
    official_ids: Iterable[int],
    *,
    now: datetime,
    policy: RoutingPolicy,
    with_phones: bool | None = None,
) -> dict[int, Person]:
    """Linked chats, /nhacnho choice, ZNS phone (read when ZNS is on, or when asked)
    and OA state of these officials."""
    ids = sorted(set(official_ids))
    chosen, accounts = await chosen_and_linked(conn, ids)
    phones: dict[int, tuple[str | None, str | None]] = {}
    if policy.zns.enabled if with_phones is None else with_phones:
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            found = await conn.execute(
                select(Official.id, Official.phone, Official.preferred_locale).where(
                    Official.id.in_(chunk)
                )
            )
            phones.update({oid: (phone, locale) for oid, phone, locale in found})
    oa_chats = [chat for rows in accounts.values() for ch, chat, gone in rows if ch == OA]
    oa = await oa_states(conn, oa_chats, now=now, caps=policy.oa, tz=policy.tz)
    result: dict[int, Person] = {}
    for oid in ids:
        rows_of = accounts.get(oid, [])
        reachable = tuple(Route(ch, chat) for ch, chat, gone in rows_of if not gone)
        phone, locale = phones.get(oid, (None, None))
        oa_chat = next((r.chat_id for r in reachable if r.channel == OA), None)
        result[oid] = Person(
            accounts=reachable,
            blocked=bool(rows_of) and not reachable,
            chosen=chosen.get(oid),
            zns_phone=zns.zns_phone(phone),
            locale=locale,
            oa=oa.get(oa_chat, OaState()) if oa_chat else OaState(),
        )
    return result


def situation(
    person: Person, kind: str, *, now: datetime, policy: RoutingPolicy, bundle: bool = False
) -> Situation:
    """`bundle`: the notice carries others' texts, which a ZNS template cannot."""
    return Situation(
        accounts=person.accounts,
        chosen=person.chosen,
        oa_open=oa_can_carry(person.oa, kind=kind, now=now, caps=policy.oa),
        by_zns=policy.by_zns(kind, person.locale) and not bundle,
        zns_phone=person.zns_phone,
        blocked=person.blocked,
    )


def decide(
    person: Person, kind: str, *, now: datetime, policy: RoutingPolicy, bundle: bool = False
) -> Decision:
    s = situation(person, kind, now=now, policy=policy, bundle=bundle)
    order = channel_order(s)
    if order:
        return Decision(order[0])
    return Decision(None, unreached_reason(s))


async def decisions(
    conn: AsyncConnection,
    notices: Sequence[tuple[int, int, str]],
    *,
    now: datetime,
    policy: RoutingPolicy,
) -> dict[int, Decision]:
    """(notice id, official id, kind) → where it goes now. Each OA message decided here
    uses the person's allowance at once, so one batch never overruns a cap."""
    found = await people(conn, (oid for _, oid, _ in notices), now=now, policy=policy)
    bundles = await carriers_among(conn, [n for n, _, _ in notices]) if policy.zns.enabled else ()
    out: dict[int, Decision] = {}
    for nid, oid, kind in notices:
        person = found[oid]
        decision = decide(person, kind, now=now, policy=policy, bundle=nid in bundles)
        out[nid] = decision
        if decision.route is not None and decision.route.channel == OA:
            found[oid] = replace(person, oa=_used_one(person.oa, now=now, caps=policy.oa))
    return out


def _used_one(state: OaState, *, now: datetime, caps: OaCaps) -> OaState:
    if window_open(state, now, caps):
        return replace(state, window_sent=state.window_sent + 1)
    return replace(
        state,
        broadcasts_today=state.broadcasts_today + 1,
        broadcasts_this_month=state.broadcasts_this_month + 1,
    )
