"""The kinds of file HR can import, from the command line or by sending them in the chat.

Every importer module offers the same four functions with the same meaning —
`plan_import(session, file_name, content, scope_unit=None)`, `apply_import(session, plan,
actor=, now=, skip_bad_rows=)`, `format_plan_report(plan)`, `format_result(result)` — and
optionally `write_error_file(plan) -> bytes` — so both paths treat every kind alike.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from models.vocabulary import N_

if TYPE_CHECKING:  # planning imports the whole domain; only its settings type is needed here
    from models.notices.planning import PlanningSettings


@dataclass(frozen=True)
class ImportKind:
    kind: str
    label: str  # msgid
    module: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


IMPORTERS: dict[str, ImportKind] = {
    k.kind: k
    for k in (
        ImportKind("officials", N_("Roster of officials"), "models.imports.officials"),
        ImportKind(
            "training", N_("Completed training records"), "models.requirements.training_records"
        ),
        ImportKind("courses", N_("Course catalogue"), "models.imports.courses"),
        ImportKind("attendance", N_("Course attendance and results"), "models.imports.attendance"),
    )
}


async def after_import(
    session: AsyncSession, kind: str, result: Any, now: datetime, *, planning: PlanningSettings
) -> None:
    """Follow-ups of an import, in the same transaction, whichever path imported: a roster
    import that changed someone's post, rank or position tells them what now applies."""
    if kind == "officials" and getattr(result, "changes", None):
        from models.notices.planning import plan_change_notices

        await plan_change_notices(session, result.changes, now=now, settings=planning)
