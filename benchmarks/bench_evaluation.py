"""A class's evaluation summary (#16.4): figures, workbook and chart for a small and a large
class. Pure (no database): the summary's cost is in the arithmetic and the files.

    .venv/bin/python benchmarks/bench_evaluation.py [--quick]

Prints the time per size and the ratio large/small: the figures should grow about linearly
with the answers (ratio near the size ratio), and the files not much at all.
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from locales import use_locale
from models.courses.catalogue import Course
from models.courses.evaluation import questionnaire
from models.courses.evaluation_summary import summarise
from models.exports.evaluation import evaluation_chart, evaluation_workbook


def _answers(n: int) -> list[dict[str, object]]:
    rng = random.Random(n)
    form = questionnaire()
    rows: list[dict[str, object]] = []
    for i in range(n):
        row: dict[str, object] = {q.key: rng.randint(1, 5) for q in form.scaled}
        if i % 3 == 0:
            row["improve"] = f"Ý kiến số {i}: nên có thêm bài tập thực hành"
        rows.append(row)
    return rows


def _time(n: int) -> tuple[float, float]:
    course = Course(
        code="K-BENCH", title="Khóa đo", organiser="Sở Nội vụ", starts_on=date(2026, 11, 2),
        ends_on=date(2026, 11, 6),
    )  # fmt: skip
    answers = _answers(n)
    with use_locale("vi"):
        start = time.perf_counter()
        summary = summarise(course, questionnaire(), answers, participants=n)
        figures = time.perf_counter() - start
        start = time.perf_counter()
        evaluation_workbook(summary, evaluation_chart(summary))
        files = time.perf_counter() - start
    return figures, files


def main() -> None:
    quick = "--quick" in sys.argv
    small, large = (30, 300) if quick else (30, 3000)
    _time(small)  # warm: matplotlib's import and font cache
    f_small, x_small = _time(small)
    f_large, x_large = _time(large)
    print(f"{small} answers: figures {f_small * 1000:.2f} ms, files {x_small * 1000:.0f} ms")
    print(f"{large} answers: figures {f_large * 1000:.2f} ms, files {x_large * 1000:.0f} ms")
    ratio = (f_large + x_large) / (f_small + x_small)
    print(f"ratio large/small (whole summary): {ratio:.1f} for {large // small}x the answers")
    print(f"RESULT evaluation_summary_{large}_ms={(f_large + x_large) * 1000:.0f} goal=2000")


if __name__ == "__main__":
    main()
