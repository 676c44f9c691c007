"""Issue #13's operator's kit really starts: the four systemd units of deploy/systemd/, run as
systemd would run them (a clean environment from their EnvironmentFile= lines in order,
WorkingDirectory=, ExecStart= with this checkout in place of /opt/troly), on a SQLite file
and on PostgreSQL. systemd is not PID 1 here, so this test is systemd's part: the one-shot
migration first, then the bot (Telegram, against the fake Bot API in this process), the
sender and the scheduler in parallel; their /healthz and /metrics; /start answered; SIGTERM
(systemd's stop) ends each with exit code 0; a second migration changes nothing."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db import SCHEMA_HEAD
from tests.fake_bot_api import FakeBotApi
from tests.systemd_env import parse_environment_file
from tests.test_deploy import DEPLOY, TROLY, directives

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
PEPPER = "smoke-pepper-" + "x" * 32
USER_ID = 4242
UNITS = {
    "migrate": "troly-migrate.service",
    "bot": "troly-bot@.service",
    "sender": "troly-sender.service",
    "scheduler": "troly-scheduler.service",
}
INSTANCE = "telegram"  # the %i of troly-bot@telegram
# Every process serves the backlog gauges; each adds its own series.
METRICS = {
    "bot": ("troly_outbox_due", "troly_updates_total", "troly_handler_seconds"),
    "sender": ("troly_outbox_due", "troly_notice_sends_total", "troly_notice_rate_limited"),
    "scheduler": ("troly_outbox_due", "troly_planning_seconds"),
}
START_BUDGET = 30.0
STOP_BUDGET = 10.0  # well inside the units' TimeoutStopSec=30s


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Host:
    """/etc/troly and /var/lib/troly of a machine, under the test's tmp_path."""

    etc: Path
    state: Path

    def path(self, unit_path: str) -> Path:
        for prefix, here in (("/etc/troly", self.etc), ("/var/lib/troly", self.state)):
            if unit_path.startswith(prefix):
                return here / unit_path.removeprefix(prefix).lstrip("/")
        raise AssertionError(f"a unit path outside the kit's directories: {unit_path}")


def unit_text(name: str) -> str:
    return (DEPLOY / "systemd" / name).read_text(encoding="utf-8").replace("%i", INSTANCE)


def service_environment(unit: str, host: Host) -> dict[str, str]:
    """The environment systemd gives the service: its few own variables, then each
    EnvironmentFile= in the order listed (a later file wins; "-" = may be missing)."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(host.state), "USER": "troly"}
    for entry in directives_of(unit)["EnvironmentFile"]:
        optional = entry.startswith("-")
        path = host.path(entry.lstrip("-"))
        if not path.exists():
            assert optional, f"{unit}: {path.name} is required and missing"
            continue
        env.update(parse_environment_file(path.read_text(encoding="utf-8")))
    # Not systemd's: this checkout instead of the release installed in /opt/troly/venv.
    env["PYTHONPATH"] = str(ROOT)
    return env


def directives_of(unit: str) -> dict[str, list[str]]:
    path = DEPLOY / "systemd" / unit
    found = directives(path)
    return {k: [v.replace("%i", INSTANCE) for v in vs] for k, vs in found.items()}


def exec_start(unit: str) -> list[str]:
    (line,) = directives_of(unit)["ExecStart"]
    program, *args = line.split()
    assert program == TROLY, line
    return [sys.executable, "-m", "bot", *args]


def write_host(tmp_path: Path, db_url: str, fake: FakeBotApi) -> tuple[Host, dict[str, int]]:
    host = Host(etc=tmp_path / "etc", state=tmp_path / "state")
    host.etc.mkdir()
    host.state.mkdir()
    ports = {name: free_port() for name in ("bot", "sender", "scheduler")}
    # As an operator writes it from .env.example: comments of both kinds, quotes, a
    # continued line, and one METRICS_PORT for all that each service's own file overrides.
    (host.etc / "troly.env").write_text(
        "# /etc/troly/troly.env of the province (written by the smoke test)\n"
        "; systemd also ignores lines starting with a semicolon\n"
        f'DATABASE_URL="{db_url}"\n'
        f"TELEGRAM_BOT_TOKEN='{TOKEN}'\n"
        f"  LINK_CODE_SECRET = {PEPPER}\n"
        f"TELEGRAM_API_BASE_URL={fake.base_url}\n"
        f'TELEGRAM_FILE_BASE_URL="{fake.base_file_url}"\n'
        "\n"
        "LOG_LEVEL=INFO\n"
        "LOG_FORMAT=json\n"
        "METRICS_LISTEN=127.0.0.1\n"
        f"METRICS_PORT={free_port()}\n"
        'PRIVACY_CONTACT="Phòng Tổ chức cán bộ, \\\n'
        'Sở Nội vụ"\n',
        encoding="utf-8",
    )
    own = {"bot": f"{INSTANCE}.env", "sender": "sender.env", "scheduler": "scheduler.env"}
    for name, file in own.items():
        (host.etc / file).write_text(
            f"# only the {name}\nMETRICS_PORT={ports[name]}\n", encoding="utf-8"
        )
    return host, ports


async def start(name: str, host: Host, logs: Path) -> asyncio.subprocess.Process:
    unit = UNITS[name]
    (workdir,) = directives_of(unit)["WorkingDirectory"]
    out = (logs / f"{name}.log").open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            *exec_start(unit),
            cwd=host.path(workdir),
            env=service_environment(unit, host),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    finally:
        out.close()


def log_tail(logs: Path, name: str) -> str:
    return (logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")[-3000:]


async def migrate(host: Host, logs: Path) -> str:
    """systemd's start of the one-shot unit: it must exit 0. Returns this run's log."""
    log = logs / "migrate.log"
    before = log.stat().st_size if log.exists() else 0
    process = await start("migrate", host, logs)
    code = await asyncio.wait_for(process.wait(), timeout=60)
    assert code == 0, log_tail(logs, "migrate")
    return log.read_bytes()[before:].decode("utf-8", errors="replace")


async def get(session: aiohttp.ClientSession, port: int, path: str) -> tuple[int, str] | None:
    try:
        async with session.get(f"http://127.0.0.1:{port}{path}") as answer:
            return answer.status, await answer.text()
    except aiohttp.ClientConnectionError:
        return None  # not listening yet


async def healthz_when_up(
    session: aiohttp.ClientSession,
    name: str,
    port: int,
    process: asyncio.subprocess.Process,
    logs: Path,
) -> list[tuple[int, dict[str, Any]]]:
    """Every /healthz answer until the process is healthy (200)."""
    seen: list[tuple[int, dict[str, Any]]] = []
    deadline = time.monotonic() + START_BUDGET
    while time.monotonic() < deadline:
        assert process.returncode is None, f"{name} exited:\n{log_tail(logs, name)}"
        got = await get(session, port, "/healthz")
        if got is not None:
            seen.append((got[0], json.loads(got[1])))
            if got[0] == 200:
                return seen
        await asyncio.sleep(0.2)
    raise AssertionError(f"{name} never healthy: {seen[-3:]}\n{log_tail(logs, name)}")


async def until_lock_held(session: aiohttp.ClientSession, port: int) -> None:
    deadline = time.monotonic() + START_BUDGET
    while time.monotonic() < deadline:
        got = await get(session, port, "/healthz")
        if got is not None and json.loads(got[1])["sender_lock"] == "held":
            return
        await asyncio.sleep(0.2)
    raise AssertionError("the only sender never held the token's lock")


async def schema(db_url: str) -> tuple[str, list[str]]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).one()
            tables = await conn.run_sync(lambda sync: sorted(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    return str(version[0]), tables


async def test_the_four_units_start_serve_and_stop(
    tmp_path: Path, db_url: str, fake: FakeBotApi
) -> None:
    host, ports = write_host(tmp_path, db_url, fake)
    logs = tmp_path / "logs"
    logs.mkdir()

    await migrate(host, logs)
    first = await schema(db_url)
    assert first[0] == SCHEMA_HEAD

    names = ("bot", "sender", "scheduler")
    started = await asyncio.gather(*(start(n, host, logs) for n in names))
    processes = dict(zip(names, started, strict=True))
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            answers = await asyncio.gather(
                *(healthz_when_up(session, n, ports[n], processes[n], logs) for n in names)
            )
            health = dict(zip(names, answers, strict=True))
            # The bot and the sender are healthy from their first answer.
            assert [s for s, _ in health["bot"]] == [200], health["bot"]
            assert health["bot"][0][1] == {"database": "ok", "status": "ok"}
            assert [s for s, _ in health["sender"]] == [200], health["sender"]
            # A standby ("free") is healthy too; the only sender takes the token's lock soon.
            assert health["sender"][0][1]["sender_lock"] in ("held", "free")
            await until_lock_held(session, ports["sender"])
            # The scheduler: 503 until its first planning run is recorded (the jobs run at
            # start), with no run to show; then 200 with that run.
            *before, (_, after) = health["scheduler"]
            for status, body in before:
                assert status == 503 and body["last_planning_run"] is None, body
                assert body["database"] == "ok" and body["status"] == "error"
            run = after["last_planning_run"]
            assert run["failed_jobs"] == [] and run["age_seconds"] < 60, after

            fake.push_text(USER_ID, "/start")
            (reply, *_) = await fake.wait_sent(USER_ID, 1, timeout=15)
            assert reply.text and reply.text.strip()

            for name in names:
                got = await get(session, ports[name], "/metrics")
                assert got is not None and got[0] == 200
                exposed = {
                    line.split()[2] for line in got[1].splitlines() if line.startswith("# TYPE")
                }
                for metric in METRICS[name]:
                    assert metric.removesuffix("_total") in {
                        m.removesuffix("_total") for m in exposed
                    }, (name, metric, sorted(exposed))
            got = await get(session, ports["bot"], "/metrics")
            assert got is not None
            assert f'troly_updates_total{{channel="{INSTANCE}"}} 1.0' in got[1]

        # systemd's stop: SIGTERM to the main process, SIGKILL after TimeoutStopSec.
        for process in processes.values():
            process.send_signal(signal.SIGTERM)
        codes = await asyncio.wait_for(
            asyncio.gather(*(p.wait() for p in processes.values())), timeout=STOP_BUDGET
        )
        assert dict(zip(names, codes, strict=True)) == dict.fromkeys(names, 0), {
            n: log_tail(logs, n) for n in names
        }
    finally:
        for process in processes.values():
            if process.returncode is None:
                process.kill()
                await process.wait()

    await migrate(host, logs)  # a no-op: exit 0, same version, same tables
    assert await schema(db_url) == first


def test_compose_services_run_the_units_commands_with_the_image_entrypoint() -> None:
    """compose's `command` is the argument list after the image's ENTRYPOINT (troly), so
    entrypoint + command must be each unit's ExecStart."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    (entrypoint,) = [
        line.removeprefix("ENTRYPOINT").strip()
        for line in dockerfile.splitlines()
        if line.startswith("ENTRYPOINT")
    ]
    assert yaml.safe_load(entrypoint) == ["troly"]
    for service, unit in UNITS.items():
        (line,) = directives_of(unit)["ExecStart"]
        program, *args = line.split()
        assert Path(program).name == "troly"
        assert compose["services"][service]["command"] == args, service


def test_an_instance_file_overrides_the_shared_file(tmp_path: Path) -> None:
    """Each unit's own file (/etc/troly/%i.env, sender.env, scheduler.env) is read after
    troly.env, so the METRICS_PORT it sets wins over one in the shared file."""
    host = Host(etc=tmp_path, state=tmp_path)
    (tmp_path / "troly.env").write_text("METRICS_PORT=9100\nLOG_LEVEL=INFO\n", encoding="utf-8")
    own = {"bot": f"{INSTANCE}.env", "sender": "sender.env", "scheduler": "scheduler.env"}
    for i, (name, file) in enumerate(own.items()):
        (tmp_path / file).write_text(f"METRICS_PORT={9101 + i}\n", encoding="utf-8")
        env = service_environment(UNITS[name], host)
        assert env["METRICS_PORT"] == str(9101 + i), name
        assert env["LOG_LEVEL"] == "INFO"


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("A=plain", "plain"),
        ("A = spaced  ", "spaced"),
        ("A='single $x \\n'", "single $x \\n"),
        ('A="double \\"q\\" \\\\ \\$"', 'double "q" \\ $'),
        ('A="con\\\ntinued"', "continued"),
        ("A=un\\ quoted", "un quoted"),
        ("A=keeps # this", "keeps # this"),
        ("A=", ""),
    ],
)
def test_environment_file_syntax(line: str, value: str) -> None:
    assert parse_environment_file(f"# c\n; c\n\n{line}\nB=1\n") == {"A": value, "B": "1"}


def test_environment_file_refuses_a_line_without_a_value() -> None:
    with pytest.raises(ValueError):
        parse_environment_file("JUST_A_NAME\n")
