"""The kinds of file HR can import, from the command line or by sending them in the chat:
one registry of `Importer` instances, so both paths treat every kind alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.imports.attendance import ATTENDANCE
from models.imports.courses import COURSES
from models.imports.importer import Importer
from models.imports.officials import ROSTER, RosterResult
from models.imports.report import ImportResult
from models.imports.training import TRAINING

# In the order a person is offered them.
IMPORTERS: dict[str, Importer[Any, Any]] = {
    importer.kind: importer for importer in (ROSTER, TRAINING, COURSES, ATTENDANCE)
}


async def after_import(
    session: AsyncSession, kind: str, result: ImportResult, now: datetime
) -> None:
    """Follow-ups of an import, in the same transaction, whichever path imported: a roster
    import that changed someone's post, rank or position tells them what now applies."""
    if isinstance(result, RosterResult) and result.changes:
        from models.notices.planning import plan_change_notices

        await plan_change_notices(session, result.changes, now=now)
