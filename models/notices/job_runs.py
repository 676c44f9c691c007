"""When each scheduler job last ran: one row per job, overwritten each run.

/healthz of the scheduler reads it (a scheduler whose planning stopped is alive but
useless) from the database, so every process and the operator see the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, String, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, insert_ignore


class JobRun(Base):
    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    ok: Mapped[bool] = mapped_column(Boolean)
    duration_ms: Mapped[int]


@dataclass(frozen=True)
class LastRun:
    job: str
    finished_at: datetime
    ok: bool
    duration_ms: int


async def record_run(
    session: AsyncSession, job: str, *, started: datetime, finished: datetime, ok: bool
) -> None:
    """Insert-or-update, safe when two schedulers finish the same job at once."""
    values = {
        "job": job,
        "started_at": started,
        "finished_at": finished,
        "ok": ok,
        "duration_ms": max(int((finished - started).total_seconds() * 1000), 0),
    }
    table = JobRun.__table__
    await insert_ignore(session, table, values, ["job"])
    await session.execute(update(table).where(table.c.job == job).values(**values))


async def last_runs(conn: AsyncConnection | AsyncSession) -> list[LastRun]:
    table = JobRun.__table__
    result = await conn.execute(
        select(table.c.job, table.c.finished_at, table.c.ok, table.c.duration_ms)
    )
    return [LastRun(r.job, r.finished_at, r.ok, r.duration_ms) for r in result]
