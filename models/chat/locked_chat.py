"""Everything one update needs about its chat, read in one locked round trip.

Each update needs the sender's account, the chat's dialog state and the linked official
(with the unit). They are read with one Core statement and attached to the session as
persistent ORM objects, skipping the ORM's loading pipeline: for this hottest statement of
the bot, the ORM's per-query setup and row processing cost more than the query itself
(#15 point 2). Handlers still get ordinary change-tracked objects, so what they change is
flushed at commit as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, bindparam, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapper, make_transient_to_detached

from models.chat import accounts, dialogs
from models.chat.accounts import ChatAccount
from models.chat.dialogs import DialogState
from models.org.officials import Official
from models.org.units import OrgUnit


@dataclass(frozen=True)
class _Entity:
    """Where one mapped class's columns sit in the combined row."""

    mapper: Mapper[Any]
    keys: tuple[str, ...]
    columns: tuple[ColumnElement[Any], ...]
    start: int

    @property
    def table(self) -> Table:
        return self.mapper.local_table  # type: ignore[return-value]

    def values(self, row: Sequence[Any]) -> Sequence[Any]:
        return row[self.start : self.start + len(self.keys)]

    def build(self, row: Sequence[Any]) -> Any:
        """A detached instance with every column loaded, as the ORM would have loaded it."""
        obj = self.mapper.class_manager.new_instance()
        obj.__dict__.update(zip(self.keys, self.values(row), strict=True))
        return obj


def _entities(*classes: type) -> list[_Entity]:
    out: list[_Entity] = []
    start = 0
    for cls in classes:
        mapper: Mapper[Any] = inspect(cls)
        props = list(mapper.column_attrs)
        out.append(
            _Entity(mapper, tuple(p.key for p in props), tuple(p.columns[0] for p in props), start)
        )
        start += len(props)
    return out


_ACCOUNT, _DIALOG, _OFFICIAL, _UNIT = _entities(ChatAccount, DialogState, Official, OrgUnit)
_a, _d, _o, _u = (e.table for e in (_ACCOUNT, _DIALOG, _OFFICIAL, _UNIT))

# Built once: constructing and keying a statement costs more than running it on SQLite.
_OPEN_CHAT = (
    select(*_ACCOUNT.columns, *_DIALOG.columns, *_OFFICIAL.columns, *_UNIT.columns)
    .select_from(
        _a.join(_d, and_(_d.c.channel == _a.c.channel, _d.c.chat_id == _a.c.chat_id))
        .outerjoin(_o, and_(_o.c.id == _a.c.official_id, _o.c.active.is_(True)))
        # Flat, not a nested (official JOIN unit): SQLite plans the nested form badly. An
        # official always has a unit, so the outer join loses nothing.
        .outerjoin(_u, _u.c.id == _o.c.unit_id)
    )
    .where(
        _a.c.channel == bindparam("channel"),
        _a.c.external_user_id == bindparam("user_id"),
        _a.c.chat_id == bindparam("chat_id"),
    )
    .with_for_update(of=[_a, _d])
)


def _attach(session: AsyncSession, row: Sequence[Any]) -> tuple[Any, Any, Any]:
    account, dialog = _ACCOUNT.build(row), _DIALOG.build(row)
    built = [account, dialog]
    official = None
    if _OFFICIAL.values(row)[0] is not None:  # the outer join found an active official
        official, unit = _OFFICIAL.build(row), _UNIT.build(row)
        official.__dict__["unit"] = unit
        built.append(unit)
        built.append(official)
    for obj in built:
        make_transient_to_detached(obj)
        session.add(obj)  # persistent again, with nothing pending: no SQL is emitted
    return account, dialog, official


async def open_chat(
    session: AsyncSession, *, channel: str, user_id: str, chat_id: str, now: datetime
) -> tuple[ChatAccount, DialogState, Official | None]:
    params = {"channel": channel, "user_id": user_id, "chat_id": chat_id}
    row = (await session.execute(_OPEN_CHAT, params)).first()
    if row is not None:
        account, dialog, official = _attach(session, tuple(row))
        if now - account.last_seen_at > accounts.SEEN_RESOLUTION:
            account.last_seen_at = now
        dialogs.expire_if_stale(dialog, now)
        return account, dialog, official
    # First contact (or a changed chat id): create what is missing, race-safely.
    account = await accounts.get_or_create(
        session, channel=channel, user_id=user_id, chat_id=chat_id, now=now
    )
    dialog = await dialogs.load_for_update(session, channel=channel, chat_id=chat_id, now=now)
    return account, dialog, await accounts.linked_official(session, account)
