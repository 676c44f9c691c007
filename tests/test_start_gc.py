"""The collector paused for the start's imports is on again once the CLI runs, and one the
start did not pause is left alone (bot/start_gc.py)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import start_gc

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    start_gc.resume()
    gc.unfreeze()
    if was:
        gc.enable()
    else:
        gc.disable()


def test_pause_then_resume(collector: None) -> None:
    gc.enable()
    start_gc.pause()
    assert not gc.isenabled()
    start_gc.resume()
    assert gc.isenabled()
    start_gc.resume()  # idempotent
    assert gc.isenabled()


def test_a_collector_disabled_by_someone_else_stays_disabled(collector: None) -> None:
    gc.disable()
    start_gc.pause()
    start_gc.resume()
    assert not gc.isenabled()


REPORT = (
    "import atexit, gc; "
    "atexit.register(lambda: print('collector', gc.isenabled(), gc.get_freeze_count() > 0)); "
)


@pytest.mark.parametrize(
    "entry",
    [
        "import runpy, sys; sys.argv = ['bot', 'holidays', '2026']; "
        "runpy.run_module('bot', run_name='__main__', alter_sys=True)",
        "import sys; sys.argv = ['troly', 'holidays', '2026']; from bot.entry import main; main()",
    ],
    ids=["python -m bot", "troly"],
)
def test_the_cli_resumes_the_collector_it_paused(entry: str, tmp_path: Path) -> None:
    # Frozen objects mean the start paused the collector and resume() ran.
    done = subprocess.run(
        [sys.executable, "-c", REPORT + entry],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert "collector True True" in done.stdout, done.stdout + done.stderr
