"""The layering rules of docs/architecture: only bot/ knows about platforms and HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"telegram", "httpx", "bot"}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_core_packages_do_not_import_channels() -> None:
    offenders = []
    for package in ("handlers", "models", "scheduler"):
        for path in (ROOT / package).rglob("*.py"):
            bad = imported_roots(path) & FORBIDDEN
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_the_rule_itself_catches_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from telegram import Bot\nimport bot.config\n", encoding="utf-8")
    assert imported_roots(sample) == {"telegram", "bot"}
