"""Run the example Airflow DAG (``dags/fraud_detection.py``) once with ``dag.test()``, then show what
mltrail recorded: the leaderboard of the DAG run's trials and the lineage of the deployed endpoint.

Needs ``mltrail[airflow,examples]``; ``make demo`` runs it. Airflow's metadata database lives in
``.mltrail/airflow`` (SQLite, created on the first run); mltrail records to its embedded default
(``.mltrail/mltrail.db``) unless ``MLTRAIL_TRACKING_URI`` says otherwise.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from rich.console import Console

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
    console.rule("lineage: where the endpoint's model came from")
    cli.main(
        ["lineage", "upstream", "dataset:mltrail://endpoints:fraud-detection", "--granularity", "job"],
        standalone_mode=False,
    )
    console.print(f"store: {mltrail.get_tracking_uri()}")


if __name__ == "__main__":
    main()
