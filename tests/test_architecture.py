"""The layering rules of docs/architecture: only bot/ knows about platforms and HTTP."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"telegram", "httpx", "bot"}
# `python -m scheduler` is kept for existing deployments as a shim onto the process entry in
# bot/ (bot/scheduler_main.py), since only bot/ may read the environment; nothing imports it.
ENTRY_SHIMS = {"scheduler/__main__.py": {"bot"}}


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
            allowed = ENTRY_SHIMS.get(path.relative_to(ROOT).as_posix(), set())
            bad = imported_roots(path) & FORBIDDEN - allowed
            if bad:
                offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_the_rule_itself_catches_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text("from telegram import Bot\nimport bot.config\n", encoding="utf-8")
    assert imported_roots(sample) == {"telegram", "bot"}


ENV_READERS = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def _reads_environment(node: ast.Attribute | ast.ImportFrom) -> bool:
    if isinstance(node, ast.Attribute):  # os.environ[...], os.getenv(...)
        return (
            node.attr in ENV_READERS and isinstance(node.value, ast.Name) and node.value.id == "os"
        )
    # from os import environ
    return node.module == "os" and bool({a.name for a in node.names} & ENV_READERS)


def environment_reads(path: Path) -> list[int]:
    """Lines that touch the process environment."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute | ast.ImportFrom) and _reads_environment(node)
    )


def test_only_bot_reads_the_environment() -> None:
    """bot/config.py builds the settings once; everything below receives them."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for package in ("handlers", "models", "scheduler", "locales")
        for path in sorted((ROOT / package).rglob("*.py"))
        for line in environment_reads(path)
    ]
    assert offenders == []


def test_the_environment_rule_catches_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "x.py"
    sample.write_text(
        "import os\nfrom os import getenv\nA = os.environ.get('A')\nB = os.getenv('B')\n",
        encoding="utf-8",
    )
    assert environment_reads(sample) == [2, 3, 4]


TIME_ZONE = "Asia/" + "Ho_Chi_Minh"  # split, so this file does not match itself


def test_the_time_zone_is_written_only_as_the_settings_default() -> None:
    skipped = {"tests", "docs", ".venv", ".git"}
    found = {
        path.relative_to(ROOT).as_posix()
        for path in ROOT.rglob("*")
        if path.suffix in (".py", ".yaml", ".yml", ".toml", ".cfg", ".sh")
        and not skipped & set(path.relative_to(ROOT).parts)
        and path.is_file()
        and TIME_ZONE in path.read_text(encoding="utf-8", errors="replace")
    }
    assert found == {"bot/config.py"}
