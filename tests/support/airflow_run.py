"""Run one DAG with ``dag.test()`` in a fresh process and print what happened as JSON.

Airflow reads its configuration (and the OpenLineage provider decides whether to listen) once
per process, so each OpenLineage mode gets a process of its own:

    python tests/support/airflow_run.py --home H --dags D --dag fraud_detection --mode provider \
        --ol-file events.jsonl [--conf '{"data_dir": "…"}']

``--mode provider`` turns on ``apache-airflow-providers-openlineage`` with a file transport;
``--mode plain`` disables the provider and points openlineage-python (which mltrail's operators
then use) at the same kind of file. MLTRAIL_* variables pass through unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

RESULT_PREFIX = "DAG-RESULT "
"""Marks the line of stdout that holds the result (Airflow prints logs there too)."""


def configure(args: argparse.Namespace) -> None:
    """Set the environment Airflow and OpenLineage read, before either is imported."""
    os.environ.update(
        {
            "AIRFLOW_HOME": args.home,
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": args.dags,
            "AIRFLOW__CORE__UNIT_TEST_MODE": "True",
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "airflow-tests",
        }
    )
    transport = {"type": "file", "log_file_path": args.ol_file, "append": True}
    if args.mode == "provider":
        os.environ["AIRFLOW__OPENLINEAGE__TRANSPORT"] = json.dumps(transport)
        # The provider emits from a forked child that it stops after this many seconds (10 by
        # default), dropping the event: a loaded CI machine must not make events go missing.
        os.environ["AIRFLOW__OPENLINEAGE__EXECUTION_TIMEOUT"] = "60"
        os.environ.pop("AIRFLOW__OPENLINEAGE__DISABLED", None)
    else:
        os.environ["AIRFLOW__OPENLINEAGE__DISABLED"] = "True"
        os.environ["OPENLINEAGE_NAMESPACE"] = "airflow-tests"
        os.environ["OPENLINEAGE__TRANSPORT__TYPE"] = "file"
        os.environ["OPENLINEAGE__TRANSPORT__LOG_FILE_PATH"] = args.ol_file
        os.environ["OPENLINEAGE__TRANSPORT__APPEND"] = "true"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True)
    parser.add_argument("--dags", required=True)
    parser.add_argument("--dag", required=True)
    parser.add_argument("--mode", choices=("provider", "plain"), default="plain")
    parser.add_argument("--ol-file", required=True)
    parser.add_argument("--conf", default="{}")
    args = parser.parse_args()
    configure(args)

    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils import db

    if not (Path(args.home) / "airflow.db").exists():
        db.resetdb()
    bag = DagBag(dag_folder=args.dags)
    if bag.import_errors:
        errors = {path: str(error) for path, error in bag.import_errors.items()}
        print(RESULT_PREFIX + json.dumps({"import_errors": errors}))
        return 1
    dag_run = bag.dags[args.dag].test(run_conf=json.loads(args.conf))
    import mltrail

    mltrail.flush()
    tasks: list[dict[str, Any]] = [
        {
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "try_number": ti.try_number,
            "state": str(ti.state),
            "duration": ti.duration,
        }
        for ti in dag_run.get_task_instances()
    ]
    print(RESULT_PREFIX + json.dumps({"state": str(dag_run.state), "run_id": dag_run.run_id, "tasks": tasks}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
