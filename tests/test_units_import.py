"""The unit tree import (#13.2): a whole file or nothing, idempotent, levels as data,
closing units keeps their history, from the command line and from the chat."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from bot.db import Database
from locales import use_locale
from models.imports.kinds import IMPORTERS
from models.imports.units import UNIT_COLUMN_HELP, UNIT_COLUMNS, UNITS
from models.org import admins
from models.org.officials import Official
from models.org.unit_tree import format_tree, unit_tree
from models.org.units import OrgUnit
from tests.factories import make_official
from tests.transcript import Clock, Person, make_dispatcher

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
HEADER = (
    "Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Cấp,Vùng dân tộc thiểu số,Khu vực,"
    "Hiệu lực từ,Hiệu lực đến"
)
# The same headers as many type them: no diacritics, other case.
HEADER_PLAIN = (
    "ma don vi,TEN DON VI,Ma don vi cap tren,cap,Vung DTTS,Khu vuc,Hieu luc tu,Hieu luc den"
)
GOOD = [
    "P99,Tỉnh Thử Nghiệm,,tỉnh,,,,",
    "SNV,Sở Nội vụ,P99,Cấp tỉnh,không,,01/01/2026,",
    "H01,Huyện Cũ,P99,huyện,có,,01/01/2004,30/06/2025",
    "X01,Xã Thử,P99,xã,có,III,01/07/2025,",
    "DK1,Đặc khu Biển,P99,Đặc khu,,,01/07/2025,",
    "SNV-P1,Phòng Công chức,SNV,tỉnh,,,,",
]


def csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


async def _import(db: Database, content: bytes, *, skip: bool = False) -> tuple[str, str]:
    with use_locale("vi"):
        async with db.transaction() as session:
            plan = await UNITS.plan(session, "don-vi.csv", content, today=TODAY)
            report = UNITS.format_plan_report(plan)
            result = await UNITS.apply(session, plan, actor="test", now=NOW, skip_bad_rows=skip)
            return report, UNITS.format_result(result)


async def _units(db: Database) -> dict[str, OrgUnit]:
    async with db.transaction() as session:
        return {u.code: u for u in await session.scalars(select(OrgUnit))}


def test_the_header_spec_is_data_for_templates() -> None:
    assert [c.header for c in UNIT_COLUMNS] == HEADER.split(",")
    assert set(UNIT_COLUMN_HELP) == {c.field for c in UNIT_COLUMNS}
    assert IMPORTERS["units"] is UNITS


async def test_a_unit_file_builds_the_tree_and_again_changes_nothing(db: Database) -> None:
    report, done = await _import(db, csv(*GOOD, header=HEADER_PLAIN))
    assert "thêm mới 6," in done, (report, done)
    units = await _units(db)
    root = units["P99"]
    assert (root.depth, root.path, root.level, root.kind) == (
        0,
        f"/{root.id}/",
        "province",
        "province",
    )
    assert units["SNV-P1"].path == f"/{root.id}/{units['SNV'].id}/{units['SNV-P1'].id}/"
    assert units["SNV-P1"].depth == 2
    assert (units["H01"].level, units["H01"].valid_to) == ("district", date(2025, 6, 30))
    assert units["X01"].level == "commune" and units["X01"].ethnic_minority_area
    assert units["X01"].zone == "III"
    assert units["DK1"].level == "dac_khu"  # any other level name is data
    report, done = await _import(db, csv(*GOOD))
    assert "thêm mới 0, cập nhật 0, giữ nguyên 6" in done, done
    assert "thêm mới 0, cập nhật 0, giữ nguyên 6" in report, report


async def test_a_bad_unit_file_is_refused_whole(db: Database) -> None:
    await _import(db, csv(*GOOD[:2]))
    before = await _units(db)
    bad = csv(
        "SNV,Sở Nội vụ (đổi tên),P99,tỉnh,,,,",  # a good change, still not written
        "A1,Đơn vị A,B1,xã,,,,",  # A1 → B1 → A1
        "B1,Đơn vị B,A1,xã,,,,",
        "C1,Đơn vị C,KHONG-CO,xã,,,,",  # unknown parent
        "D1,Đơn vị D,P99,xã,,,01/07/2026,01/01/2026",  # ends before it starts
        "D2,Đơn vị D2,P99,xã,,,31/02/2026,",  # no such day
        "E1,Đơn vị E,P99,xã,,,,",
        "E1,Đơn vị E lần hai,P99,xã,,,,",  # the code twice
        "F1,Tỉnh Khác,,tỉnh,,,,",  # a second province
    )
    report, done = await _import(db, bad, skip=True)
    assert "Dòng 3" in report and "A1 → B1 → A1" in report, report
    assert "Dòng 4" in report and "B1 → A1 → B1" in report
    assert "Dòng 5" in report and "KHONG-CO" in report
    assert "Dòng 6" in report and "trước ngày bắt đầu 01/07/2026" in report
    assert "Dòng 7" in report and "31/02/2026" in report
    assert "Dòng 8" in report and "Dòng 9" in report and "dòng 8, 9" in report
    assert "Dòng 10" in report and "P99" in report
    assert "Dòng 2" not in report  # the good row has no error of its own
    assert "Chưa nhập dữ liệu nào" in done, done
    after = await _units(db)
    assert set(after) == set(before) and after["SNV"].name == "Sở Nội vụ"


async def test_closing_a_unit_needs_its_staff_moved_and_keeps_their_records(
    db: Database,
) -> None:
    await _import(db, csv(*GOOD))
    units = await _units(db)
    async with db.transaction() as session:
        for n in (1, 2):
            await make_official(
                session, units["X01"], employee_code=f"TN00000{n}", phone=f"+8491200010{n}"
            )
    closing = csv("X01,Xã Thử,P99,xã,có,III,01/07/2025,30/11/2026")
    report, done = await _import(db, closing)
    assert "2 cán bộ vẫn đang công tác" in report, report
    assert (await _units(db))["X01"].valid_to is None
    # The roster moves them (here: one leaves, one moves); then the unit closes.
    async with db.transaction() as session:
        people = list(await session.scalars(select(Official).order_by(Official.employee_code)))
        people[0].active = False
        people[1].unit_id = units["SNV"].id
    report, done = await _import(db, closing)
    assert "cập nhật 1," in done, (report, done)
    async with db.transaction() as session:
        former = await session.scalar(select(Official).where(Official.employee_code == "TN000001"))
        assert former is not None and former.unit_id == units["X01"].id  # history kept
        tree = format_tree(await unit_tree(session), TODAY)
    assert "X01  Xã Thử" in tree and "đã giải thể từ 30/11/2026" in tree, tree


async def test_moving_a_unit_moves_its_subtree(db: Database) -> None:
    await _import(db, csv(*GOOD))
    await _import(db, csv("SNV,Sở Nội vụ,DK1,tỉnh,,,01/01/2026,"))
    units = await _units(db)
    assert units["SNV-P1"].path == (
        f"/{units['P99'].id}/{units['DK1'].id}/{units['SNV'].id}/{units['SNV-P1'].id}/"
    )
    assert units["SNV-P1"].depth == 3


async def test_units_tree_prints_counts_and_closed_units(db: Database) -> None:
    await _import(db, csv(*GOOD))
    units = await _units(db)
    async with db.transaction() as session:
        await make_official(session, units["SNV-P1"], employee_code="TN1", phone="+84912000201")
        await make_official(session, units["SNV"], employee_code="TN2", phone="+84912000202")
        with use_locale("vi"):
            tree = format_tree(await unit_tree(session), TODAY).splitlines()
    assert tree[0].startswith("P99  Tỉnh Thử Nghiệm  [cấp tỉnh]  2 cán bộ"), tree
    assert any(line.startswith("   H01  Huyện Cũ") and "đã giải thể" in line for line in tree)
    assert any(line.startswith("   DK1  Đặc khu Biển  [dac_khu]") for line in tree), tree
    snv = tree.index(next(line for line in tree if line.startswith("   SNV ")))
    assert "2 cán bộ" in tree[snv] and tree[snv + 1].startswith("      SNV-P1")


async def test_from_the_chat_for_province_admins_only(db: Database, channel: str) -> None:
    await _import(db, csv(*GOOD))
    units = await _units(db)
    async with db.transaction() as session:
        ha = await make_official(
            session,
            units["SNV"],
            employee_code="TN1",
            phone="+84912000301",
            full_name="Trần Thị Hà",
        )
        tu = await make_official(
            session, units["X01"], employee_code="TN2", phone="+84912000302", full_name="Lò Văn Tú"
        )
        await admins.grant(session, ha, units["P99"], actor="test", now=NOW)
        await admins.grant(session, tu, units["X01"], actor="test", now=NOW)
    dispatcher = make_dispatcher(db, Clock(NOW))
    commune = Person(dispatcher, "8802", channel)
    await commune.link_with_code(db, "0912000302")
    await commune.say("/quantri")
    await commune.send_file("don-vi.csv", csv("X02,Xã Mới,X01,xã,,,,"))
    text = await commune.press(next(v for v in commune.values if v.endswith(":units")))
    assert "Chỉ bộ phận tổ chức cán bộ của tỉnh" in text, text
    assert not any(v.endswith(":all") for v in commune.values)
    province = Person(dispatcher, "8801", channel)
    await province.link_with_code(db, "0912000301")
    await province.say("/quantri")
    await province.send_file("don-vi.csv", csv("X02,Xã Mới,P99,xã,,,,"))
    await province.press(next(v for v in province.values if v.endswith(":units")))
    apply = next(v for v in province.values if v.endswith(":all"))
    assert "thêm mới 1," in await province.press(apply)
    async with db.transaction() as session:
        count = await session.scalar(select(func.count()).select_from(OrgUnit))
    assert count == len(GOOD) + 1
