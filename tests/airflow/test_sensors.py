"""The approval sensor waits, then goes on when a person approves the version from the CLI."""

from __future__ import annotations

import threading
import time

import pytest
from airflow_dags import TEST_DAGS, DagResult, RunDag
from click.testing import CliRunner

from mltrail.cli import mltrail as cli
from mltrail.core.registry import ApprovalStatus
from mltrail.store import Store


def wait_for_version(uri: str, version: int) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with Store(uri, upgrade=False) as store:
                if store.registry.get("gated", version).status is ApprovalStatus.PENDING:
                    return
        except Exception:  # noqa: BLE001 - not created yet
            pass
        assert time.monotonic() < deadline, f"version {version} was never registered"
        time.sleep(0.2)


@pytest.mark.slow
def test_the_sensors_wait_for_approvals_given_on_the_cli(dag_runner: RunDag, store_uri: str) -> None:
    found: list[DagResult] = []
    running = threading.Thread(
        target=lambda: found.append(
            dag_runner("approval", mode="plain", tracking_uri=store_uri, dags=TEST_DAGS)
        )
    )
    running.start()
    for version in (1, 2):
        wait_for_version(store_uri, version)
        time.sleep(2)  # the sensor has looked at least once, and waits
        approved = CliRunner().invoke(
            cli,
            [
                "--tracking-uri",
                store_uri,
                "models",
                "approve",
                "gated",
                str(version),
                "--reason",
                "looked good",
            ],
            catch_exceptions=False,
        )
        assert approved.exit_code == 0, approved.output
    running.join(timeout=300)
    (result,) = found
    assert result.state == "success", result.tasks
    states = {task["task_id"]: task["state"] for task in result.tasks}
    assert states["wait_poking"] == states["wait_deferred"] == "success"
