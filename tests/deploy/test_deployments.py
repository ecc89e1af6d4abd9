"""Deploying approved versions: refused when not approved, served over HTTP, history and lineage."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import requests
from live_server import serve_app
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

import mltrail
from mltrail import ValidationError
from mltrail.deploy.serve import create_model_app


def registered_model(folder: Path, c: float) -> tuple[mltrail.ActiveRun, int]:
    features, labels = load_breast_cancer(return_X_y=True)
    with mltrail.start_run(experiment="fraud", trial=f"C={c}", kind="training") as run:
        run.log_input("sklearn://datasets/breast_cancer", role="train")
        model = LogisticRegression(C=c, max_iter=5000).fit(features, labels)
        path = folder / f"model-{c}.pkl"
        path.write_bytes(pickle.dumps(model))
        run.log_output(str(path), role="model")
    version = mltrail.registry.register_model("fraud", str(path), source_run_id=run.id)
    return run, version.version


def test_only_approved_versions_deploy_and_the_endpoint_serves_them(tracking: Path) -> None:
    run, version = registered_model(tracking, 1.0)
    with pytest.raises(ValidationError, match="PendingManualApproval; only Approved versions deploy"):
        mltrail.deploy.deploy("fraud", version, endpoint="fraud-prod")
    with pytest.raises(ValidationError, match="unknown deployment target 'kubernetes'"):
        mltrail.deploy.deploy("fraud", version, endpoint="fraud-prod", target="kubernetes")
    assert mltrail.deploy.history("fraud-prod") == []

    mltrail.registry.update_approval("fraud", version, "Approved", reason="tests")
    deployment = mltrail.deploy.deploy("fraud", version, endpoint="fraud-prod")
    features, _ = load_breast_cancer(return_X_y=True)
    with serve_app(create_model_app("fraud-prod")) as url:
        assert requests.get(f"{url}/ping", timeout=10).json() == {
            "status": "ok",
            "model": "fraud",
            "version": 1,
        }
        answer = requests.post(
            f"{url}/invocations", json={"instances": features[:3].tolist()}, timeout=10
        ).json()
        assert len(answer["predictions"]) == 3 and set(answer["predictions"]) <= {0, 1}
        assert len(answer["probabilities"][0]) == 2 and answer["version"] == 1

        retrained, second = registered_model(tracking, 0.01)
        mltrail.registry.update_approval("fraud", second, "Approved", reason="retrained")
        mltrail.deploy.deploy("fraud", second, endpoint="fraud-prod")
        assert requests.get(f"{url}/ping", timeout=10).json()["version"] == 2  # picked up, no restart

    assert [(d.model, d.version) for d in mltrail.deploy.history("fraud-prod")] == [
        ("fraud", 2),
        ("fraud", 1),
    ]
    assert mltrail.deploy.history("fraud-prod")[1].run_id == deployment.run_id

    # Which data trained the model behind the endpoint now: one lineage query.
    up = mltrail.lineage.query(
        "mltrail://endpoints/fraud-prod", direction="ascendants", depth=12, page_size=500
    )
    ids = [node.id for node in up.nodes]
    assert any(node.startswith("dataset:mltrail://models:fraud/versions/2") for node in ids)
    assert f"run:{retrained.id}" in ids and f"run:{run.id}" not in ids  # version 1 no longer serves
    assert any(node.startswith("dataset:sklearn://datasets:breast_cancer") for node in ids)


def test_an_endpoint_without_a_deployment_is_not_ready(tracking: Path) -> None:
    with serve_app(create_model_app("nothing-here")) as url:
        assert requests.get(f"{url}/ping", timeout=10).status_code == 503
