"""Issue #13 point 7: the operator's kit in deploy/. Every systemd unit and compose service
runs a real `troly` subcommand, reads the one environment file, is hardened, and waits for
the one-shot migration; `systemd-analyze verify` accepts the units where it is installed.
Docker itself is not needed (nor used) here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.__main__ import parser

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
TROLY = "/opt/troly/venv/bin/troly"
CHANNELS = ("telegram", "zalo")


def directives(unit: Path) -> dict[str, list[str]]:
    """Key -> values across sections (systemd allows a key more than once)."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _eq, value = line.partition("=")
        found.setdefault(key.strip(), []).append(value.strip())
    return found


def commands(unit: Path) -> list[list[str]]:
    """The troly arguments of the unit's ExecStart, once per channel for a template."""
    (exec_start,) = directives(unit)["ExecStart"]
    program, *args = exec_start.split()
    assert program == TROLY, exec_start
    if "%i" not in args:
        return [args]
    return [[a.replace("%i", ch) for a in args] for ch in CHANNELS]


def unit_commands() -> list[list[str]]:
    return [cmd for unit in UNITS for cmd in commands(unit)]


def test_the_four_services_are_there() -> None:
    assert {u.name for u in UNITS} == {
        "troly-bot@.service",
        "troly-sender.service",
        "troly-scheduler.service",
        "troly-migrate.service",
    }


@pytest.mark.parametrize("args", unit_commands(), ids=" ".join)
def test_every_exec_start_is_a_real_subcommand(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        parser().parse_args([*args, "--help"])
    assert exited.value.code == 0


def test_the_console_script_answers() -> None:
    troly = Path(sys.executable).parent / "troly"
    done = subprocess.run(
        [str(troly), "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    for command in ("run", "send", "scheduler", "db"):
        assert command in done.stdout


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_units_read_the_environment_file_and_are_hardened(unit: Path) -> None:
    d = directives(unit)
    assert "/etc/troly/troly.env" in d["EnvironmentFile"]
    assert d["ProtectSystem"] == ["strict"] and d["NoNewPrivileges"] == ["yes"]
    assert d["StateDirectory"] == ["troly"] and d["User"] == ["troly"]
    if unit.name == "troly-migrate.service":
        assert d["Type"] == ["oneshot"]
        return
    assert d["Restart"] == ["on-failure"] and d["RestartSec"]
    assert d["Requires"] == ["troly-migrate.service"]
    assert "troly-migrate.service" in d["After"][0].split()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path) -> None:
    # verify also checks that ExecStart exists: point it at this checkout's console script.
    troly = str(Path(sys.executable).parent / "troly")
    for unit in UNITS:
        text = unit.read_text(encoding="utf-8").replace(TROLY, troly)
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    for channel in CHANNELS:
        shutil.copy(tmp_path / "troly-bot@.service", tmp_path / f"troly-bot@{channel}.service")
    names = [p for p in sorted(tmp_path.iterdir()) if not p.name.endswith("@.service")]
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *map(str, names)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and not (done.stdout + done.stderr).strip(), done.stderr


def test_compose_runs_the_same_commands_after_the_migration() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert services["db"]["image"] == "postgres:15"
    ran = {tuple(s["command"]) for name, s in services.items() if name != "db"}
    expected = {tuple(cmd) for cmd in unit_commands() if cmd[-1] != "zalo"}
    assert ran == expected
    for name, service in services.items():
        if name in ("db", "migrate"):
            continue
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "postgresql://" in service["environment"]["DATABASE_URL"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    ports = [s["environment"].get("METRICS_PORT") for n, s in services.items() if n != "db"]
    ports = [p for p in ports if p]
    assert len(ports) == len(set(ports))  # one ops server per process, one port each
