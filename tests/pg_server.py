"""A throwaway PostgreSQL server for the test suite.

The suite runs against a real server rather than a mock because PostgreSQL is the production
database and its behaviour (locking, types, constraint errors) differs from SQLite's. Each run
gets its own cluster in a temporary directory, on a free port, tuned for speed over durability.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["PgServer", "PostgresUnavailable", "find_pg_bin", "start_postgres"]

_START_TIMEOUT_S = 30
_START_ATTEMPTS = 3
_SUPERUSER = "postgres"
# Unix socket paths are limited to ~107 bytes; leave room for "/.s.PGSQL.NNNNN".
_MAX_SOCKET_DIR_LEN = 90
_DB_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be started here (missing binaries, no unprivileged user, start failure)."""


def _version_key(path: Path) -> tuple[int, ...]:
    # Directory names are "15", "16", "9.6": compare numerically so 16 beats 9.6.
    return tuple(int(part) for part in re.findall(r"\d+", path.parent.name) or ["0"])


def find_pg_bin() -> Path:
    """The directory holding initdb/pg_ctl/postgres/psql; PG_BIN overrides the search."""
    override = os.environ.get("PG_BIN")
    if override:
        bin_dir = Path(override)
        if not (bin_dir / "initdb").is_file():
            raise PostgresUnavailable(f"PG_BIN={override} has no initdb binary")
        return bin_dir
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").is_file()]
    if candidates:
        return max(candidates, key=_version_key)
    # Non-Debian layouts (Homebrew, Fedora) put the server binaries on PATH.
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable(
        "no PostgreSQL server binaries (initdb) under /usr/lib/postgresql/*/bin or on PATH; "
        "run scripts/ensure-postgres.sh"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.splitlines()[-lines:]) or "(server log is empty)"


class _RunAs:
    """Runs server-side binaries as an unprivileged user when we are root.

    PostgreSQL refuses to run as root, and CI runs as root, so initdb/pg_ctl must switch user.
    Python's subprocess can do that itself (user=/group=), which avoids depending on runuser.
    """

    def __init__(self) -> None:
        self.uid: int | None = None
        self.gid: int | None = None
        if os.geteuid() == 0:
            try:
                entry = pwd.getpwnam(_SUPERUSER)
            except KeyError as exc:
                raise PostgresUnavailable(
                    "running as root and there is no 'postgres' system user to run the server as "
                    "(install the postgresql package)"
                ) from exc
            self.uid, self.gid = entry.pw_uid, entry.pw_gid

    @property
    def switching(self) -> bool:
        return self.uid is not None

    def run(
        self, args: Sequence[str], *, cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C.UTF-8",
            "LANG": "C.UTF-8",
            # A HOME the postgres user can read, so tools do not warn about /root.
            "HOME": str(cwd),
        }
        if self.switching:
            return subprocess.run(
                list(args),
                cwd=cwd,
                env=env,
                user=self.uid,
                group=self.gid,
                extra_groups=[],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        return subprocess.run(
            list(args),
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def give(self, path: Path) -> None:
        """Hands a directory tree to the server user and makes its ancestors traversable."""
        if not self.switching:
            return
        assert self.uid is not None and self.gid is not None
        for root, dirs, files in os.walk(path):
            os.chown(root, self.uid, self.gid)
            for name in dirs + files:
                os.chown(os.path.join(root, name), self.uid, self.gid)
        # pytest's /tmp/pytest-of-root is 0700; the server user only needs to pass through
        # the ancestors (search bit), never to list them.
        for parent in path.resolve().parents:
            mode = parent.stat().st_mode
            if not mode & stat.S_IXOTH:
                os.chmod(parent, stat.S_IMODE(mode) | stat.S_IXOTH)


class PgServer:
    """A running throwaway cluster. Use :func:`start_postgres` to create one."""

    def __init__(
        self,
        *,
        bin_dir: Path,
        basedir: Path,
        data_dir: Path,
        socket_dir: Path,
        log_file: Path,
        port: int,
        run_as: _RunAs,
    ) -> None:
        self.bin_dir = bin_dir
        self.basedir = basedir
        self.data_dir = data_dir
        self.socket_dir = socket_dir
        self.log_file = log_file
        self.port = port
        self.host = "127.0.0.1"
        self._run_as = run_as
        self._stopped = False
        atexit.register(self._atexit_stop)

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL for the asyncpg driver."""
        return f"postgresql+asyncpg://{_SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def dsn(self, dbname: str) -> str:
        """Plain libpq-style DSN, as asyncpg.connect() and psql accept it."""
        return f"postgresql://{_SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str) -> None:
        """Creates an empty database; a test makes one per test, so this stays a single psql."""
        if not _DB_NAME_RE.match(name):
            raise ValueError(f"unsafe database name {name!r}")
        self.psql(f'CREATE DATABASE "{name}"')

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Runs SQL through psql over the unix socket and returns its unaligned output."""
        # psql is a client: it may run as whoever we are, and trust auth lets it be "postgres".
        result = subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                str(self.socket_dir),
                "-p",
                str(self.port),
                "-U",
                _SUPERUSER,
                "-d",
                dbname,
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    def stop(self) -> None:
        """Stops the server at once; durability does not matter for a throwaway cluster."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(Exception):
            atexit.unregister(self._atexit_stop)
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            self._run_as.run(
                [
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "stop",
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "20",
                ],
                cwd=self.basedir,
                timeout=30,
            )
        self._kill_postmaster()
        # The cluster is tens of MB; pytest keeps the last few tmp dirs, so drop the data
        # but keep the log for post-mortems.
        shutil.rmtree(self.data_dir, ignore_errors=True)
        if self.socket_dir.parent != self.basedir:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        # Last resort when pg_ctl could not stop it: SIGQUIT is PostgreSQL's immediate shutdown.
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGQUIT)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
            os.kill(pid, signal.SIGKILL)

    def _atexit_stop(self) -> None:
        # A test run that crashed before the fixture's finally must not leave a server behind.
        with contextlib.suppress(Exception):
            self.stop()

    def __repr__(self) -> str:
        return f"PgServer(port={self.port}, data_dir={str(self.data_dir)!r})"


def _config(port: int, socket_dir: Path) -> str:
    return "\n".join(
        [
            "",
            "# tests/pg_server.py: throwaway test cluster, speed over durability",
            "listen_addresses = '127.0.0.1'",
            f"port = {port}",
            f"unix_socket_directories = '{socket_dir}'",
            "max_connections = 300",
            "shared_buffers = 64MB",
            "fsync = off",
            "synchronous_commit = off",
            "full_page_writes = off",
            "wal_level = minimal",
            "max_wal_senders = 0",
            "max_wal_size = 1GB",
            "checkpoint_timeout = 30min",
            "jit = off",
            "logging_collector = off",
            "log_min_messages = warning",
            "timezone = 'UTC'",
            "",
        ]
    )


_HBA = """# tests/pg_server.py: trust everything local, the server only listens on loopback
local all all trust
host all all 127.0.0.1/32 trust
host all all ::1/128 trust
"""


def _socket_dir(basedir: Path) -> Path:
    candidate = basedir / "sock"
    if len(str(candidate)) <= _MAX_SOCKET_DIR_LEN:
        candidate.mkdir(exist_ok=True)
        return candidate
    return Path(tempfile.mkdtemp(prefix="pgsock-"))


def _initdb(bin_dir: Path, data_dir: Path, basedir: Path, run_as: _RunAs) -> None:
    base = [
        str(bin_dir / "initdb"),
        "-D",
        str(data_dir),
        "-U",
        _SUPERUSER,
        "--auth=trust",
        "--encoding=UTF8",
        "--no-sync",
        "--no-instructions",
    ]
    # C.UTF-8 keeps lower()/upper() correct for Vietnamese letters; plain C is the fallback
    # for systems without that locale.
    errors: list[str] = []
    for locale in ("C.UTF-8", "C"):
        shutil.rmtree(data_dir, ignore_errors=True)
        result = run_as.run([*base, f"--locale={locale}"], cwd=basedir, timeout=120)
        if result.returncode == 0:
            return
        errors.append(f"--locale={locale}: {(result.stderr or result.stdout).strip()[-2000:]}")
    raise PostgresUnavailable("initdb failed:\n" + "\n".join(errors))


def start_postgres(basedir: Path) -> PgServer:
    """Creates a cluster under basedir, starts it on a free loopback port and waits for it."""
    bin_dir = find_pg_bin()
    for tool in ("initdb", "pg_ctl", "postgres", "psql"):
        if not (bin_dir / tool).is_file():
            raise PostgresUnavailable(f"{bin_dir / tool} is missing")
    run_as = _RunAs()
    basedir = Path(basedir).resolve()
    basedir.mkdir(parents=True, exist_ok=True)
    data_dir = basedir / "data"
    log_file = basedir / "server.log"
    socket_dir = _socket_dir(basedir)
    run_as.give(basedir)
    if socket_dir.parent != basedir:
        run_as.give(socket_dir)

    _initdb(bin_dir, data_dir, basedir, run_as)
    (data_dir / "pg_hba.conf").write_text(_HBA)
    base_conf = (data_dir / "postgresql.conf").read_text()

    last_error = ""
    for _attempt in range(_START_ATTEMPTS):
        # The port can be taken between probing and binding; a fresh one usually fixes that.
        port = _free_port()
        (data_dir / "postgresql.conf").write_text(base_conf + _config(port, socket_dir))
        log_file.unlink(missing_ok=True)
        run_as.give(basedir)
        server = PgServer(
            bin_dir=bin_dir,
            basedir=basedir,
            data_dir=data_dir,
            socket_dir=socket_dir,
            log_file=log_file,
            port=port,
            run_as=run_as,
        )
        try:
            result = run_as.run(
                [
                    str(bin_dir / "pg_ctl"),
                    "-D",
                    str(data_dir),
                    "-l",
                    str(log_file),
                    "-w",
                    "-t",
                    str(_START_TIMEOUT_S),
                    "start",
                ],
                cwd=basedir,
                timeout=_START_TIMEOUT_S + 10,
            )
        except subprocess.TimeoutExpired:
            result = None
        if result is not None and result.returncode == 0 and _ready(server):
            return server
        output = "" if result is None else (result.stderr or result.stdout).strip()
        last_error = f"pg_ctl start failed: {output or 'timed out'}\n{_tail(log_file)}"
        # Do not let stop() delete the cluster we are about to retry with.
        server._stopped = True
        with contextlib.suppress(Exception):
            atexit.unregister(server._atexit_stop)
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            run_as.run(
                [str(bin_dir / "pg_ctl"), "-D", str(data_dir), "stop", "-m", "immediate", "-w"],
                cwd=basedir,
                timeout=30,
            )
        server._kill_postmaster()
        if "could not bind" not in last_error and "already in use" not in last_error:
            break
    raise PostgresUnavailable(last_error)


def _ready(server: PgServer) -> bool:
    """pg_ctl -w already waited for the socket; also prove the TCP listener and a real query."""
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((server.host, server.port), timeout=1):
                pass
            if server.psql("SELECT 1").strip() == "1":
                return True
        except (OSError, RuntimeError, subprocess.TimeoutExpired):
            time.sleep(0.1)
    return False
