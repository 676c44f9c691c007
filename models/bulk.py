"""Reading many rows at once without the cyclic garbage collector's pauses.

Building tens of thousands of tuples (profiles, completions, rows) triggers collection
after collection, each walking every object alive so far, though tuples of plain values
never form cycles: in a profile of the "still owes" preview that was more time than the
SQL. Bulk readers hold the collector off while they build, then let it run once.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the cyclic collector for the block (nested or interleaved uses are fine:
    only the use that found it enabled turns it back on)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
