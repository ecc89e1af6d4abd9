"""Run ids: mltrail's formula gives the OpenLineage provider's ids, without importing the provider."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from mltrail.airflow.identity import TaskIdentity, trial_label

LOGICAL = datetime(2026, 11, 27, 8, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(("try_number", "map_index", "clear_number"), [(1, -1, 0), (2, 3, 1), (7, 12, 4)])
def test_run_ids_equal_the_providers(try_number: int, map_index: int, clear_number: int) -> None:
    from airflow.providers.openlineage import conf
    from airflow.providers.openlineage.plugins.adapter import OpenLineageAdapter

    identity = TaskIdentity(
        dag_id="fraud_detection",
        task_id="train",
        run_id="manual__x",
        map_index=map_index,
        try_number=try_number,
        logical_date=LOGICAL,
        clear_number=clear_number,
        namespace=conf.namespace(),
    )
    task = OpenLineageAdapter.build_task_instance_run_id(
        dag_id="fraud_detection",
        task_id="train",
        try_number=try_number,
        logical_date=LOGICAL,
        map_index=map_index,
    )
    dag_run = OpenLineageAdapter.build_dag_run_id(
        dag_id="fraud_detection", logical_date=LOGICAL, clear_number=clear_number
    )
    assert identity.ol_run_id == UUID(str(task))
    assert identity.dag_run_ol_id == UUID(str(dag_run))
    assert identity.parent.job_name == "fraud_detection" and identity.parent.run_id == UUID(str(dag_run))
    assert identity.job_name == "fraud_detection.train"


def test_trial_labels_read_as_hyperparameters() -> None:
    assert trial_label({"model": "forest", "max_depth": 8}) == "model=forest, max_depth=8"
    assert trial_label({"note": "a\nb"}) == "note=a b"
