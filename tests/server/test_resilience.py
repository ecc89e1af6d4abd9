"""The server under load, killed mid-load, and two servers on one database."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from marquez_client import MarquezClient
from ol_events import run_event
from ol_http_backend import configure_http, free_port, isolate_openlineage
from server_process import ServerProcess, server_process

from mltrail.openlineage.delivery import Emitter, replay
from mltrail.openlineage.destinations import OpenLineageDestination
from mltrail.openlineage.spool import Spool
from mltrail.store import Store

CLIENTS = 8
LOAD_SECONDS = float(os.environ.get("MLTRAIL_LOAD_SECONDS", "60"))
"""How long the load test posts (60 s, as promised; shorter locally with MLTRAIL_LOAD_SECONDS)."""


def events_of(client: int, n: int) -> list[dict[str, Any]]:
    """START and COMPLETE of the ``n``-th run of a client, timed now."""
    run = uuid.UUID(int=(client << 64) | n)
    pair = [run_event(kind, run, f"load.{client}", 0) for kind in ("START", "COMPLETE")]
    for event in pair:
        event["eventTime"] = datetime.now(UTC).isoformat()
    return pair


def stored(db_url: str) -> int:
    with Store(db_url) as store:
        return store.catalog.events(limit=1).total


@pytest.mark.slow
def test_eight_clients_posting_for_a_minute_lose_nothing(db_url: str, tmp_path: Path) -> None:
    sent = [0] * CLIENTS
    errors: list[str] = []

    def client(index: int, url: str, until: float) -> None:
        with requests.Session() as session:
            n = 0
            while time.monotonic() < until:
                for event in events_of(index, n):
                    response = session.post(f"{url}/api/v1/lineage", json=event, timeout=30)
                    if response.status_code != 201:
                        errors.append(f"{response.status_code} {response.text}")
                    sent[index] += 1
                n += 1

    with server_process(db_url, free_port(), tmp_path) as server:
        until = time.monotonic() + LOAD_SECONDS
        threads = [threading.Thread(target=client, args=(i, server.url, until)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert sum(sent) > CLIENTS * 10
    assert stored(db_url) == sum(sent)


@pytest.mark.slow
def test_a_server_killed_mid_load_and_restarted_loses_nothing(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_openlineage(monkeypatch, tmp_path)
    server = ServerProcess(db_url, free_port(), tmp_path)
    configure_http(monkeypatch, server.url)
    server.start()
    clients, per_client = 4, 400  # about 2 s of posting per client: the kill lands mid-load
    spools = [Spool(tmp_path / f"spool-{i}") for i in range(clients)]

    def client(index: int) -> None:
        destination = OpenLineageDestination.from_environment()
        assert destination is not None
        emitter = Emitter([destination], spool=spools[index])
        for n in range(per_client // 2):
            emitter.emit(events_of(index, n))
            time.sleep(random.uniform(0, 0.02))
        emitter.close(30)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        server.kill(signal.SIGKILL)  # mid-load: requests in flight fail, clients spool
        time.sleep(1)
        server.start()
        for thread in threads:
            thread.join()
        destination = OpenLineageDestination.from_environment()
        assert destination is not None
        for spool in spools:  # what the emitters did not replay themselves: `mltrail spool replay`
            result = replay(spool, destination)
            assert result.left == 0, result
    finally:
        server.kill(signal.SIGTERM)

    assert any((tmp_path / f"spool-{i}").exists() for i in range(clients)), "the kill spooled nothing"
    assert stored(db_url) == clients * per_client


@pytest.mark.postgres
def test_two_servers_on_one_database_agree(postgres_server: Any, tmp_path: Path) -> None:
    db_url = postgres_server.create_database()
    with (
        server_process(db_url, free_port(), tmp_path, workers=1) as first,
        server_process(db_url, free_port(), tmp_path, workers=1) as second,
    ):
        for event in events_of(1, 1):
            assert requests.post(f"{first.url}/api/v1/lineage", json=event, timeout=10).status_code == 201
        for event in events_of(2, 1):
            assert requests.post(f"{second.url}/api/v1/lineage", json=event, timeout=10).status_code == 201

        one, two = MarquezClient(url=first.url), MarquezClient(url=second.url)
        assert one.list_jobs("tests") == two.list_jobs("tests")
        assert [j["name"] for j in two.list_jobs("tests")["jobs"]] == ["load.1", "load.2"]
        assert two.get_job("tests", "load.1")["latestRun"]["state"] == "COMPLETED"
