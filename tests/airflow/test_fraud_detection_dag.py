"""The example DAG under ``dag.test()``: trials, linked components, lineage to the endpoint, and
the OpenLineage events, with the Airflow OpenLineage provider active and without it."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any
from uuid import UUID

import pytest
from airflow_dags import DagResult, RunDag

import mltrail
from mltrail.core.entities import Run
from mltrail.openlineage.validation import validate_event
from mltrail.store import Store
from mltrail.tracking import api

EXPERIMENT = "fraud-detection"
TRAINED = 4
TASK_JOBS = {"prepare", "train", "evaluate", "select_best", "register", "deploy"}
UNTRACKED = "fraud_detection.approved"  # the approval sensor: the provider reports it, mltrail does not
TERMINAL = {"COMPLETE", "FAIL", "ABORT"}


def recorded(uri: str) -> dict[str, Any]:
    """What the store holds after the run, keyed so that two DAG runs compare equal."""
    with Store(uri) as store:
        trials = store.search_trials(experiment=EXPERIMENT, max_results=100)
        runs = store.search_runs(experiment=EXPERIMENT, max_results=100)
        return {"trials": list(trials), "runs": {run.id: run for run in runs}}


def lineage_upstream_of_endpoint(uri: str) -> list[str]:
    mltrail.set_tracking_uri(uri)
    try:
        assert [e.name for e in mltrail.list_experiments()] == [EXPERIMENT, "model-registry"]
        page = mltrail.lineage.query(
            "mltrail://endpoints/fraud-detection", direction="ascendants", depth=20, page_size=500
        )
    finally:
        api.reset()
    return [node.id for node in page.nodes]


def comparable(found: dict[str, Any], dag_run_id: str) -> Any:
    """Trials and runs without ids, times or paths that differ between two DAG runs."""
    runs: dict[UUID, Run] = found["runs"]
    trials = sorted(
        (
            trial.name.replace(dag_run_id, "<run>"),
            sorted(runs[r].name for r in trial.run_ids),
            trial.status.value,
        )
        for trial in found["trials"]
    )
    components = sorted(
        (
            run.name,
            run.kind.value,
            run.status.value,
            tuple(sorted((k, v) for k, v in run.params.items())),
            tuple(sorted(run.metrics)),
            tuple(sorted(d.role or "" for d in run.inputs)),
            tuple(sorted(d.role or "" for d in run.outputs)),
        )
        for run in runs.values()
    )
    return trials, components


@pytest.fixture(scope="module")
def both_modes() -> dict[str, tuple[DagResult, str]]:
    """The DAG run of each mode, kept to compare mltrail's records of the two."""
    return {}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["provider", "plain"])
def test_example_dag_records_trials_lineage_and_one_openlineage_run_per_attempt(
    dag_runner: RunDag, store_uri: str, mode: str, both_modes: dict[str, tuple[DagResult, str]]
) -> None:
    result = dag_runner("fraud_detection", mode=mode, tracking_uri=store_uri)
    assert result.state == "success", result.tasks
    found = recorded(store_uri)
    runs: dict[UUID, Run] = found["runs"]

    # One experiment; the DAG run's trial and one trial per mapped training instance.
    trial_names = sorted(trial.name for trial in found["trials"])
    mapped = [name for name in trial_names if name != result.run_id]
    assert result.run_id in trial_names and len(mapped) == TRAINED
    assert all(name.startswith(f"{result.run_id} [model=") for name in mapped)
    by_name = {run.name: run for run in runs.values()}
    prepare = by_name["prepare"]
    for trial in found["trials"]:
        if trial.name == result.run_id:
            continue
        members = sorted(runs[r].name for r in trial.run_ids)
        index = members[-1].split("[")[1].rstrip("]")
        assert members == ["evaluate [" + index + "]", "prepare", "train [" + index + "]"], members
        assert prepare.id in trial.run_ids  # the shared upstream component is in every trial
        assert runs[next(r for r in trial.run_ids if runs[r].name.startswith("train"))].params["model"]
    assert {"register", "deploy", "select_best"} <= set(by_name)
    assert all(run.status.value == "Completed" for run in runs.values())
    assert by_name["train [0]"].metrics["val_auc"].last > 0.9
    assert by_name["evaluate [0]"].metrics["test_auc"].last > 0.9

    # The best model is registered, Approved by the DAG's policy, and deployed to the endpoint.
    with Store(store_uri) as store:
        version = store.registry.latest_approved(EXPERIMENT)
    assert version.version == 1 and version.run_id in runs and runs[version.run_id].kind.value == "training"
    assert [(change.to_status.value, change.actor) for change in version.history][1] == ("Approved", "policy")
    deploy = by_name["deploy"]
    assert [d.uri for d in deploy.inputs] == [version.uri]
    assert [d.uri for d in deploy.outputs] == ["mltrail://endpoints/fraud-detection"]
    assert (deploy.params["version"], deploy.tags["target"]) == (1, "local")

    chain = lineage_upstream_of_endpoint(store_uri)
    assert "dataset:sklearn://datasets:breast_cancer" in chain
    assert any(node.startswith("dataset:mltrail://models:fraud-detection/versions/") for node in chain)
    assert f"run:{by_name['deploy'].id}" in chain and f"run:{prepare.id}" in chain

    # OpenLineage: per task attempt exactly one START and one terminal event, on the run id the
    # store holds, parented to the DAG run; every event valid.
    per_run: dict[str, Counter[str]] = defaultdict(Counter)
    dag_runs: set[str] = set()
    registry_events: Counter[str] = Counter()
    for event in result.events:
        validate_event(event)
        job = event["job"]["name"]
        if job == "registry.fraud-detection":  # the version's audit trail, sent by the registry
            registry_events[event["eventType"]] += 1
            continue
        if job == UNTRACKED:
            continue
        if job == "fraud_detection":
            dag_runs.add(event["run"]["runId"])
            continue
        assert job.split(".", 1)[1] in TASK_JOBS and event["job"]["namespace"] == "airflow-tests"
        per_run[event["run"]["runId"]][event["eventType"]] += 1
        parent = event["run"]["facets"]["parent"]
        assert (parent["job"]["namespace"], parent["job"]["name"]) == ("airflow-tests", "fraud_detection")
        dag_runs.add(parent["run"]["runId"])
    assert len(dag_runs) == 1
    # The audit trail (registered, approved by the policy) goes out on mltrail's own OpenLineage
    # client; with the provider active, its transport gets the register task's event, whose tags
    # carry the status.
    assert registry_events == ({} if mode == "provider" else {"START": 2, "COMPLETE": 2})
    (registered,) = [
        e for e in result.events if e["job"]["name"].endswith(".register") and e["eventType"] == "COMPLETE"
    ]
    assert registered["run"]["facets"]["mltrail_tags"]["tags"]["approval.at_registration"] == "Approved"
    assert {UUID(run_id) for run_id in per_run} == set(runs)
    for counts in per_run.values():
        assert counts["START"] == 1 and sum(counts[t] for t in TERMINAL) == 1, counts
    both_modes[mode] = (result, store_uri)
    if len(both_modes) == 2:  # mltrail's records are the same with the provider and without it
        (first, first_uri), (second, second_uri) = both_modes.values()
        assert comparable(recorded(first_uri), first.run_id) == comparable(
            recorded(second_uri), second.run_id
        )
