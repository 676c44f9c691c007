"""From an empty database (#13.6), as docs/onboarding.md tells a new province's HR: migrate,
units file, the roster filled in from `template officials`, province file, an admin, the
rollout kit (`link-codes`); then an official links over the (fake) Telegram server with the
code from the kit and asks /hoso and /yeucau, and nothing mentions the demo province.
Every step is the command line HR runs (`python -m bot …`), with files this test writes."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot.__main__ import main
from bot.channels.telegram import build_application
from bot.config import Settings
from bot.db import Database
from bot.dispatch import Dispatcher
from models.demo import PROVINCE_FILE as DEMO_PROVINCE_FILE
from models.org.officials import Official
from models.org.units import OrgUnit
from models.requirements.store import use_province_file
from tests.fake_bot_api import FakeBotApi

USER = 5559001
UNITS = [
    ("Mã đơn vị", "Tên đơn vị", "Mã đơn vị cấp trên", "Cấp", "Vùng dân tộc thiểu số", "Khu vực"),
    ("T99", "Tỉnh Thử Nghiệm", None, "tỉnh", None, None),
    ("T99-SNV", "Sở Nội vụ", "T99", "tỉnh", None, None),
    ("T99-SNV-TC", "Phòng Tổ chức, biên chế", "T99-SNV", "tỉnh", None, None),
    ("T99-X01", "Xã Núi Cao", "T99", "xã", "có", "III"),
]
ROSTER = [
    ("Mã cán bộ", "Họ và tên", "Giới tính", "Ngày sinh", "Số điện thoại", "Đối tượng", "Mã đơn vị"),
    ("TN0001", "Nguyễn Thị Mai", "nữ", "12/03/1985", "0912 700 001", "công chức", "T99-SNV-TC"),
    ("TN0002", "Lò Văn Sơn", "nam", "05/09/1990", "0912 700 002", "công chức", "T99-X01"),
]
PROVINCE = """
province: {name: "Tỉnh Thử Nghiệm", code: "99"}
catalogue: thu-nghiem
version: "2027.01-1"
parameters:
  yearly_update_min_periods: {value: 16}
bases:
  KH_TN_2026:
    title: {vi: "Kế hoạch bồi dưỡng CBCCVC tỉnh Thử Nghiệm 2026–2030"}
    kind: province_target
    verification: unverified
    in_force_from: 2026-01-01
rules:
  - id: TN-CAP-NHAT
    item: obligation
    title: {vi: "Cập nhật kiến thức hằng năm của tỉnh Thử Nghiệm"}
    applies_to:
      - {field: category, op: in, value: [can_bo, cong_chuc]}
    satisfied_by:
      any_of:
        - {training: cap_nhat_phap_luat_ky_nang, min_periods: {param: yearly_update_min_periods}}
    recurrence: {type: yearly, due: {param: yearly_due}}
    basis: [{ref: KH_TN_2026}]
targets:
  - id: TN-T1
    rule: TN-CAP-NHAT
    threshold: 0.9
    title: {vi: "hằng năm 90% CBCC được cập nhật kiến thức"}
    basis: KH_TN_2026
    period: {from: 2026, to: 2030}
"""


def fill_template(template: Path, rows: Sequence[Sequence[object]], out: Path) -> None:
    """HR's way: the template's own header row, each value under the header it belongs to."""
    book = load_workbook(template)
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    named, *people = rows
    assert set(named) <= set(headers), set(named) - set(headers)  # nothing left behind
    for person in people:
        values = dict(zip(named, person, strict=True))
        sheet.append([values.get(h) for h in headers])
    book.save(out)


def kit_code(kit: Path, employee_code: str) -> str:
    """The link code printed for `employee_code` in the rollout kit's workbook."""
    sheet = load_workbook(kit).worksheets[0]
    headers = [c.value for c in sheet[1]]
    column, code = headers.index("Mã cán bộ"), headers.index("Mã liên kết")
    [row] = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[column] == employee_code]
    return str(row[code])


def xlsx(rows: Sequence[Sequence[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def province_hr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The environment a new province's operator sets: its own database and province file."""
    (tmp_path / "tinh.yaml").write_text(PROVINCE, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'troly.sqlite3'}")
    monkeypatch.setenv("PROVINCE_FILE", str(tmp_path / "tinh.yaml"))
    for name in ("TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN", "LINK_CODE_SECRET"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield tmp_path
    finally:
        use_province_file(DEMO_PROVINCE_FILE)  # the CLI set this process's province


async def troly(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """`python -m bot ARGV` in this process (its own event loop, as from a shell)."""
    code = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


async def test_a_new_province_from_an_empty_database(
    province_hr: Path, fake: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    work = province_hr
    (work / "don-vi.xlsx").write_bytes(xlsx(UNITS))
    bad_units = [
        UNITS[0],
        ("T99-A", "Đơn vị A", "T99-B", "xã", None, None),
        ("T99-B", "Đơn vị B", "T99-A", "xã", None, None),
        ("T99-C", "Đơn vị C", "T98", "xã", None, None),
    ]
    (work / "don-vi-loi.xlsx").write_bytes(xlsx(bad_units))

    assert (await troly(capsys, "db", "upgrade"))[0] == 0
    code, out = await troly(capsys, "import", "units", str(work / "don-vi.xlsx"))
    assert code == 0 and "thêm mới 4," in out, out
    code, out = await troly(capsys, "units", "tree")
    assert "T99  Tỉnh Thử Nghiệm" in out and "      T99-SNV-TC" in out, out
    code, out = await troly(capsys, "template", "officials", "--out", str(work / "mau.xlsx"))
    assert code == 0 and (work / "mau.xlsx").exists(), out
    fill_template(work / "mau.xlsx", ROSTER, work / "can-bo.xlsx")
    code, out = await troly(capsys, "import", "officials", str(work / "can-bo.xlsx"))
    assert code == 0 and "thêm mới 2" in out, out
    code, out = await troly(capsys, "units", "tree")
    assert re.search(r"^T99  Tỉnh Thử Nghiệm .*2 cán bộ", out, re.MULTILINE), out
    code, out = await troly(capsys, "province", "show")
    assert "Tỉnh Thử Nghiệm" in out and "thu-nghiem 2027.01-1" in out, out
    assert (await troly(capsys, "admin", "grant", "TN0001", "T99"))[0] == 0
    code, out = await troly(capsys, "link-code", "TN0001")
    assert code == 0 and re.search(r"Mã liên kết: (\S+)", out), out
    code, out = await troly(capsys, "link-codes", "T99", "--out", str(work / "kit"))
    assert code == 0 and (work / "kit" / "ma-lien-ket-T99.pdf").exists(), out
    link_code = kit_code(work / "kit" / "ma-lien-ket-T99.xlsx", "TN0002")

    # A bad unit file (a cycle and an unknown parent) is refused whole.
    code, out = await troly(capsys, "import", "units", str(work / "don-vi-loi.xlsx"))
    assert code == 1 and "Dòng 2" in out and "Dòng 3" in out and "Dòng 4" in out, out
    assert "T99-A → T99-B → T99-A" in out and "T98" in out, out

    url = f"sqlite+aiosqlite:///{work / 'troly.sqlite3'}"
    db = Database(url)
    try:
        async with db.transaction() as session:
            units = await session.scalar(select(func.count()).select_from(OrgUnit))
            people = await session.scalar(select(func.count()).select_from(Official))
        assert (units, people) == (4, 2)  # nothing of the bad file was written

        settings = replace(
            Settings(),
            database_url=url,
            telegram_token="123456:TEST-TOKEN",
            telegram_api_base_url=fake.base_url,
            telegram_file_base_url=fake.base_file_url,
        )
        app = build_application(settings, Dispatcher(db=db, settings=settings))
        await app.initialize()
        await app.post_init(app)  # type: ignore[misc]
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            fake.push_text(USER, f"/start {link_code}")
            await fake.wait_for(lambda: "Sơn" in _texts(fake))
            fake.push_text(USER, "/hoso")
            await fake.wait_for(lambda: "TN0002" in _texts(fake))
            fake.push_text(USER, "/yeucau")
            await fake.wait_for(lambda: "tỉnh Thử Nghiệm" in _texts(fake))
            await asyncio.sleep(0.2)  # any later message of the same answer
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
        everything = _texts(fake)
        assert "Điện Biên" not in everything and "Dien Bien" not in everything, everything
    finally:
        await db.dispose()


def _texts(fake: FakeBotApi) -> str:
    return "\n".join(m.text or m.caption or "" for m in fake.sent_to(USER))
