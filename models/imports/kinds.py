"""The kinds of file HR can import, from the command line or by sending them in the chat:
one registry of `Importer` instances, so both paths treat every kind alike."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.imports.attendance import ATTENDANCE
from models.imports.courses import COURSES
from models.imports.external import EXTERNAL
from models.imports.importer import Importer
from models.imports.officials import ROSTER, RosterResult
from models.imports.quotas import QUOTAS
from models.imports.report import ImportResult
from models.imports.training import TRAINING
from models.imports.units import UNITS

if TYPE_CHECKING:  # planning imports the whole domain; only its settings type is needed here
    from models.notices.planning import PlanningSettings

# In the order a person is offered them.
IMPORTERS: dict[str, Importer[Any, Any]] = {
    importer.kind: importer for importer in (ROSTER, TRAINING, COURSES, ATTENDANCE, UNITS, EXTERNAL)
}
# --- seat quotas per unit (#16.1) ---
IMPORTERS[QUOTAS.kind] = QUOTAS


async def after_import(
    session: AsyncSession,
    kind: str,
    result: ImportResult,
    now: datetime,
    *,
    planning: PlanningSettings,
) -> None:
    """Follow-ups of an import, in the same transaction, whichever path imported: a roster
    import that changed someone's post, rank or position tells them what now applies."""
    if isinstance(result, RosterResult) and result.changes:
        from models.notices.planning import plan_change_notices

        await plan_change_notices(session, result.changes, now=now, settings=planning)
