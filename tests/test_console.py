"""The console channel: same conversations, choices as numbers, no contact button."""

from __future__ import annotations

import io
from pathlib import Path

from bot.channels import console
from bot.db import Database
from models.chat import link_codes
from models.org.officials import Official
from tests.factories import make_official, small_province
from tests.transcript import Clock, make_dispatcher


async def test_console_links_by_code_and_picks_by_number(db: Database, tmp_path: Path) -> None:
    clock = Clock()
    async with db.transaction() as session:
        units = await small_province(session)
        official = await make_official(session, units["tccb"])
        code = await link_codes.issue(session, official, now=clock(), created_by="test", pepper=b"")
    stdin = io.StringIO(f"1\n{code.lower()}\nHo so cua toi\nhồ sơ\n/thoat\nnever read\n")
    stdout = io.StringIO()
    await console.run(make_dispatcher(db, clock), stdin=stdin, stdout=stdout, files_dir=tmp_path)
    out = stdout.getvalue()
    # /start unlinked: numbered choices and a hint instead of the phone button.
    assert "[1] 🔑 Nhập mã liên kết" in out
    assert "nhập mã liên kết" in out.lower()
    assert "Xin chào anh Nguyễn Văn An" in out
    assert "Anh/chị vui lòng nhập mã liên kết do bộ phận tổ chức cán bộ cấp" in out  # "1"
    assert out.count("Mã cán bộ: DB000001") == 2  # the label typed bare, then "hồ sơ"
    assert "never read" not in out


async def test_console_number_out_of_range_is_not_a_choice(db: Database, tmp_path: Path) -> None:
    async with db.transaction() as session:
        units = await small_province(session)
        await make_official(session, units["tccb"])
        assert await session.get(Official, 1) is not None
    stdout = io.StringIO()
    await console.run(
        make_dispatcher(db), stdin=io.StringIO("9\n"), stdout=stdout, files_dir=tmp_path
    )
    assert "chưa hiểu" in stdout.getvalue()
