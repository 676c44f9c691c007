"""Planning on PostgreSQL at national scale (issue #15.3: 2,400,000 officials <= 60 s),
run by benchmarks/run_all.py on its own: seeding 2.4 M officials and their completions
takes minutes, so this is not part of bench_planning.py's SQLite run. Prints numbers; not
a test.

    .venv/bin/python benchmarks/bench_planning_pg.py            # 2,400,000 officials
    .venv/bin/python benchmarks/bench_planning_pg.py --quick    # 24,000 (goal scaled: 0.6 s)

The data and the measurement are bench_planning.py's (--database postgresql): the demo
province (24,150; --quick 6,000, seeding it is most of the run) cloned set-based, planned
in a fresh process. Needs the PostgreSQL binaries
tests/pg_server.py finds.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import bench_planning

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    p.add_argument("--sizes", default="", help="comma-separated sizes (default 2400000)")
    args = p.parse_args()
    sizes = args.sizes or ("24000" if args.quick else str(bench_planning.NATIONAL))
    demo = 6000 if args.quick else bench_planning.DEMO
    asyncio.run(
        bench_planning.main(
            argparse.Namespace(database="postgresql", sizes=sizes, quick=False, child="", demo=demo)
        )
    )
