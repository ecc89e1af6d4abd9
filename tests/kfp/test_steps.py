"""The pipeline run's own events from the first step and the exit handler; a failing component;
a tracking backend that is down inside the components; a deployment refused for want of approval."""

import shutil
from pathlib import Path

import pytest

kfp = pytest.importorskip("kfp", reason="the kfp extra is not installed")

from click.testing import CliRunner  # noqa: E402
from kfp import dsl, local  # noqa: E402
from kfp.dsl import Model, Output  # noqa: E402

import mltrail.kfp  # noqa: E402
from mltrail.cli import mltrail as cli  # noqa: E402
from mltrail.core.registry import ApprovalStatus  # noqa: E402
from mltrail.kfp import (  # noqa: E402
    deploy_model,
    finish_pipeline_run,
    identity,
    register_model,
    start_pipeline_run,
)
from mltrail.openlineage.validation import validate_event  # noqa: E402
from mltrail.store import Store  # noqa: E402


@mltrail.kfp.component(kind="training")
def explode(run, rows: int) -> None:
    run.log_metric("progress", 0.5)
    raise RuntimeError(f"out of memory after {rows} rows")


@mltrail.kfp.component(kind="processing")
def count(run, rows: int) -> int:
    run.log_metric("rows", rows)
    return rows


@dsl.pipeline(name="failing")
def failing() -> None:
    finish = finish_pipeline_run(**identity("failing", task=False))
    with dsl.ExitHandler(finish):
        start_pipeline_run(**identity("failing", task=False))
        explode(rows=3, **identity("failing"))


@dsl.pipeline(name="counting")
def counting() -> None:
    finish = finish_pipeline_run(**identity("counting", task=False))
    with dsl.ExitHandler(finish):
        start = start_pipeline_run(**identity("counting", task=False))
        count(rows=7, **identity("counting")).after(start)


@mltrail.kfp.component(kind="processing")
def fit(run, rows: int, model: Output[Model]) -> None:
    with open(model.path, "w") as out:
        out.write(str(rows))
    run.log_metric("rows", rows)


@dsl.pipeline(name="unapproved")
def unapproved() -> None:
    finish = finish_pipeline_run(**identity("unapproved", task=False))
    with dsl.ExitHandler(finish):
        start = start_pipeline_run(**identity("unapproved", task=False))
        fitted = fit(rows=7, **identity("unapproved")).after(start)
        registered = register_model(
            model=fitted.outputs["model"],
            model_name="fraud",
            approval_policy="metrics.rows >= 100",  # fit logs 7: the version waits for approval
            **identity("unapproved"),
        )
        deploy_model(
            model_name="fraud",
            version=registered.outputs["version"],
            endpoint="fraud-kfp",  # the default target: local
            **identity("unapproved"),
        )


@pytest.fixture
def kfp_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MLTRAIL_CAPTURE_CODE", "false")
    monkeypatch.setenv("MLTRAIL_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("MLTRAIL_SERVING_DIR", str(tmp_path / "endpoints"))
    monkeypatch.chdir(tmp_path)
    local.init(
        runner=local.SubprocessRunner(use_venv=False),
        pipeline_root=str(tmp_path / "root"),
        raise_on_error=False,
    )
    return tmp_path


def pipeline_events(uri: str, pipeline: str) -> list[dict]:
    with Store(uri) as store:
        events = store.catalog.events(descending=False, limit=1000).items
    return [event for event in events if event["job"]["name"] == pipeline]


@pytest.mark.slow
def test_a_failing_component_fails_its_run_and_the_pipeline_run(
    kfp_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{kfp_env / 'mltrail.db'}"
    monkeypatch.setenv("MLTRAIL_TRACKING_URI", uri)
    failing()

    with Store(uri) as store:
        (run,) = store.search_runs(experiment="failing", max_results=10)
    assert run.name == "explode [rows=3]" and run.status.value == "Failed"
    assert "out of memory after 3 rows" in (run.error_message or "")
    assert run.metrics["progress"].last == 0.5  # logged before the failure: not lost
    assert run.tags["kfp.pipeline"] == "failing"

    events = pipeline_events(uri, "failing")
    assert [event["eventType"] for event in events] == ["START", "FAIL"]
    for event in events:
        validate_event(event)
        assert event["run"]["runId"] == events[0]["run"]["runId"]
    assert events[1]["run"]["facets"]["errorMessage"]["message"]


@pytest.mark.slow
def test_components_go_on_when_the_backend_is_down_and_replay_completes_the_records(
    kfp_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = kfp_env / "volume" / "mltrail.db"
    database.mkdir(parents=True)  # a folder where the database should be: every write fails
    uri = f"sqlite:///{database}"
    monkeypatch.setenv("MLTRAIL_TRACKING_URI", uri)
    counting()
    assert any((kfp_env / "spool").rglob("*")), "the components kept their records in the spool"

    shutil.rmtree(database)
    env = {"MLTRAIL_TRACKING_URI": uri, "MLTRAIL_SPOOL_DIR": str(kfp_env / "spool")}
    for _ in range(2):  # replaying again adds nothing
        replayed = CliRunner().invoke(cli, ["spool", "replay"], env=env, catch_exceptions=False)
        assert replayed.exit_code == 0, replayed.output
    with Store(uri) as store:
        runs = store.search_runs(experiment="counting", max_results=10)
    assert [(run.name, run.status.value, run.metrics["rows"].last) for run in runs] == [
        ("count", "Completed", 7.0)
    ]
    assert [event["eventType"] for event in pipeline_events(uri, "counting")] == ["START", "COMPLETE"]


@pytest.mark.slow
def test_deploying_a_version_that_is_not_approved_fails_the_component_and_deploys_nothing(
    kfp_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{kfp_env / 'mltrail.db'}"
    monkeypatch.setenv("MLTRAIL_TRACKING_URI", uri)
    unapproved()

    with Store(uri) as store:
        runs = {run.name: run for run in store.search_runs(experiment="unapproved", max_results=10)}
        version = store.registry.get("fraud", 1)
    fitted, registration, deployment = runs["fit"], runs["register-model"], runs["deploy-model"]
    assert (fitted.status.value, registration.status.value) == ("Completed", "Completed")
    assert version.status is ApprovalStatus.PENDING and version.run_id == fitted.id  # the default source
    assert [change.to_status for change in version.history] == [ApprovalStatus.PENDING]  # no policy entry
    assert [d.uri for d in registration.outputs] == [version.uri]

    assert deployment.status.value == "Failed"
    assert "fraud version 1 is PendingManualApproval; only Approved versions deploy" in (
        deployment.error_message or ""
    )
    assert deployment.outputs == () and not (kfp_env / "endpoints").exists()  # refused before the target
    assert [event["eventType"] for event in pipeline_events(uri, "unapproved")] == ["START", "FAIL"]
