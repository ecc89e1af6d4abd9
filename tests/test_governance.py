"""Governance reports over a real chain: raw data → processing → two trainings → versions → endpoint."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from governed_chain import RAW, Chain, build_chain
from live_server import live_server

import mltrail
import mltrail.deploy
from mltrail import governance
from mltrail.core.registry import ApprovalStatus
from mltrail.tracking import api

REPO = "https://github.com/example/fraud-models.git"


@pytest.fixture(params=["sqlite", "http"])
def chain(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chain]:
    """The chain in a SQLite database, read directly or through a server (its registry over REST).

    The runs run from a script in a git checkout (``tmp_path``, branch ``main``), as with
    ``python train.py``, so they record its commit.
    """
    monkeypatch.chdir(tmp_path)
    git = ["git", "-c", "user.name=ana", "-c", "user.email=ana@example.com"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    (tmp_path / "train.py").write_text("print('training')\n")
    subprocess.run([*git, "add", "train.py"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "train"], check=True)
    subprocess.run([*git, "remote", "add", "origin", REPO], check=True)
    monkeypatch.setenv("MLTRAIL_CAPTURE_CODE", "true")
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "train.py")])
    monkeypatch.setenv("MLTRAIL_SERVING_DIR", str(tmp_path / "endpoints"))
    database = f"sqlite:///{tmp_path / 'mltrail.db'}"
    if request.param == "sqlite":
        yield build_chain(tmp_path, database)
    else:
        with live_server(database) as url:
            yield build_chain(tmp_path, url)
    api.reset()


def test_provenance_of_an_endpoint_reaches_raw_data_runs_versions_and_deployments(chain: Chain) -> None:
    report = governance.provenance("mltrail://endpoints/fraud-prod")

    assert report.start == "dataset:mltrail://endpoints:fraud-prod"
    assert report.direction == "ascendants" and report.depth == governance.DEFAULT_DEPTH
    assert report.datasets[0].uri == RAW and report.datasets[0].is_raw and report.datasets[0].version is None
    assert [d.uri for d in report.datasets if d.is_raw] == [RAW]
    features = next(d for d in report.datasets if d.uri.endswith("features.parquet"))
    assert features.written_by == chain.process.id and features.version == str(chain.process.id)

    assert [(r.kind, r.id) for r in report.runs] == [
        ("processing", chain.process.id),
        ("training", chain.approved.id),
        ("registration", report.runs[2].id),
        ("deployment", report.runs[3].id),
    ]  # upstream first; the other trial does not feed this endpoint
    training = report.runs[1]
    assert training.params == {"C": 1.0} and training.metrics == {"val_auc": 0.94}
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout
    assert training.trials == ("C=1.0",)
    assert (training.commit, training.repo_url, training.branch) == (head.strip(), REPO, "main")

    [version] = report.model_versions
    assert (version.model, version.version, version.status) == ("fraud", 1, ApprovalStatus.APPROVED)
    assert [(c.to_status, c.reason) for c in version.history][-1] == (ApprovalStatus.APPROVED, "best val_auc")
    assert version.run_id == chain.approved.id

    [endpoint] = report.endpoints
    assert endpoint.endpoint == "fraud-prod" and endpoint.serving is not None
    assert (endpoint.serving.model, endpoint.serving.version, endpoint.serving.target) == (
        "fraud",
        1,
        "local",
    )
    assert [d.run_id for d in endpoint.deployments] == [report.runs[3].id]


def test_provenance_of_a_model_version_stops_at_the_version(chain: Chain) -> None:
    report = governance.provenance("mltrail://models/fraud/versions/2")

    assert [(v.version, v.status) for v in report.model_versions] == [(2, ApprovalStatus.PENDING)]
    assert [r.id for r in report.runs if r.kind == "training"] == [chain.pending.id]
    assert report.endpoints == ()


def test_impact_of_raw_data_lists_every_version_and_endpoint(chain: Chain) -> None:
    report = governance.impact(RAW)

    assert report.direction == "descendants"
    assert [(v.model, v.version, v.status) for v in report.model_versions] == [
        ("fraud", 1, ApprovalStatus.APPROVED),
        ("fraud", 2, ApprovalStatus.PENDING),
    ]
    [endpoint] = report.endpoints
    assert endpoint.uri == "mltrail://endpoints/fraud-prod"
    assert endpoint.serving is not None and endpoint.serving.version == 1
    assert report.runs[0].id == chain.process.id  # nearest first
    assert {r.id for r in report.runs if r.kind == "training"} == {chain.approved.id, chain.pending.id}
    assert not any("approval.status" in r.tags for r in report.runs)  # approval changes are in the trail


def test_depth_limits_the_walk(chain: Chain) -> None:
    report = governance.impact(RAW, depth=3)

    assert report.model_versions == () and report.endpoints == ()
    assert {r.kind for r in report.runs} == {"processing", "training"}


def test_an_unknown_node_is_not_found(chain: Chain) -> None:
    with pytest.raises(mltrail.NotFoundError):
        governance.impact("s3://raw/nothing.csv")
