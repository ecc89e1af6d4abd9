"""Run DAGs with ``dag.test()`` in fresh processes (see ``airflow_run.py``) and collect what they left."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DAGS = REPO / "dags"
TEST_DAGS = REPO / "tests" / "data" / "dags"
RUNNER = Path(__file__).with_name("airflow_run.py")
RESULT_PREFIX = "DAG-RESULT "  # as airflow_run.py prints it


@dataclass(frozen=True)
class DagResult:
    """What a ``dag.test()`` run left: Airflow's states and the OpenLineage events written."""

    state: str
    run_id: str
    tasks: list[dict[str, Any]]
    events: list[dict[str, Any]]
    stderr: str


RunDag = Callable[..., DagResult]


def run_dag(
    dag_id: str,
    *,
    home: Path,
    workdir: Path,
    mode: str,
    tracking_uri: str,
    dags: Path = EXAMPLE_DAGS,
    conf: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> DagResult:
    """Run a DAG in a fresh process in ``workdir`` with mltrail tracking to ``tracking_uri``.

    ``mode`` is ``provider`` (Airflow's OpenLineage provider emits task events) or ``plain``
    (the provider is disabled; mltrail's operators emit them).
    """
    events = workdir / f"events-{mode}-{dag_id}.jsonl"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MLTRAIL_", "OPENLINEAGE", "AIRFLOW"))},
        "MLTRAIL_TRACKING_URI": tracking_uri,
        "MLTRAIL_SPOOL_DIR": str(workdir / "spool"),
        "MLTRAIL_CAPTURE_CODE": "false",
        "MLTRAIL_CLOUD_METADATA": "false",
        **(env or {}),
    }
    command = [
        sys.executable,
        str(RUNNER),
        *("--home", str(home), "--dags", str(dags), "--dag", dag_id, "--mode", mode),
        *("--ol-file", str(events), "--conf", json.dumps(conf or {})),
    ]
    done = subprocess.run(command, cwd=workdir, env=environment, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    line = next(line for line in reversed(done.stdout.splitlines()) if line.startswith(RESULT_PREFIX))
    result = json.loads(line.removeprefix(RESULT_PREFIX))
    found = [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []
    return DagResult(result["state"], result["run_id"], result["tasks"], found, done.stderr)
