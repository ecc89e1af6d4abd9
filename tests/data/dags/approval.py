"""Register two versions, then wait for a person to approve them: one sensor pokes, one defers."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from mltrail.airflow import ModelApprovalSensor


@task
def register(uri: str) -> int:
    import mltrail

    return mltrail.registry.register_model("gated", uri).version


with DAG(dag_id="approval", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC")) as dag:
    first = register.override(task_id="register_first")("s3://models/a.pkl")
    second = register.override(task_id="register_second")("s3://models/b.pkl")
    poked = ModelApprovalSensor(
        task_id="wait_poking", model_name="gated", version=first, poke_interval=1, timeout=120
    )
    deferred = ModelApprovalSensor(
        task_id="wait_deferred",
        model_name="gated",
        version=second,
        poke_interval=1,
        timeout=120,
        deferrable=True,
    )
    first >> second >> poked >> deferred
