"""The model registry through the SDK: versions, approvals and their audit trail, policy, aliases, lineage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ol_http_backend import LineageBackend, configure_http, isolate_openlineage
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import mltrail
from mltrail import NotFoundError, QuerySyntaxError, ValidationError
from mltrail.core.registry import ApprovalStatus
from mltrail.store import Store
from mltrail.tracking import api


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracking_uri: str) -> Iterator[str]:
    """The SDK pointed at a database or a server (whose registry it then reaches over REST)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLTRAIL_CAPTURE_CODE", "false")
    isolate_openlineage(monkeypatch, tmp_path)
    mltrail.set_tracking_uri(tracking_uri)
    yield tracking_uri
    api.reset()


def trained(auc: float) -> mltrail.ActiveRun:
    with mltrail.start_run(experiment="fraud", trial=f"auc-{auc}", kind="training") as run:
        run.log_input("s3://data/train.parquet", role="train")
        run.log_metric("val_auc", auc)
        run.log_output(f"s3://models/fraud-{auc}.pkl", role="model")
    return run


def test_versions_are_numbered_and_approvals_audited(tracking: str) -> None:
    run = trained(0.91)
    first = mltrail.registry.register_model("fraud", "s3://models/fraud-0.91.pkl", source_run_id=run.id)
    assert (first.version, first.status) == (1, ApprovalStatus.PENDING)
    assert (first.experiment, first.trials, first.metrics) == ("fraud", ("auc-0.91",), {"val_auc": 0.91})
    second = mltrail.registry.register_model("fraud", "s3://models/hand-made.pkl")  # no run wrote it
    assert second.version == 2 and second.run_id is None and second.experiment is None

    approved = mltrail.registry.update_approval("fraud", 1, "Approved", reason="beats champion")
    rejected = mltrail.registry.update_approval("fraud", 2, "Rejected", reason="no source run")
    assert approved.status is ApprovalStatus.APPROVED and rejected.status is ApprovalStatus.REJECTED
    assert [(c.from_status, c.to_status, c.reason) for c in approved.history] == [
        (None, ApprovalStatus.PENDING, "registered"),
        (ApprovalStatus.PENDING, ApprovalStatus.APPROVED, "beats champion"),
    ]
    assert all(change.actor for change in approved.history)
    assert mltrail.registry.get_latest_approved("fraud").version == 1

    with pytest.raises(ValidationError, match="cannot go from Approved to PendingManualApproval"):
        mltrail.registry.update_approval("fraud", 1, "PendingManualApproval")
    with pytest.raises(ValidationError, match="unknown approval status 'Shipped'"):
        mltrail.registry.update_approval("fraud", 1, "Shipped")
    with pytest.raises(NotFoundError):
        mltrail.registry.update_approval("fraud", 9, "Approved")
    # a refused change leaves the trail as it was
    assert mltrail.registry.get_model_version("fraud", 1).history == approved.history

    mltrail.registry.update_approval("fraud", 1, "Rejected", reason="drift")
    with pytest.raises(NotFoundError, match="approved version of model 'fraud'"):
        mltrail.registry.get_latest_approved("fraud")


def test_the_source_run_defaults_to_the_latest_run_that_wrote_the_model(tracking: str) -> None:
    trained(0.8)
    retrained = trained(0.8)  # wrote the same file later
    version = mltrail.registry.register_model("fraud", "s3://models/fraud-0.8.pkl")
    assert version.run_id == retrained.id and version.metrics == {"val_auc": 0.8}


def test_an_approval_policy_approves_at_registration_when_it_matches(tracking: str) -> None:
    good, weak = trained(0.95), trained(0.7)
    policy = "metrics.val_auc >= 0.9"
    approved = mltrail.registry.register_model(
        "fraud", "s3://m/good", source_run_id=good.id, approval_policy=policy
    )
    pending = mltrail.registry.register_model(
        "fraud", "s3://m/weak", source_run_id=weak.id, approval_policy=policy
    )
    assert approved.status is ApprovalStatus.APPROVED
    assert approved.history[-1].actor == "policy" and policy in (approved.history[-1].reason or "")
    assert pending.status is ApprovalStatus.PENDING
    with pytest.raises(QuerySyntaxError):
        mltrail.registry.register_model(
            "fraud", "s3://m/x", source_run_id=good.id, approval_policy="metrics.val_auc >="
        )
    assert len(mltrail.registry.list_model_versions("fraud")) == 2  # nothing registered by the bad policy


def test_aliases_move_between_versions(tracking: str) -> None:
    for _ in range(2):
        mltrail.registry.register_model("fraud", "s3://m/x")
    assert mltrail.registry.set_alias("fraud", "champion", 1).aliases == ("champion",)
    mltrail.registry.set_alias("fraud", "champion", 2)
    assert mltrail.registry.get_by_alias("fraud", "champion").version == 2
    assert mltrail.registry.get_model_version("fraud", 1).aliases == ()
    with pytest.raises(NotFoundError):
        mltrail.registry.get_by_alias("fraud", "challenger")


def test_a_version_is_in_the_lineage_graph_downstream_of_the_training_data(tracking: str) -> None:
    run = trained(0.93)
    version = mltrail.registry.register_model("fraud", "s3://models/fraud-0.93.pkl", source_run_id=run.id)
    up = mltrail.lineage.query(version.uri, direction="ascendants", depth=10)
    ids = [node.id for node in up.nodes]
    assert f"run:{run.id}" in ids and any(node.startswith("dataset:s3://data:train.parquet") for node in ids)
    registration = mltrail.search_runs(
        experiment="fraud",
        filter="kind = 'registration' AND tags.`model.version` = '1' AND name = 'register fraud'",
    )
    assert len(registration) == 1 and registration[0].trials == ("auc-0.93",)
    assert [ref.uri for ref in registration[0].outputs] == [version.uri]


def test_each_audit_entry_is_an_openlineage_run_reading_the_version(
    tracking: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    consumer = LineageBackend().start()
    try:
        configure_http(monkeypatch, consumer.url)
        api.reset()
        mltrail.set_tracking_uri(tracking)
        mltrail.registry.register_model("fraud", "s3://m/x", source_run_id=trained(0.9).id)
        mltrail.registry.update_approval("fraud", 1, "Approved", reason="good")
        mltrail.registry.update_approval("fraud", 1, "Rejected", reason="drift")
        mltrail.flush()
    finally:
        consumer.stop()

    expected = [
        ("", "PendingManualApproval", "registered"),
        ("PendingManualApproval", "Approved", "good"),
        ("Approved", "Rejected", "drift"),
    ]
    # the tracking store recorded them with the changes ...
    announced = mltrail.search_runs(
        experiment="model-registry", filter="tags.`approval.status` != ''", order_by="start_time ASC"
    )
    assert [
        (r.tags["approval.from"], r.tags["approval.status"], r.tags["approval.reason"]) for r in announced
    ] == expected
    assert all([ref.uri for ref in r.inputs] == ["mltrail://models/fraud/versions/1"] for r in announced)
    assert all(r.trials == ("fraud",) for r in announced)  # away from the training leaderboards
    # ... and the user's OpenLineage backend got the same events
    completes = [
        e for e in consumer.events if e["job"]["name"] == "registry.fraud" and e["eventType"] == "COMPLETE"
    ]
    tags = [e["run"]["facets"]["mltrail_tags"]["tags"] for e in completes]
    assert [(t["approval.from"], t["approval.status"], t["approval.reason"]) for t in tags] == expected
    assert {str(r.id) for r in announced} == {e["run"]["runId"] for e in completes}


def test_the_database_refuses_to_change_or_delete_the_audit_trail(db_url: str) -> None:
    with Store(db_url) as store:
        store.registry.register("fraud", "s3://m/x", actor="ana")
        store.registry.update_approval("fraud", 1, "Approved", actor="bob", reason="good")
        trail = store.registry.get("fraud", 1).history
        engine = store._engine
        for statement in (
            "UPDATE model_approval SET actor = 'mallory'",
            "UPDATE model_approval SET reason = NULL WHERE to_status = 'Approved'",
            "DELETE FROM model_approval",
        ):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
        assert store.registry.get("fraud", 1).history == trail
        assert [(c.actor, c.to_status.value) for c in trail] == [
            ("ana", "PendingManualApproval"),
            ("bob", "Approved"),
        ]
