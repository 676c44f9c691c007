"""The roster import: HR's Excel/CSV list of officials, checked in full, then upserted by
employee code. Re-importing the same file changes nothing; a file without a column leaves
that attribute as it is."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, Text, bindparam, func, select, type_coerce, update
from sqlalchemy import Table as SqlTable
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from locales import _
from locales.folding import fold_key
from models import audit
from models.chat.phone_links import unlink_phone_links
from models.imports.bulk import insert_columns
from models.imports.cells import (
    MSG_BAD_CHOICE,
    NO_WORDS,
    YES_WORDS,
    CellError,
    ParsedColumn,
    RowError,
    blank,
    choice,
    date_value,
    items,
    parse_column,
    phone,
    required,
    text,
    vocabulary,
    yes_no,
)
from models.imports.importer import TableImporter
from models.imports.plan import Plan
from models.imports.report import ImportResult
from models.imports.roster_template import COLUMN_HELP, ROSTER_COLUMNS
from models.imports.table import CellValue, Table, TableRow
from models.org import id_numbers
from models.org.admins import role_paths
from models.org.officials import ROSTER_FIELDS, Official
from models.org.units import OrgUnit
from models.vocabulary import LEVELS, N_, parse_code

AUDIT_ACTION = "roster.import"
# Stays under SQLite's oldest bound-parameter limit (999) as well as asyncpg's.
_LOOKUP_CHUNK = 900
_PG_LOOKUP_CHUNK = 10_000

# Official attributes an import may change (unit_code becomes unit_id), in a stable order.
# The personal identification number is stored as its keyed hash and masked form only.
_STORED_AS: dict[str, tuple[str, ...]] = {
    "unit_code": ("unit_id",),
    "id_number": ("id_number_hash", "id_number_masked"),
}
_ATTRIBUTES: tuple[str, ...] = tuple(
    stored
    for name in (*ROSTER_FIELDS, "active")
    if name != "employee_code"
    for stored in _STORED_AS.get(name, (name,))
)
_TEXT_LIMITS: dict[str, int] = {
    "employee_code": 40,
    "full_name": 120,
    "professional_title_code": 40,
    "post_title": 200,
    "ethnicity": 40,
    "email": 200,
    "rank_code": 20,
}
_DATE_FIELDS = ("birth_date", "rank_assigned_on", "leadership_appointed_on", "started_service_on")
_VOCAB_FIELDS = (
    "gender",
    "category",
    "rank_tier",
    "leadership_tier",
    "education_level",
    "political_theory_level",
)
_BOOL_FIELDS = ("professional_field_matches_post", "active")

# The Vietnamese words shown as accepted values: data from the spreadsheet world, so they are
# shown as HR writes them whatever the reader's locale. Each parses via parse_code (tested).
ACCEPTED_WORDS: dict[str, tuple[str, ...]] = {
    "gender": ("nam", "nữ"),
    "category": ("cán bộ", "công chức", "viên chức"),
    "rank_tier": ("chuyên viên cao cấp", "chuyên viên chính", "chuyên viên", "cán sự", "nhân viên"),
    "leadership_tier": (
        "phó trưởng phòng",
        "trưởng phòng",
        "phó giám đốc sở",
        "giám đốc sở",
        "lãnh đạo chủ chốt xã",
        "lãnh đạo chủ chốt tỉnh",
        "quản lý đơn vị sự nghiệp",
    ),
    "education_level": (
        "không",
        "sơ cấp",
        "trung cấp",
        "cao đẳng",
        "đại học",
        "thạc sĩ",
        "tiến sĩ",
    ),
    "political_theory_level": ("không", "sơ cấp", "trung cấp", "cao cấp"),
}

# Abbreviations HR uses that models.vocabulary does not know (see docs/vietnamese.md).
_EXTRA_SYNONYMS: dict[str, dict[str, str]] = {
    "rank_tier": {"cvcc": "chuyen_vien_cao_cap", "cvc": "chuyen_vien_chinh", "cv": "chuyen_vien"},
    "leadership_tier": {
        "pho phong": "pho_truong_phong",
        "ptp": "pho_truong_phong",
        "pho giam doc": "pho_giam_doc_so",
        "pgd": "pho_giam_doc_so",
    },
    "education_level": {"ths": "thac_si", "ts": "tien_si", "cn": "dai_hoc", "cu nhan": "dai_hoc"},
    "political_theory_level": {
        "cao cap chinh tri hanh chinh": "cao_cap",
        "cc llct": "cao_cap",
        "tc llct": "trung_cap",
        "sc llct": "so_cap",
    },
}
# "Cao cấp lý luận chính trị", "Trung cấp LLCT": the level followed by the subject's name.
_POLITICAL_SUFFIX = re.compile(r" (ly luan chinh tri|llct|chinh tri)$")
# Written in a leader column for people who hold no leadership post.
_NO_POST = {"khong", "khong co", "none", "no"}

_TRUE_WORDS = YES_WORDS | {"phu hop", "dang cong tac", "con cong tac", "dang lam viec"}
_FALSE_WORDS = NO_WORDS | {
    "khong phu hop",
    "nghi huu",
    "da nghi huu",
    "nghi viec",
    "da nghi viec",
    "thoi viec",
    "chuyen cong tac",
    "da chuyen cong tac",
    "khong con cong tac",
}
_LOCALE_WORDS = {
    "vi": "vi",
    "tieng viet": "vi",
    "vietnamese": "vi",
    "viet": "vi",
    "en": "en",
    "english": "en",
    "tieng anh": "en",
    "anh": "en",
}
_RANK_CODE = re.compile(r"^[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

MSG_FUTURE_BIRTH = N_("“{value}” is in the future; please check the birth date.")
MSG_BAD_EMAIL = N_("“{value}” is not a valid email address.")
MSG_BAD_RANK_CODE = N_("“{value}” is not a rank code (e.g. 01.003).")
MSG_UNKNOWN_UNIT = N_(
    "no unit has the code or name “{value}”; please use a unit code from the unit list."
)
MSG_AMBIGUOUS_UNIT = N_(
    "several units are named “{value}”; please write the unit code instead ({codes})."
)
MSG_DISSOLVED_UNIT = N_(
    "the unit “{value}” stopped operating on {date}; please use the unit that replaced it."
)
MSG_OUT_OF_SCOPE = N_(
    "the unit “{value}” is not part of {scope}; you can only import officials of your own unit."
)
MSG_OFFICIAL_OUT_OF_SCOPE = N_(
    "the official with code “{value}” currently belongs to a unit outside {scope}; please"
    " ask that unit to transfer the official."
)
MSG_ADMIN_OUT_OF_SCOPE = N_(
    "the official with code “{value}” is an HR admin beyond {scope}, so their record can be"
    " changed only by the province HR office; please ask the province HR office."
)
MSG_DUPLICATE_CODE = N_(
    "the employee code “{value}” appears more than once in the file (rows {rows}); please"
    " keep only one row for each official."
)
MSG_DUPLICATE_ID_NUMBER = N_(
    "the personal identification number “{value}” appears more than once in the file (rows"
    " {rows}); each official has their own number."
)
MSG_ID_NUMBER_TAKEN = N_(
    "the personal identification number “{value}” belongs to another official on file;"
    " please check the number."
)
MSG_ID_NUMBER_RECODE_CLASH = N_(
    "the personal identification number “{value}” belongs to the official with code {old},"
    " who also has a row in this file; please keep one row per official."
)
MSG_RECODED = N_("Employee code changed (found by personal identification number): {pairs}.")
MSG_PLAN_SUMMARY_SHEET = N_(
    "File “{file}” (sheet “{sheet}”). Data rows: {total}; valid: {valid}; with errors: {bad}."
)
MSG_PLAN_SUMMARY = N_("File “{file}”. Data rows: {total}; valid: {valid}; with errors: {bad}.")
MSG_RESULT = N_(
    "Roster imported from “{file}”: {created} new, {updated} updated, {unchanged} unchanged,"
    " {skipped} rows with errors skipped."
)


@dataclass(frozen=True)
class PlannedRow:
    row: int
    employee_code: str
    # Official attribute -> parsed value, only for the columns the file has (plus unit_id
    # and level, which every valid row resolves).
    values: dict[str, Any]


@dataclass
class RosterPlan(Plan[PlannedRow]):
    """A checked roster file."""

    # (old code, new code) of officials found by their personal identification number.
    recoded: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class OfficialChange:
    employee_code: str
    official_id: int
    fields: dict[str, tuple[Any, Any]]  # Official attribute -> (old, new)


@dataclass
class RosterResult(ImportResult):
    created_codes: list[str] = field(default_factory=list)
    changes: list[OfficialChange] = field(default_factory=list)  # the updated officials
    recoded: list[tuple[str, str]] = field(default_factory=list)  # (old code, new code)

    @property
    def affected(self) -> int:
        return self.created + self.updated

    @property
    def changed_codes(self) -> list[str]:
        return [c.employee_code for c in self.changes]


# --- planning ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    id: int
    code: str
    name: str
    level: str
    path: str
    valid_to: date | None


class _Units:
    """Every org unit, indexed for lookups by code or name (units are few; officials many)."""

    def __init__(self, units: Iterable[_Unit]) -> None:
        self.by_id: dict[int, _Unit] = {}
        self.by_code: dict[str, _Unit] = {}
        self.by_code_folded: dict[str, list[_Unit]] = defaultdict(list)
        self.by_digits: dict[str, list[_Unit]] = defaultdict(list)
        self.by_name: dict[str, list[_Unit]] = defaultdict(list)
        for unit in units:
            self.by_id[unit.id] = unit
            self.by_code[unit.code] = unit
            self.by_code_folded[unit.code.casefold()].append(unit)
            if unit.code.isdigit():
                self.by_digits[unit.code.lstrip("0")].append(unit)
            self.by_name[fold_key(unit.name)].append(unit)
        self.levels = set(LEVELS) | {u.level for u in self.by_code.values()}

    def __eq__(self, other: object) -> bool:
        # A check prepared before the transaction is used only against the same units.
        return isinstance(other, _Units) and self.by_id == other.by_id

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    async def load(cls, session: AsyncSession) -> _Units:
        rows = await session.execute(
            select(
                OrgUnit.id,
                OrgUnit.code,
                OrgUnit.name,
                OrgUnit.level,
                OrgUnit.path,
                OrgUnit.valid_to,
            )
        )
        return cls(_Unit(*row) for row in rows)

    def find(self, text: str) -> _Unit:
        unit = self.by_code.get(text)
        if unit is not None:
            return unit
        for candidates in (
            self.by_code_folded.get(text.casefold(), []),
            # Excel turns "03158" into the number 3158.
            self.by_digits.get(text.lstrip("0"), []) if text.isdigit() else [],
            self.by_name.get(fold_key(text), []),
        ):
            if len(candidates) == 1:
                return candidates[0]
            if len(candidates) > 1:
                codes = ", ".join(sorted(u.code for u in candidates))
                raise CellError(MSG_AMBIGUOUS_UNIT, codes=codes)
        raise CellError(MSG_UNKNOWN_UNIT)


@dataclass(frozen=True)
class _Context:
    units: _Units
    headers: Mapping[str, str]
    plan: RosterPlan


class RosterImporter(TableImporter[RosterPlan, RosterResult]):
    kind = "officials"
    label = N_("Roster of officials")
    columns = ROSTER_COLUMNS
    column_help = COLUMN_HELP
    plan_type = RosterPlan
    result_type = RosterResult
    audit_action = AUDIT_ACTION
    summary = MSG_PLAN_SUMMARY
    summary_with_sheet = MSG_PLAN_SUMMARY_SHEET
    done = MSG_RESULT

    async def check(
        self,
        session: AsyncSession,
        plan: RosterPlan,
        table: Table,
        errors: defaultdict[int, list[RowError]],
    ) -> None:
        units = await _Units.load(session)
        # Pure CPU over every cell (seconds for 67,000 rows): off the event loop.
        parsed = await asyncio.to_thread(self.prepare, plan, table, units, errors)
        await self.check_prepared(session, plan, table, errors, parsed)

    async def preload(self, session: AsyncSession) -> _Units:
        return await _Units.load(session)

    def prepare(
        self,
        plan: RosterPlan,
        table: Table,
        preloaded: Any,
        errors: defaultdict[int, list[RowError]],
    ) -> list[tuple[TableRow, str, dict[str, Any]]]:
        ctx = _Context(units=preloaded, headers=table.headers, plan=plan)
        return _parse_rows(table, ctx, errors)

    async def check_prepared(
        self,
        session: AsyncSession,
        plan: RosterPlan,
        table: Table,
        errors: defaultdict[int, list[RowError]],
        prepared: list[Any] | None,
    ) -> None:
        assert prepared is not None, "the roster's rows are parsed by `prepare`"
        parsed: list[tuple[TableRow, str, dict[str, Any]]] = prepared
        code_header = table.headers["employee_code"]

        candidates = [(r, code, values) for r, code, values in parsed if r.number not in errors]
        existing = await _load_existing(session, [code for _row, code, _v in candidates])
        holders = await _load_existing(
            session,
            [v["id_number_hash"] for _r, _c, v in candidates if v.get("id_number_hash")],
            by="id_number_hash",
        )
        candidates = _match_id_numbers(
            candidates, existing, holders, table.headers.get("id_number", ""), errors
        )
        guarded = await _guarded_ids(session, plan, existing.values())
        await asyncio.to_thread(
            _add_to_plan, plan, candidates, existing, guarded, code_header, errors
        )

    async def write(
        self, session: AsyncSession, plan: RosterPlan, result: RosterResult, now: datetime
    ) -> None:
        """Upsert by employee code; rows whose values equal the stored ones are not touched."""
        # Looked up again, not taken from the plan: a chat admin confirms minutes later.
        existing = await _load_existing(session, [row.employee_code for row in plan.rows])
        await _add_recoded(session, plan, existing)
        guarded = await _guarded_ids(session, plan, existing.values())
        inserts: list[PlannedRow] = []
        updates: list[dict[str, Any]] = []
        for row in plan.rows:
            old = existing.get(row.employee_code)
            if old is None:
                inserts.append(row)
                result.created_codes.append(row.employee_code)
                continue
            if not plan.in_scope(old["unit_path"]):
                result.skipped += 1  # moved out of the admin's scope since the plan was made
                continue
            changed = _diff(old, row.values)
            if not changed:
                result.unchanged += 1
                continue
            if old["id"] in guarded:
                result.skipped += 1  # granted a wider admin role since the plan was made
                continue
            updates.append(
                {
                    "id": old["id"],
                    **{name: new for name, (_old, new) in changed.items()},
                    "updated_at": now,
                }
            )
            result.changes.append(OfficialChange(row.employee_code, old["id"], changed))
            if "employee_code" in changed:
                result.recoded.append((old["employee_code"], row.employee_code))
        result.created = len(inserts)
        result.updated = len(updates)
        await _write(session, _new_officials(inserts, now), updates)
        moved = [c.official_id for c in result.changes if "phone" in c.fields]
        if moved:
            await unlink_phone_links(session, moved, now=now, actor="system:roster.import")

    def audit_detail(self, result: RosterResult) -> dict[str, Any]:
        """Each changed field, old → new, sensitive values masked."""
        return {
            "changes": {
                c.employee_code: {
                    name: [audit.masked(name, old), audit.masked(name, new)]
                    for name, (old, new) in c.fields.items()
                }
                for c in result.changes
            },
            "created_codes": result.created_codes,
            "recoded": [list(pair) for pair in result.recoded],
        }

    def format_plan_report(self, plan: RosterPlan, limit: int = 20) -> str:
        report = super().format_plan_report(plan, limit)
        if plan.file_error is None and plan.recoded:
            report += "\n" + _(MSG_RECODED).format(pairs=_pairs(plan.recoded, limit))
        return report

    def write_error_file(self, plan: RosterPlan) -> bytes:
        """The bad rows go back to a chat: their ID numbers go masked, as in the report."""
        header = plan.headers.get("id_number")
        if header is None or header not in plan.header_cells:
            return super().write_error_file(plan)
        index = plan.header_cells.index(header)

        def hide(cells: tuple[CellValue, ...]) -> tuple[CellValue, ...]:
            if index >= len(cells) or cells[index] in (None, ""):
                return cells
            digits = "".join(ch for ch in str(cells[index]) if ch.isdigit())
            return (
                *cells[:index],
                id_numbers.masked(digits or str(cells[index])),
                *cells[index + 1 :],
            )

        rows = {number: hide(cells) for number, cells in plan.bad_rows.items()}
        return super().write_error_file(dataclasses.replace(plan, bad_rows=rows))

    def format_result(self, result: RosterResult) -> str:
        text = super().format_result(result)
        if result.recoded:
            text += "\n" + _(MSG_RECODED).format(pairs=_pairs(result.recoded, 20))
        return text


def _pairs(pairs: Sequence[tuple[str, str]], limit: int) -> str:
    shown = ", ".join(f"{old} → {new}" for old, new in pairs[:limit])
    return shown + (" …" if len(pairs) > limit else "")


ROSTER = RosterImporter()


async def _write(
    session: AsyncSession, inserts: dict[str, list[Any]], updates: list[dict[str, Any]]
) -> None:
    """Core executemany rather than the ORM's bulk paths, which sent 24,150 inserts to SQLite
    as thousands of small batches (about four times slower); the inserts with each distinct
    value processed once (models/imports/bulk.py)."""
    table = Official.__table__
    assert isinstance(table, SqlTable)
    if inserts["employee_code"]:
        await insert_columns(await session.connection(), table, inserts)
    # One UPDATE per set of changed columns, each run for all the officials it fits.
    shapes: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for values in updates:
        shapes[tuple(sorted(k for k in values if k != "id"))].append(values)
    for keys, batch in shapes.items():
        # Bind names must differ from column names in an UPDATE's SET clause.
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({key: bindparam(f"b_{key}") for key in keys})
        )
        await session.execute(
            statement,
            [{"b_id": v["id"], **{f"b_{key}": v[key] for key in keys}} for v in batch],
        )


def _new_official(row: PlannedRow, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(_ATTRIBUTES)
    values.update(languages=[], active=True)
    values.update(row.values)
    values.update(employee_code=row.employee_code, created_at=now, updated_at=now)
    return values


def _new_officials(rows: Sequence[PlannedRow], now: datetime) -> dict[str, list[Any]]:
    """The inserted officials a column at a time (`_new_official` of each row, transposed):
    what a file has no column for is None, the language list empty (one shared list: only
    serialised), the status active."""
    columns: dict[str, list[Any]] = {}
    for name in _ATTRIBUTES:
        default: Any = [] if name == "languages" else True if name == "active" else None
        columns[name] = [row.values.get(name, default) for row in rows]
    columns["employee_code"] = [row.employee_code for row in rows]
    columns["created_at"] = columns["updated_at"] = [now] * len(rows)
    return columns


def _parse_rows(
    table: Table, ctx: _Context, errors: defaultdict[int, list[RowError]]
) -> list[tuple[TableRow, str, dict[str, Any]]]:
    """Every row's cells parsed and duplicate codes flagged: no database, so it can run in
    another process. A column at a time, each distinct cell of a column parsed once."""
    columns = [
        _RosterColumn(
            name, header, _parsed_column(name, [row.values.get(name) for row in table.rows], ctx)
        )
        for name, header in ctx.headers.items()
    ]
    parsed: list[tuple[TableRow, str, dict[str, Any]]] = []
    for row, (values, row_errors) in zip(table.rows, _assembled(table, columns), strict=True):
        code, values, row_errors = _finish_row(row, values, row_errors, ctx)
        if row_errors:
            errors[row.number].extend(row_errors)
        parsed.append((row, code, values))
    _flag_duplicates(parsed, table.headers["employee_code"], errors)
    if "id_number" in table.headers:
        _flag_duplicate_id_numbers(parsed, table.headers["id_number"], errors)
    return parsed


class _RosterColumn:
    """A parsed column and what assembling a row from it must watch for."""

    def __init__(self, name: str, header: str, parsed: ParsedColumn[dict[str, Any]]) -> None:
        self.name, self.header, self.cells = name, header, parsed.cells
        self.has_errors = parsed.has_errors
        hits = [hit for hit in parsed.distinct if not isinstance(hit, CellError)]
        # Rows share a distinct cell's result: no two officials may share one list.
        self.has_lists = any(isinstance(v, list) for hit in hits for v in hit.values())
        keys = {tuple(hit) for hit in hits}
        # The usual column: every cell sets the same one attribute and none is bad.
        self.key: str | None = None
        if not self.has_errors and not self.has_lists and len(keys) == 1:
            (only,) = keys
            self.key = only[0] if len(only) == 1 else None


def _assembled(
    table: Table, columns: Sequence[_RosterColumn]
) -> Iterable[tuple[dict[str, Any], list[RowError]]]:
    """Each row's attribute values and cell errors, in column order."""
    if all(column.key is not None for column in columns):
        keys = [column.key or "" for column in columns]
        lists = [[hit[column.key] for hit in column.cells] for column in columns]  # type: ignore[index]
        return ((dict(zip(keys, found, strict=True)), []) for found in zip(*lists, strict=True))
    return (_assembled_row(row, index, columns) for index, row in enumerate(table.rows))


def _assembled_row(
    row: TableRow, index: int, columns: Sequence[_RosterColumn]
) -> tuple[dict[str, Any], list[RowError]]:
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    for column in columns:
        hit = column.cells[index]
        if column.has_errors and isinstance(hit, CellError):
            errors.append(hit.at(row.number, column.header, blank(row.values.get(column.name))))
        elif column.has_lists:
            assert not isinstance(hit, CellError)
            values.update((k, list(v) if isinstance(v, list) else v) for k, v in hit.items())
        else:
            values.update(hit)  # type: ignore[arg-type]  # no CellError in this column
    return values, errors


def _parsed_column(
    name: str, raws: Sequence[CellValue], ctx: _Context
) -> ParsedColumn[dict[str, Any]]:
    if name == "employee_code":
        return parse_column(raws, lambda raw: {name: required(text(raw, _TEXT_LIMITS[name]))})
    return parse_column(raws, lambda raw: _parse_cell(name, raw, ctx))


def _flag_duplicate_id_numbers(
    parsed: Sequence[tuple[TableRow, str, dict[str, Any]]],
    header: str,
    errors: dict[int, list[RowError]],
) -> None:
    rows_by_number: dict[str, list[int]] = defaultdict(list)
    shown: dict[str, str] = {}
    for row, _code, values in parsed:
        if values.get("id_number_hash"):
            rows_by_number[values["id_number_hash"]].append(row.number)
            shown[values["id_number_hash"]] = values["id_number_masked"]
    for number, rows in rows_by_number.items():
        if len(rows) > 1:
            for row_number in rows:
                errors[row_number].append(
                    RowError(
                        row_number,
                        header,
                        shown[number],
                        MSG_DUPLICATE_ID_NUMBER,
                        {"rows": ", ".join(str(n) for n in rows)},
                    )
                )


def _match_id_numbers(
    candidates: list[tuple[TableRow, str, dict[str, Any]]],
    existing: dict[str, dict[str, Any]],
    holders: Mapping[str, dict[str, Any]],
    header: str,
    errors: defaultdict[int, list[RowError]],
) -> list[tuple[TableRow, str, dict[str, Any]]]:
    """Rows whose ID number is on file: the same official, or one whose employee code
    changed (that official is then the row's, under the new code: `existing` gains them),
    or a clash. Returns the rows still valid."""
    if not holders:  # no row's number is on file (or the file has no number column)
        return list(candidates)
    in_file = {code.casefold() for _row, code, _values in candidates}
    kept: list[tuple[TableRow, str, dict[str, Any]]] = []
    for row, code, values in candidates:
        number = values.get("id_number_hash")
        holder = holders.get(number) if number else None
        old = existing.get(code)
        shown = values.get("id_number_masked") or ""
        if holder is None or (old is not None and holder["id"] == old["id"]):
            kept.append((row, code, values))
        elif old is not None:
            errors[row.number].append(RowError(row.number, header, shown, MSG_ID_NUMBER_TAKEN))
        elif holder["employee_code"].casefold() in in_file:
            errors[row.number].append(
                RowError(
                    row.number,
                    header,
                    shown,
                    MSG_ID_NUMBER_RECODE_CLASH,
                    {"old": holder["employee_code"]},
                )
            )
        else:
            existing[code] = holder
            kept.append((row, code, {**values, "employee_code": code}))
    return kept


async def _add_recoded(
    session: AsyncSession, plan: RosterPlan, existing: dict[str, dict[str, Any]]
) -> None:
    """`existing` gains the officials whose code the plan changes, found again by number."""
    wanted = {
        row.values["id_number_hash"]: row.employee_code
        for row in plan.rows
        if "employee_code" in row.values and row.employee_code not in existing
    }
    if not wanted:
        return
    for number, old in (await _load_existing(session, list(wanted), by="id_number_hash")).items():
        existing[wanted[number]] = old


async def _guarded_ids(
    session: AsyncSession, plan: RosterPlan, existing: Iterable[Mapping[str, Any]]
) -> set[int]:
    """Officials a scoped import may not change: their admin roles reach beyond its scope.
    Otherwise a unit admin could give a province admin's record their own phone and take
    over the province."""
    if plan.scope_path is None:
        return set()
    roles = await role_paths(session, [old["id"] for old in existing])
    return {i for i, paths in roles.items() if not all(plan.in_scope(p) for p in paths)}


def _add_to_plan(
    plan: RosterPlan,
    candidates: Sequence[tuple[TableRow, str, dict[str, Any]]],
    existing: Mapping[str, dict[str, Any]],
    guarded: set[int],
    code_header: str,
    errors: defaultdict[int, list[RowError]],
) -> None:
    """Compare each valid row with the official on file (pure: runs in a worker thread)."""
    scope = {"scope": plan.scope_name or ""}
    for row, code, values in candidates:
        old = existing.get(code)
        if old is not None and not plan.in_scope(old["unit_path"]):
            errors[row.number].append(
                RowError(row.number, code_header, code, MSG_OFFICIAL_OUT_OF_SCOPE, scope)
            )
            continue
        changed = old is not None and bool(_diff(old, values))
        if changed and old is not None and old["id"] in guarded:
            errors[row.number].append(
                RowError(row.number, code_header, code, MSG_ADMIN_OUT_OF_SCOPE, scope)
            )
            continue
        plan.add(PlannedRow(row.number, code, values), new=old is None, changed=changed)
        if old is not None and "employee_code" in values:
            plan.recoded.append((old["employee_code"], code))


def _flag_duplicates(
    parsed: Sequence[tuple[TableRow, str, dict[str, Any]]],
    header: str,
    errors: dict[int, list[RowError]],
) -> None:
    # Case-insensitive: "cb001" and "CB001" in one file are almost surely one person.
    rows_by_code: dict[str, list[int]] = defaultdict(list)
    for row, code, _values in parsed:
        if code:
            rows_by_code[code.casefold()].append(row.number)
    for row, code, _values in parsed:
        numbers = rows_by_code.get(code.casefold(), []) if code else []
        if len(numbers) > 1:
            errors[row.number].append(
                RowError(
                    row.number,
                    header,
                    code,
                    MSG_DUPLICATE_CODE,
                    {"rows": ", ".join(str(n) for n in numbers)},
                )
            )


def _finish_row(
    row: TableRow, values: dict[str, Any], errors: list[RowError], ctx: _Context
) -> tuple[str, dict[str, Any], list[RowError]]:
    """What a row's cells mean together: the ID number checked against the birth date and
    sex, then kept only hashed and masked; the unit's level when the file has none."""
    if "id_number" in values:
        number = values.pop("id_number")
        if number is not None:
            try:
                id_numbers.check_against(number, values.get("birth_date"), values.get("gender"))
            except id_numbers.IdNumberError as bad:
                errors.append(
                    RowError(row.number, ctx.headers["id_number"], number, bad.msgid, bad.params)
                )
        # From here on the number exists only as what is stored: hash and masked form.
        values["id_number_hash"] = number and id_numbers.keyed_hash(number, ctx.plan.pepper)
        values["id_number_masked"] = id_numbers.masked(number)
    if "id_number" in ctx.headers:
        errors = [_masked_error(e, ctx.headers["id_number"]) for e in errors]
    code = values.pop("employee_code", "")
    unit_id = values.get("unit_id")
    if unit_id is not None and "level" not in values:
        values["level"] = ctx.units.by_id[unit_id].level
    return code, values, errors


def _masked_error(error: RowError, id_header: str) -> RowError:
    """A report about the ID number column names it masked: reports go to chats."""
    if error.column != id_header:
        return error
    raw = "".join(ch for ch in error.value if ch.isdigit()) or error.value
    return dataclasses.replace(error, value=id_numbers.masked(raw) or "")


def _parse_cell(name: str, raw: CellValue, ctx: _Context) -> dict[str, Any]:
    """The attribute values one cell sets: usually {name: value}; the unit column sets
    unit_id; a blank status or level cell sets nothing."""
    if name == "unit_code":
        return {"unit_id": _parse_unit(raw, ctx).id}
    if name == "level":
        level = _parse_level(raw, ctx)
        return {} if level is None else {"level": level}
    if name == "rank_code":
        return _parse_rank_code(raw, "rank_tier" not in ctx.headers)
    if name == "id_number":
        if raw is None:
            return {name: None}
        try:
            if isinstance(raw, bool) or not isinstance(raw, str | int | float):
                raise id_numbers.IdNumberError(id_numbers.MSG_BAD_ID_NUMBER)
            return {name: id_numbers.normalize(raw)}
        except id_numbers.IdNumberError as bad:
            raise CellError(bad.msgid, **bad.params) from None
    if name == "active":
        active = yes_no(raw, _TRUE_WORDS, _FALSE_WORDS)
        # A blank status cell leaves the official as they are: it is "not filled in", not
        # "no longer working" (people mark the exceptions, not everyone).
        return {} if active is None else {"active": active}
    value = _parse_field(name, raw, ctx.plan.today)
    if name in ("full_name", "category"):
        required(value)
    return {name: value}


def _parse_field(name: str, raw: CellValue, today: date) -> Any:
    if name in _DATE_FIELDS:
        value = date_value(raw)
        if value is not None and name == "birth_date" and value > today:
            raise CellError(MSG_FUTURE_BIRTH)
        return value
    if name in _VOCAB_FIELDS:
        return _parse_vocab(name, raw)
    if name in _BOOL_FIELDS:
        return yes_no(raw, _TRUE_WORDS, _FALSE_WORDS)
    if name == "phone":
        return phone(raw)
    if name == "email":
        email = text(raw, _TEXT_LIMITS[name])
        if email is not None and not _EMAIL.match(email):
            raise CellError(MSG_BAD_EMAIL)
        return email
    if name == "languages":
        return [] if fold_key(text(raw) or "") in _NO_POST else items(raw)
    if name == "preferred_locale":
        return choice(raw, _LOCALE_WORDS, MSG_BAD_CHOICE, accepted="vi, en")
    return text(raw, _TEXT_LIMITS.get(name))


def _parse_unit(raw: CellValue, ctx: _Context) -> _Unit:
    unit = ctx.units.find(required(text(raw)))
    if unit.valid_to is not None and unit.valid_to < ctx.plan.today:
        raise CellError(MSG_DISSOLVED_UNIT, date=unit.valid_to.strftime("%d/%m/%Y"))
    if not ctx.plan.in_scope(unit.path):
        raise CellError(MSG_OUT_OF_SCOPE, scope=ctx.plan.scope_name or "")
    return unit


def _parse_level(raw: CellValue, ctx: _Context) -> str | None:
    value = text(raw)
    if value is None:
        return None
    level = parse_code("level", value)
    if level is None:
        # Levels are data: any level code the unit tree uses is valid.
        candidate = fold_key(value).replace(" ", "_")
        level = candidate if candidate in ctx.units.levels else None
    if level is None:
        raise CellError(MSG_BAD_CHOICE, accepted=", ".join(sorted(ctx.units.levels)))
    return level


def _parse_rank_code(raw: CellValue, tier_fallback: bool) -> dict[str, Any]:
    if isinstance(raw, float) and not raw.is_integer():
        # Excel read "01.003" as the number 1.003; rank codes are NN.NNN.
        raw = f"{raw:06.3f}"
    code = text(raw, _TEXT_LIMITS["rank_code"])
    if code is None or _RANK_CODE.match(code):
        return {"rank_code": code}
    # Many HR files have one "Ngạch" column holding the rank's name ("Chuyên viên chính"),
    # not its code: take it as the rank tier and leave the code as it is.
    if tier_fallback:
        try:
            tier = _parse_vocab("rank_tier", code)
        except CellError:
            tier = None
        if tier is not None:
            return {"rank_tier": tier}
    raise CellError(MSG_BAD_RANK_CODE)


def _parse_vocab(name: str, raw: CellValue) -> str | None:
    value = text(raw)
    if value is None:
        return None
    key = fold_key(value)
    if name in ("leadership_tier", "rank_tier") and key in _NO_POST:
        return None
    synonyms = _EXTRA_SYNONYMS.get(name, {})
    if name == "political_theory_level" and not (parse_code(name, key) or synonyms.get(key)):
        key = _POLITICAL_SUFFIX.sub("", key)
    return vocabulary(key, name, synonyms, ", ".join(ACCEPTED_WORDS[name]))


# Read as the stored JSON text and decoded once per distinct value: a roster's language
# lists are few ("[]" for most), and json.loads on every row was half of a re-import's lookup.
_JSON_ATTRIBUTES = frozenset({"languages"})


def _existing_columns() -> list[Any]:
    columns: list[Any] = [Official.id, Official.employee_code, OrgUnit.path.label("unit_path")]
    for name in _ATTRIBUTES:
        column = getattr(Official, name)
        columns.append(
            type_coerce(column, Text).label(name) if name in _JSON_ATTRIBUTES else column
        )
    return columns


async def _load_existing(
    session: AsyncSession, codes: Sequence[str], *, by: str = "employee_code"
) -> dict[str, dict[str, Any]]:
    """Existing officials by employee code (or `by` another unique column), as plain
    values, in a few batched queries (Core rows on the session's connection: no ORM result
    machinery for 24,150 rows)."""
    if not codes:
        return {}
    key = getattr(Official, by)
    base = select(*_existing_columns(), key.label("_lookup_key")).join(
        OrgUnit, OrgUnit.id == Official.unit_id
    )
    unique = list(dict.fromkeys(codes))
    conn = await session.connection()
    postgres = conn.dialect.name == "postgresql"
    # On PostgreSQL a long "IN ($1, …, $900)" is searched linearly per row when the planner
    # picks a seq scan (stale statistics right after a bulk insert made one re-import take
    # 30 s); joining an unnested array parameter is a hash or index join whatever the plan.
    chunk_size = _PG_LOOKUP_CHUNK if postgres else _LOOKUP_CHUNK
    found: dict[str, dict[str, Any]] = {}
    decoded: dict[Any, Any] = {}
    json_names = [name for name in _ATTRIBUTES if name in _JSON_ATTRIBUTES]
    for start in range(0, len(unique), chunk_size):
        chunk = unique[start : start + chunk_size]
        if postgres:
            wanted = (
                func.unnest(bindparam("codes", chunk, type_=ARRAY(String)))
                .table_valued("code")
                .render_derived()
            )
            query = base.join(wanted, key == wanted.c.code)
        else:
            query = base.where(key.in_(chunk))
        result = await conn.execute(query)
        keys = list(result.keys())
        for row in result:
            values = dict(zip(keys, row, strict=True))
            for name in json_names:
                raw = values[name]
                if isinstance(raw, str):
                    if raw not in decoded:
                        decoded[raw] = json.loads(raw)
                    raw = decoded[raw]
                # Copied: no two officials share one mutable value.
                values[name] = list(raw) if isinstance(raw, list) else raw
            found[values.pop("_lookup_key")] = values
    return found


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, list) or isinstance(old, list):
        return list(old or []) == list(new or [])
    return bool(old == new)


def _diff(old: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {name: (old[name], new) for name, new in values.items() if not _same(old[name], new)}
