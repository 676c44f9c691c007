"""When each Zalo OA follower last interacted with the OA (wrote, tapped a button, shared
information, followed), because free consultation messages may only be sent inside a window
after that (docs/zalo-oa.md, "Interaction window"). The delivery planner reads it too, to
decide whether the OA can carry a notice today.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class OaInteraction(Base):
    __tablename__ = "zalo_oa_interactions"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_interaction_at: Mapped[datetime]
    following: Mapped[bool] = mapped_column(default=True)


async def record(
    session: AsyncSession, user_id: str, at: datetime, *, following: bool | None = None
) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values: dict[str, object] = {"user_id": user_id, "last_interaction_at": at}
    statement = insert(OaInteraction).values(
        **values, following=True if following is None else following
    )
    changes: dict[str, object] = {"last_interaction_at": at}
    if following is not None:
        changes["following"] = following
    await session.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=changes))


async def last_interaction(session: AsyncSession, user_id: str) -> datetime | None:
    row = await session.get(OaInteraction, user_id, populate_existing=True)
    return row.last_interaction_at if row is not None else None


def inside_window(last: datetime | None, now: datetime, window: timedelta) -> bool:
    return last is not None and now - last < window
