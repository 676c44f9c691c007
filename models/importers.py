"""The kinds of file HR can import, from the command line or by sending them in the chat.

Every importer module offers the same four functions with the same meaning —
`plan_import(session, file_name, content, scope_unit=None)`, `apply_import(session, plan,
actor=, now=, skip_bad_rows=)`, `format_plan_report(plan)`, `format_result(result)` — and
optionally `write_error_file(plan) -> bytes` — so both paths treat every kind alike.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from models.vocabulary import N_


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
        ImportKind("officials", N_("Roster of officials"), "models.roster_import"),
        ImportKind("training", N_("Completed training records"), "models.training_records"),
    )
}
