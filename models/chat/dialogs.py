"""Dialog state per (channel, chat): the only conversation memory, shared by all processes.

Steps are names, never integers. A row is created on first contact and locked for the
whole update so two processes never interleave one chat's steps.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, String, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, insert_ignore

DIALOG_TTL = timedelta(minutes=30)
TOUCH_RESOLUTION = timedelta(minutes=1)


class DialogState(Base):
    __tablename__ = "dialog_states"

    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(40))
    step: Mapped[str | None] = mapped_column(String(40))
    # Mutation-tracked: `dialog.data["x"] = 1` is saved like an assignment would be.
    data: Mapped[dict[str, Any]] = mapped_column(MutableDict.as_mutable(JSON), default=dict)
    # The choices last offered, so "2" or a typed label can pick one on any channel.
    choices: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]

    @property
    def active(self) -> bool:
        return self.flow is not None

    def go(self, flow: str, step: str, **data: Any) -> None:
        merged = dict(self.data or {}) if self.flow == flow else {}
        merged.update(data)
        self.flow, self.step, self.data = flow, step, merged

    def end(self) -> None:
        # Every command ends the dialog; one already ended stays untouched, so the update
        # has nothing to flush.
        if self.flow is not None or self.step is not None or self.data:
            self.flow, self.step, self.data = None, None, {}


async def load_for_update(
    session: AsyncSession, *, channel: str, chat_id: str, now: datetime
) -> DialogState:
    query = (
        select(DialogState)
        .where(DialogState.channel == channel, DialogState.chat_id == chat_id)
        .with_for_update()
    )
    state = await session.scalar(query)
    if state is None:
        await insert_ignore(
            session,
            DialogState.__table__,
            {"channel": channel, "chat_id": chat_id, "data": {}, "choices": [], "updated_at": now},
            ["channel", "chat_id"],
        )
        state = await session.scalar(query)
        assert state is not None
    expire_if_stale(state, now)
    return state


def expire_if_stale(state: DialogState, now: datetime) -> None:
    if state.updated_at < now - DIALOG_TTL and (state.flow or state.choices):
        state.end()
        state.choices = []


def touch(state: DialogState, now: datetime) -> None:
    """Record activity when there is something to expire, at most once a minute: the
    30-minute expiry does not need more, and it saves a write on most updates."""
    if (state.flow is not None or state.choices) and now - state.updated_at > TOUCH_RESOLUTION:
        state.updated_at = now


async def offer_after_notice(
    conn: AsyncConnection, *, channel: str, offers: list[tuple[str, list[list[str]]]], now: datetime
) -> None:
    """Remember the choices a delivered notice showed as a numbered list (channels without
    buttons), so the person can answer "1" as they would to a reply. `conn` is inside
    the caller's transaction. The flow in progress,
    if any, is left alone; the choices expire like any others (DIALOG_TTL)."""
    table = DialogState.__table__
    for chat_id, choices in offers:
        await insert_ignore(
            conn,
            table,
            {
                "channel": channel,
                "chat_id": chat_id,
                "data": {},
                "choices": choices,
                "updated_at": now,
            },
            ["channel", "chat_id"],
        )
        await conn.execute(
            update(table)
            .where(table.c.channel == channel, table.c.chat_id == chat_id)
            .values(choices=choices, updated_at=now)
        )
