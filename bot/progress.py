"""Progress of long command-line work (imports, seeding, planning, batches of link codes).

    with progress(_("Issuing link codes"), total=len(officials)) as advance:
        for official in officials:
            ...
            advance(1)

With stdout on a terminal this is a rich progress bar on stderr; otherwise (cron, systemd, a pipe,
tests) a few plain lines — the start, every tenth and the end — so a log stays readable.
stdout keeps only the command's result, which scripts may parse.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

Advance = Callable[[int], None]


@contextlib.contextmanager
def progress(
    label: str, total: int, *, stream: TextIO | None = None, tty: bool | None = None
) -> Iterator[Advance]:
    """Yield `advance(n)`; the bar (or the plain lines) ends when the block does."""
    stream = stream or sys.stderr
    # A bar only for a person watching: both the result (stdout) and the bar on a terminal.
    is_tty = (stream.isatty() and sys.stdout.isatty()) if tty is None else tty
    if is_tty:
        with _bar(label, total, stream) as advance:
            yield advance
        return
    with _lines(label, total, stream) as advance:
        yield advance


@contextlib.contextmanager
def _bar(label: str, total: int, stream: TextIO) -> Iterator[Advance]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(file=stream)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=max(total, 1))

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


@contextlib.contextmanager
def _lines(label: str, total: int, stream: TextIO) -> Iterator[Advance]:
    done = 0
    step = max(total // 10, 1)
    next_report = step

    def say(count: int) -> None:
        print(f"{label}: {count}/{total}", file=stream, flush=True)

    def advance(n: int = 1) -> None:
        nonlocal done, next_report
        done = min(done + n, total)
        if done >= next_report and done < total:
            say(done)
            while next_report <= done:
                next_report += step

    say(0)
    yield advance
    say(total if done >= total else done)
