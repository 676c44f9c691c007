"""Peak memory to read a 24,150-row roster .xlsx (issue #11 point 5: <= 200 MB), measured as
the peak RSS of a fresh child process that only reads the file and maps its columns, so the
parent's own memory does not count. Also the issue's XFD file, which must be refused cheaply.
Prints one RESULT line each (goal 200 MB) for benchmarks/run_all.py.

    .venv/bin/python benchmarks/bench_import_memory.py [--officials 24150]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOAL_MB = 200
CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from models.imports.officials import ROSTER
from models.imports.table import TableError, read_table
content = open(sys.argv[1], "rb").read()
started = time.perf_counter()
try:
    table = read_table(sys.argv[2], content, ROSTER.columns)
    outcome = f"{{len(table.rows):,}} rows"
except TableError as exc:
    outcome = "refused: " + str(exc)[:60]
seconds = time.perf_counter() - started
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, seconds, outcome)
"""


# The whole import (check, then write) into a fresh SQLite database, as the CLI runs it.
WHOLE = """
import asyncio, resource, sys, time
sys.path.insert(0, {root!r})
from benchmarks.bench_import import add_units, fresh, timed_import
async def run():
    db = await fresh("sqlite+aiosqlite:///" + sys.argv[3])
    await add_units(db)
    seconds, created, _ = await timed_import(db, open(sys.argv[1], "rb").read(), sys.argv[2])
    await db.dispose()
    return seconds, created
seconds, created = asyncio.run(run())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, seconds, f"{{created:,}} rows")
"""


def measure_whole(path: Path, name: str, database: Path) -> tuple[float, float, str]:
    out = subprocess.run(
        [sys.executable, "-c", WHOLE.format(root=str(ROOT)), str(path), name, str(database)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split(maxsplit=2)
    return float(out[0]), float(out[1]), out[2].strip()


def measure(path: Path, name: str) -> tuple[float, float, str]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT)), str(path), name],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split(maxsplit=2)
    return float(out[0]), float(out[1]), out[2].strip()


def main(args: argparse.Namespace) -> None:
    from benchmarks.bench_import import roster_xlsx
    from tests.test_hostile_files import xfd_workbook

    with tempfile.TemporaryDirectory() as tmp:
        roster = Path(tmp) / "ds.xlsx"
        roster.write_bytes(roster_xlsx(args.officials))
        xfd = Path(tmp) / "xfd.xlsx"
        xfd.write_bytes(xfd_workbook())
        baseline = Path(tmp) / "tiny.xlsx"
        baseline.write_bytes(roster_xlsx(1))
        base_mb, _s, _o = measure(baseline, "tiny.xlsx")
        peak_mb, seconds, outcome = measure(roster, "ds.xlsx")
        xfd_mb, xfd_s, xfd_outcome = measure(xfd, "xfd.xlsx")
        database = Path(tmp) / "db.sqlite3"
        whole_mb, whole_s, whole_outcome = measure_whole(roster, "ds.xlsx", database)
        size_mb = roster.stat().st_size / 2**20
    print(f"interpreter + imports alone: {base_mb:.0f} MB peak RSS")
    print(
        f"roster .xlsx ({outcome}, {size_mb:.1f} MB file): "
        f"{peak_mb:.0f} MB peak RSS in {seconds:.2f}s (goal <= {GOAL_MB} MB: "
        f"ratio {peak_mb / GOAL_MB:.2f})"
    )
    print(
        f"whole import, check and write ({whole_outcome}): {whole_mb:.0f} MB peak RSS in "
        f"{whole_s:.2f}s (goal <= {GOAL_MB} MB: ratio {whole_mb / GOAL_MB:.2f})"
    )
    print(f"XFD file ({xfd_outcome}): {xfd_mb:.0f} MB peak RSS in {xfd_s:.2f}s")
    # Issue #11 point 5: a 24,150-row roster within 200 MB, read alone and imported whole;
    # the XFD file (cells padded to 16,384 columns) refused within the same bound.
    rows = f"{args.officials}_rows"
    print(f"RESULT import_memory_read_{rows}_mb={peak_mb:.1f} goal={GOAL_MB} unit=MB")
    print(f"RESULT import_memory_whole_{rows}_mb={whole_mb:.1f} goal={GOAL_MB} unit=MB")
    print(f"RESULT import_memory_xfd_file_mb={xfd_mb:.1f} goal={GOAL_MB} unit=MB")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--officials", type=int, default=24_150)
    main(p.parse_args())
