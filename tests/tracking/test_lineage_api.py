"""mltrail.lineage: queries and manual lineage through the SDK, over what the SDK tracked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import mltrail
from mltrail.tracking import api


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracking_uri: str) -> Iterator[None]:
    monkeypatch.setenv("MLTRAIL_TRACKING_URI", tracking_uri)
    monkeypatch.chdir(tmp_path)
    api.reset()
    yield
    api.reset()


def test_tracked_runs_answer_provenance_and_impact(tracking: None) -> None:
    with mltrail.start_run(experiment="churn", kind="processing") as prep:
        prep.log_input("s3://raw/events.csv")
        prep.log_output("s3://work/features.parquet")
    with mltrail.start_run(experiment="churn", trial="lr-0.01", kind="training") as train:
        train.log_input("s3://work/features.parquet", role="train")
        train.log_output("s3://models/churn.pkl", role="model")

    up = mltrail.lineage.query("s3://models/churn.pkl", direction="ascendants")
    down = mltrail.lineage.query("s3://raw/events.csv", direction="descendants", node_types=["dataset"])
    jobs = mltrail.lineage.query("s3://models/churn.pkl", direction="ascendants", granularity="job")

    assert [n.id for n in up.nodes] == [
        "dataset:s3://models:churn.pkl",
        f"run:{train.id}",
        f"dataset:s3://work:features.parquet#{prep.id}",
        f"run:{prep.id}",
        "dataset:s3://raw:events.csv",
    ]
    assert [n.id for n in down.nodes][-1] == f"dataset:s3://models:churn.pkl#{train.id}"
    assert "job:mltrail:churn.training" in [n.id for n in jobs.nodes]


def test_manual_lineage_through_the_sdk(tracking: None) -> None:
    mltrail.start_run(experiment="e").end()
    artifact = mltrail.lineage.Artifact.create("labels", "DataSet", "s3://raw/labels.csv", {"rows": 3})
    context = mltrail.lineage.Context.create("churn-prod", "Endpoint")
    mltrail.lineage.Association.create(
        artifact.node_id, context.node_id, mltrail.lineage.AssociationType.CONTRIBUTED_TO
    )

    assert [a.name for a in mltrail.lineage.Artifact.list(source_uri="s3://raw/labels.csv")] == ["labels"]
    assert [x.destination for x in mltrail.lineage.Association.list(source=artifact.node_id)] == [
        "context:churn-prod"
    ]
    page = mltrail.lineage.query("context:churn-prod", direction="ascendants", depth=1)
    assert [n.id for n in page.nodes] == ["context:churn-prod", "dataset:s3://raw:labels.csv"]
