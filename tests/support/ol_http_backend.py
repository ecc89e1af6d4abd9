"""A real OpenLineage HTTP backend for tests: a loopback server that collects POSTed events."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import socket
import threading
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.serde import Serde

PRODUCER = "https://github.com/mltrail/mltrail/tests"


def free_port() -> int:
    """Return a loopback port nobody listens on (right now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LineageBackend:
    """Collects the events POSTed to ``/api/v1/lineage``; ``status`` sets the reply code."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.events: list[dict[str, Any]] = []
        self.status = 200
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LineageBackend:
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if backend.status < 300:
                    with backend._lock:
                        backend.events.append(json.loads(body))
                self.send_response(backend.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def counts(self) -> Counter[tuple[str, str]]:
        """Return how often each (runId, eventType) arrived."""
        with self._lock:
            return Counter((event["run"]["runId"], event["eventType"]) for event in self.events)


def run_events(runs: int, *, job: str = "train") -> list[dict[str, Any]]:
    """Return START then COMPLETE event dicts for ``runs`` runs, run after run."""
    events = []
    for index in range(runs):
        run_id = str(uuid.uuid4())
        for state in (RunState.START, RunState.COMPLETE):
            event = RunEvent(
                eventType=state,
                eventTime=dt.datetime.now(dt.UTC).isoformat(),
                run=Run(runId=run_id),
                job=Job(namespace="tests", name=f"{job}.{index}"),
                producer=PRODUCER,
            )
            events.append(Serde.to_dict(event))
    return events


def key(event: dict[str, Any]) -> tuple[str, str]:
    """Return an event's (runId, eventType)."""
    return event["run"]["runId"], event["eventType"]


def isolate_openlineage(monkeypatch: Any, folder: Any) -> None:
    """Work in ``folder`` with no OpenLineage or mltrail config from the environment, cwd or HOME."""
    import os

    monkeypatch.chdir(folder)
    monkeypatch.setenv("HOME", str(folder / "home"))
    for name in list(os.environ):
        if name.startswith(("OPENLINEAGE", "MLTRAIL_")):
            monkeypatch.delenv(name)


def configure_http(monkeypatch: Any, url: str) -> None:
    """Point the standard OpenLineage config (env vars) at ``url``, without retries, 2 s timeout."""
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__URL", url)
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TIMEOUT", "2")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__RETRY__TOTAL", "0")
