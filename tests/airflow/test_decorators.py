"""TaskFlow decorators, tracked() around another operator, and the mltrail connection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from airflow_dags import TEST_DAGS, RunDag

from mltrail.store import Store


@pytest.mark.slow
def test_taskflow_and_wrapped_operators_track_where_the_connection_says(
    dag_runner: RunDag, tmp_path: Path
) -> None:
    connection_db = f"sqlite:///{tmp_path / 'from-connection.db'}"
    settings_db = f"sqlite:///{tmp_path / 'from-settings.db'}"
    connection = {"conn_type": "mltrail", "extra": {"tracking_uri": connection_db}}
    result = dag_runner(
        "taskflow",
        mode="plain",
        tracking_uri=settings_db,
        dags=TEST_DAGS,
        env={"AIRFLOW_CONN_MLTRAIL_DEFAULT": json.dumps(connection)},
    )
    assert result.state == "success", result.tasks
    assert not Path(settings_db.removeprefix("sqlite:///")).exists()  # the connection wins

    with Store(connection_db) as store:
        runs = {run.name: run for run in store.search_runs(experiment="taskflow", max_results=50)}
        trials = {trial.name: trial for trial in store.search_trials(experiment="taskflow", max_results=50)}
    assert set(runs) == {"export", "fit [0]", "fit [1]", "pick"}
    export = runs["export"]
    assert export.kind.value == "processing" and export.params == {"format": "csv"}
    assert [d.namespace for d in export.outputs] == ["s3://exports"]
    assert export.code is not None and export.code.entry_point == (
        "airflow.providers.standard.operators.bash:TrackedBashOperator"
    )
    fits = [runs["fit [0]"], runs["fit [1]"]]
    assert [run.params for run in fits] == [{"depth": 1}, {"depth": 3}]
    assert fits[0].metrics["score"].last == 0.5 and fits[0].code.entry_point.endswith(":fit")
    assert {f"{result.run_id} [depth=1]", f"{result.run_id} [depth=3]"} <= set(trials)
    assert export.id in trials[f"{result.run_id} [depth=3]"].run_ids  # shared upstream component
    assert runs["pick"].metrics["best"].last == 0.5 and runs["pick"].kind.value == "evaluation"
