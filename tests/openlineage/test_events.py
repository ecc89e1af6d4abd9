from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import pytest

from mltrail.core.entities import DatasetRef, MetricSummary, RunKind
from mltrail.core.errors import ValidationError
from mltrail.openlineage import (
    PRODUCER,
    ParentRef,
    RunSnapshot,
    read_mltrail_facets,
    run_event,
    to_dict,
    validate_event,
)

EVENT_TYPES = ["START", "RUNNING", "COMPLETE", "FAIL", "ABORT"]
Factory = Callable[..., RunSnapshot]


def _variants(factory: Factory) -> dict[str, RunSnapshot]:
    return {
        "full": factory(error_message="boom", stack_trace="Traceback…"),
        "parent_without_root": factory(
            parent=ParentRef(UUID("0193a1c2-0000-7000-8000-000000000001"), "kfp", "pipeline")
        ),
        "no_parent_no_io": factory(
            parent=None,
            inputs=(),
            outputs=(),
            output_details={},
            code=None,
            nominal_start=None,
            nominal_end=None,
        ),
        "bare": factory(
            trials=(),
            params={},
            metrics={},
            tags={},
            inputs=(),
            outputs=(),
            output_details={},
            code=None,
            parent=None,
            nominal_start=None,
            nominal_end=None,
            artifact_uri=None,
            kind=RunKind.CUSTOM,
        ),
    }


@pytest.mark.parametrize("event_type", EVENT_TYPES)
@pytest.mark.parametrize("variant", ["full", "parent_without_root", "no_parent_no_io", "bare"])
def test_every_built_event_is_valid_for_mltrail_and_for_a_plain_validator(
    event_type: str, variant: str, snapshot_factory: Factory, plain: Any
) -> None:
    event = to_dict(run_event(event_type, _variants(snapshot_factory)[variant]))

    assert validate_event(event) == "RunEvent"
    assert plain.errors(event) == []
    assert event["eventType"] == event_type
    assert event["producer"] == PRODUCER


def test_event_carries_the_standard_facets(snapshot_factory: Factory) -> None:
    event = to_dict(run_event("FAIL", snapshot_factory(error_message="boom", stack_trace="tb")))
    run_facets, job_facets = event["run"]["facets"], event["job"]["facets"]

    assert event["run"]["runId"] == "0193a1c2-7b4e-7c3d-9a8b-1234567890ab"
    assert event["eventTime"] == "2025-11-26T12:00:00.123000+00:00"
    assert (event["job"]["namespace"], event["job"]["name"]) == ("ml-platform", "fraud.train")
    parent = run_facets["parent"]
    assert parent["run"]["runId"] == "0193a1c2-0000-7000-8000-000000000001"
    assert parent["job"] == {"namespace": "airflow", "name": "fraud_dag.train", "facets": {}}
    assert parent["root"]["run"]["runId"] == "0193a1c2-0000-7000-8000-000000000002"
    assert parent["root"]["job"]["name"] == "fraud_dag"
    assert run_facets["errorMessage"]["message"] == "boom"
    assert run_facets["errorMessage"]["programmingLanguage"] == "python"
    assert run_facets["errorMessage"]["stackTrace"] == "tb"
    assert run_facets["processing_engine"]["name"] == "mltrail"
    assert run_facets["processing_engine"]["openlineageAdapterVersion"] == "1.54.0"
    assert run_facets["nominalTime"]["nominalStartTime"] == "2025-11-26T12:00:00.123000+00:00"
    params = {p["key"]: p["value"] for p in run_facets["executionParameters"]["parameters"]}
    assert params["lr"] == "0.01" and params["use_gpu"] == "true" and params["nan_param"] == "nan"
    assert params["config"] == '{"a":{"b":[1,2.5,null]}}'
    assert job_facets["jobType"]["jobType"] == "TRAINING"
    assert job_facets["jobType"]["integration"] == "MLTRAIL"
    assert job_facets["jobType"]["processingType"] == "BATCH"
    location = job_facets["sourceCodeLocation"]
    assert location["url"] == "ssh://git@github.com/acme/fraud.git"
    assert location["repoUrl"] == "git@github.com:acme/fraud.git"
    assert (location["type"], location["version"], location["branch"]) == ("git", "a" * 40, "main")
    assert all(facet["_producer"] == PRODUCER for facet in run_facets.values())


def test_error_message_only_on_fail(snapshot_factory: Factory) -> None:
    snapshot = snapshot_factory(error_message="boom")
    for event_type in ("START", "RUNNING", "COMPLETE", "ABORT"):
        assert "errorMessage" not in to_dict(run_event(event_type, snapshot))["run"]["facets"]
    assert "errorMessage" in to_dict(run_event("FAIL", snapshot))["run"]["facets"]


def test_datasets_carry_roles_model_facets_and_statistics(snapshot_factory: Factory) -> None:
    event = to_dict(run_event("COMPLETE", snapshot_factory()))
    (train,) = event["inputs"]
    model, report = event["outputs"]

    assert (train["namespace"], train["name"]) == ("s3://data", "fraud/train.parquet")
    assert train["inputFacets"]["mltrail_role"]["role"] == "train"
    assert model["facets"]["datasetType"]["datasetType"] == "MODEL"
    assert model["facets"]["symlinks"]["identifiers"] == [
        {"namespace": "mltrail", "name": "models/fraud-xgb/versions/7", "type": "MODEL"}
    ]
    assert model["facets"]["version"]["datasetVersion"] == "7"
    version = model["facets"]["mltrail_modelVersion"]
    assert (version["model"], version["version"], version["approvalStatus"]) == ("fraud-xgb", 7, "Approved")
    assert model["facets"]["mltrail_endpoint"]["target"] == "sagemaker"
    assert model["outputFacets"]["outputStatistics"]["size"] == 2048
    assert model["outputFacets"]["mltrail_role"]["role"] == "model"
    assert report["facets"] == {} and report["outputFacets"] == {}


def test_metric_nan_last_is_left_out_and_finite_values_kept(snapshot_factory: Factory) -> None:
    metrics = to_dict(run_event("COMPLETE", snapshot_factory()))["run"]["facets"]["mltrail_metrics"][
        "metrics"
    ]

    assert metrics["val_auc"] == {
        "last": 0.91,
        "min": 0.25,
        "max": 0.75,
        "avg": 0.5,
        "count": 3,
        "nonfiniteCount": 0,
        "lastStep": 2,
        "lastTimestampMs": 1764158400123,
    }
    assert "last" not in metrics["loss"] and metrics["loss"]["nonfiniteCount"] == 1
    assert set(metrics["all_nan"]) == {"count", "nonfiniteCount", "lastStep", "lastTimestampMs"}


def _same_param(left: Any, right: Any) -> bool:
    if isinstance(left, float) and math.isnan(left):
        return isinstance(right, float) and math.isnan(right)
    return type(left) is type(right) and left == right


def _same_summary(left: MetricSummary, right: MetricSummary) -> bool:
    return (
        (left.last == right.last or (math.isnan(left.last) and math.isnan(right.last)))
        and (left.key, left.min, left.max, left.avg, left.count, left.last_step, left.nonfinite_count)
        == (right.key, right.min, right.max, right.avg, right.count, right.last_step, right.nonfinite_count)
        and left.last_timestamp == right.last_timestamp
    )


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_mltrail_facets_round_trip(
    event_type: str, snapshot_factory: Factory, all_params: dict[str, Any]
) -> None:
    snapshot = snapshot_factory(experiment_description="Which features lift recall")
    event = to_dict(run_event(event_type, snapshot))
    info = read_mltrail_facets(event["run"]["facets"])

    assert info is not None
    assert (info.experiment, info.experiment_description) == ("fraud-detection", "Which features lift recall")
    assert info.trials == ("lr-0.01", "baseline")
    assert (info.kind, info.name, info.artifact_uri) == (
        RunKind.TRAINING,
        "train-xgb",
        "s3://artifacts/fraud/run-1/",
    )
    assert info.params.keys() == all_params.keys()
    assert all(_same_param(info.params[key], value) for key, value in all_params.items()), info.params
    assert type(info.params["big"]) is int and type(info.params["use_gpu"]) is bool
    assert info.metrics.keys() == snapshot.metrics.keys()
    assert all(_same_summary(info.metrics[key], value) for key, value in snapshot.metrics.items())
    assert dict(info.tags) == {"team": "risk", "stage": "dev"}


def test_read_mltrail_facets_is_none_without_mltrail_facets() -> None:
    assert read_mltrail_facets({}) is None
    assert read_mltrail_facets({"parent": {"_producer": "x", "_schemaURL": "y"}}) is None


def test_read_mltrail_facets_rejects_contradictions_and_undecodable_values(snapshot_factory: Factory) -> None:
    facets = to_dict(run_event("START", snapshot_factory()))["run"]["facets"]
    facets["mltrail_trial"]["experiment"] = "other"
    with pytest.raises(ValidationError) as caught:
        read_mltrail_facets(facets)
    assert caught.value.field == "run.facets.mltrail_trial.experiment"

    bad = {"mltrail_hyperparameters": {"parameters": {"cfg": {"type": "json", "value": "{not json"}}}}
    with pytest.raises(ValidationError) as caught:
        read_mltrail_facets(bad)
    assert caught.value.field == "run.facets.mltrail_hyperparameters.parameters.cfg"


def test_builder_rejects_bad_input(snapshot_factory: Factory) -> None:
    with pytest.raises(ValidationError) as caught:
        run_event("FINISHED", snapshot_factory())
    assert caught.value.field == "event_type"
    with pytest.raises(ValidationError) as caught:
        run_event("START", snapshot_factory(event_time=datetime(2025, 1, 1, 12, 0)))
    assert caught.value.field == "event_time"
    incomplete_root = ParentRef(UUID(int=1), "airflow", "dag.task", root_run_id=UUID(int=2))
    with pytest.raises(ValidationError) as caught:
        run_event("START", snapshot_factory(parent=incomplete_root))
    assert caught.value.field == "parent.root_job_name"
    with pytest.raises(ValidationError) as caught:
        run_event("START", snapshot_factory(params={"obj": object()}))
    assert caught.value.field == "params.obj"


def test_repository_urls_that_are_not_uris_are_converted_or_left_out(snapshot_factory: Factory) -> None:
    from mltrail.core.entities import CodeInfo

    def location(repo_url: str) -> Any:
        snapshot = snapshot_factory(code=CodeInfo(commit="c", repo_url=repo_url))
        return to_dict(run_event("START", snapshot))["job"]["facets"].get("sourceCodeLocation")

    assert location("https://github.com/acme/fraud.git")["url"] == "https://github.com/acme/fraud.git"
    assert location("/srv/git/fraud repo.git")["url"] == "file:///srv/git/fraud%20repo.git"
    assert location("not a url") is None


def test_datasets_keep_their_order_and_roles(snapshot_factory: Factory) -> None:
    inputs = tuple(DatasetRef("s3://b", f"part-{i}", f"s3://b/part-{i}", "train") for i in range(3))
    event = to_dict(run_event("START", snapshot_factory(inputs=inputs)))
    assert [dataset["name"] for dataset in event["inputs"]] == ["part-0", "part-1", "part-2"]
