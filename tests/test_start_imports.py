"""What the Telegram bot imports before it starts polling (issue #15 point 5): nothing that
only an export, a migration, an import file or a PDF needs. openpyxl alone pulled in numpy
and PIL (~30 MB and ~0.3 s of every start); alembic, matplotlib, fpdf2, segno and calamine
are each used by one admin feature and imported there; icalendar, holidays, rapidfuzz and
phonenumbers by one conversation step each.

A correctness guard, not a timing assert: the real `python -m bot run telegram` runs
against the fake Bot API with `-X importtime`, and the modules it loaded by its first
getUpdates are read from that report."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from bot.db import upgrade
from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent

# Top-level packages the polling bot must not load at start.
NOT_AT_START = frozenset(
    {
        "alembic",
        "openpyxl",
        "numpy",
        "PIL",
        "matplotlib",
        "fpdf",
        "segno",
        "python_calamine",
        "rich",
        # used by one conversation step each, imported there (#16 brought them in at start):
        "icalendar",  # a registration's .ics
        "holidays",  # a course's teaching days, the send window's holidays
        "dateutil",  # (by holidays)
        "rapidfuzz",  # "did you mean" after a course search found nothing
        "phonenumbers",  # the first phone number checked (a shared contact, an import)
    }
)


def loaded_packages(importtime_report: str) -> set[str]:
    names: set[str] = set()
    for line in importtime_report.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            names.add(name.split(".")[0])
    return names


async def test_polling_bot_starts_without_export_and_migration_libraries(
    tmp_path: Path, fake: FakeBotApi
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'start.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "TELEGRAM_BOT_TOKEN": "123456:START-IMPORTS",
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_FILE_BASE_URL": fake.base_file_url,
        "LINK_CODE_SECRET": "start-imports-" + "x" * 32,
        "SCHEDULER_IN_PROCESS": "0",
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-X",
        "importtime",
        "-c",
        # `python -m bot run telegram`, saying at exit whether the collector the start paused
        # (bot/start_gc.py) was resumed: frozen objects mean resume() ran.
        "import atexit, gc, runpy, sys; "
        "atexit.register(lambda: print('collector', gc.isenabled(), gc.get_freeze_count() > 0)); "
        "sys.argv = ['bot', 'run', 'telegram']; "
        "runpy.run_module('bot', run_name='__main__', alter_sys=True)",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for(lambda: bool(fake.calls("getUpdates")), timeout=30)
    finally:
        if child.returncode is None:
            child.terminate()
        out, err = await child.communicate()
    loaded = loaded_packages(err.decode(errors="replace"))
    assert "telegram" in loaded and "sqlalchemy" in loaded  # the report was read
    assert sorted(loaded & NOT_AT_START) == []
    assert "collector True True" in out.decode(errors="replace")
