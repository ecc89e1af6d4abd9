"""``mltrail lineage provenance|impact`` over a chain built with the SDK in the CLI's SQLite store."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from governed_chain import RAW, build_chain

from mltrail.tracking import api

Invoke = Callable[..., Result]


@pytest.fixture
def chain(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MLTRAIL_CAPTURE_CODE", "false")
    monkeypatch.setenv("MLTRAIL_SERVING_DIR", str(tmp_path / "endpoints"))
    build_chain(tmp_path, url)
    api.reset()
    yield url
    api.reset()  # the commands point the SDK at the CLI's URI


def report_json(invoke: Invoke, *args: str) -> dict[str, Any]:
    result = invoke("lineage", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_provenance_json_holds_every_group(invoke: Invoke, chain: str) -> None:
    report = report_json(invoke, "provenance", "mltrail://endpoints/fraud-prod")

    assert report["start"] == "dataset:mltrail://endpoints:fraud-prod" and report["depth"] == 20
    assert report["datasets"][0] | {"written_by": None} == {
        "uri": RAW,
        "node": "dataset:s3://raw:transactions.csv",
        "version": None,
        "depth": 8,
        "is_raw": True,
        "written_by": None,
    }
    assert [r["kind"] for r in report["runs"]] == ["processing", "training", "registration", "deployment"]
    training = report["runs"][1]
    assert training["params"] == {"C": 1.0} and training["metrics"] == {"val_auc": 0.94}
    assert set(training) >= {"commit", "repo_url", "start_time", "end_time", "inputs", "outputs"}
    [version] = report["model_versions"]
    assert (version["uri"], version["status"]) == ("mltrail://models/fraud/versions/1", "Approved")
    assert version["history"][-1]["reason"] == "best val_auc"
    assert version["history"][-1]["at"].startswith("20")  # ISO 8601
    [endpoint] = report["endpoints"]
    assert endpoint["serving"]["version"] == 1 and len(endpoint["deployments"]) == 1


def test_provenance_table_shows_the_groups(invoke: Invoke, chain: str) -> None:
    result = invoke("lineage", "provenance", "mltrail://endpoints/fraud-prod", env={"COLUMNS": "250"})

    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("ascendants of dataset:mltrail://endpoints:fraud-prod (depth 20)\n")
    for expected in (RAW, "C=1.0", "val_auc=0.94", "Approval trail of fraud v1", "best val_auc", "fraud v1"):
        assert expected in out
    assert "C=0.1" not in out
    assert out.index("Datasets") < out.index("Runs") < out.index("Model versions") < out.index("Endpoints")


def test_impact_lists_every_version_and_the_endpoint(invoke: Invoke, chain: str) -> None:
    report = report_json(invoke, "impact", RAW)

    assert [(v["version"], v["status"]) for v in report["model_versions"]] == [
        (1, "Approved"),
        (2, "PendingManualApproval"),
    ]
    assert [(e["endpoint"], e["serving"]["version"]) for e in report["endpoints"]] == [("fraud-prod", 1)]

    table = invoke("lineage", "impact", RAW, "--depth", "3", env={"COLUMNS": "250"})
    assert table.exit_code == 0, table.stderr
    assert "no model versions" in table.stdout and "no endpoints" in table.stdout


def test_an_unknown_dataset_exits_2(invoke: Invoke, chain: str) -> None:
    result = invoke("lineage", "impact", "s3://raw/nothing.csv")

    assert result.exit_code == 2
    assert result.stderr == "error: dataset 'dataset:s3://raw:nothing.csv' not found\n"
