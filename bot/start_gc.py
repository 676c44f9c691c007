"""The cyclic garbage collector paused while the start loads its modules.

Loading the bot's ~1,000 modules allocates ~200,000 long-lived objects (classes, functions,
mapped tables) and almost no garbage, yet each allocation burst triggers collections that
walk everything allocated so far: about a quarter of the CPU of importing aiohttp, telegram
and sqlalchemy alone (#15 point 5). The entry points (`python -m bot`, `troly`) disable the
collector before their imports; `resume` freezes what was loaded (it lives as long as the
process, so no later full collection walks it again) and turns the collector back on.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Idempotent; a collector this module did not pause (a test calling main()) is left
    as its owner set it."""
    global _paused
    if not _paused:
        return
    _paused = False
    gc.freeze()
    gc.enable()
