"""A scheduler process that runs its planning jobs `--runs` times at the chosen moment, for
the test that runs two of them at once against one database.

    python -m tests.scheduler_child DB_URL --now ISO [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime

from bot.config import Settings
from bot.db import Database
from scheduler.jobs import plan_courses, plan_requirements


async def main(args: argparse.Namespace) -> dict[str, int]:
    db = Database(args.db_url)
    now = datetime.fromisoformat(args.now)
    settings = Settings().planning
    planned = 0
    try:
        for _ in range(args.runs):
            planned += (await plan_requirements(db.transaction, now=now, settings=settings)).planned
            planned += (await plan_courses(db.transaction, now=now, settings=settings)).planned
    finally:
        await db.dispose()
    return {"planned": planned}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("db_url")
    p.add_argument("--now", required=True)
    p.add_argument("--runs", type=int, default=3)
    print(json.dumps(asyncio.run(main(p.parse_args()))), flush=True)
