"""Every benchmark, one table: measure, goal, now, ratio, met? — and `goals met: K of N`.

    .venv/bin/python benchmarks/run_all.py [--quick] [--only sender,start] [--save DIR]

Each benchmarks/bench_*.py runs in its own process (so one's memory or crash cannot touch
another's figures) and reports its goals as lines of the form

    RESULT <name>=<value> goal=<value> [unit=<u>] [better=higher]

(lower is better unless `better=higher`). `--quick` is passed to the benchmarks that accept
it (smaller sizes while developing; the full sizes are the ones the goals are for). A
benchmark that fails, times out or prints no RESULT line counts as one goal not met, with
the reason in the table.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent

_RESULT = re.compile(r"^RESULT\s+(?P<name>[\w.\-/]+)=(?P<value>\S+)\s+(?P<rest>.*)$")


@dataclass(frozen=True)
class Result:
    bench: str
    name: str
    value: float | None
    goal: float | None
    unit: str = ""
    higher_is_better: bool = False
    reason: str = ""  # why there is no figure (failed, timed out, printed none)

    @property
    def met(self) -> bool:
        if self.value is None or self.goal is None:
            return False
        if self.higher_is_better:
            return self.value >= self.goal
        return self.value <= self.goal

    @property
    def ratio(self) -> float | None:
        """now / goal: at most 1 is met for lower-is-better, at least 1 for higher."""
        if self.value is None or not self.goal:
            return None
        return self.value / self.goal


def parse_results(bench: str, output: str) -> list[Result]:
    """The RESULT lines of one benchmark's output."""
    found: list[Result] = []
    for line in output.splitlines():
        match = _RESULT.match(line.strip())
        if match is None:
            continue
        fields = dict(part.split("=", 1) for part in match.group("rest").split() if "=" in part)
        found.append(
            Result(
                bench,
                match.group("name"),
                _number(match.group("value")),
                _number(fields.get("goal", "")),
                fields.get("unit", ""),
                fields.get("better", "lower").lower() == "higher",
            )
        )
    return found


def _number(text: str) -> float | None:
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return None


def benchmarks(only: set[str] | None) -> list[Path]:
    scripts = sorted(HERE.glob("bench_*.py"))
    if only:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in only]
    return scripts


def accepts_quick(script: Path) -> bool:
    return '"--quick"' in script.read_text(encoding="utf-8")


def run_one(
    script: Path, *, quick: bool, timeout: float, save: Path | None = None
) -> tuple[list[Result], float]:
    bench = script.stem.removeprefix("bench_")
    command = [sys.executable, str(script)]
    if quick and accepts_quick(script):
        command.append("--quick")
    started = time.monotonic()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as timed_out:
        took = time.monotonic() - started
        _save(save, bench, _text(timed_out.stdout), _text(timed_out.stderr))
        return [Result(bench, bench, None, None, reason=f"timed out after {timeout:.0f} s")], took
    took = time.monotonic() - started
    _save(save, bench, done.stdout, done.stderr)
    results = parse_results(bench, done.stdout)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:120]
        reason = f"exit {done.returncode}: {tail}"
        if not results:
            return [Result(bench, bench, None, None, reason=reason)], took
        results.append(Result(bench, f"{bench} (run)", None, None, reason=reason))
    if not results:
        results = [Result(bench, bench, None, None, reason="printed no RESULT line")]
    return results, took


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    return output or ""


def _save(folder: Path | None, bench: str, stdout: str, stderr: str) -> None:
    """Each benchmark's whole output, for the profiles and figures behind the table."""
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{bench}.out").write_text(stdout + "\n--- stderr ---\n" + stderr, encoding="utf-8")


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def table(results: list[Result]) -> str:
    rows = [("measure", "goal", "now", "ratio", "met?")]
    for r in results:
        goal = _fmt(r.goal, r.unit)
        if r.goal is not None:
            goal = ("≥ " if r.higher_is_better else "≤ ") + goal
        now = _fmt(r.value, r.unit) if r.value is not None else r.reason
        ratio = "—" if r.ratio is None else f"{r.ratio:.2f}"
        rows.append((f"{r.bench}: {r.name}", goal, now, ratio, "yes" if r.met else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="smaller sizes, passed through")
    p.add_argument("--only", default="", help="comma-separated names: sender,start,import")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per benchmark")
    p.add_argument("--save", type=Path, default=None, help="folder for each benchmark's output")
    args = p.parse_args()
    only = {name.strip() for name in args.only.split(",") if name.strip()} or None
    print(f"{datetime.now():%d/%m/%Y %H:%M} — {machine()}" + (" — quick" if args.quick else ""))
    everything: list[Result] = []
    for script in benchmarks(only):
        results, took = run_one(script, quick=args.quick, timeout=args.timeout, save=args.save)
        met = sum(r.met for r in results)
        print(f"  {script.name}: {took:.0f} s, {met} of {len(results)} met", flush=True)
        everything += results
    print()
    print(table(everything))
    print()
    print(f"goals met: {sum(r.met for r in everything)} of {len(everything)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
