"""Run mltrail's server under uvicorn on a loopback port, in a thread of the test process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
import uvicorn

from mltrail.config import Settings
from mltrail.server import create_app
from mltrail.store import Store


@dataclass(frozen=True)
class Served:
    """A running server and a store on the same database, for checking what requests wrote."""

    url: str
    store: Store


@contextmanager
def serve_app(app: Any, *, port: int = 0) -> Iterator[str]:
    """Serve an ASGI app at ``http://127.0.0.1:<port>`` (a free one by default) until the block ends."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{bound}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@contextmanager
def live_server(tracking_uri: str, *, port: int = 0, **settings: Any) -> Iterator[str]:
    """Serve a store's database at ``http://127.0.0.1:<port>`` until the block ends; yield the URL.

    ``settings`` are more :class:`~mltrail.config.Settings` fields, e.g. ``require_auth_for_reads``.
    """
    with serve_app(create_app(Settings(tracking_uri=tracking_uri, **settings)), port=port) as url:
        yield url


def wait_for_auth(url: str) -> None:
    """Wait until a server has noticed that tokens exist (it rechecks every 2 s).

    Probes with a write whose body is refused, so the probe stores nothing either way.
    """
    deadline = time.monotonic() + 10
    while requests.post(f"{url}/api/mltrail/v1/experiments", json={}, timeout=10).status_code != 401:
        assert time.monotonic() < deadline, "the server never asked for a token"
        time.sleep(0.1)
