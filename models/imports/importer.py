"""What an import kind is to its callers (the `import` command and the chat upload), and the
base every kind extends so that only its columns, checks and writes are its own."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from models import audit
from models.imports import isolated as worker
from models.imports.cells import RowError
from models.imports.plan import Plan, error_workbook, plan_report
from models.imports.report import MSG_RESULT_ROW_ERRORS, ImportResult, begin_apply, format_outcome
from models.imports.table import Column, EncodedSheets, Sheet, Table, TableError
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
        content: bytes | Sequence[Sheet] | EncodedSheets,
        *,
        today: date,
        scope_unit: OrgUnit | None = None,
        pepper: bytes = b"",
        isolated: bool = False,
        prechecked: PreChecked | None = None,
    ) -> PlanT: ...

    async def apply(
        self,
        session: AsyncSession,
        plan: PlanT,
        *,
        actor: str,
        now: datetime,
        skip_bad_rows: bool = False,
        actor_official_id: int | None = None,
    ) -> ResultT: ...

    def format_plan_report(self, plan: PlanT, limit: int = 20) -> str: ...

    def format_result(self, result: ResultT) -> str: ...

    def write_error_file(self, plan: PlanT) -> bytes: ...


class TableImporter(Generic[PlanT, ResultT]):
    """An `Importer` for a file of rows. A kind declares its columns and msgids and writes
    `check` (the rows into plan rows and row errors) and `write` (the plan into tables)."""

    kind: str
    label: str
    columns: Sequence[Column]
    plan_type: type[PlanT]
    result_type: type[ResultT]
    audit_action: str
    summary: str  # msgid: {file} {total} {valid} {bad}
    summary_with_sheet: str | None = None  # msgid: the same and {sheet}
    done: str  # msgid: {file} {created} {updated} {unchanged} {skipped}
    list_ignored: bool = True  # say which columns of the file were not used

    async def check(
        self,
        session: AsyncSession,
        plan: PlanT,
        table: Table,
        errors: defaultdict[int, list[RowError]],
    ) -> None:
        raise NotImplementedError

    async def write(
        self, session: AsyncSession, plan: PlanT, result: ResultT, now: datetime
    ) -> None:
        raise NotImplementedError

    def audit_detail(self, result: ResultT) -> dict[str, Any]:
        """What the audit entry says beyond the counts."""
        return {}

    # The check in another process (`plan(isolated=True)`, the chat): `preload` reads what
    # `prepare` needs from the database, `prepare` (pure, picklable arguments) runs in the
    # worker and gives one item per table row, `check_prepared` does the rest here.

    async def preload(self, session: AsyncSession) -> Any:
        return None

    def prepare(
        self,
        plan: PlanT,
        table: Table,
        preloaded: Any,
        errors: defaultdict[int, list[RowError]],
    ) -> list[Any] | None:
        return None

    async def check_prepared(
        self,
        session: AsyncSession,
        plan: PlanT,
        table: Table,
        errors: defaultdict[int, list[RowError]],
        prepared: list[Any] | None,
    ) -> None:
        await self.check(session, plan, table, errors)

    def new_plan(
        self, file_name: str, today: date, scope_unit: OrgUnit | None, pepper: bytes
    ) -> PlanT:
        """The empty plan a check fills, scoped to `scope_unit`'s subtree."""
        plan = self.plan_type(file_name, today)
        plan.pepper = pepper
        if scope_unit is not None:
            plan.scope_unit_id, plan.scope_path = scope_unit.id, scope_unit.path
            plan.scope_name = scope_unit.name
        return plan

    scope_refusal = ""  # msgid: why `plan_scope` refuses (only kinds that refuse set it)

    def plan_scope(self, scope_unit: OrgUnit | None) -> tuple[bool, OrgUnit | None]:
        """Whether a check runs for an admin of this scope, and the scope it runs with;
        a file refused for the scope gets `scope_refusal`."""
        return True, scope_unit

    async def plan(
        self,
        session: AsyncSession,
        file_name: str,
        content: bytes | Sequence[Sheet] | EncodedSheets,
        *,
        today: date,
        scope_unit: OrgUnit | None = None,
        pepper: bytes = b"",
        isolated: bool = False,
        prechecked: PreChecked | None = None,
    ) -> PlanT:
        """`scope_unit` (an admin's unit) limits the rows to that unit's subtree where the
        kind has units; `today` is the caller's, for the checks that need a date; `pepper`
        (LINK_CODE_SECRET) keys the hashes of personal numbers. `isolated`: read and
        validate in the worker process (models.imports.isolated), as the chat does;
        `prechecked`: that worker step already done before the transaction (`precheck`),
        used if it was made for this plan and the same preloaded data."""
        runs, scope_unit = self.plan_scope(scope_unit)
        if not runs:
            return self.refused_plan(file_name, today, TableError(self.scope_refusal))
        plan = self.new_plan(file_name, today, scope_unit, pepper)
        if isolated:
            return await self._plan_isolated(session, plan, content, prechecked)
        # The command line: a worker thread (no process to start for one file). No garbage
        # collection meanwhile: the rows' objects set off full collections (a fifth of the
        # CPU of a 24,150-row roster), and none of them is garbage until the plan is.
        with worker.collector_paused():
            table = await asyncio.to_thread(plan.read, content, self.columns)
            if table is not None:
                errors: defaultdict[int, list[RowError]] = defaultdict(list)
                await self.check(session, plan, table, errors)
                await asyncio.to_thread(plan.add_errors, table, errors)
        return plan

    def refused_plan(self, file_name: str, today: date, error: TableError) -> PlanT:
        """The plan of a file refused whole with `error`: no rows, nothing to apply."""
        plan = self.plan_type(file_name, today)
        plan.file_error = error
        return plan

    async def precheck(
        self,
        plan: PlanT,
        content: bytes | Sequence[Sheet] | EncodedSheets,
        preloaded: Any,
    ) -> PreChecked:
        """The worker step of `plan(isolated=True)` for `plan` (from `new_plan`), run
        outside any transaction: while the worker reads and validates, no database lock is
        held (on SQLite the chat's transaction holds the one writer lock)."""
        try:
            head, parts = await worker.run(_check_in_worker, self, plan, content, preloaded)
        except worker.WorkerCrashed:
            return PreChecked(self.kind, _plan_key(plan), preloaded, None, [])
        # Unpickled here too, a slice at a time (the caller pauses the collector).
        pairs = await worker.unsliced(parts)
        return PreChecked(self.kind, _plan_key(plan), preloaded, head, pairs)

    async def _plan_isolated(
        self,
        session: AsyncSession,
        plan: PlanT,
        content: bytes | Sequence[Sheet] | EncodedSheets,
        prechecked: PreChecked | None,
    ) -> PlanT:
        preloaded = await self.preload(session)
        with worker.collector_paused():
            if prechecked is None or not prechecked.fits(self.kind, plan, preloaded):
                # Nothing done before (or for another plan, or the units changed since):
                # the worker step here, inside the caller's transaction.
                prechecked = await self.precheck(plan, content, preloaded)
            if prechecked.head is None:
                plan.file_error = worker.crashed_error(plan.file_name)
                return plan
            found, shell, errors, has_prepared = prechecked.head
            checked: PlanT = found  # type: ignore[assignment]  # the plan sent, as it came back
            checked.pepper = plan.pepper
            if shell is None:
                return checked
            pairs = prechecked.pairs
            table = dataclasses.replace(shell, rows=[row for row, _item in pairs])
            prepared = [item for _row, item in pairs] if has_prepared else None
            await self.check_prepared(session, checked, table, errors, prepared)
            checked.add_errors(table, errors)
        return checked

    async def apply(
        self,
        session: AsyncSession,
        plan: PlanT,
        *,
        actor: str,
        now: datetime,
        skip_bad_rows: bool = False,
        actor_official_id: int | None = None,
    ) -> ResultT:
        result = begin_apply(self.result_type, plan, now=now, skip_bad_rows=skip_bad_rows)
        if not result.applied:
            return result
        with worker.collector_paused():  # as in `plan`: the rows written are not garbage
            await self.write(session, plan, result, now)
        audit.record(
            session,
            actor=actor,
            actor_official_id=actor_official_id,
            action=self.audit_action,
            subject=plan.file_name[:200],
            affected=result.created + result.updated,
            at=now,
            detail={
                "file": plan.file_name,
                "sheet": plan.sheet,
                "rows": plan.total_rows,
                **result.counts(),
                "scope_unit_id": plan.scope_unit_id,
                **self.audit_detail(result),
            },
        )
        return result

    def format_plan_report(self, plan: PlanT, limit: int = 20) -> str:
        return plan_report(
            plan,
            self.summary,
            limit=limit,
            summary_with_sheet=self.summary_with_sheet,
            list_ignored=self.list_ignored,
        )

    def format_result(self, result: ResultT) -> str:
        return format_outcome(result, done=self.done, refused=MSG_RESULT_ROW_ERRORS)

    def write_error_file(self, plan: PlanT) -> bytes:
        return error_workbook(plan)


def _plan_key(plan: Plan[Any]) -> tuple[Any, ...]:
    return (plan.file_name, plan.today, plan.scope_unit_id, plan.scope_path, plan.pepper)


@dataclass(frozen=True)
class PreChecked:
    """The worker's part of a chat check, done before the update's transaction: the
    head `_check_in_worker` sent back (None: the worker died) and the (row, prepared)
    pairs of its slices, unpickled."""

    kind: str
    key: tuple[Any, ...]
    preloaded: Any
    head: tuple[Plan[Any], Table | None, defaultdict[int, list[RowError]], bool] | None
    pairs: list[tuple[Any, Any]]

    def fits(self, kind: str, plan: Plan[Any], preloaded: Any) -> bool:
        return (
            self.kind == kind and self.key == _plan_key(plan) and bool(self.preloaded == preloaded)
        )


def _check_in_worker(
    importer: TableImporter[Any, Any],
    plan: Plan[Any],
    content: bytes | Sequence[Sheet] | EncodedSheets,
    preloaded: Any,
) -> tuple[tuple[Plan[Any], Table | None, defaultdict[int, list[RowError]], bool], list[bytes]]:
    """In the worker process: the file read and its rows validated; the rows (with what
    `prepare` made of each) go back in slices, the rest in one small head."""
    errors: defaultdict[int, list[RowError]] = defaultdict(list)
    with worker.collector_paused():  # as in `plan`; the worker's heap is the file's
        return _checked_in_worker(importer, plan, content, preloaded, errors)


def _checked_in_worker(
    importer: TableImporter[Any, Any],
    plan: Plan[Any],
    content: bytes | Sequence[Sheet] | EncodedSheets,
    preloaded: Any,
    errors: defaultdict[int, list[RowError]],
) -> tuple[tuple[Plan[Any], Table | None, defaultdict[int, list[RowError]], bool], list[bytes]]:
    table = plan.read(content, importer.columns)
    if table is None:
        return (plan, None, errors, False), []
    prepared = importer.prepare(plan, table, preloaded, errors)
    items = prepared if prepared is not None else [None] * len(table.rows)
    pairs = list(zip(table.rows, items, strict=True))
    plan.pepper = b""  # the key is the bot's: not sent back
    head = (plan, dataclasses.replace(table, rows=[]), errors, prepared is not None)
    return head, worker.sliced(pairs)
