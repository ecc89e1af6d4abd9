"""What tracking adds to an Airflow task: ``python -m benchmarks.airflow``.

One DAG holds ``--tasks`` tracked no-op tasks (``MltrailOperator``) and as many plain
``PythonOperator`` no-ops; ``dag.test()`` runs it in a fresh process (``tests/support/airflow_run.py``,
Airflow's metadata in SQLite). The figure is the median task duration Airflow records, tracked
minus plain, in two cases:

* **A1** the tracking backend is up (the embedded SQLite store); target ≤ 50 ms per task;
* **A2** it is down (a server on a closed port): tasks go on and spool; the added time is bounded
  by ``MLTRAIL_BACKEND_TIMEOUT`` (``--timeout``), the target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.lineage import WORK

REPO = Path(__file__).resolve().parents[1]
DAG_TEMPLATE = """
import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

from mltrail.airflow import MltrailOperator


def tracked_noop(run):
    return None


def plain_noop():
    return None


with DAG(dag_id="overhead", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
    for index in range({tasks}):
        MltrailOperator(task_id=f"tracked_{{index}}", python_callable=tracked_noop, experiment="overhead")
        PythonOperator(task_id=f"plain_{{index}}", python_callable=plain_noop)
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.airflow", description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=30, help="tracked and plain tasks, each")
    parser.add_argument("--timeout", type=float, default=1.0, help="MLTRAIL_BACKEND_TIMEOUT for A2")
    parser.add_argument("--json", type=Path, default=WORK / "results-airflow.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "tests" / "support"))
    from airflow_dags import run_dag
    from ol_http_backend import free_port

    console = Console()
    results: dict[str, Any] = {"tasks": args.tasks, "timeout": args.timeout}
    with tempfile.TemporaryDirectory(prefix="mltrail-bench-airflow-") as folder:
        root = Path(folder)
        dags = root / "dags"
        dags.mkdir()
        (dags / "overhead.py").write_text(DAG_TEMPLATE.format(tasks=args.tasks))
        cases = {
            "A1": f"sqlite:///{root / 'mltrail.db'}",
            "A2": f"http://127.0.0.1:{free_port()}",
        }
        for case, uri in cases.items():
            console.log(f"{case}: {args.tasks} tracked and {args.tasks} plain tasks, tracking to {uri}")
            workdir = root / case
            workdir.mkdir()
            done = run_dag(
                "overhead",
                home=root / "airflow-home",
                workdir=workdir,
                mode="plain",
                tracking_uri=uri,
                dags=dags,
                env={"MLTRAIL_BACKEND_TIMEOUT": str(args.timeout)},
            )
            if done.state != "success":
                raise SystemExit(f"{case}: the DAG run ended {done.state}")
            results[case] = _durations(done.tasks)
            console.log(f"{case}: +{results[case]['added_ms']:.1f} ms per tracked task")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    console.print(_table(results))
    console.print(f"results written to {args.json}")
    return 0


def _durations(tasks: list[dict[str, Any]]) -> dict[str, float]:
    tracked = [t["duration"] * 1000 for t in tasks if t["task_id"].startswith("tracked_")]
    plain = [t["duration"] * 1000 for t in tasks if t["task_id"].startswith("plain_")]
    tracked_ms, plain_ms = statistics.median(tracked), statistics.median(plain)
    return {"tracked_ms": tracked_ms, "plain_ms": plain_ms, "added_ms": tracked_ms - plain_ms}


def _table(results: dict[str, Any]) -> Table:
    tasks = results["tasks"]
    table = Table(title=f"tracking overhead per Airflow task ({tasks} tasks of each kind, dag.test())")
    for column in ("id", "backend", "target", "plain PythonOperator", "MltrailOperator", "added", "ratio"):
        table.add_column(column, justify="left" if column in ("id", "backend") else "right")
    targets = {"A1": ("up", 50.0), "A2": ("down", results["timeout"] * 1000)}
    for case, (state, target) in targets.items():
        found = results[case]
        colour = "green" if found["added_ms"] <= target else "red"
        table.add_row(
            case,
            state,
            f"≤ {target:,.0f} ms",
            f"{found['plain_ms']:,.1f} ms",
            f"{found['tracked_ms']:,.1f} ms",
            f"[{colour}]{found['added_ms']:+,.1f} ms[/]",
            f"{found['tracked_ms'] / found['plain_ms']:.2f}×",
        )
    return table


if __name__ == "__main__":
    sys.exit(main())
