"""Tracked runs send valid OpenLineage events to the user's backend; a down backend loses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from ol_http_backend import LineageBackend, configure_http, free_port, isolate_openlineage

import mltrail
from mltrail.cli import mltrail as mltrail_cli
from mltrail.openlineage import read_mltrail_facets, validate_event
from mltrail.tracking import api


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    isolate_openlineage(monkeypatch, tmp_path)
    monkeypatch.setenv("MLTRAIL_TRACKING_URI", f"sqlite:///{tmp_path / 'mltrail.db'}")
    api.reset()
    yield tmp_path
    api.reset()


def track_one(fail: bool = False) -> str:
    run = mltrail.start_run(experiment="churn", trial="t1", kind="training", params={"lr": 0.01, "layers": 3})
    run.log_input("s3://data/train.csv", role="train")
    run.log_input("s3://data/valid.csv", role="validation")
    run.log_metric("val_auc", 0.5, step=0)
    run.log_metric("val_auc", 0.9, step=1)
    run.log_output("s3://models/m.pkl", role="model")
    run.end("Failed" if fail else "Completed", error_message="boom" if fail else None)
    mltrail.flush()
    return str(run.id)


def test_a_run_sends_start_running_and_complete_with_mltrail_facets(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = LineageBackend().start()
    try:
        configure_http(monkeypatch, backend.url)
        api.reset()

        run_id = track_one()
    finally:
        backend.stop()

    assert [event["eventType"] for event in backend.events] == ["START", "RUNNING", "COMPLETE"]
    for event in backend.events:
        assert validate_event(event) == "RunEvent"
        assert event["run"]["runId"] == run_id
        assert (event["job"]["namespace"], event["job"]["name"]) == ("mltrail", "churn.training")
    start, running, complete = backend.events
    assert "inputs" not in start or start["inputs"] == []
    assert [d["name"] for d in running["inputs"]] == ["train.csv"]  # the first input, announced once
    info = read_mltrail_facets(complete["run"]["facets"])
    assert info is not None
    assert (info.experiment, info.trials, info.params) == ("churn", ("t1",), {"lr": 0.01, "layers": 3})
    assert info.metrics["val_auc"].last == 0.9 and info.metrics["val_auc"].count == 2
    assert [d["name"] for d in complete["inputs"]] == ["train.csv", "valid.csv"]
    assert [d["name"] for d in complete["outputs"]] == ["m.pkl"]
    assert complete["job"]["facets"]["jobType"]["jobType"] == "TRAINING"


def test_a_failed_run_sends_fail_with_the_error(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = LineageBackend().start()
    try:
        configure_http(monkeypatch, backend.url)
        api.reset()
        track_one(fail=True)
    finally:
        backend.stop()

    fail = backend.events[-1]
    assert fail["eventType"] == "FAIL"
    assert fail["run"]["facets"]["errorMessage"]["message"] == "boom"


def test_backend_down_then_up_every_event_arrives_once(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    configure_http(monkeypatch, f"http://127.0.0.1:{port}")
    api.reset()
    runs = [track_one() for _ in range(3)]  # the backend is down: events are spooled
    assert mltrail.get_run(runs[0]).status.value == "Completed"  # the pipeline went on

    backend = LineageBackend(port).start()
    try:
        result = CliRunner().invoke(mltrail_cli, ["spool", "replay"])
    finally:
        backend.stop()

    assert result.exit_code == 0, result.output
    kinds = ("START", "RUNNING", "COMPLETE")
    assert backend.counts() == {(run, kind): 1 for run in runs for kind in kinds}


def test_no_openlineage_config_sends_nothing_and_builds_nothing(folder: Path) -> None:
    track_one()

    assert api._current().emitter is None
    assert not (folder / ".mltrail" / "spool").exists()
