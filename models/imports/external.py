"""Completions from national learning platforms ("external"): a CSV or workbook the platform
exports, one completion a row, the person named by phone number or personal identification
number instead of the province's employee code.

Each row becomes a training record whose source is the platform and whose programme code is
the topic code (what "k of n topics" rules match). The key is the training import's
(`import_key`: official, kind, day, topic), so importing the file again, or a record HR
already typed in, counts nothing twice. The ID number is only ever hashed (the roster's
keyed hash) and shown masked: it is neither stored nor echoed.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from locales.folding import fold_key
from models.imports.cells import (
    MSG_BAD_PHONE,
    CellError,
    RowError,
    integer,
    read_cells,
    text,
)
from models.imports.importer import PreChecked, TableImporter
from models.imports.plan import Plan, error_workbook
from models.imports.report import ImportResult
from models.imports.table import (
    CellValue,
    Column,
    EncodedSheets,
    Sheet,
    Table,
    TableError,
    TableRow,
    read_sheets,
)
from models.imports.text_damage import damaged_sample
from models.imports.training import (
    CERTIFICATE_ALIASES,
    MSG_BAD_PERIODS,
    TrainingKinds,
    _completed_on,
    add_completions_to_plan,
    repeats_earlier_row,
    write_completions,
)
from models.org import id_numbers
from models.org.officials import Official
from models.org.phones import normalize_phone
from models.org.units import OrgUnit
from models.requirements.model import Catalogue, TopicsItem
from models.requirements.store import current_catalogue
from models.requirements.training_records import import_key
from models.vocabulary import N_

AUDIT_ACTION = "external.import"
SOURCE_PREFIX = "external:"
_LOOKUP_CHUNK = 900  # under SQLite's oldest bound-parameter limit
_MAX_PERIODS = 5000

MSG_NO_PERSON_COLUMN = N_(
    "The file “{file}” has no column for the phone number or the personal identification"
    " number, so I cannot tell whose completions these are. Please add a column “Số điện"
    " thoại” or “Số định danh cá nhân” and send it again."
)
MSG_DAMAGED = N_(
    "The file “{file}” was saved in an encoding that damaged its Vietnamese letters (for"
    " example “{sample}”). Please open the original file, save it as “CSV UTF-8” (in Excel:"
    " File → Save As → CSV UTF-8) or as .xlsx, and send it again."
)
MSG_NO_PERSON = N_(
    "please give the phone number or the personal identification number of the official."
)
MSG_UNKNOWN_PHONE = N_("no official has the phone number {value}; please check the number.")
MSG_UNKNOWN_ID = N_(
    "no official has the personal identification number {value}; please check the number, or"
    " ask for it to be added to the roster."
)
MSG_SHARED_PHONE = N_(
    "several officials have the phone number {value}; please give the personal"
    " identification number instead."
)
MSG_PHONE_ID_DISAGREE = N_(
    "the phone number and the personal identification number belong to two different"
    " officials; please check the row."
)
MSG_OUT_OF_SCOPE = N_(
    "the official with this number is not part of {scope}; you can only import completions"
    " of your own unit."
)
MSG_NO_TOPIC = N_("please give the topic code or the title of the course.")
MSG_KIND_UNKNOWN = N_(
    "the topic “{topic}” belongs to no rule, so the kind of training is not known; please fill"
    " in the column “Loại bồi dưỡng”."
)
MSG_PLAN_SUMMARY = N_(
    "Completions from national platforms, file “{file}”. Data rows: {total}; valid: {valid};"
    " with errors: {bad}."
)
MSG_RESULT = N_(
    "Completions imported from “{file}”: {created} new, {updated} updated, {unchanged}"
    " unchanged, {skipped} rows with errors skipped."
)

EXTERNAL_COLUMNS: tuple[Column, ...] = (
    Column(
        "phone",
        "Số điện thoại",
        ("Điện thoại", "SĐT", "Số ĐT", "Di động", "Số di động", "phone", "phone number"),
    ),
    Column(
        "id_number",
        "Số định danh cá nhân",
        (
            "Số định danh",
            "Mã định danh",
            "Số CCCD",
            "CCCD",
            "Căn cước công dân",
            "Số căn cước",
            "Số căn cước công dân",
            "id_number",
            "personal ID",
        ),
    ),
    Column(
        "topic_code",
        "Mã chuyên đề",
        (
            "Mã chương trình",
            "Mã khóa học",
            "Mã khóa",
            "Mã bài học",
            "Mã học phần",
            "topic_code",
            "topic code",
            "course code",
        ),
    ),
    Column(
        "title",
        "Tên chuyên đề",
        ("Chuyên đề", "Tên khóa học", "Khóa học", "Tên bài học", "Tên chương trình", "title"),
    ),
    Column(
        "completed_on",
        "Ngày hoàn thành",
        (
            "Ngày kết thúc",
            "Ngày hoàn thành khóa học",
            "Ngày cấp chứng chỉ",
            "Ngày cấp",
            "completed_on",
            "completed on",
        ),
        required=True,
    ),
    Column("periods", "Số tiết", ("Tiết", "Thời lượng", "Thời lượng (tiết)", "periods")),
    Column("certificate_no", "Số chứng chỉ", CERTIFICATE_ALIASES),
    Column(
        "platform",
        "Nền tảng",
        ("Tên nền tảng", "Nền tảng học tập", "Hệ thống", "Nguồn", "platform"),
    ),
    Column("kind", "Loại bồi dưỡng", ("Loại", "Nội dung bồi dưỡng", "kind")),
)
_TEXT_LIMITS = {"topic_code": 40, "title": 300, "certificate_no": 60, "platform": 180}
_MUTABLE = ("title", "periods", "certificate_no", "provider", "source")
_PERSON_FIELDS = ("phone", "id_number")
# Cells whose values repeat down a platform's file (a few dates, kinds, period counts):
# parsed once per distinct value.
_MEMO_FIELDS = frozenset({"kind", "completed_on", "periods", "platform"})
COLUMN_HELP: dict[str, tuple[str, str]] = {
    "phone": ("Số điện thoại của cán bộ như trong danh sách cán bộ", "0912 345 678"),
    "id_number": ("Số định danh cá nhân (12 chữ số, số CCCD)", "011090001234"),
    "topic_code": ("Mã chuyên đề hoặc mã khóa học trên nền tảng", "PL-01"),
    "platform": ("Tên nền tảng học tập trực tuyến", "Nền tảng bồi dưỡng trực tuyến"),
    "kind": ("Để trống nếu mã chuyên đề đã có trong quy tắc", "Cập nhật kiến thức pháp luật"),
}


def masked_phone(e164: str) -> str:
    """ "0912•••678": the national form with its middle hidden, enough for HR to recognise
    the number on their own list without the chat carrying it whole."""
    national = "0" + e164[3:] if e164.startswith("+84") else e164
    return national[:4] + "•" * max(len(national) - 7, 1) + national[-3:]


@dataclass(frozen=True)
class PlannedCompletion:
    row: int
    official_id: int
    import_key: str
    values: dict[str, Any]  # TrainingRecord attributes


@dataclass
class ExternalPlan(Plan[PlannedCompletion]):
    """A checked file of completions from a national platform."""


@dataclass
class ExternalImportResult(ImportResult):
    """What applying a plan did."""


@dataclass(frozen=True)
class _People:
    by_phone: dict[str, list[tuple[int, str]]]  # E.164 -> [(official id, unit path)]
    by_id_hash: dict[str, tuple[int, str]]
    phones: dict[str, str]  # the file's phone cells, as text -> E.164


class ExternalImporter(TableImporter[ExternalPlan, ExternalImportResult]):
    kind = "external"
    label = N_("Completions from national platforms")
    columns = EXTERNAL_COLUMNS
    plan_type = ExternalPlan
    result_type = ExternalImportResult
    audit_action = AUDIT_ACTION
    summary = MSG_PLAN_SUMMARY
    done = MSG_RESULT
    column_help = COLUMN_HELP

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
    ) -> ExternalPlan:
        """The base plan, after a look at the text: a file whose Vietnamese an encoding
        already damaged is refused whole rather than imported with broken titles."""
        if isinstance(content, EncodedSheets):
            content = await asyncio.to_thread(content.decode)
        if isinstance(content, bytes):
            try:
                content = await asyncio.to_thread(read_sheets, file_name, content)
            except TableError as exc:
                return self.refused_plan(file_name, today, exc)
        sample = damaged_sample(content)
        if sample is not None:
            damaged = TableError(MSG_DAMAGED, {"file": file_name, "sample": sample[:60]})
            return self.refused_plan(file_name, today, damaged)
        return await super().plan(
            session,
            file_name,
            content,
            today=today,
            scope_unit=scope_unit,
            pepper=pepper,
            isolated=isolated,
            prechecked=prechecked,
        )

    async def check(
        self,
        session: AsyncSession,
        plan: ExternalPlan,
        table: Table,
        errors: defaultdict[int, list[RowError]],
    ) -> None:
        if not any(name in table.headers for name in _PERSON_FIELDS):
            plan.file_error = TableError(MSG_NO_PERSON_COLUMN, {"file": plan.file_name})
            return
        catalogue = await current_catalogue(session)
        kinds, topic_kinds = TrainingKinds(catalogue), _topic_kinds(catalogue)
        people = await _people(session, table, plan.pepper)
        first_row_of_key: dict[str, int] = {}
        candidates: list[PlannedCompletion] = []
        memo: dict[tuple[str, type, CellValue], Any] = {}
        for row in table.rows:
            found: list[RowError] = []
            planned = _parse_row(row, table.headers, plan, people, kinds, topic_kinds, found, memo)
            errors[row.number].extend(_masked(e, table.headers) for e in found)
            if planned is None:
                continue
            if repeats_earlier_row(planned, row, table, first_row_of_key, errors[row.number]):
                continue
            candidates.append(planned)
        await add_completions_to_plan(session, plan, candidates, _MUTABLE)

    async def write(
        self,
        session: AsyncSession,
        plan: ExternalPlan,
        result: ExternalImportResult,
        now: datetime,
    ) -> None:
        await write_completions(session, plan.rows, result, now, _MUTABLE, {})

    def write_error_file(self, plan: ExternalPlan) -> bytes:
        """The bad rows go back to a chat: their ID numbers go masked, as in the report."""
        header = plan.headers.get("id_number")
        if header is None or header not in plan.header_cells:
            return error_workbook(plan)
        index = plan.header_cells.index(header)

        def hide(cells: tuple[CellValue, ...]) -> tuple[CellValue, ...]:
            if index >= len(cells) or cells[index] in (None, ""):
                return cells
            return (*cells[:index], _masked_id(cells[index]), *cells[index + 1 :])

        rows = {number: hide(cells) for number, cells in plan.bad_rows.items()}
        return error_workbook(dataclasses.replace(plan, bad_rows=rows))


EXTERNAL = ExternalImporter()


def _topic_kinds(catalogue: Catalogue) -> dict[str, str]:
    """Folded topic code -> the training kind a topics rule gives it, for files that (like
    the national platforms' own) have no kind column."""
    found: dict[str, str] = {}
    for rule in catalogue.rules:
        for item in rule.items:
            if isinstance(item, TopicsItem) and item.kind is not None:
                for topic in item.topics:
                    found.setdefault(fold_key(topic.code), item.kind)
    return found


def _parse_row(
    row: TableRow,
    headers: Mapping[str, str],
    plan: ExternalPlan,
    people: _People,
    kinds: TrainingKinds,
    topic_kinds: Mapping[str, str],
    errors: list[RowError],
    memo: dict[tuple[str, type, CellValue], Any],
) -> PlannedCompletion | None:
    def parse(name: str, raw: CellValue) -> Any:
        if name not in _MEMO_FIELDS:
            return parse_cell(name, raw)
        key = (name, type(raw), raw)  # the type too: True == 1, but not as a cell
        if key not in memo:
            try:
                memo[key] = parse_cell(name, raw)
            except CellError as bad:
                memo[key] = bad
        hit = memo[key]
        if isinstance(hit, CellError):
            raise CellError(hit.msgid, **hit.params)
        return hit

    def parse_cell(name: str, raw: CellValue) -> Any:
        if name == "phone":
            return _phone_owner(raw, people)
        if name == "id_number":
            return _id_owner(raw, people, plan.pepper)
        if name == "kind":
            return None if raw is None else kinds.parse(raw)
        if name == "completed_on":
            return _completed_on(raw, plan.today)
        if name == "periods":
            return integer(raw, MSG_BAD_PERIODS, 0, _MAX_PERIODS, units=("tiet",))
        return text(raw, _TEXT_LIMITS.get(name))

    values, found = read_cells(row, headers, parse)
    errors.extend(found)
    if errors:
        return None
    owners = {v for v in (values.get("phone"), values.get("id_number")) if v is not None}
    column = headers.get("phone") or headers["id_number"]
    if not owners:
        errors.append(CellError(MSG_NO_PERSON).at(row.number, column, None))
        return None
    if len(owners) > 1:
        errors.append(CellError(MSG_PHONE_ID_DISAGREE).at(row.number, column, None))
        return None
    official_id, path = owners.pop()
    if not plan.in_scope(path):
        errors.append(
            CellError(MSG_OUT_OF_SCOPE, scope=plan.scope_name or "").at(row.number, column, None)
        )
        return None
    topic, title = values.get("topic_code"), values.get("title")
    if topic is None and title is None:
        where = headers.get("topic_code") or headers.get("title") or headers["completed_on"]
        errors.append(CellError(MSG_NO_TOPIC).at(row.number, where, None))
        return None
    kind = values.get("kind") or (topic_kinds.get(fold_key(topic)) if topic else None)
    if kind is None:
        where = headers.get("kind") or headers.get("topic_code") or headers["title"]
        errors.append(
            CellError(MSG_KIND_UNKNOWN, topic=topic or title).at(
                row.number, where, row.values.get("kind")
            )
        )
        return None
    platform = values.get("platform") or plan.file_name
    record = {
        "kind": kind,
        "program_code": topic,
        "title": title,
        "periods": values.get("periods"),
        "completed_on": values["completed_on"],
        "certificate_no": values.get("certificate_no"),
        "provider": (values.get("platform") or None),
        "source": f"{SOURCE_PREFIX}{platform}"[:200],
    }
    key = import_key(official_id, kind, values["completed_on"], topic, title)
    return PlannedCompletion(row.number, official_id, key, record)


def _phone_owner(raw: CellValue, people: _People) -> tuple[int, str] | None:
    value = text(raw)
    if value is None:
        return None
    e164 = people.phones.get(value) or normalize_phone(value)
    if e164 is None:
        raise CellError(MSG_BAD_PHONE)
    owners = people.by_phone.get(e164, [])
    if not owners:
        raise CellError(MSG_UNKNOWN_PHONE)
    if len(owners) > 1:
        raise CellError(MSG_SHARED_PHONE)
    return owners[0]


def _id_owner(raw: CellValue, people: _People, pepper: bytes) -> tuple[int, str] | None:
    number = _id_number(raw)
    if number is None:
        return None
    owner = people.by_id_hash.get(id_numbers.keyed_hash(number, pepper))
    if owner is None:
        raise CellError(MSG_UNKNOWN_ID)
    return owner


def _id_number(raw: CellValue) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise CellError(id_numbers.MSG_BAD_ID_NUMBER)
    try:
        return id_numbers.normalize(raw)
    except id_numbers.IdNumberError as bad:
        raise CellError(bad.msgid, **bad.params) from None


def _masked_id(raw: CellValue) -> str:
    digits = "".join(ch for ch in str(raw) if ch.isdigit())
    if isinstance(raw, int | float) and not isinstance(raw, bool) and len(digits) < 12:
        digits = digits.zfill(12)  # Excel dropped the leading zero
    return id_numbers.masked(digits or str(raw)) or ""


def _masked(error: RowError, headers: Mapping[str, str]) -> RowError:
    """Reports go to chats: a phone number shows masked, an ID number too."""
    if error.column == headers.get("id_number") and error.value:
        return dataclasses.replace(error, value=_masked_id(error.value))
    if error.column == headers.get("phone") and error.value:
        e164 = normalize_phone(error.value)
        shown = masked_phone(e164) if e164 else "•" * max(len(error.value) - 3, 1)
        return dataclasses.replace(error, value=shown + ("" if e164 else error.value[-3:]))
    return error


async def _people(session: AsyncSession, table: Table, pepper: bytes) -> _People:
    """Only the officials the file names, by phone and by ID hash, with their unit paths."""
    read: dict[str, str] = {}
    hashes: set[str] = set()
    for row in table.rows:
        raw_phone = text(row.values.get("phone"))
        e164 = normalize_phone(raw_phone) if raw_phone else None
        if raw_phone and e164:
            read[raw_phone] = e164
        try:
            number = _id_number(row.values.get("id_number"))
        except CellError:
            number = None
        if number:
            hashes.add(id_numbers.keyed_hash(number, pepper))
    by_phone: dict[str, list[tuple[int, str]]] = defaultdict(list)
    by_hash: dict[str, tuple[int, str]] = {}
    base = select(Official.id, Official.phone, Official.id_number_hash, OrgUnit.path).join(
        OrgUnit, OrgUnit.id == Official.unit_id
    )
    for column, wanted in ((Official.phone, set(read.values())), (Official.id_number_hash, hashes)):
        ordered = sorted(wanted)
        for start in range(0, len(ordered), _LOOKUP_CHUNK):
            chunk = ordered[start : start + _LOOKUP_CHUNK]
            for official_id, phone, id_hash, path in await session.execute(
                base.where(column.in_(chunk))
            ):
                if column is Official.phone and phone is not None:
                    if (official_id, path) not in by_phone[phone]:
                        by_phone[phone].append((official_id, path))
                elif id_hash is not None:
                    by_hash[id_hash] = (official_id, path)
    return _People(dict(by_phone), by_hash, read)


async def import_external_completions(
    session: AsyncSession,
    file_name: str,
    content: bytes | Sequence[Sheet],
    *,
    today: date,
    now: datetime,
    actor: str,
    actor_official_id: int | None = None,
    scope_unit: OrgUnit | None = None,
    pepper: bytes = b"",
    skip_bad_rows: bool = False,
) -> tuple[ExternalPlan, ExternalImportResult]:
    """Check and apply a platform's file in one call (what the chat does in two steps):
    nothing is written when a row is bad, unless `skip_bad_rows`."""
    plan = await EXTERNAL.plan(
        session, file_name, content, today=today, scope_unit=scope_unit, pepper=pepper
    )
    result = await EXTERNAL.apply(
        session,
        plan,
        actor=actor,
        now=now,
        skip_bad_rows=skip_bad_rows,
        actor_official_id=actor_official_id,
    )
    return plan, result
