"""The layering rules of docs/architecture: only bot/ knows about platforms and HTTP; handlers
reach the database only through their context and models, and one feature's handler module
never imports another's."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"telegram", "httpx", "bot"}

# handlers/ modules that are not a feature: the chat types, the context, routing and the
# declarations (payloads, flows), and helpers several features share. Everything else in
# handlers/ is a feature module with its own router, composed in handlers/__init__.py.
SHARED_HANDLER_MODULES = frozenset(
    {
        "__init__",  # the composition root: it alone imports every feature
        "admin_access",
        "certificate_texts",
        "common",
        "context",
        "course_texts",
        "flows",
        "payloads",
        "privacy_notice",
        "router",
        "routing",
        "types",
    }
)
# The one handler module allowed to name the database session's type.
SQLALCHEMY_ALLOWED = frozenset({"context"})


def imported_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def imported_modules(path: Path, package: str = "handlers") -> set[str]:
    """Dotted names the module imports; `from handlers import x` counts as handlers.x, and
    a relative import is resolved inside `package`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                module = ".".join(p for p in (package, module) if p)
            if not module:
                continue
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def handler_violations(directory: Path, package: str = "handlers") -> list[str]:
    """sqlalchemy outside the context, and feature modules importing one another (or a
    shared module importing a feature, which would let features reach each other)."""
    modules = {p.stem for p in directory.glob("*.py")}
    features = modules - SHARED_HANDLER_MODULES
    found = []
    for path in sorted(directory.glob("*.py")):
        imported = imported_modules(path, package)
        if path.stem not in SQLALCHEMY_ALLOWED and any(
            name == "sqlalchemy" or name.startswith("sqlalchemy.") for name in imported
        ):
            found.append(f"{package}/{path.name} imports sqlalchemy")
        if path.stem == "__init__":
            continue
        others = {
            name.split(".")[1]
            for name in imported
            if name.startswith(f"{package}.") and name.split(".")[1] in features
        } - {path.stem}
        if others:
            found.append(f"{package}/{path.name} imports feature modules {sorted(others)}")
    return found


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


def test_handlers_use_no_sqlalchemy_and_no_other_feature() -> None:
    assert handler_violations(ROOT / "handlers") == []


def test_every_shared_handler_module_exists() -> None:
    # A stale entry would quietly exempt a future feature module named like it.
    present = {p.stem for p in (ROOT / "handlers").glob("*.py")}
    assert present >= SHARED_HANDLER_MODULES


def test_the_sqlalchemy_rule_catches_a_violation(tmp_path: Path) -> None:
    (tmp_path / "context.py").write_text(
        "from sqlalchemy.ext.asyncio import AsyncSession\n", encoding="utf-8"
    )
    (tmp_path / "courses.py").write_text("from sqlalchemy import select\n", encoding="utf-8")
    (tmp_path / "reports.py").write_text("import sqlalchemy as sa\n", encoding="utf-8")
    assert handler_violations(tmp_path) == [
        "handlers/courses.py imports sqlalchemy",
        "handlers/reports.py imports sqlalchemy",
    ]


def test_the_feature_rule_catches_a_violation(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("from handlers import courses, start\n", encoding="utf-8")
    (tmp_path / "common.py").write_text("from handlers.start import greeting\n", encoding="utf-8")
    (tmp_path / "courses.py").write_text(
        "from handlers.common import addressed\nfrom handlers.router import Router\n",
        encoding="utf-8",
    )
    (tmp_path / "start.py").write_text(
        "from handlers import courses\nfrom . import common\n", encoding="utf-8"
    )
    (tmp_path / "help.py").write_text("from .start import on_menu\n", encoding="utf-8")
    assert handler_violations(tmp_path) == [
        "handlers/common.py imports feature modules ['start']",
        "handlers/help.py imports feature modules ['start']",
        "handlers/start.py imports feature modules ['courses']",
    ]
