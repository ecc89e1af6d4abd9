"""docker-compose.yml: its references agree, and its mltrail service runs as written (no containers).

No Docker engine runs here, so the second test starts the same topology by hand: a PostgreSQL
server with the compose file's role and password, ``mltrail server`` with the compose file's
command and environment (only the database host and the port swapped), the compose health check,
an OpenLineage client configured as the Airflow service is, and Marquez's client as the web UI.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import psycopg
import pytest
import requests
import yaml
from marquez_client import MarquezClient
from ol_http_backend import free_port
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.transport.http import HttpConfig, HttpTransport
from postgres import PostgresServer

from mltrail.cli import mltrail as mltrail_cli
from mltrail.config import Settings
from mltrail.server import create_app
from mltrail.tracking.backends import create_backend

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
AIRFLOW_NAMESPACE = SERVICES["airflow"]["environment"]["AIRFLOW__OPENLINEAGE__NAMESPACE"]


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_every_reference_in_the_compose_file_resolves() -> None:
    for name, service in SERVICES.items():
        for needed, condition in (service.get("depends_on") or {}).items():
            assert needed in SERVICES, f"{name} depends on unknown service {needed}"
            if condition.get("condition") == "service_healthy":
                assert "healthcheck" in SERVICES[needed], f"{needed} has no health check for {name}"
        build = service.get("build")
        if build is not None:
            context = ROOT / (build if isinstance(build, str) else build["context"])
            dockerfile = context / (
                "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            )
            for line in dockerfile.read_text().splitlines():
                if line.startswith("COPY "):
                    for source in [part for part in line.split()[1:-1] if not part.startswith("--")]:
                        assert (context / source).exists(), f"{dockerfile.name} copies missing {source}"

    server, db, web, airflow = (SERVICES[n] for n in ("mltrail", "db", "web", "airflow"))
    command = server["command"]
    subcommand = mltrail_cli.get_command(click.Context(mltrail_cli), command[1])
    assert subcommand is not None
    assert subcommand.make_context(command[1], command[2:]).params["workers"] == 2  # the options parse
    port = option(command, "--port")
    assert f"{port}:{port}" in server["ports"]

    database = urlsplit(server["environment"]["MLTRAIL_TRACKING_URI"])
    assert (database.hostname, database.port) == ("db", 5432)
    assert database.username == db["environment"]["POSTGRES_USER"]
    assert database.password == db["environment"]["POSTGRES_PASSWORD"]
    assert database.path.lstrip("/") == db["environment"]["POSTGRES_DB"]

    assert (web["environment"]["MARQUEZ_HOST"], web["environment"]["MARQUEZ_PORT"]) == ("mltrail", port)
    transport = json.loads(airflow["environment"]["AIRFLOW__OPENLINEAGE__TRANSPORT"])
    assert urlsplit(transport["url"]).netloc == f"mltrail:{port}"
    assert urlsplit(airflow["environment"]["MLTRAIL_TRACKING_URI"]).netloc == f"mltrail:{port}"

    routes = set(create_app(Settings()).openapi()["paths"])
    assert "/" + transport["endpoint"] in routes
    assert f"localhost:{port}/readyz" in " ".join(server["healthcheck"]["test"])
    assert "/readyz" in routes


@pytest.fixture
def compose_database(postgres_server: PostgresServer) -> Iterator[str]:
    """The compose file's database URL, on the test server: same role and password, host swapped."""
    url = urlsplit(SERVICES["mltrail"]["environment"]["MLTRAIL_TRACKING_URI"])
    name = f"compose_{os.getpid()}"
    with psycopg.connect(
        host="127.0.0.1", port=postgres_server.port, user="postgres", autocommit=True
    ) as conn:
        conn.execute(f"CREATE ROLE {url.username} LOGIN PASSWORD '{url.password}'")
        conn.execute(f"CREATE DATABASE {name} OWNER {url.username}")
    try:
        yield url._replace(
            netloc=f"{url.username}:{url.password}@127.0.0.1:{postgres_server.port}", path=f"/{name}"
        ).geturl()
    finally:
        with psycopg.connect(
            host="127.0.0.1", port=postgres_server.port, user="postgres", autocommit=True
        ) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"DROP ROLE IF EXISTS {url.username}")


@pytest.mark.postgres
def test_the_mltrail_service_runs_as_the_compose_file_says(compose_database: str, tmp_path: Path) -> None:
    service = SERVICES["mltrail"]
    port = free_port()
    command = [str(Path(sys.executable).parent / "mltrail"), *service["command"][1:]]
    command[command.index("--port") + 1] = str(port)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MLTRAIL_", "OPENLINEAGE"))},
        **service["environment"],
        "MLTRAIL_TRACKING_URI": compose_database,
        "MLTRAIL_ARTIFACT_ROOT": str(tmp_path / "artifacts"),
    }
    process = subprocess.Popen(
        command, env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        health = [
            part.replace("localhost:5000", f"127.0.0.1:{port}") for part in service["healthcheck"]["test"][1:]
        ]
        health[0] = sys.executable
        deadline = time.monotonic() + 60
        while subprocess.run(health, capture_output=True).returncode != 0:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the health check never passed"
            time.sleep(0.5)

        transport = json.loads(SERVICES["airflow"]["environment"]["AIRFLOW__OPENLINEAGE__TRANSPORT"])
        url = transport["url"].replace("mltrail:5000", f"127.0.0.1:{port}")
        client = OpenLineageClient(
            transport=HttpTransport(HttpConfig(url=url, endpoint=transport["endpoint"]))
        )
        event = RunEvent(
            eventType=RunState.COMPLETE,
            eventTime="2026-11-27T10:00:00Z",
            run=Run(runId="01937f2e-0000-7000-8000-000000000001"),
            job=Job(
                namespace=SERVICES["airflow"]["environment"]["AIRFLOW__OPENLINEAGE__NAMESPACE"],
                name="etl.load",
            ),
            producer="https://example.test/airflow",
        )
        client.emit(event)

        marquez = MarquezClient(url=f"http://127.0.0.1:{port}")  # as the web service reaches it
        assert marquez.get_job(AIRFLOW_NAMESPACE, "etl.load")["latestRun"]["state"] == "COMPLETED"
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}

        tracking = SERVICES["airflow"]["environment"]["MLTRAIL_TRACKING_URI"]
        sdk = create_backend(tracking.replace("mltrail:5000", f"127.0.0.1:{port}"))  # as Airflow's tasks do
        sdk.start_run(
            run_id=uuid.UUID(int=1), experiment="fraud", trial="t1", name="train", status="Completed"
        )
        assert sdk.get_trial("fraud", "t1").run_ids == (uuid.UUID(int=1),)
        sdk.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _, errors = process.communicate(timeout=30)
    assert "WARNING: listening on 0.0.0.0 with no API token" in errors
