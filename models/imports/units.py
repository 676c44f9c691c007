"""The unit tree import: the province's units from one file, checked as a whole.

A tree is only right when all of it is, so unlike the roster there is no "import only the
valid rows": any bad row (unknown parent, a cycle, a code used twice, impossible dates,
closing a unit where officials still work) refuses the whole file. Units are matched by
code and never deleted: a unit closed by "Hiệu lực đến" keeps its row, its history and its
former staff's records; officials move by the roster. Levels are data: "tỉnh", "xã",
"huyện" and any other name a province uses (stored as its folded code).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from locales.folding import fold_key
from models.imports.cells import (
    CellError,
    RowError,
    date_value,
    read_cells,
    required,
    text,
    yes_no,
)
from models.imports.importer import TableImporter
from models.imports.plan import Plan
from models.imports.report import ImportResult, format_outcome
from models.imports.table import Column, Table
from models.org import units as org_units
from models.org.officials import Official
from models.org.units import OrgUnit
from models.vocabulary import N_, parse_code

AUDIT_ACTION = "units.import"

# The header spec as data (a template is generated from it): canonical header first, then
# the other headers people write; folding makes each match with or without diacritics.
UNIT_COLUMNS: tuple[Column, ...] = (
    Column("code", "Mã đơn vị", ("Mã ĐV", "Mã số đơn vị", "unit_code", "code"), required=True),
    Column("name", "Tên đơn vị", ("Tên ĐV", "Đơn vị", "unit_name", "name"), required=True),
    Column(
        "parent_code",
        "Mã đơn vị cấp trên",
        ("Mã cấp trên", "Đơn vị cấp trên", "Mã ĐV cấp trên", "Trực thuộc", "parent_code"),
    ),
    Column("level", "Cấp", ("Cấp đơn vị", "Cấp hành chính", "level"), required=True),
    Column(
        "ethnic_minority_area",
        "Vùng dân tộc thiểu số",
        ("Vùng DTTS", "DTTS", "Vùng đồng bào DTTS", "Vùng đồng bào dân tộc thiểu số"),
    ),
    Column("zone", "Khu vực", ("KV", "Khu vực (I, II, III)", "zone")),
    Column("valid_from", "Hiệu lực từ", ("Từ ngày", "Ngày thành lập", "valid_from")),
    Column(
        "valid_to",
        "Hiệu lực đến",
        ("Đến ngày", "Ngày giải thể", "Ngày hết hiệu lực", "valid_to"),
    ),
)
# Level words shown in the template's help; any other name is accepted as a new level.
LEVEL_WORDS = ("tỉnh", "xã", "huyện", "trung ương")
# Vietnamese help for HR, as roster_template.COLUMN_HELP: (format, example) by field.
UNIT_COLUMN_HELP: dict[str, tuple[str, str]] = {
    "code": ("Mã đơn vị, không trùng nhau; dùng trong danh sách cán bộ", "T99-SNV"),
    "name": ("Tên đầy đủ, có dấu", "Sở Nội vụ"),
    "parent_code": (
        "Mã đơn vị cấp trên (trong tệp hoặc đã có); để trống cho chính đơn vị cấp tỉnh",
        "T99",
    ),
    "level": (
        "tỉnh / xã / huyện (trước 01/7/2025) / trung ương, hoặc tên cấp khác của tỉnh",
        "xã",
    ),
    "ethnic_minority_area": ("có / không (để trống: không)", "có"),
    "zone": ("Khu vực I, II hoặc III (nếu có)", "III"),
    "valid_from": ("Ngày bắt đầu hoạt động, dd/mm/yyyy", "01/07/2025"),
    "valid_to": (
        "Ngày cuối cùng hoạt động (giải thể, sáp nhập), dd/mm/yyyy; để trống nếu đang hoạt động",
        "30/06/2025",
    ),
}
# Cell formats for a template: codes as text (Excel drops leading zeros), dates as dates.
UNIT_TEMPLATE_FORMATS: dict[str, str] = {
    "code": "@",
    "parent_code": "@",
    "valid_from": "dd/mm/yyyy",
    "valid_to": "dd/mm/yyyy",
}
_TEXT_LIMITS = {"code": 40, "name": 200, "parent_code": 40, "zone": 10}
_LEVEL_LIMIT = 30

MSG_PROVINCE_ONLY = N_(
    "Only the province HR office (an admin for the whole province) can import the unit"
    " tree. Please send this file to the province HR office."
)
MSG_DUPLICATE = N_(
    "the unit code “{value}” appears more than once in the file (rows {rows}); please keep"
    " one row for each unit."
)
MSG_UNKNOWN_PARENT = N_(
    "no unit has the code “{value}”, neither in the file nor already loaded; please check"
    " the parent unit's code."
)
MSG_CYCLE = N_(
    "the unit “{value}” would be inside itself (the parent chain {chain} goes round in a"
    " circle); please check the parent unit codes."
)
MSG_SECOND_ROOT = N_(
    "a unit without a parent must be the province itself, and the province is already"
    " “{root}”; please fill in the parent unit's code."
)
MSG_BAD_LEVEL = N_("“{value}” is not a level; please write e.g. tỉnh, xã or huyện.")
MSG_DATES_REVERSED = N_("the end date {value} is before the start date {start}.")
MSG_STILL_STAFFED = N_(
    "the unit closes on {value} but {count} officials still work there; please move them to"
    " their new unit in the roster first."
)
MSG_SUMMARY = N_("Unit file “{file}”. Data rows: {total}; valid: {valid}; with errors: {bad}.")
MSG_SUMMARY_SHEET = N_(
    "Unit file “{file}” (sheet “{sheet}”). Data rows: {total}; valid: {valid}; with errors: {bad}."
)
MSG_RESULT = N_(
    "Units imported from “{file}”: {created} new, {updated} changed, {unchanged} unchanged."
)
MSG_REFUSED = N_(
    "Nothing was imported because {bad} rows of “{file}” have errors. A unit tree is"
    " imported whole: please correct them and send the file again."
)

_ATTRIBUTES = ("name", "level", "parent_code", "ethnic_minority_area", "zone")
_DATES = ("valid_from", "valid_to")


@dataclass(frozen=True)
class PlannedUnit:
    row: int
    code: str
    values: dict[str, Any]  # only the columns the file has (code resolved separately)


@dataclass
class UnitPlan(Plan[PlannedUnit]):
    pass


@dataclass
class UnitResult(ImportResult):
    created_codes: list[str] = field(default_factory=list)
    changed_codes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Stored:
    id: int
    code: str
    parent_code: str | None
    values: dict[str, Any]


async def _stored_units(session: AsyncSession) -> dict[str, _Stored]:
    parent = OrgUnit.__table__.alias("parent")
    rows = await session.execute(
        select(
            OrgUnit.id,
            OrgUnit.code,
            parent.c.code,
            OrgUnit.name,
            OrgUnit.level,
            OrgUnit.ethnic_minority_area,
            OrgUnit.zone,
            OrgUnit.valid_from,
            OrgUnit.valid_to,
        ).outerjoin(parent, parent.c.id == OrgUnit.parent_id)
    )
    found: dict[str, _Stored] = {}
    for uid, code, parent_code, name, level, area, zone, start, end in rows:
        values = {
            "name": name,
            "level": level,
            "parent_code": parent_code,
            "ethnic_minority_area": bool(area),
            "zone": zone,
            "valid_from": start,
            "valid_to": end,
        }
        found[code] = _Stored(uid, code, parent_code, values)
    return found


def _parse(name: str, raw: Any) -> Any:
    if name in ("code", "name"):
        return required(text(raw, _TEXT_LIMITS[name]))
    if name in ("parent_code", "zone"):
        return _code_text(raw, _TEXT_LIMITS[name])
    if name == "level":
        return _level(required(text(raw, 60)))
    if name == "ethnic_minority_area":
        return bool(yes_no(raw))
    if name in _DATES:
        return date_value(raw)
    raise AssertionError(name)


def _code_text(raw: Any, limit: int) -> str | None:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # Excel read a numeric code as a number
    return text(raw, limit)


def _level(value: str) -> str:
    """A known level's code, or any other name folded to a code ("Đặc khu" → dac_khu)."""
    code = parse_code("level", value)
    if code is not None:
        return code
    folded = fold_key(value)
    for prefix in ("cap ", "level "):
        folded = folded.removeprefix(prefix)
    code = "_".join(folded.split())
    if not code or len(code) > _LEVEL_LIMIT:
        raise CellError(MSG_BAD_LEVEL)
    return code


class UnitsImporter(TableImporter[UnitPlan, UnitResult]):
    kind = "units"
    label = N_("Unit tree")
    columns = UNIT_COLUMNS
    plan_type = UnitPlan
    result_type = UnitResult
    audit_action = AUDIT_ACTION
    summary = MSG_SUMMARY
    summary_with_sheet = MSG_SUMMARY_SHEET
    done = MSG_RESULT

    scope_refusal = MSG_PROVINCE_ONLY

    def plan_scope(self, scope_unit: OrgUnit | None) -> tuple[bool, OrgUnit | None]:
        """Only a province-wide admin imports units, and the file covers the province."""
        return scope_unit is None or scope_unit.depth == 0, None

    async def check(
        self,
        session: AsyncSession,
        plan: UnitPlan,
        table: Table,
        errors: defaultdict[int, list[RowError]],
    ) -> None:
        headers = table.headers
        stored = await _stored_units(session)
        parsed: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
        rows_of: dict[str, list[int]] = defaultdict(list)
        for row in table.rows:
            values, row_errors = read_cells(row, headers, _parse)
            errors[row.number].extend(row_errors)
            parsed.append((row.number, values, dict(row.values)))
            if "code" in values:
                rows_of[values["code"]].append(row.number)

        def fail(number: int, column: str, raw: Any, msgid: str, **params: Any) -> None:
            errors[number].append(CellError(msgid, **params).at(number, headers[column], raw))

        for code, numbers in rows_of.items():
            if len(numbers) > 1:
                shown = ", ".join(str(n) for n in numbers)
                for number in numbers:
                    fail(number, "code", code, MSG_DUPLICATE, rows=shown)
        # The tree as it would be: stored units, then the file's rows over them.
        parents: dict[str, str | None] = {c: u.parent_code for c, u in stored.items()}
        for _number, values, _raw in parsed:
            if "code" in values:
                code = values["code"]
                has_parent = "parent_code" in headers
                parents[code] = values.get("parent_code") if has_parent else parents.get(code)
        stored_root = next((c for c, u in stored.items() if u.parent_code is None), None)
        if stored_root is not None and parents.get(stored_root) is not None:
            stored_root = None  # the file moves the old root under another unit
        file_roots = [
            v["code"] for _n, v, _r in parsed if "code" in v and parents[v["code"]] is None
        ]
        root = stored_root or (file_roots[0] if file_roots else None)
        staffed = await _active_counts(session, [c for c in rows_of if c in stored], stored)
        for number, values, raw in parsed:
            if values.get("code") is None:
                continue
            code = str(values["code"])
            parent = values.get("parent_code")
            if parent is not None and parent not in parents:
                fail(number, "parent_code", raw.get("parent_code"), MSG_UNKNOWN_PARENT)
            elif parents[code] is None and root is not None and code != root:
                column = "parent_code" if "parent_code" in headers else "code"
                fail(number, column, raw.get(column), MSG_SECOND_ROOT, root=root)
            chain = _cycle(code, parents)
            if chain:
                fail(number, "parent_code", raw.get("parent_code"), MSG_CYCLE, chain=chain)
            start, end = values.get("valid_from"), values.get("valid_to")
            # Dates shown as dd/mm/yyyy whatever the cell held (an Excel date, text).
            shown_end = end.strftime("%d/%m/%Y") if end is not None else None
            if start is not None and end is not None and end < start:
                start_text = start.strftime("%d/%m/%Y")
                fail(number, "valid_to", shown_end, MSG_DATES_REVERSED, start=start_text)
            elif end is not None and end < plan.today and staffed.get(code):
                count = staffed[code]
                fail(number, "valid_to", shown_end, MSG_STILL_STAFFED, count=count)
        if any(errors.values()):
            return  # a tree is imported whole: no valid rows to offer on their own
        for number, values, _raw in parsed:
            code = values.pop("code")
            old = stored.get(code)
            changed = old is None or any(old.values[k] != v for k, v in values.items())
            plan.add(PlannedUnit(number, code, values), new=old is None, changed=changed)

    async def apply(
        self,
        session: AsyncSession,
        plan: UnitPlan,
        *,
        actor: str,
        now: datetime,
        skip_bad_rows: bool = False,
        actor_official_id: int | None = None,
    ) -> UnitResult:
        # Never part of a tree: a file with any bad row is refused whole.
        return await super().apply(
            session, plan, actor=actor, now=now, actor_official_id=actor_official_id
        )

    async def write(
        self, session: AsyncSession, plan: UnitPlan, result: UnitResult, now: datetime
    ) -> None:
        stored = await _stored_units(session)
        ids = {code: unit.id for code, unit in stored.items()}
        pending = list(plan.rows)
        # Parents first: a new unit's parent may itself be new in this file.
        while pending:
            waiting: list[PlannedUnit] = []
            for row in pending:
                parent = row.values.get("parent_code", _parent_of(stored, row.code))
                if parent is not None and parent not in ids:
                    waiting.append(row)
                    continue
                await self._write_one(session, row, stored.get(row.code), ids, result)
            if len(waiting) == len(pending):  # cannot happen after check(): no cycles
                raise ValueError("unit rows wait for each other: " + str(waiting))
            pending = waiting
        if result.created or result.updated:
            await _recompute_paths(session)
            org_units.forget_labels()

    async def _write_one(
        self,
        session: AsyncSession,
        row: PlannedUnit,
        old: _Stored | None,
        ids: dict[str, int],
        result: UnitResult,
    ) -> None:
        values = dict(row.values)
        parent_code = values.pop("parent_code", old.parent_code if old else None)
        columns: dict[str, Any] = {k: v for k, v in values.items()}
        columns["parent_id"] = ids[parent_code] if parent_code is not None else None
        if old is None:
            unit = OrgUnit(
                code=row.code,
                kind="province" if parent_code is None else "unit",
                **columns,
            )
            session.add(unit)
            await session.flush()
            ids[row.code] = unit.id
            result.created += 1
            result.created_codes.append(row.code)
            return
        if not any(old.values[k] != v for k, v in row.values.items()):
            result.unchanged += 1
            return
        await session.execute(update(OrgUnit).where(OrgUnit.id == old.id).values(**columns))
        result.updated += 1
        result.changed_codes.append(row.code)

    def format_result(self, result: UnitResult) -> str:
        return format_outcome(result, done=self.done, refused=MSG_REFUSED)

    def audit_detail(self, result: UnitResult) -> dict[str, Any]:
        return {"created_codes": result.created_codes, "changed_codes": result.changed_codes}


UNITS = UnitsImporter()


def _parent_of(stored: Mapping[str, _Stored], code: str) -> str | None:
    unit = stored.get(code)
    return unit.parent_code if unit is not None else None


def _cycle(code: str, parents: Mapping[str, str | None]) -> str:
    """ "A → B → A" when following parents from `code` comes back to it; "" otherwise."""
    seen = [code]
    current = parents.get(code)
    while current is not None and len(seen) <= len(parents):
        if current == code:
            return " → ".join([*seen, code])
        if current in seen:
            return ""  # a cycle above this unit: reported on the units in it
        seen.append(current)
        current = parents.get(current)
    return ""


async def _active_counts(
    session: AsyncSession, codes: Collection[str], stored: Mapping[str, _Stored]
) -> dict[str, int]:
    """Active officials working directly in each of these stored units."""
    ids = {stored[c].id: c for c in codes}
    if not ids:
        return {}
    rows = await session.execute(
        select(Official.unit_id, func.count())
        .where(Official.unit_id.in_(list(ids)), Official.active.is_(True))
        .group_by(Official.unit_id)
    )
    return {ids[uid]: int(n) for uid, n in rows}


async def _recompute_paths(session: AsyncSession) -> None:
    """Materialised paths and depths from the parent links, for every unit whose path changed:
    a moved unit carries its whole subtree. Units are few (thousands at most)."""
    rows = (await session.execute(select(OrgUnit.id, OrgUnit.parent_id, OrgUnit.path))).all()
    parent_of = {uid: parent for uid, parent, _path in rows}
    stored_path = {uid: path for uid, _parent, path in rows}
    paths: dict[int, str] = {}

    def path_of(uid: int) -> str:
        found = paths.get(uid)
        if found is None:
            parent = parent_of[uid]
            found = paths[uid] = (path_of(parent) if parent is not None else "/") + f"{uid}/"
        return found

    for uid in parent_of:
        path = path_of(uid)
        if path != stored_path[uid]:
            await session.execute(
                update(OrgUnit)
                .where(OrgUnit.id == uid)
                .values(path=path, depth=path.count("/") - 2)
            )
