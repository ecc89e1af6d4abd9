"""Airflow tests: each DAG run is a fresh process on one migrated SQLite metadata database in a
temporary AIRFLOW_HOME, created by the first run of the session."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import pytest

# Tests that import Airflow here (not in a DAG run's process) must not read or write ~/airflow.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="mltrail-airflow-home-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
pytest.importorskip("airflow", reason="the airflow extra is not installed")

from airflow_dags import RunDag, run_dag  # noqa: E402 - only once Airflow is known to be there


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("airflow-home")


@pytest.fixture
def dag_runner(airflow_home: Path, tmp_path: Path) -> RunDag:
    """``dag_runner(dag_id, mode=..., tracking_uri=..., dags=..., env=...)`` in this test's folder."""
    return functools.partial(run_dag, home=airflow_home, workdir=tmp_path)


@pytest.fixture
def store_uri(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mltrail.db'}"
