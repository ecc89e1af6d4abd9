"""The registry's REST routes: who may register and approve once tokens exist, and what is recorded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests
from live_server import Served, wait_for_auth

import mltrail
from mltrail import ConfigError
from mltrail.tracking import api

MODELS = "/api/mltrail/v1/models"


@pytest.fixture
def sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLTRAIL_CAPTURE_CODE", "false")
    yield
    api.reset()


def call(method: str, url: str, token: str | None = None, **body: object) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, url, json=body or None, headers=headers, timeout=10)


def test_approving_needs_the_approver_role_and_records_the_token_name(served: Served, sdk: None) -> None:
    _, writer = served.store.tokens.create("airflow", "writer")
    _, approver = served.store.tokens.create("release-manager", "approver")
    wait_for_auth(served.url)
    mltrail.set_tracking_uri(served.url, token=writer)
    with mltrail.start_run(experiment="fraud", trial="t1", kind="training") as run:
        run.log_metric("val_auc", 0.95)

    registered = mltrail.registry.register_model("fraud", "s3://models/m.pkl", source_run_id=run.id)
    assert registered.history[0].actor == "airflow"  # the token's name, not the client's user
    with pytest.raises(ConfigError, match="needs approver"):
        mltrail.registry.update_approval("fraud", 1, "Approved", reason="looks good")
    refused = call(
        "POST", f"{served.url}{MODELS}/fraud/versions", writer, source_uri="s3://m", approval_policy="1 = 1"
    )
    assert refused.status_code == 403 and "approval policy" in refused.json()["message"]
    assert [v.version for v in served.store.registry.versions("fraud")] == [1]  # nothing half written

    approved = call(
        "POST",
        f"{served.url}{MODELS}/fraud/versions/1/approval",
        approver,
        status="Approved",
        reason="beats champion",
        actor="someone-else",
    )
    assert approved.status_code == 200
    change = approved.json()["history"][-1]
    assert (change["actor"], change["to_status"], change["reason"]) == (
        "release-manager",
        "Approved",
        "beats champion",
    )
    by_policy = call(
        "POST",
        f"{served.url}{MODELS}/fraud/versions",
        approver,
        source_uri="s3://models/m.pkl",
        run_id=str(run.id),
        approval_policy="metrics.val_auc >= 0.9",
    )
    assert by_policy.status_code == 201
    assert (by_policy.json()["version"], by_policy.json()["status"]) == (2, "Approved")
    assert by_policy.json()["metrics"] == {"val_auc": 0.95}
    assert call("GET", f"{served.url}{MODELS}/fraud/latest-approved").json()["version"] == 2  # reads open


def test_errors_name_the_problem(served: Served) -> None:
    url = f"{served.url}{MODELS}"
    assert call("POST", f"{url}/fraud/versions", source_uri="s3://m").status_code == 201
    assert call("POST", f"{url}/fraud/versions/1/approval", status="Approved").status_code == 200

    backwards = call("POST", f"{url}/fraud/versions/1/approval", status="PendingManualApproval")
    assert backwards.status_code == 400
    assert "cannot go from Approved to PendingManualApproval" in backwards.json()["message"]
    unknown = call("POST", f"{url}/fraud/versions/1/approval", status="Shipped")
    assert unknown.status_code == 400 and "'Shipped'" in unknown.json()["message"]
    missing = call("GET", f"{url}/fraud/versions/7")
    assert missing.status_code == 404 and "fraud/7" in missing.json()["message"]
    bad_policy = call("POST", f"{url}/fraud/versions", source_uri="s3://m", approval_policy="metrics.auc >=")
    assert bad_policy.status_code == 400 and "position" in bad_policy.text
    assert call("GET", f"{url}/nope/versions").status_code == 404

    history = call("GET", f"{url}/fraud/versions/1").json()["history"]
    assert [(h["from_status"], h["to_status"], h["actor"]) for h in history] == [
        (None, "PendingManualApproval", "anonymous"),
        ("PendingManualApproval", "Approved", "anonymous"),
    ]
    assert call("PUT", f"{url}/fraud/aliases/champion", version=1).json()["aliases"] == ["champion"]
    assert call("GET", f"{url}/fraud/aliases/champion").json()["version"] == 1
    listed = call("GET", url).json()
    summary = ("name", "versions", "latest_version", "latest_status", "latest_approved")
    assert [{key: model[key] for key in summary} for model in listed] == [
        {
            "name": "fraud",
            "versions": 1,
            "latest_version": 1,
            "latest_status": "Approved",
            "latest_approved": 1,
        }
    ]
    assert datetime.fromisoformat(listed[0]["updated_at"]) >= datetime.fromisoformat(listed[0]["created_at"])
