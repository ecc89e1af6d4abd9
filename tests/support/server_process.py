"""Run ``mltrail server`` as a process of its own (with its workers), as a deployment would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests


class ServerProcess:
    """``mltrail server`` on a loopback port; :meth:`kill` and :meth:`start` it at will."""

    def __init__(self, db_url: str, port: int, folder: Path, *, workers: int = 2) -> None:
        self.db_url, self.port, self.folder, self.workers = db_url, port, folder, workers
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start the server and wait until ``/readyz`` answers."""
        command = [
            str(Path(sys.executable).parent / "mltrail"),
            "server",
            "--db",
            self.db_url,
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLTRAIL_", "OPENLINEAGE"))}
        log = (self.folder / f"server-{self.port}.log").open("a")
        self.process = subprocess.Popen(
            command, env=env, cwd=self.folder, stdout=log, stderr=log, text=True, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the server did not start: {(self.folder / f'server-{self.port}.log').read_text()}"
                )
            time.sleep(0.2)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the server and its workers (the process group this object started)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=30)
        self.process = None


@contextmanager
def server_process(db_url: str, port: int, folder: Path, *, workers: int = 2) -> Iterator[ServerProcess]:
    """A started :class:`ServerProcess`, stopped (SIGTERM) at the end."""
    server = ServerProcess(db_url, port, folder, workers=workers)
    server.start()
    try:
        yield server
    finally:
        server.kill(signal.SIGTERM)
