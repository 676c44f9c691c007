"""What an import kind is to its callers (the `import` command and the chat upload), and the
base every kind extends so that only its columns, checks and writes are its own."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from models.imports.plan import Plan, error_workbook, plan_report
from models.imports.report import MSG_RESULT_ROW_ERRORS, ImportResult, format_outcome
from models.org.units import OrgUnit

PlanT = TypeVar("PlanT", bound=Plan[Any])
ResultT = TypeVar("ResultT", bound=ImportResult)


class Importer(Protocol[PlanT, ResultT]):
    """Two steps so a person sees every problem before anything changes: `plan` reads and
    checks every row and writes nothing; `apply` writes the valid rows in the caller's
    transaction, and only when no row is bad unless `skip_bad_rows`."""

    @property
    def kind(self) -> str: ...

    @property
    def label(self) -> str:
        """A msgid: what the file holds, as a person picks it."""
        ...

    async def plan(
        self,
        session: AsyncSession,
        file_name: str,
        content: bytes,
        *,
        today: date,
        scope_unit: OrgUnit | None = None,
    ) -> PlanT: ...

    async def apply(
        self,
        session: AsyncSession,
        plan: PlanT,
        *,
        actor: str,
        now: datetime,
        skip_bad_rows: bool = False,
    ) -> ResultT: ...

    def format_plan_report(self, plan: PlanT, limit: int = 20) -> str: ...

    def format_result(self, result: ResultT) -> str: ...

    def write_error_file(self, plan: PlanT) -> bytes: ...


class TableImporter:
    """The shared half of an importer: its report, its outcome line and its error file.
    A kind sets the msgids below and writes `plan` and `apply`."""

    kind: str
    label: str
    summary: str  # msgid: {file} {total} {valid} {bad}
    summary_with_sheet: str | None = None  # msgid: the same and {sheet}
    done: str  # msgid: {file} {created} {updated} {unchanged} {skipped}
    list_ignored: bool = True  # say which columns of the file were not used

    def format_plan_report(self, plan: Plan[Any], limit: int = 20) -> str:
        return plan_report(
            plan,
            self.summary,
            limit=limit,
            summary_with_sheet=self.summary_with_sheet,
            list_ignored=self.list_ignored,
        )

    def format_result(self, result: ImportResult) -> str:
        return format_outcome(result, done=self.done, refused=MSG_RESULT_ROW_ERRORS)

    def write_error_file(self, plan: Plan[Any]) -> bytes:
        return error_workbook(plan)
