"""Run a throwaway PostgreSQL server for the test session (initdb + pg_ctl in a temp dir)."""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

BINARIES = ("initdb", "pg_ctl", "postgres")
DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
MISSING_MESSAGE = (
    "PostgreSQL binaries (initdb, pg_ctl) not found; "
    "install the 'postgresql' package to run the PostgreSQL tests"
)


class PostgresError(RuntimeError):
    """The test PostgreSQL server could not be set up."""


def find_bindir() -> Path | None:
    """Return the directory holding initdb, pg_ctl and postgres, or None.

    ``initdb`` on PATH wins; otherwise the highest version under ``/usr/lib/postgresql/*/bin``.
    """
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    candidates += sorted(DEBIAN_PG_ROOT.glob("*/bin"), key=_version_key, reverse=True)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in BINARIES):
            return bindir
    return None


def _version_key(bindir: Path) -> tuple[int, ...]:
    """Sort key for ``/usr/lib/postgresql/<version>/bin`` ("9.6" < "15")."""
    return tuple(int(part) if part.isdigit() else -1 for part in bindir.parent.name.split("."))


def is_ci() -> bool:
    """Tell whether the CI environment variable is set to a truthy value."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no", "off")


def _free_port() -> int:
    """Ask the OS for a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """A PostgreSQL cluster in its own temp dir, reachable at 127.0.0.1:<port> as user postgres."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        self._as_root = os.geteuid() == 0
        # As root the server runs as the postgres user, which cannot enter pytest's 0700 tmp dirs.
        self.basedir = Path(tempfile.mkdtemp(prefix="mltrail-pg-", dir="/tmp" if self._as_root else None))
        self.datadir = self.basedir / "data"
        self.socketdir = self.basedir / "socket"
        self.logfile = self.basedir / "postgres.log"
        self._names = itertools.count(1)
        self._stopped = False

    @classmethod
    def start(cls, bindir: Path) -> PostgresServer:
        """Create and start a cluster; on any failure, clean up and raise PostgresError."""
        server = cls(bindir)
        atexit.register(server.stop)
        try:
            server._start()
        except BaseException:
            server.stop()
            raise
        return server

    def _start(self) -> None:
        self.socketdir.mkdir()
        if self._as_root:
            for path in (self.basedir, self.socketdir):
                shutil.chown(path, user="postgres", group="postgres")
        data, log = str(self.datadir), str(self.logfile)
        # -E UTF8 = --encoding=UTF8; -N = --no-sync (a throwaway cluster needs no fsync).
        self._run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-N")
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.socketdir} -F"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-w", "-t", "60", "-D", data, "-l", log, "-o", options, "start")

    def _run(self, program: str, *args: str) -> None:
        """Run a PostgreSQL program (as the postgres user when we are root); raise on failure."""
        command = [str(self.bindir / program), *args]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        # cwd: the postgres user must be able to enter the working directory (root's home is 0700).
        result = subprocess.run(command, cwd=self.basedir, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise PostgresError(
                f"{program} failed with exit code {result.returncode}: {' '.join(command)}\n"
                f"{result.stdout}{result.stderr}{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.logfile.read_text(errors="replace")
        except OSError:
            return ""
        return "--- postgres.log (tail) ---\n" + "\n".join(text.splitlines()[-lines:])

    def url(self, dbname: str = "postgres") -> str:
        """Return the SQLAlchemy URL of database ``dbname`` on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """Create a new, empty database with a unique name and return its SQLAlchemy URL."""
        name = f"mltrail_test_{next(self._names)}"
        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.datadir / "postmaster.pid").exists():
                self._run("pg_ctl", "-w", "-D", str(self.datadir), "-m", "fast", "stop")
        finally:
            shutil.rmtree(self.basedir, ignore_errors=True)
            atexit.unregister(self.stop)
