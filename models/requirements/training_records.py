"""Completed training (completions): the table, the Excel/CSV import and the demo records.

The import follows the roster import's contract (models/imports/officials.py): `plan_import`
reads and checks every row and writes nothing; `apply_import` writes the valid rows in the
caller's transaction, and only when the plan has no errors unless `skip_bad_rows`. A
completion is identified by official, kind, date and programme (code, else title), so
re-importing a file changes nothing and a corrected file updates periods, certificate and
provider in place instead of adding a second record.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from locales import _, format_number
from locales.folding import clean, fold, fold_key
from models import audit
from models.base import Base, utcnow
from models.imports.officials import MSG_BAD_DATE, MSG_REQUIRED, MSG_TOO_LONG, RowError
from models.imports.report import (
    ImportResult,
    begin_apply,
    changed_values,
    format_outcome,
    rows_by_key,
)
from models.imports.table import CellValue, Column, TableError, TableRow, cell_text, read_table
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.evaluation import Completion
from models.requirements.model import Catalogue
from models.requirements.store import current_catalogue

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AUDIT_ACTION = "training.import"
_LOOKUP_CHUNK = 900  # under SQLite's oldest bound-parameter limit
_MAX_PERIODS = 5000  # a two-year full-time course is ~3,000 periods; more is a typo
_MIN_DATE = date(1950, 1, 1)


def N_(message: str) -> str:
    """Mark a msgid for extraction; it is translated when the report is formatted."""
    return message


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
MSG_PLAN_PREVIEW = N_("If imported: {create} new, {update} updated, {same} unchanged.")
MSG_PLAN_IGNORED = N_("Columns not used: {columns}.")
MSG_PLAN_OK = N_("No errors found. The file is ready to import.")
MSG_PLAN_HAS_ERRORS = N_(
    "No data has been written. Please correct the rows below and send the file again, or"
    " choose to import only the valid rows."
)
MSG_MORE_ERRORS = N_("… and {count} more errors.")
MSG_RESULT = N_(
    "Training records imported from “{file}”: {created} new, {updated} updated, {unchanged}"
    " unchanged, {skipped} rows with errors skipped."
)
MSG_RESULT_ROW_ERRORS = N_(
    "Nothing was imported because {bad} rows of “{file}” have errors. Please correct them and"
    " send the file again, or choose to import only the valid rows."
)


class TrainingRecord(Base):
    __tablename__ = "training_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    program_code: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(300))
    periods: Mapped[int | None]
    completed_on: Mapped[date] = mapped_column(index=True)
    certificate_no: Mapped[str | None] = mapped_column(String(60))
    provider: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    # What makes two rows the same completion (see `import_key`); unique so a re-import,
    # even by two processes at once, cannot add a duplicate.
    import_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def completion(self) -> Completion:
        return Completion(
            kind=self.kind,
            completed_on=self.completed_on,
            periods=self.periods,
            certificate_no=self.certificate_no,
            program_code=self.program_code,
            title=self.title,
            record_id=self.id,
        )


def import_key(
    official_id: int, kind: str, completed_on: date, program_code: str | None, title: str | None
) -> str:
    identity = fold_key(program_code or "") or fold_key(title or "")
    raw = f"{official_id}|{kind}|{completed_on.isoformat()}|{identity}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


async def records_of(session: AsyncSession, official_id: int) -> list[TrainingRecord]:
    """The official's completions, newest first, in one query."""
    rows = await session.scalars(
        select(TrainingRecord)
        .where(TrainingRecord.official_id == official_id)
        .order_by(TrainingRecord.completed_on.desc(), TrainingRecord.id.desc())
    )
    return list(rows)


# --- the columns -------------------------------------------------------------------------

TRAINING_COLUMNS: tuple[Column, ...] = (
    Column(
        "employee_code",
        "Mã cán bộ",
        (
            "Ma CB",
            "Mã CBCCVC",
            "Mã công chức",
            "Mã viên chức",
            "Mã số cán bộ",
            "employee_code",
            "employee code",
        ),
        required=True,
    ),
    Column(
        "kind",
        "Loại bồi dưỡng",
        (
            "Loại",
            "Nội dung bồi dưỡng",
            "Loại đào tạo, bồi dưỡng",
            "Loại khóa học",
            "kind",
        ),
        required=True,
    ),
    Column(
        "program_code",
        "Mã chương trình",
        (
            "Mã khóa học",
            "Mã khóa",
            "Mã lớp",
            "program_code",
            "course code",
        ),
    ),
    Column(
        "title",
        "Tên chương trình",
        (
            "Tên khóa học",
            "Tên lớp",
            "Khóa học",
            "Chương trình",
            "title",
            "course",
        ),
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
        (
            "Số giấy chứng nhận",
            "Số hiệu chứng chỉ",
            "Số CC",
            "Số GCN",
            "certificate_no",
        ),
    ),
    Column(
        "provider",
        "Cơ sở đào tạo",
        (
            "Đơn vị tổ chức",
            "Cơ sở bồi dưỡng",
            "Nơi đào tạo",
            "Nơi học",
            "provider",
        ),
    ),
)
_TEXT_LIMITS = {
    "employee_code": 40,
    "program_code": 40,
    "title": 300,
    "certificate_no": 60,
    "provider": 200,
}
_PERIODS = re.compile(r"^(\d{1,5})(?:[.,]0+)?(?: ?tiet)?$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class _Bad(Exception):
    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


def kind_lookup(catalogue: Catalogue) -> dict[str, str]:
    """Folded code, Vietnamese and English names and aliases -> kind code."""
    index: dict[str, str] = {}
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
                index.setdefault(key, code)
    return index


# --- planning ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRecord:
    row: int
    official_id: int
    import_key: str
    values: dict[str, Any]  # TrainingRecord attributes


@dataclass
class TrainingPlan:
    file_name: str
    file_error: TableError | None = None
    sheet: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ignored_headers: list[str] = field(default_factory=list)
    total_rows: int = 0
    rows: list[PlannedRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    scope_path: str | None = None
    scope_name: str | None = None
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return self.file_error is None and not self.errors


@dataclass
class TrainingImportResult(ImportResult):
    """What applying a plan did."""


async def plan_import(
    session: AsyncSession,
    file_name: str,
    content: bytes,
    scope_unit: OrgUnit | None = None,
    *,
    today: date | None = None,
) -> TrainingPlan:
    """Read and check every row of a completions file; write nothing."""
    plan = TrainingPlan(file_name=file_name)
    if scope_unit is not None:
        plan.scope_path, plan.scope_name = scope_unit.path, scope_unit.name
    try:
        table = read_table(file_name, content, TRAINING_COLUMNS)
    except TableError as exc:
        plan.file_error = exc
        return plan
    plan.sheet, plan.headers = table.sheet, dict(table.headers)
    plan.ignored_headers, plan.total_rows = list(table.ignored_headers), len(table.rows)
    today = today or datetime.now(VN_TZ).date()
    catalogue = await current_catalogue(session)
    kinds = kind_lookup(catalogue)
    accepted = ", ".join(k.title.vi for k in catalogue.kinds.values())
    codes = {clean(cell_text(r.values.get("employee_code"))) for r in table.rows}
    officials = await _officials_by_code(session, [c for c in codes if c])

    errors: dict[int, list[RowError]] = defaultdict(list)
    first_row_of_key: dict[str, int] = {}
    candidates: list[PlannedRecord] = []
    for row in table.rows:
        planned = _parse_row(
            row, table.headers, plan, officials, kinds, accepted, today, errors[row.number]
        )
        if planned is None:
            continue
        other = first_row_of_key.setdefault(planned.import_key, row.number)
        if other != row.number:
            errors[row.number].append(
                RowError(
                    row.number,
                    table.headers["completed_on"],
                    cell_text(row.values.get("completed_on")),
                    MSG_DUPLICATE,
                    {"other": other},
                )
            )
            continue
        candidates.append(planned)

    existing = await _existing(session, [p.import_key for p in candidates])
    for planned in candidates:
        plan.rows.append(planned)
        old = existing.get(planned.import_key)
        if old is None:
            plan.to_create += 1
        elif changed_values(old, planned.values, _MUTABLE):
            plan.to_update += 1
        else:
            plan.unchanged += 1
    order = {header: i for i, header in enumerate(table.header_cells)}
    for number in sorted(n for n, e in errors.items() if e):
        plan.errors.extend(sorted(errors[number], key=lambda e: order.get(e.column, len(order))))
        plan.bad_rows.add(number)
    return plan


def _parse_row(
    row: TableRow,
    headers: Mapping[str, str],
    plan: TrainingPlan,
    officials: Mapping[str, tuple[int, str]],
    kinds: Mapping[str, str],
    accepted: str,
    today: date,
    errors: list[RowError],
) -> PlannedRecord | None:
    values: dict[str, Any] = {}
    official_id: int | None = None
    for name, header in headers.items():
        raw = row.values.get(name)
        try:
            if name == "employee_code":
                code = _text(raw, name)
                if code is None:
                    raise _Bad(MSG_REQUIRED)
                found = officials.get(code) or officials.get(code.lower())
                if found is None:
                    raise _Bad(MSG_UNKNOWN_OFFICIAL)
                if plan.scope_path is not None and not found[1].startswith(plan.scope_path):
                    raise _Bad(MSG_OUT_OF_SCOPE, scope=plan.scope_name or "")
                official_id = found[0]
            elif name == "kind":
                text = _text(raw, name)
                if text is None:
                    raise _Bad(MSG_REQUIRED)
                kind = kinds.get(fold_key(text))
                if kind is None:
                    raise _Bad(MSG_UNKNOWN_KIND, accepted=accepted)
                values["kind"] = kind
            elif name == "completed_on":
                day = _date(raw)
                if day is None:
                    raise _Bad(MSG_REQUIRED)
                if day > today:
                    raise _Bad(MSG_FUTURE)
                values["completed_on"] = day
            elif name == "periods":
                values["periods"] = _periods(raw)
            else:
                values[name] = _text(raw, name)
        except _Bad as bad:
            errors.append(RowError(row.number, header, cell_text(raw), bad.msgid, bad.params))
    if errors or official_id is None:
        return None
    key = import_key(
        official_id,
        values["kind"],
        values["completed_on"],
        values.get("program_code"),
        values.get("title"),
    )
    return PlannedRecord(row.number, official_id, key, values)


def _text(raw: CellValue, name: str) -> str | None:
    if raw is None:
        return None
    if name == "employee_code" and isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = clean(cell_text(raw))
    if not text or re.fullmatch(r"[\-–—.\s]*", text):
        return None
    limit = _TEXT_LIMITS.get(name)
    if limit is not None and len(text) > limit:
        raise _Bad(MSG_TOO_LONG, max=limit)
    return text


def _date(raw: CellValue) -> date | None:
    if raw is None:
        return None
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        if m := _DMY.match(text):
            day, month, year = (int(g) for g in m.groups())
        elif m := _YMD.match(text):
            year, month, day = (int(g) for g in m.groups())
        else:
            raise _Bad(MSG_BAD_DATE)
        try:
            value = date(year, month, day)
        except ValueError:
            raise _Bad(MSG_BAD_DATE) from None
    elif isinstance(raw, int | float) and not isinstance(raw, bool) and 1 <= raw < 2_958_466:
        # An unformatted Excel date cell holds its serial number (1900 system).
        value = date(1899, 12, 30) + timedelta(days=int(raw))
    else:
        raise _Bad(MSG_BAD_DATE)
    if value < _MIN_DATE:
        raise _Bad(MSG_BAD_DATE)
    return value


def _periods(raw: CellValue) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise _Bad(MSG_BAD_PERIODS)
    if isinstance(raw, int | float):
        if float(raw).is_integer() and 0 <= raw <= _MAX_PERIODS:
            return int(raw)
        raise _Bad(MSG_BAD_PERIODS)
    match = _PERIODS.match(fold(cell_text(raw)))
    if match is None or int(match.group(1)) > _MAX_PERIODS:
        raise _Bad(MSG_BAD_PERIODS)
    return int(match.group(1))


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


_MUTABLE = ("program_code", "title", "periods", "certificate_no", "provider")


async def _existing(session: AsyncSession, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    columns = [TrainingRecord.id, TrainingRecord.import_key] + [
        getattr(TrainingRecord, name) for name in _MUTABLE
    ]
    return await rows_by_key(session, TrainingRecord.import_key, columns, keys)


# --- applying ----------------------------------------------------------------------------


async def apply_import(
    session: AsyncSession,
    plan: TrainingPlan,
    *,
    actor: str,
    now: datetime,
    skip_bad_rows: bool = False,
) -> TrainingImportResult:
    """Insert new completions and update changed ones, in the caller's transaction."""
    result = begin_apply(TrainingImportResult, plan, now=now, skip_bad_rows=skip_bad_rows)
    if not result.applied:
        return result
    # Looked up again, not taken from the plan: a chat admin confirms minutes later.
    existing = await _existing(session, [p.import_key for p in plan.rows])
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    source = f"import:{plan.file_name}"[:200]
    for planned in plan.rows:
        old = existing.get(planned.import_key)
        if old is None:
            inserts.append(
                {
                    **dict.fromkeys(_MUTABLE),
                    **planned.values,
                    "official_id": planned.official_id,
                    "import_key": planned.import_key,
                    "source": source,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            continue
        changed = changed_values(old, planned.values, _MUTABLE)
        if changed:
            updates.append({"id": old["id"], **changed, "updated_at": now})
        else:
            result.unchanged += 1
    result.created, result.updated = len(inserts), len(updates)
    if inserts:
        await session.execute(insert(TrainingRecord), inserts)
    if updates:
        await session.execute(update(TrainingRecord), updates)
    audit.record(
        session,
        actor=actor,
        action=AUDIT_ACTION,
        subject=plan.file_name[:200],
        affected=result.created + result.updated,
        at=now,
        detail={
            "file": plan.file_name,
            "rows": plan.total_rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "skipped": result.skipped,
        },
    )
    return result


# --- reports -----------------------------------------------------------------------------


def format_plan_report(plan: TrainingPlan, limit: int = 20) -> str:
    if plan.file_error is not None:
        return plan.file_error.message()
    lines = [
        _(MSG_PLAN_SUMMARY).format(
            file=plan.file_name,
            total=format_number(plan.total_rows),
            valid=format_number(len(plan.rows)),
            bad=format_number(len(plan.bad_rows)),
        ),
        _(MSG_PLAN_PREVIEW).format(
            create=format_number(plan.to_create),
            update=format_number(plan.to_update),
            same=format_number(plan.unchanged),
        ),
    ]
    if plan.ignored_headers:
        lines.append(
            _(MSG_PLAN_IGNORED).format(columns=", ".join(f"“{h}”" for h in plan.ignored_headers))
        )
    if not plan.errors:
        lines.append(_(MSG_PLAN_OK))
        return "\n".join(lines)
    lines.append(_(MSG_PLAN_HAS_ERRORS))
    lines.extend(f"- {error.message()}" for error in plan.errors[:limit])
    if len(plan.errors) > limit:
        lines.append(_(MSG_MORE_ERRORS).format(count=format_number(len(plan.errors) - limit)))
    return "\n".join(lines)


def format_result(result: TrainingImportResult) -> str:
    return format_outcome(result, done=MSG_RESULT, refused=MSG_RESULT_ROW_ERRORS)


# --- demo records ------------------------------------------------------------------------

_DEMO_SOURCE = "demo"
_DEMO_PROVIDERS = (
    "Trường Chính trị tỉnh Điện Biên",
    "Sở Nội vụ tỉnh Điện Biên",
    "Học viện Hành chính và Quản trị công",
    "Bộ Chỉ huy Quân sự tỉnh Điện Biên",
)


async def seed_demo_training(session: AsyncSession, *, seed: int, today: date) -> int:
    """About four plausible completions per official, the same for the same seed and roster;
    does nothing when demo records already exist. Returns how many were added."""
    already = await session.scalar(
        select(TrainingRecord.id).where(TrainingRecord.source == _DEMO_SOURCE).limit(1)
    )
    if already is not None:
        return 0
    rows = await session.execute(
        select(
            Official.id,
            Official.category,
            Official.level,
            Official.leadership_tier,
            Official.leadership_appointed_on,
            Official.political_theory_level,
            Official.started_service_on,
        )
        .where(Official.active.is_(True))
        .order_by(Official.id)
    )
    batch: list[dict[str, Any]] = []
    added = 0
    for row in rows:
        batch.extend(_demo_records(random.Random(f"{seed}:{row.id}"), row, today))
        if len(batch) >= 5000:
            await session.execute(insert(TrainingRecord), batch)
            added += len(batch)
            batch = []
    if batch:
        await session.execute(insert(TrainingRecord), batch)
        added += len(batch)
    return added


def _demo_records(rng: random.Random, row: Any, today: date) -> list[dict[str, Any]]:
    out: list[tuple[str, date, int, bool]] = []
    this_year_share = (today - date(today.year, 1, 1)).days / 365

    def day_in(year: int, last: date | None = None) -> date:
        start = date(year, 1, 1)
        end = min(last or date(year, 12, 31), today)
        return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))

    if row.category == "vien_chuc":
        yearly = ("dao_duc_cong_vu", "theo_vi_tri_viec_lam")
    elif row.level == "commune":
        yearly = ("cap_nhat_phap_luat_ky_nang", "dao_duc_cong_vu")
    else:
        yearly = ("cap_nhat_phap_luat_ky_nang", "theo_vi_tri_viec_lam")
    for year, chance in ((today.year - 1, 0.85), (today.year, 0.75 * this_year_share + 0.1)):
        for kind in yearly:
            if rng.random() < chance:
                out.append((kind, day_in(year), rng.choice((8, 16, 24, 40)), True))
    if row.political_theory_level in ("so_cap", "trung_cap", "cao_cap"):
        start = row.started_service_on or date(today.year - 10, 1, 1)
        year = rng.randint(min(start.year, today.year - 1), today.year - 1)
        out.append(("ly_luan_chinh_tri", day_in(year), rng.choice((200, 480, 880)), True))
    if row.leadership_tier is not None:
        appointed = row.leadership_appointed_on or date(today.year - 3, 1, 1)
        if rng.random() < 0.6 and appointed < today - timedelta(days=60):
            done = appointed + timedelta(days=rng.randint(30, 300))
            out.append(("lanh_dao_quan_ly", min(done, today), 160, True))
        if rng.random() < 0.5:
            out.append(
                ("quoc_phong_an_ninh", day_in(rng.randint(today.year - 4, today.year)), 96, True)
            )
    if rng.random() < 0.3:
        out.append(
            (
                rng.choice(("tin_hoc", "khoa_hoc_cong_nghe_so", "ngoai_ngu")),
                day_in(rng.randint(today.year - 3, today.year)),
                40,
                False,
            )
        )
    records = []
    for n, (kind, completed, periods, certified) in enumerate(out):
        records.append(
            {
                "official_id": row.id,
                "kind": kind,
                "program_code": None,
                "title": None,
                "periods": periods,
                "completed_on": completed,
                "certificate_no": f"DEMO-{row.id}-{n + 1}" if certified else None,
                "provider": rng.choice(_DEMO_PROVIDERS),
                "source": _DEMO_SOURCE,
                "import_key": import_key(row.id, kind, completed, f"demo-{n}", None),
            }
        )
    return records
