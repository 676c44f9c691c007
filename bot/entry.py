"""The `troly` console script: the CLI of bot/__main__.py, its modules loaded with the
cyclic garbage collector paused (bot/start_gc.py), as `python -m bot` loads them."""

from __future__ import annotations

from bot import start_gc


def main() -> int:
    start_gc.pause()
    try:
        from bot.__main__ import main as cli
    except BaseException:
        start_gc.resume()
        raise
    return cli()  # resumes the collector first
