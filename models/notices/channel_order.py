"""The order in which channels are tried for one notice to one person (issue #14.3).

1. the channel they chose in /nhacnho (the OA only while it may carry the notice),
2. the Zalo OA while its window is open (docs/zalo-oa.md "OA window and caps"),
3. ZNS for the kinds the province sends by ZNS (hard deadlines), to their roster phone,
4. their other linked chats (Zalo Bot, Telegram), the one they used last first.

A pure function of what is known about the person, so every combination is a unit test;
models/notices/routing.py gathers those facts for a batch of notices at claim time.
An empty order means no channel can carry the notice: `unreached_reason` says why, in
the words HR reads in the "chưa liên lạc được" list.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.notices.oa_window import OA
from models.notices.zns import CHANNEL as ZNS

# Why a notice reached nobody (stored codes; models/exports/unreached.py words them).
NO_CHAT_NO_PHONE = "no_chat_no_phone"
ZNS_OFF = "zns_off"  # a phone, but ZNS is off or does not carry this kind
BLOCKED = "blocked"  # every linked chat blocked the bot
OA_CLOSED = "oa_closed"  # only the OA, outside its window or over its caps


@dataclass(frozen=True, slots=True)
class Route:
    channel: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class Situation:
    """What routing one notice needs to know about its recipient."""

    accounts: tuple[Route, ...] = ()  # reachable linked chats, most recently used first
    chosen: str | None = None  # the /nhacnho choice
    oa_open: bool = False  # the OA may carry this notice now (window and caps)
    by_zns: bool = False  # ZNS is on, carries this kind and has its template
    zns_phone: str | None = None  # the roster phone as ZNS wants it ("84…"), if any
    blocked: bool = False  # linked chats exist, but every one blocked the bot


def channel_order(s: Situation) -> tuple[Route, ...]:
    first_by_channel: dict[str, Route] = {}
    for account in s.accounts:
        first_by_channel.setdefault(account.channel, account)
    usable = {c: r for c, r in first_by_channel.items() if c != OA or s.oa_open}
    order: list[Route] = []

    def add(route: Route | None) -> None:
        if route is not None and route not in order:
            order.append(route)

    if s.chosen is not None:
        add(usable.get(s.chosen))
    add(usable.get(OA))
    if s.by_zns and s.zns_phone:
        add(Route(ZNS, s.zns_phone))
    for account in s.accounts:
        if account.channel in usable:
            add(usable[account.channel])
    return tuple(order)


def unreached_reason(s: Situation) -> str:
    """Why `channel_order(s)` is empty (call it only then)."""
    if any(a.channel == OA for a in s.accounts):
        return OA_CLOSED
    if s.blocked:
        return BLOCKED
    return ZNS_OFF if s.zns_phone else NO_CHAT_NO_PHONE
