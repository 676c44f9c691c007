"""The training records import: completions HR lists in a file, keyed by `import_key`, so
re-importing a file changes nothing and a corrected file updates periods, certificate and
provider in place instead of adding a second record."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from locales.folding import clean, fold_key
from locales.wording import lower_first
from models.imports.cells import (
    MSG_BAD_DATE,
    CellError,
    RowError,
    choice,
    date_value,
    integer,
    read_cells,
    required,
    text,
)
from models.imports.importer import TableImporter
from models.imports.plan import Plan
from models.imports.report import ImportResult, changed_values, rows_by_key
from models.imports.table import CellValue, Column, Table, TableRow, cell_text
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.model import Catalogue
from models.requirements.store import current_catalogue
from models.requirements.training_records import TrainingRecord, import_key
from models.vocabulary import N_

AUDIT_ACTION = "training.import"
_LOOKUP_CHUNK = 900  # under SQLite's oldest bound-parameter limit
_MAX_PERIODS = 5000  # a two-year full-time course is ~3,000 periods; more is a typo
_FIRST_COMPLETION = date(1950, 1, 1)  # earlier is a typo, not a career

MSG_UNKNOWN_OFFICIAL = N_("no official has the employee code “{value}”; please check the code.")
MSG_OUT_OF_SCOPE = N_(
    "the official with code “{value}” is not part of {scope}; you can only import training"
    " records of your own unit."
)
MSG_UNKNOWN_KIND = N_("“{value}” is not a known kind of training; please use one of: {accepted}.")
MSG_FUTURE = N_("“{value}” is in the future; only completed training can be imported.")
MSG_BAD_PERIODS = N_("“{value}” is not a number of periods (a whole number, e.g. 40).")
MSG_DUPLICATE = N_("this is the same training as row {other}; please keep only one of them.")
MSG_PLAN_SUMMARY = N_(
    "Training file “{file}”. Data rows: {total}; valid: {valid}; with errors: {bad}."
)
MSG_RESULT = N_(
    "Training records imported from “{file}”: {created} new, {updated} updated, {unchanged}"
    " unchanged, {skipped} rows with errors skipped."
)

# Shared with the attendance file, which names people and certificates the same way.
CODE_ALIASES = ("Ma CB", "Mã CBCCVC", "Mã công chức", "Mã viên chức")
CERTIFICATE_ALIASES = (
    "Số giấy chứng nhận",
    "Số hiệu chứng chỉ",
    "Số CC",
    "Số GCN",
    "certificate_no",
)
TRAINING_COLUMNS: tuple[Column, ...] = (
    Column(
        "employee_code",
        "Mã cán bộ",
        (*CODE_ALIASES, "Mã số cán bộ", "employee_code", "employee code"),
        required=True,
    ),
    Column(
        "kind",
        "Loại bồi dưỡng",
        ("Loại", "Nội dung bồi dưỡng", "Loại đào tạo, bồi dưỡng", "Loại khóa học", "kind"),
        required=True,
    ),
    Column(
        "program_code",
        "Mã chương trình",
        ("Mã khóa học", "Mã khóa", "Mã lớp", "program_code", "course code"),
    ),
    Column(
        "title",
        "Tên chương trình",
        ("Tên khóa học", "Tên lớp", "Khóa học", "Chương trình", "title", "course"),
    ),
    Column("periods", "Số tiết", ("Tiết", "Thời lượng", "Thời lượng (tiết)", "periods")),
    Column(
        "completed_on",
        "Ngày hoàn thành",
        (
            "Ngày kết thúc",
            "Ngày bế giảng",
            "Ngày cấp chứng chỉ",
            "Ngày cấp",
            "completed_on",
            "completed on",
        ),
        required=True,
    ),
    Column(
        "certificate_no",
        "Số chứng chỉ",
        CERTIFICATE_ALIASES,
    ),
    Column(
        "provider",
        "Cơ sở đào tạo",
        ("Đơn vị tổ chức", "Cơ sở bồi dưỡng", "Nơi đào tạo", "Nơi học", "provider"),
    ),
)
_TEXT_LIMITS = {
    "employee_code": 40,
    "program_code": 40,
    "title": 300,
    "certificate_no": 60,
    "provider": 200,
}
_MUTABLE = ("program_code", "title", "periods", "certificate_no", "provider")


class TrainingKinds:
    """The catalogue's kinds of training by folded code, Vietnamese or English name or alias."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.by_name: dict[str, str] = {}
        for code, kind in catalogue.kinds.items():
            for name in (
                code,
                code.replace("_", " "),
                kind.title.vi,
                kind.title.en or "",
                *kind.aliases,
            ):
                key = fold_key(name)
                if key:
                    self.by_name.setdefault(key, code)
        self.accepted = ", ".join(lower_first(k.title.vi) for k in catalogue.kinds.values())

    def parse(self, raw: CellValue) -> str:
        return required(choice(raw, self.by_name, MSG_UNKNOWN_KIND, accepted=self.accepted))


@dataclass(frozen=True)
class PlannedRecord:
    row: int
    official_id: int
    import_key: str
    values: dict[str, Any]  # TrainingRecord attributes


@dataclass
class TrainingPlan(Plan[PlannedRecord]):
    """A checked file of completions."""


@dataclass
class TrainingImportResult(ImportResult):
    """What applying a plan did."""


class TrainingImporter(TableImporter[TrainingPlan, TrainingImportResult]):
    kind = "training"
    label = N_("Completed training records")
    columns = TRAINING_COLUMNS
    plan_type = TrainingPlan
    result_type = TrainingImportResult
    audit_action = AUDIT_ACTION
    summary = MSG_PLAN_SUMMARY
    done = MSG_RESULT

    async def check(
        self,
        session: AsyncSession,
        plan: TrainingPlan,
        table: Table,
        errors: defaultdict[int, list[RowError]],
    ) -> None:
        kinds = TrainingKinds(await current_catalogue(session))
        codes = {clean(cell_text(r.values.get("employee_code"))) for r in table.rows}
        officials = await _officials_by_code(session, [c for c in codes if c])
        first_row_of_key: dict[str, int] = {}
        candidates: list[PlannedRecord] = []
        for row in table.rows:
            planned = _parse_row(row, table.headers, plan, officials, kinds, errors[row.number])
            if planned is None:
                continue
            if repeats_earlier_row(planned, row, table, first_row_of_key, errors[row.number]):
                continue
            candidates.append(planned)
        await add_completions_to_plan(session, plan, candidates, _MUTABLE)

    async def write(
        self,
        session: AsyncSession,
        plan: TrainingPlan,
        result: TrainingImportResult,
        now: datetime,
    ) -> None:
        """Insert new completions and update changed ones."""
        source = f"import:{plan.file_name}"[:200]
        await write_completions(session, plan.rows, result, now, _MUTABLE, {"source": source})


TRAINING = TrainingImporter()


def _parse_row(
    row: TableRow,
    headers: Mapping[str, str],
    plan: TrainingPlan,
    officials: Mapping[str, tuple[int, str]],
    kinds: TrainingKinds,
    errors: list[RowError],
) -> PlannedRecord | None:
    def parse(name: str, raw: CellValue) -> Any:
        if name == "employee_code":
            return _official(required(text(raw, _TEXT_LIMITS[name])), officials, plan)
        if name == "kind":
            return kinds.parse(raw)
        if name == "completed_on":
            return _completed_on(raw, plan.today)
        if name == "periods":
            return integer(raw, MSG_BAD_PERIODS, 0, _MAX_PERIODS, units=("tiet",))
        return text(raw, _TEXT_LIMITS.get(name))

    values, found = read_cells(row, headers, parse)
    errors.extend(found)
    if errors:
        return None
    official_id = values.pop("employee_code")
    key = import_key(
        official_id,
        values["kind"],
        values["completed_on"],
        values.get("program_code"),
        values.get("title"),
    )
    return PlannedRecord(row.number, official_id, key, values)


def _official(code: str, officials: Mapping[str, tuple[int, str]], plan: TrainingPlan) -> int:
    found = officials.get(code) or officials.get(code.lower())
    if found is None:
        raise CellError(MSG_UNKNOWN_OFFICIAL)
    if not plan.in_scope(found[1]):
        raise CellError(MSG_OUT_OF_SCOPE, scope=plan.scope_name or "")
    return found[0]


def _completed_on(raw: CellValue, today: date) -> date:
    day = required(date_value(raw))
    if day < _FIRST_COMPLETION:
        raise CellError(MSG_BAD_DATE)
    if day > today:
        raise CellError(MSG_FUTURE)
    return day


async def _officials_by_code(
    session: AsyncSession, codes: Sequence[str]
) -> dict[str, tuple[int, str]]:
    """Employee code (and its lower-case form) -> (official id, unit path). Matched without
    regard to case: "db000002" typed in Excel is DB000002."""
    found: dict[str, tuple[int, str]] = {}
    lowered = sorted({code.lower() for code in codes})
    for start in range(0, len(lowered), _LOOKUP_CHUNK):
        chunk = lowered[start : start + _LOOKUP_CHUNK]
        rows = await session.execute(
            select(Official.employee_code, Official.id, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == Official.unit_id)
            .where(func.lower(Official.employee_code).in_(chunk))
        )
        for code, official_id, path in rows:
            found[code] = (official_id, path)
            found.setdefault(code.lower(), (official_id, path))
    return found


class PlannedCompletionRow(Protocol):
    """What a completions importer plans for a row: one training record."""

    @property
    def official_id(self) -> int: ...

    @property
    def import_key(self) -> str: ...

    @property
    def values(self) -> dict[str, Any]: ...


CompletionT = TypeVar("CompletionT", bound=PlannedCompletionRow)


def repeats_earlier_row(
    planned: PlannedCompletionRow,
    row: TableRow,
    table: Table,
    first_row_of_key: dict[str, int],
    row_errors: list[RowError],
) -> bool:
    """Whether an earlier row of the file holds the same completion; if so the row gets
    an error naming that row. `first_row_of_key` remembers the rows seen so far."""
    other = first_row_of_key.setdefault(planned.import_key, row.number)
    if other == row.number:
        return False
    raw = row.values.get("completed_on")
    row_errors.append(
        CellError(MSG_DUPLICATE, other=other).at(row.number, table.headers["completed_on"], raw)
    )
    return True


async def add_completions_to_plan(
    session: AsyncSession,
    plan: Plan[CompletionT],
    candidates: Sequence[CompletionT],
    mutable: Sequence[str],
) -> None:
    """Add each planned completion to the plan, as new or as changing the stored record
    with its import key in one of the `mutable` columns."""
    existing = await _existing(session, [p.import_key for p in candidates], mutable)
    for planned in candidates:
        old = existing.get(planned.import_key)
        changed = old is not None and bool(changed_values(old, planned.values, mutable))
        plan.add(planned, new=old is None, changed=changed)


async def write_completions(
    session: AsyncSession,
    rows: Sequence[PlannedCompletionRow],
    result: ImportResult,
    now: datetime,
    mutable: Sequence[str],
    new_values: Mapping[str, Any],
) -> None:
    """Insert the new completions (with `new_values` besides their own) and update the
    `mutable` columns of the changed ones, counting both in `result`."""
    # Looked up again, not taken from the plan: a chat admin confirms minutes later.
    existing = await _existing(session, [p.import_key for p in rows], mutable)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for planned in rows:
        old = existing.get(planned.import_key)
        if old is None:
            inserts.append(
                {
                    **dict.fromkeys(mutable),
                    **planned.values,
                    "official_id": planned.official_id,
                    "import_key": planned.import_key,
                    **new_values,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        changed = changed_values(old, planned.values, mutable)
        if changed:
            updates.append({"id": old["id"], **changed, "updated_at": now})
        else:
            result.unchanged += 1
    result.created, result.updated = len(inserts), len(updates)
    if inserts:
        await session.execute(insert(TrainingRecord), inserts)
    if updates:
        await session.execute(update(TrainingRecord), updates)


async def _existing(
    session: AsyncSession, keys: Sequence[str], mutable: Sequence[str]
) -> dict[str, dict[str, Any]]:
    columns = [TrainingRecord.id, TrainingRecord.import_key] + [
        getattr(TrainingRecord, name) for name in mutable
    ]
    return await rows_by_key(session, TrainingRecord.import_key, columns, keys)
