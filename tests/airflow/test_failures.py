"""Failing tasks, retries, and a tracking backend that is down for a whole DAG run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from airflow_dags import TEST_DAGS, RunDag
from click.testing import CliRunner

from mltrail.cli import mltrail as cli
from mltrail.openlineage.validation import validate_event
from mltrail.store import Store


@pytest.mark.slow
def test_a_failing_task_fails_its_component_and_a_retry_is_a_second_component(
    dag_runner: RunDag, store_uri: str
) -> None:
    result = dag_runner("flaky", mode="plain", tracking_uri=store_uri, dags=TEST_DAGS)
    assert result.state == "failed"
    with Store(store_uri) as store:
        trial = store.get_trial("flaky", result.run_id)
        runs = [store.get_run(run_id) for run_id in trial.run_ids]
    train = sorted((run for run in runs if run.kind.value == "training"), key=lambda run: run.start_time)
    assert [run.status.value for run in train] == ["Failed", "Completed"]
    assert "the GPU fell off the bus" in (train[0].error_message or "")
    assert train[0].tags["airflow.try_number"] == "1" and train[1].tags["airflow.try_number"] == "2"
    assert train[0].metrics["loss"].last == 1.0 and train[1].metrics["loss"].last == 0.5
    evaluation = next(run for run in runs if run.kind.value == "evaluation")
    assert evaluation.status.value == "Failed"
    assert "labels and scores differ in length" in (evaluation.error_message or "")
    assert evaluation.metrics["auc"].last == 0.5  # logged before the failure: not lost
    assert trial.status.value == "Failed"

    fails = [e for e in result.events if e["eventType"] == "FAIL" and e["job"]["name"] != "flaky"]
    assert {e["run"]["runId"] for e in fails} == {str(train[0].id), str(evaluation.id)}
    for event in fails:
        validate_event(event)
        assert event["run"]["facets"]["errorMessage"]["programmingLanguage"] == "python"
    assert "labels and scores differ in length" in next(
        e["run"]["facets"]["errorMessage"]["message"]
        for e in fails
        if e["run"]["runId"] == str(evaluation.id)
    )


@pytest.mark.slow
def test_a_backend_down_for_the_whole_dag_run_loses_nothing(dag_runner: RunDag, tmp_path: Path) -> None:
    database = tmp_path / "down" / "mltrail.db"
    database.mkdir(parents=True)  # a folder where the database file should be: every write fails
    uri = f"sqlite:///{database}"

    result = dag_runner("search", mode="plain", tracking_uri=uri, dags=TEST_DAGS)
    assert result.state == "success", result.tasks

    shutil.rmtree(database)  # the backend is back
    env = {"MLTRAIL_TRACKING_URI": uri, "MLTRAIL_SPOOL_DIR": str(tmp_path / "spool")}
    for _ in range(2):  # a second replay finds nothing more to do
        replayed = CliRunner().invoke(cli, ["spool", "replay"], env=env, catch_exceptions=False)
        assert replayed.exit_code == 0, replayed.output
    with Store(uri) as store:
        runs = store.search_runs(experiment="search", max_results=100)
        trials = store.search_trials(experiment="search", max_results=100)
    assert len(runs) == len(result.tasks) == 7  # one run per task instance, none twice
    assert all(run.status.value == "Completed" for run in runs)
    assert len(trials) == 4  # the DAG run's, and one per point of the search
    trained = [run for run in runs if run.kind.value == "training"]
    assert len(trained) == 3 and all(run.metrics["val_auc"].count == 3 for run in trained)
