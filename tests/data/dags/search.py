"""A small hyperparameter search: prepare → train (mapped over 3 points) → evaluate (mapped).

The backend-down test runs it: every step is tracking only, so the DAG must succeed with the
tracking store unreachable (registering a model needs the registry, and is tested elsewhere).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pendulum
from airflow.sdk import DAG

from mltrail.airflow import EvaluationOperator, ProcessingOperator, TrainingOperator
from mltrail.tracking.run import ActiveRun

SEARCH_SPACE = [{"lr": 0.1}, {"lr": 0.01}, {"lr": 0.001}]


def prepare(run: ActiveRun) -> str:
    path = Path("data/train.csv").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x,y\n1,0\n2,1\n")
    run.log_input("s3://raw/transactions.csv", role="raw")
    run.log_output(str(path), role="train")
    run.log_metric("rows", 2)
    return str(path)


def train(run: ActiveRun, *, inputs: list[str], hyperparameters: dict[str, Any]) -> str:
    model = Path(f"models/lr-{hyperparameters['lr']}.txt").resolve()
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_text(f"weights for {inputs[0]}")
    for step in range(3):
        run.log_metric("val_auc", 0.8 + hyperparameters["lr"] + step / 100, step=step)
    run.log_output(str(model), role="model")
    return str(model)


def evaluate(run: ActiveRun, *, inputs: list[str]) -> float:
    run.log_metric("test_auc", 0.85)
    return 0.85


with DAG(dag_id="search", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
    splits = ProcessingOperator(task_id="prepare", python_callable=prepare, experiment="search")
    models = TrainingOperator.partial(
        task_id="train",
        python_callable=train,
        experiment="search",
        inputs=["{{ ti.xcom_pull(task_ids='prepare') }}"],
    ).expand(hyperparameters=SEARCH_SPACE)
    EvaluationOperator.partial(task_id="evaluate", python_callable=evaluate, experiment="search").expand(
        inputs=models.output.map(lambda model: [model])
    )
    splits >> models
