"""Run the example Airflow DAG (``dags/fraud_detection.py``) once with ``dag.test()``, then show what
mltrail recorded (the leaderboard of the DAG run's trials, the registered version and its audit
trail, the lineage of the deployed endpoint) and ask the endpoint for predictions: it starts
``mltrail serve fraud-detection`` on a free loopback port and calls ``/invocations``.

Needs ``mltrail[airflow,examples]``; ``make demo`` runs it. Airflow's metadata database lives in
``.mltrail/airflow`` (SQLite, created on the first run); mltrail records to its embedded default
(``.mltrail/mltrail.db``) unless ``MLTRAIL_TRACKING_URI`` says otherwise.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
HOME = Path(".mltrail/airflow").resolve()


def main() -> None:
    console = Console()
    HOME.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("AIRFLOW_HOME", str(HOME))
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "dags"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__OPENLINEAGE__DISABLED", "True")  # mltrail's operators emit events

    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    import mltrail
    from mltrail.cli import mltrail as cli

    if not (Path(os.environ["AIRFLOW_HOME"]) / "airflow.db").exists():
        with console.status("creating Airflow's metadata database (once)"):
            db.resetdb()
    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        raise SystemExit(f"the example DAG does not import: {bag.import_errors}")
    started = time.perf_counter()
    with console.status("running the fraud_detection DAG with dag.test()"):
        dag_run = bag.dags["fraud_detection"].test()
    mltrail.flush()
    elapsed = time.perf_counter() - started
    console.print(f"[bold]fraud_detection[/bold] {dag_run.run_id}: {dag_run.state} in {elapsed:.1f} s")
    if str(dag_run.state) != "success":
        raise SystemExit(1)

    console.rule("leaderboard: this DAG run's trials, best test AUC first")
    cli.main(
        [
            "trials",
            "search",
            "fraud-detection",
            "--filter",
            f"name LIKE '{dag_run.run_id} [%'",
            "--order-by",
            "metrics.test_auc DESC",
            "--columns",
            "name,params.model,params.C,params.max_depth,metrics.val_auc,metrics.test_auc,metrics.test_f1",
        ],
        standalone_mode=False,
    )
    console.rule("registry: the version the DAG run registered, approved by its policy")
    cli.main(["models", "show", "fraud-detection", str(_deployed_version())], standalone_mode=False)
    console.rule("lineage: where the endpoint's model came from")
    cli.main(
        ["lineage", "upstream", "dataset:mltrail://endpoints:fraud-detection", "--granularity", "job"],
        standalone_mode=False,
    )
    console.rule("the endpoint answers: mltrail serve fraud-detection, POST /invocations")
    console.print(_invoke_endpoint())
    console.print(f"store: {mltrail.get_tracking_uri()}")


def _deployed_version() -> int:
    import mltrail

    (latest,) = mltrail.deploy.history("fraud-detection")[:1]
    return latest.version


def _invoke_endpoint() -> Table:
    """Serve the endpoint with ``mltrail serve`` and score five held-out rows through it."""
    import numpy as np

    test = np.load(Path(".mltrail/fraud-detection/splits/test.npz"))
    rows, labels = test["x"][:5].tolist(), test["y"][:5].tolist()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "mltrail", "serve", "fraud-detection", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/ping", timeout=20).status_code == 200:  # loads the model
                    break
            except requests.ConnectionError:  # not listening yet
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("mltrail serve did not start")
            time.sleep(0.2)
        answer = requests.post(f"{url}/invocations", json={"instances": rows}, timeout=30).json()
    finally:
        server.terminate()
        server.wait(timeout=30)
    table = Table(title=f"{answer['model']} version {answer['version']} at {url}/invocations")
    for column in ("row", "label", "prediction", "P(fraud)"):
        table.add_column(column, justify="right")
    for index, (label, predicted, probabilities) in enumerate(
        zip(labels, answer["predictions"], answer["probabilities"], strict=True)
    ):
        table.add_row(str(index), str(label), str(predicted), f"{probabilities[1]:.3f}")
    return table


if __name__ == "__main__":
    main()
