"""The example DAG reading its raw data from S3 and writing its artifacts there (moto's server)."""

from __future__ import annotations

import io
from typing import Any

import boto3
import numpy as np
import pytest
from airflow_dags import RunDag
from moto_server import moto_endpoint  # noqa: F401  (a fixture)
from sklearn.datasets import load_breast_cancer

import mltrail
from mltrail import governance
from mltrail.tracking import api

RAW = "s3://raw-data/transactions.csv"


@pytest.fixture
def s3(request: pytest.FixtureRequest) -> Any:
    """Buckets for the raw data and the artifacts; the raw data as a CSV with the label last."""
    request.getfixturevalue("moto_endpoint")
    client = boto3.client("s3")
    client.create_bucket(Bucket="raw-data")
    client.create_bucket(Bucket="artifacts")
    features, labels = load_breast_cancer(return_X_y=True)
    table = io.StringIO()
    header = ",".join(f"f{i}" for i in range(features.shape[1])) + ",fraud"
    np.savetxt(table, np.column_stack([features, 1 - labels]), delimiter=",", header=header, comments="")
    client.put_object(Bucket="raw-data", Key="transactions.csv", Body=table.getvalue().encode())
    return client


@pytest.mark.slow
def test_the_example_dag_reads_raw_data_and_writes_artifacts_on_s3(
    dag_runner: RunDag, store_uri: str, s3: Any
) -> None:
    result = dag_runner(
        "fraud_detection",
        mode="plain",
        tracking_uri=store_uri,
        conf={"raw_data": RAW},
        env={"MLTRAIL_ARTIFACT_ROOT": "s3://artifacts/mltrail"},
    )
    assert result.state == "success", result.tasks

    uploaded = [item["Key"] for item in s3.list_objects_v2(Bucket="artifacts")["Contents"]]
    assert len([key for key in uploaded if key.endswith("/confusion_matrix.json")]) == 4  # one per evaluation

    mltrail.set_tracking_uri(store_uri)
    try:
        report = governance.impact(RAW)
        evaluation = mltrail.search_runs(experiment="fraud-detection", filter="kind = 'evaluation'")[0]
    finally:
        api.reset()
    assert [(v.model, v.version, v.status.value) for v in report.model_versions] == [
        ("fraud-detection", 1, "Approved")
    ]
    assert [e.endpoint for e in report.endpoints] == ["fraud-detection"]
    assert evaluation.artifact_uri is not None and evaluation.artifact_uri.startswith(
        "s3://artifacts/mltrail/"
    )
    prepare = next(run for run in report.runs if run.name == "prepare")
    assert RAW in prepare.inputs and {"training", "registration", "deployment"} <= {
        r.kind for r in report.runs
    }
