"""What the web UI reads of a run: its stored OpenLineage events and its artifact files."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import requests
from live_server import Served, live_server
from ol_events import dataset, run_event, run_id

from mltrail.store import Store

RUNS = "/api/mltrail/v1/runs"


def test_run_events_are_that_runs_stored_events_oldest_first_in_pages(served: Served) -> None:
    first, other = run_id(1), run_id(2)
    events = [
        run_event("COMPLETE", first, "train", 3, outputs=[dataset("s3://b", "model.pkl")]),
        run_event("START", other, "prepare", 2),
        run_event("START", first, "train", 1, inputs=[dataset("s3://b", "train.csv")]),
    ]
    assert served.store.ingest_batch(events).stored == 3

    listed = requests.get(f"{served.url}{RUNS}/{first}/events", timeout=10).json()
    assert listed["total"] == 2
    assert [(e["eventType"], e["run"]["runId"]) for e in listed["items"]] == [
        ("START", str(first)),
        ("COMPLETE", str(first)),
    ]
    assert listed["items"][1]["outputs"] == [{"namespace": "s3://b", "name": "model.pkl"}]
    second = requests.get(f"{served.url}{RUNS}/{first}/events?limit=1&offset=1", timeout=10).json()
    assert (second["total"], [e["eventType"] for e in second["items"]]) == (2, ["COMPLETE"])
    assert requests.get(f"{served.url}{RUNS}/{run_id(9)}/events", timeout=10).json() == {
        "items": [],
        "total": 0,
    }
    refused = requests.get(f"{served.url}{RUNS}/{first}/events?limit=0", timeout=10)
    assert refused.status_code == 400 and "limit" in refused.json()["message"]


@pytest.fixture
def artifacts(tmp_path: Path) -> tuple[str, Path, dict[str, uuid.UUID]]:
    """A database with runs whose artifact folders lie in, around and outside ``tmp_path/root``."""
    root = tmp_path / "root"
    folder = root / "fraud" / "run-1"
    (folder / "plots").mkdir(parents=True)
    (folder / "metrics.json").write_text('{"auc": 0.9}')
    (folder / "plots" / "roc.png").write_bytes(b"\x89PNG....")
    (folder / ".upload-123").write_bytes(b"half written")
    (tmp_path / "secret.txt").write_text("do not list")
    os.symlink(tmp_path / "secret.txt", folder / "leak.txt")
    uris = {
        "file": folder.as_uri(),
        "path": str(folder),
        "server": "http://mltrail.example:5000/api/mltrail/v1/artifacts/fraud/run-1",
        "empty": (root / "fraud" / "run-2").as_uri(),
        "s3": "s3://bucket/fraud/run-1",
        "elsewhere": (tmp_path / "other").as_uri(),
        "escape": f"{root.as_uri()}/fraud/../../secret.txt",
        "none": None,
    }
    database = f"sqlite:///{tmp_path / 'runs.db'}"
    ids = {name: uuid.uuid4() for name in uris}
    with Store(database) as store:
        for name, uri in uris.items():
            store.start_run(run_id=ids[name], experiment="fraud", trial="t", name=name, artifact_uri=uri)
    return database, root, ids


def test_run_artifacts_list_the_files_of_a_folder_under_the_artifact_root(
    artifacts: tuple[str, Path, dict[str, uuid.UUID]],
) -> None:
    database, root, ids = artifacts
    with live_server(database, artifact_root=str(root)) as url:
        listings = {
            name: requests.get(f"{url}{RUNS}/{i}/artifacts", timeout=10).json() for name, i in ids.items()
        }
        for name in ("file", "path", "server"):
            listing = listings[name]
            assert listing["path"] == "fraud/run-1" and listing["reason"] is None, name
            assert listing["files"] == [
                {"path": "fraud/run-1/metrics.json", "size": 12},
                {"path": "fraud/run-1/plots/roc.png", "size": 8},
            ], name  # no half-written upload, no symlink out of the root
            assert listing["is_truncated"] is False
        read = requests.get(
            f"{url}/api/mltrail/v1/artifacts/{listings['file']['files'][0]['path']}", timeout=10
        )
        assert read.json() == {"auc": 0.9}
        assert (listings["empty"]["path"], listings["empty"]["files"]) == ("fraud/run-2", [])
        for name in ("s3", "elsewhere", "escape"):
            assert listings[name]["path"] is None and listings[name]["files"] == [], name
            assert "not under the server's artifact root" in listings[name]["reason"], name
        assert listings["none"]["reason"] == "the run has no artifact folder"
        missing = requests.get(f"{url}{RUNS}/{uuid.uuid4()}/artifacts", timeout=10)
        assert missing.status_code == 404
