"""Hostile spreadsheets (issue #11 point 5): each refused before a reader pads or inflates it,
politely and in Vietnamese, with nothing kept or written; a good file is read once, before
the update's transaction, and the confirmation uses the kept sheets, not the file."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.db import Database
from models.imports import grid
from models.imports import table as tabular
from models.imports.uploads import PendingUpload
from models.org import admins
from models.org.officials import Official
from models.requirements.store import ensure_default_catalogue
from tests.factories import make_official, small_province
from tests.transcript import Clock, Person, make_dispatcher


def xfd_workbook(rows: int = 3000) -> bytes:
    """The issue's file: a roster with one cell in column XFD on every row (~50 KB)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Mã cán bộ", "Họ và tên", "Đối tượng", "Mã đơn vị"])
    for r in range(2, rows + 2):
        sheet.cell(r, 1, f"DB{r:06d}")
        sheet.cell(r, 16384, "x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A tiny .xlsx whose sheet inflates to 300 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"0" * (1 << 20)
            for _ in range(300):
                member.write(block)
    return buffer.getvalue()


def encrypted() -> bytes:
    """What Excel writes for a password-protected .xlsx: an OLE file with an EncryptedPackage."""
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 512
        + "EncryptedPackage".encode("utf-16-le")
        + b"\x00" * 512
    )


HOSTILE = [
    ("xfd.xlsx", xfd_workbook, tabular.MSG_TOO_MANY_COLUMNS, "hơn 256 cột"),
    ("bom.xlsx", zip_bomb, tabular.MSG_TOO_BIG, "quá lớn"),
    ("anh.xlsx", lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000, tabular.MSG_CORRUPT, "Excel"),
    ("mat-khau.xlsx", encrypted, tabular.MSG_ENCRYPTED, "mật khẩu"),
    ("rong.xlsx", lambda: b"", tabular.MSG_EMPTY, "không có dữ liệu"),
]


@pytest.mark.parametrize(("name", "make", "msgid", "_words"), HOSTILE)
def test_hostile_files_are_refused_before_parsing(
    name: str, make: object, msgid: str, _words: str
) -> None:
    content = make()  # type: ignore[operator]
    started = time.perf_counter()
    with pytest.raises(tabular.TableError) as caught:
        tabular.read_sheets(name, content)
    assert caught.value.msgid == msgid
    assert time.perf_counter() - started < 1.0  # refused by counting, not by reading


def test_a_wide_csv_is_refused_too() -> None:
    content = ("Mã cán bộ" + "," * 20_000 + "x\n").encode()
    with pytest.raises(tabular.TableError) as caught:
        tabular.read_sheets("rong.csv", content)
    assert caught.value.msgid == tabular.MSG_TOO_MANY_COLUMNS


def test_sheets_survive_keeping_for_the_confirmation() -> None:
    from datetime import date
    from datetime import time as clock

    sheets = [tabular.Sheet("A", [("x", 1, 2.5, True, date(2026, 12, 1), clock(7, 30), None)])]
    assert grid.decode(grid.encode(sheets)) == sheets


@pytest.fixture
async def world(db: Database) -> None:
    now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    async with db.transaction() as session:
        units = await small_province(session)
        await ensure_default_catalogue(session, now)
        ha = await make_official(
            session, units["tccb"], employee_code="DB000006", phone="+84912000006"
        )
        await admins.grant(session, ha, units["root"], actor="test", now=now)


async def _counts(db: Database) -> tuple[int, int]:
    async with db.transaction() as session:
        uploads = await session.scalar(select(func.count()).select_from(PendingUpload))
        people = await session.scalar(select(func.count()).select_from(Official))
    return int(uploads or 0), int(people or 0)


@pytest.mark.parametrize(("name", "make", "_msgid", "words"), HOSTILE)
async def test_hostile_files_in_the_chat_get_a_polite_answer(
    db: Database, world: None, name: str, make: object, _msgid: str, words: str
) -> None:
    ha = Person(make_dispatcher(db, Clock()), "9006")
    await ha.link_with_code(db, "0912000006")
    before = await _counts(db)
    reply = await ha.send_file(name, make())  # type: ignore[operator]
    assert words in reply, reply
    assert "lỗi ở phía" not in reply  # not the "something went wrong" apology
    assert await _counts(db) == before  # nothing kept, nothing written


async def test_a_good_file_is_kept_as_sheets_and_confirmed_without_the_file(
    db: Database, world: None
) -> None:
    ha = Person(make_dispatcher(db, Clock()), "9006")
    await ha.link_with_code(db, "0912000006")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Mã cán bộ", "Họ và tên", "Đối tượng", "Mã đơn vị", "Số điện thoại"])
    sheet.append(["DB700001", "Vũ Thị Lan", "Công chức", "03158", "0987654321"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    await ha.send_file("ds.xlsx", buffer.getvalue())
    async with db.transaction() as session:
        upload = await session.scalar(select(PendingUpload))
        assert upload is not None and upload.content == b"" and upload.parsed
    await ha.press(next(v for v in ha.values if v.endswith(":officials")))
    assert "thêm mới 1" in await ha.press(next(v for v in ha.values if v.endswith(":all")))
    async with db.transaction() as session:
        upload = await session.scalar(select(PendingUpload))
        assert upload is not None and upload.consumed_at is not None and upload.parsed is None
