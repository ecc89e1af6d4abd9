"""TaskFlow tracking and a tracked third-party operator, recording where the mltrail connection says."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

from mltrail.airflow import current_run, mltrail_task, tracked

TrackedBash = tracked(BashOperator, kind="processing")


@mltrail_task.training(experiment="taskflow")
def fit(run: Any, hyperparameters: dict[str, Any]) -> float:
    score = 1.0 / (1.0 + hyperparameters["depth"])
    run.log_metric("score", score)
    return score


@mltrail_task.evaluation(experiment="taskflow")
def pick(scores: list[float]) -> float:
    best = max(scores)
    current_run().log_metric("best", best)
    return best


with DAG(dag_id="taskflow", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
    export = TrackedBash(
        task_id="export",
        bash_command="echo exported",
        experiment="taskflow",
        outputs=["s3://exports/{{ ds_nodash }}/table.csv"],
        hyperparameters={"format": "csv"},
    )
    scores = fit.expand(hyperparameters=[{"depth": 1}, {"depth": 3}])
    export >> scores
    pick(scores)
