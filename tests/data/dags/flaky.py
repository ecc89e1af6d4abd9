"""A DAG whose training fails on its first try (then succeeds) and whose evaluation always fails."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.sdk import DAG

from mltrail.airflow import EvaluationOperator, TrainingOperator


def fit_once_failing(run: Any, *, context: Any) -> dict[str, float]:
    run.log_metric("loss", 1.0 / context["ti"].try_number)
    if context["ti"].try_number == 1:
        raise RuntimeError("the GPU fell off the bus")
    return {"loss": 0.5}


def always_failing(run: Any) -> None:
    run.log_metric("auc", 0.5)
    raise ValueError("labels and scores differ in length")


with DAG(
    dag_id="flaky",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    default_args={"experiment": "flaky", "retry_delay": pendulum.duration(seconds=0)},
) as dag:
    TrainingOperator(
        task_id="train", python_callable=fit_once_failing, retries=1, hyperparameters={"lr": 0.1}
    )
    EvaluationOperator(task_id="evaluate", python_callable=always_failing, retries=0)
