"""benchmarks/run_all.py: RESULT lines become one table and `goals met: K of N`; a
benchmark that fails or prints no RESULT counts as a goal not met, with the reason."""

from __future__ import annotations

from pathlib import Path

from benchmarks.run_all import parse_results, run_one, table


def test_result_lines_are_parsed_with_direction_and_unit() -> None:
    results = parse_results(
        "sender",
        "noise\nRESULT cpu_ms=0.8 goal=1.0 unit=ms\nRESULT rate=0.95 goal=0.97 better=higher\n",
    )
    assert [(r.name, r.value, r.goal, r.unit, r.met) for r in results] == [
        ("cpu_ms", 0.8, 1.0, "ms", True),
        ("rate", 0.95, 0.97, "", False),
    ]
    assert results[1].ratio is not None and round(results[1].ratio, 3) == 0.979


def test_failing_and_silent_benchmarks_count_as_not_met(tmp_path: Path) -> None:
    good = tmp_path / "bench_good.py"
    good.write_text(
        "import sys\nassert '--quick' in sys.argv\nprint('RESULT x_s=0.5 goal=1.0 unit=s')\n"
        '# accepts "--quick"\n'
    )
    silent = tmp_path / "bench_silent.py"
    silent.write_text("print('no figures')\n")
    broken = tmp_path / "bench_broken.py"
    broken.write_text("raise SystemExit('database missing')\n")
    results = []
    for script in (good, silent, broken):
        found, _took = run_one(script, quick=True, timeout=60)
        results += found
    assert [(r.bench, r.met) for r in results] == [
        ("good", True),
        ("silent", False),
        ("broken", False),
    ]
    assert results[1].reason == "printed no RESULT line"
    assert "database missing" in results[2].reason
    shown = table(results)
    assert "good: x_s" in shown and "printed no RESULT line" in shown


def test_each_benchmark_output_is_kept_when_asked(tmp_path: Path) -> None:
    script = tmp_path / "bench_profiled.py"
    script.write_text(
        "import sys\nprint('top: build_keyboard 40 %')\nprint('RESULT y=2 goal=1')\n"
        "print('warning', file=sys.stderr)\n"
    )
    (result,), _took = run_one(script, quick=False, timeout=60, save=tmp_path / "out")
    assert not result.met
    kept = (tmp_path / "out" / "profiled.out").read_text(encoding="utf-8")
    assert "top: build_keyboard 40 %" in kept and "warning" in kept
