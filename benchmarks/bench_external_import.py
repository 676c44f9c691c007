"""The external completions import (#16.7) against the training import it mirrors: one
completion per official of a province, by phone, by personal ID number (a keyed hash per
row) and, for comparison, by employee code; then the same file again (nothing new).
Prints seconds and the ratios to the training import; not part of the test suite.

    .venv/bin/python benchmarks/bench_external_import.py [--officials 24150] [--quick]

Goal: matching by phone or ID costs no more than about 1.5x matching by employee code.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._sender_run import database_url
from benchmarks.bench_import import add_units, fresh
from bot.db import Database
from models.imports.external import EXTERNAL
from models.imports.importer import Importer
from models.imports.officials import ROSTER
from models.imports.training import TRAINING

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
PEPPER = b"bench-pepper"
GOAL_RATIO = 1.5


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def _id(i: int) -> str:
    return f"0110{60 + i % 40:02}{i:06}"


def roster(size: int) -> bytes:
    units = ("03158", "SNV-TCCB", "SNV")
    return _csv(
        [
            *("Mã cán bộ", "Họ và tên", "Ngày sinh", "Số điện thoại", "Số định danh cá nhân"),
            *("Đối tượng", "Mã đơn vị"),
        ],
        [
            [
                f"DB{i:06}",
                f"Nguyễn Văn {i}",
                f"{1 + i % 28}/{1 + i % 12}/19{60 + i % 40}",
                f"09{i:08}",
                _id(i),
                "công chức",
                units[i % 3],
            ]
            for i in range(size)
        ],
    )


def completions(size: int, by: str) -> bytes:
    person = {"phone": "Số điện thoại", "id": "Số định danh cá nhân", "code": "Mã cán bộ"}[by]
    rows = []
    for i in range(size):
        who = {"phone": f"09{i:08}", "id": _id(i), "code": f"DB{i:06}"}[by]
        rows.append([who, f"PL-{i % 5}", "Cập nhật pháp luật", "15/06/2026", "8", "pháp luật"])
    header = [person, "Mã chuyên đề", "Tên chuyên đề", "Ngày hoàn thành", "Số tiết"]
    return _csv([*header, "Loại bồi dưỡng"], rows)


async def timed(
    db: Database, importer: Importer[Any, Any], content: bytes
) -> tuple[float, int, int]:
    started = time.perf_counter()
    async with db.transaction() as session:
        plan = await importer.plan(session, "kq.csv", content, today=TODAY, pepper=PEPPER)
        assert plan.ok, importer.format_plan_report(plan)
        result = await importer.apply(session, plan, actor="bench", now=NOW)
    return time.perf_counter() - started, result.created, result.unchanged


async def run(kind: str, by: str, size: int, tmp: Path) -> tuple[float, float]:
    url, server = await database_url(kind, tmp / by)
    try:
        db = await fresh(url)
        await add_units(db)
        async with db.transaction() as session:
            plan = await ROSTER.plan(session, "ds.csv", roster(size), today=TODAY, pepper=PEPPER)
            await ROSTER.apply(session, plan, actor="bench", now=NOW)
        importer = TRAINING if by == "code" else EXTERNAL
        content = completions(size, by)
        first, created, _ = await timed(db, importer, content)
        again, _, unchanged = await timed(db, importer, content)
        assert created == size and unchanged == size
        await db.dispose()
        return first, again
    finally:
        if server is not None:
            server.stop()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        times = {
            by: await run(args.database, by, args.officials, Path(tmp))
            for by in ("code", "phone", "id")
        }
    base_first, base_again = times["code"]
    print(f"database: {args.database}, {args.officials:,} completions")
    for by, (first, again) in times.items():
        print(
            f"by {by:5}: first {first:.2f}s (x{first / base_first:.2f}),"
            f" again {again:.2f}s (x{again / base_again:.2f})"
        )
    worst = max(max(f / base_first, a / base_again) for f, a in times.values())
    print(f"RESULT external_import_ratio={worst:.2f} goal={GOAL_RATIO} unit=x")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--officials", type=int, default=24_150)
    p.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--quick", action="store_true", help="3,000 rows")
    parsed = p.parse_args()
    if parsed.quick:
        parsed.officials = min(parsed.officials, 3_000)
    asyncio.run(main(parsed))
