from __future__ import annotations

import math
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

import mltrail
from mltrail import RunKind, RunStatus, StoreError, ValidationError
from mltrail.tracking import api


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracking_uri: str) -> Iterator[str]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLTRAIL_TRACKING_URI", raising=False)
    mltrail.set_tracking_uri(tracking_uri)
    yield tracking_uri
    api.reset()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_completed_run_records_everything(tracking: str, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("auc 0.93")
    with mltrail.start_run(
        experiment="fraud",
        trial="lr-0.01",
        kind="training",
        params={"learning_rate": 0.01, "max_depth": 5},
        tags={"team": "risk"},
    ) as run:
        run.log_param("optimizer", "adam")
        run.log_metric("val_auc", 0.91, step=1)
        run.log_metrics({"val_auc": 0.93, "loss": 0.2}, step=2)
        run.log_input("s3://bucket/train.csv", role="train")
        run.log_output(tmp_path / "model.pkl", role="model")
        uri = run.log_artifact(report)
        run.set_tags({"stage": "dev"})
    assert uri.endswith(f"/fraud/{run.id}/report.txt")
    if tracking.startswith("http"):  # uploaded to the server
        assert uri == f"{tracking}/api/mltrail/v1/artifacts/fraud/{run.id}/report.txt"
        assert requests.get(uri, timeout=10).text == "auc 0.93"
    else:
        assert uri.startswith("file://") and Path(uri.removeprefix("file://")).read_text() == "auc 0.93"
    recorded = mltrail.get_run(run.id)
    assert recorded.status is RunStatus.COMPLETED
    assert recorded.kind is RunKind.TRAINING
    assert recorded.params == {"learning_rate": 0.01, "max_depth": 5, "optimizer": "adam"}
    assert recorded.metrics["val_auc"].last == 0.93 and recorded.metrics["val_auc"].count == 2
    assert recorded.tags == {"team": "risk", "stage": "dev"}
    assert [d.uri for d in recorded.inputs] == ["s3://bucket/train.csv"]
    assert {d.role for d in recorded.outputs} == {"model", "artifact"}
    assert recorded.environment is not None and recorded.environment.python
    trial = mltrail.get_trial("fraud", "lr-0.01")
    assert trial.status is RunStatus.COMPLETED
    history = mltrail.get_metric_history(str(run.id), "val_auc")
    assert history.steps == [1, 2]


def test_exception_fails_the_run_and_propagates(tracking: str) -> None:
    with pytest.raises(ZeroDivisionError), mltrail.start_run(experiment="e", kind="training") as run:
        run.log_metric("x", 1.0)
        _ = 1 / 0
    recorded = mltrail.get_run(run.id)
    assert recorded.status is RunStatus.FAILED
    assert recorded.error_message is not None and recorded.error_message.startswith("ZeroDivisionError")
    assert recorded.metrics["x"].count == 1


def test_keyboard_interrupt_stops_the_run(tracking: str) -> None:
    with pytest.raises(KeyboardInterrupt), mltrail.start_run(experiment="e") as run:
        raise KeyboardInterrupt
    assert mltrail.get_run(run.id).status is RunStatus.STOPPED


def test_defaults_name_the_run_and_trial(tracking: str) -> None:
    with mltrail.start_run(experiment="e", kind="evaluation") as run:
        pass
    assert run.name == f"evaluation-{str(run.id)[:8]}"
    assert run.trial == run.name
    assert mltrail.get_trial("e", run.name).run_ids == (run.id,)


def test_steps_default_to_one_more_than_the_last(tracking: str) -> None:
    with mltrail.start_run(experiment="e") as run:
        for value in (0.1, 0.2, 0.3):
            run.log_metric("loss", value)
        run.log_metric("loss", 0.4, step=10)
        run.log_metric("loss", 0.5)
    assert mltrail.get_metric_history(run.id, "loss").steps == [0, 1, 2, 10, 11]


def test_metrics_flush_in_batches(tracking: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRAIL_METRIC_BATCH_SIZE", "10")
    mltrail.set_tracking_uri(tracking)
    with mltrail.start_run(experiment="e") as run:
        for step in range(25):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        assert mltrail.get_run(run.id).metrics["loss"].count == 20
    assert mltrail.get_run(run.id).metrics["loss"].count == 25


def test_nan_metrics_do_not_break_summaries(tracking: str) -> None:
    with mltrail.start_run(experiment="e") as run:
        run.log_metrics({"a": math.nan, "b": math.inf})
        run.log_metric("a", 0.5)
    metrics = mltrail.get_run(run.id).metrics
    assert metrics["a"].has_nonfinite and metrics["a"].max == 0.5
    assert metrics["b"].last == math.inf and metrics["b"].max is None


def test_search_and_dataframe(tracking: str) -> None:
    for i, lr in enumerate([0.1, 0.01, 0.001, 0.0001]):
        with mltrail.start_run(experiment="fraud", trial=f"t{i}", params={"learning_rate": lr}) as run:
            run.log_metric("val_auc", 0.8 + i * 0.05)
    page = mltrail.search_trials(
        experiment="fraud",
        filter="params.learning_rate < 0.01",
        order_by=["metrics.val_auc DESC"],
        max_results=1,
    )
    assert [t.name for t in page] == ["t3"] and page.next_page_token
    rest = mltrail.search_trials(
        experiment="fraud",
        filter="params.learning_rate < 0.01",
        order_by=["metrics.val_auc DESC"],
        page_token=page.next_page_token,
    )
    assert [t.name for t in rest] == ["t2"] and rest.next_page_token is None
    frame = mltrail.search_runs(experiment="fraud", order_by="params.learning_rate").to_dataframe()
    assert list(frame["params.learning_rate"]) == [0.0001, 0.001, 0.01, 0.1]
    assert "metrics.val_auc.max" in frame.columns
    assert [e.name for e in mltrail.list_experiments()] == ["fraud"]


def test_bad_arguments_raise_clear_errors(tracking: str) -> None:
    with pytest.raises(ValidationError, match="experiment must not be empty"):
        mltrail.start_run(experiment="")
    with pytest.raises(ValidationError, match="unknown run kind 'fitting'"):
        mltrail.start_run(experiment="e", kind="fitting")
    with mltrail.start_run(experiment="e") as run:
        with pytest.raises(ValidationError, match="metrics.auc must be a number"):
            run.log_metric("auc", "high")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="250"):
            run.log_param("k" * 300, 1)
    with pytest.raises(ValidationError, match="not a UUID"):
        mltrail.get_run("not-a-uuid")


@pytest.mark.parametrize(
    "template",
    ["postgresql+psycopg://nobody@127.0.0.1:{port}/none?connect_timeout=2", "http://127.0.0.1:{port}"],
    ids=["postgres", "http"],
)
def test_unreachable_backend_never_fails_the_pipeline(
    template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    unreachable = template.format(port=closed_port())
    mltrail.set_tracking_uri(unreachable)
    try:
        with mltrail.start_run(experiment="e", params={"a": 1}) as run:
            run.log_metric("m", 1.0)
            run.log_param("b", 2)
        assert run.is_detached
        assert "the pipeline goes on" in caplog.text
        monkeypatch.setenv("MLTRAIL_STRICT", "1")
        mltrail.set_tracking_uri(unreachable)  # settings are read again after this
        with pytest.raises(StoreError):
            mltrail.start_run(experiment="e")
    finally:
        api.reset()
