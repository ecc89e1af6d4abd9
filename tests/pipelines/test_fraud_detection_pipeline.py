"""The example pipeline under kfp.local: trials, linked components, the version its policy approves,
the local endpoint serving it, lineage to the endpoint, the OpenLineage events; and the checked-in
IR, which must match a fresh compilation."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest
import requests
import yaml
from live_server import serve_app

pytest.importorskip("kfp", reason="the kfp extra is not installed")
pytest.importorskip("sklearn", reason="the examples extra is not installed")

from kfp import dsl, local  # noqa: E402

import mltrail  # noqa: E402
from mltrail.core.entities import Run  # noqa: E402
from mltrail.core.registry import POLICY_ACTOR, REGISTRY_EXPERIMENT, ApprovalStatus  # noqa: E402
from mltrail.deploy import endpoint_uri  # noqa: E402
from mltrail.deploy.serve import create_model_app  # noqa: E402
from mltrail.kfp.runtime import ComponentIdentity  # noqa: E402
from mltrail.openlineage.validation import validate_event  # noqa: E402
from mltrail.store import Store  # noqa: E402
from mltrail.tracking import api  # noqa: E402

PIPELINE_FILE = Path(__file__).resolve().parents[2] / "pipelines" / "fraud_detection.py"
EXPERIMENT = "fraud-detection"
TASK_JOBS = {"prepare", "train", "evaluate", "select-best", "register-model", "deploy-model"}
TERMINAL = {"COMPLETE", "FAIL", "ABORT"}
PLACEHOLDERS = {
    dsl.PIPELINE_JOB_ID_PLACEHOLDER,
    dsl.PIPELINE_JOB_NAME_PLACEHOLDER,
    dsl.PIPELINE_TASK_NAME_PLACEHOLDER,
    dsl.PIPELINE_TASK_ID_PLACEHOLDER,
    dsl.PIPELINE_ROOT_PLACEHOLDER,
}


@pytest.fixture(scope="module")
def example() -> ModuleType:
    """``pipelines/fraud_detection.py``, imported from its file (``pipelines/`` is no package)."""
    spec = importlib.util.spec_from_file_location("fraud_detection_pipeline", PIPELINE_FILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def store_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite store and serving folder for the run; task subprocesses inherit the environment."""
    uri = f"sqlite:///{tmp_path / 'mltrail.db'}"
    monkeypatch.setenv("MLTRAIL_TRACKING_URI", uri)
    monkeypatch.setenv("MLTRAIL_SERVING_DIR", str(tmp_path / "endpoints"))
    monkeypatch.setenv("MLTRAIL_CAPTURE_CODE", "false")
    monkeypatch.setenv("MLTRAIL_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "file")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__LOG_FILE_PATH", str(tmp_path / "events.jsonl"))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__APPEND", "true")
    monkeypatch.delenv("OPENLINEAGE_PARENT_ID", raising=False)
    monkeypatch.delenv("OPENLINEAGE_NAMESPACE", raising=False)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"))
    api.reset()
    yield uri
    api.reset()


def label(point: dict[str, Any]) -> str:
    """A point's trial label: its keys sorted, its numbers floats (a ParallelFor item is a Struct)."""
    return ", ".join(f"{key}={float(v) if isinstance(v, int) else v}" for key, v in sorted(point.items()))


def stored_events(uri: str) -> list[dict[str, Any]]:
    """The events the store keeps: only the pipeline run's (component runs are stored as records)."""
    with Store(uri) as store:
        page = store.catalog.events(descending=False, limit=10_000)
    assert page.total == len(page.items)
    return list(page.items)


def emitted_events(uri: str) -> list[dict[str, Any]]:
    """The events sent to the OpenLineage file transport the fixture configures, one per line."""
    path = Path(uri.removeprefix("sqlite:///")).with_name("events.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.slow
def test_example_pipeline_records_trials_lineage_and_runs_parented_to_the_pipeline_run(
    example: ModuleType, store_uri: str
) -> None:
    example.fraud_detection()

    with Store(store_uri) as store:
        trials = list(store.search_trials(experiment=EXPERIMENT, max_results=100))
        runs: dict[UUID, Run] = {
            run.id: run for run in store.search_runs(experiment=EXPERIMENT, max_results=100)
        }
    by_name = {run.name: run for run in runs.values()}
    prepare = by_name["prepare"]
    pipeline_run = prepare.tags["kfp.run_id"]
    pipeline_trial = f"run-{pipeline_run}"

    # One trial per loop iteration, each holding the shared prepare, its train and its evaluate.
    assert pipeline_trial in {trial.name for trial in trials}
    iterations = [trial for trial in trials if trial.name != pipeline_trial]
    assert len(iterations) == len(example.SEARCH_SPACE)
    for trial in iterations:
        point = trial.name.removeprefix(f"{pipeline_trial} [").removesuffix("]")
        members = sorted(runs[r].name for r in trial.run_ids)
        assert members == [f"evaluate [{point}]", "prepare", f"train [{point}]"], members
    labels = {trial.name for trial in iterations}
    assert labels == {f"{pipeline_trial} [{label(point)}]" for point in example.SEARCH_SPACE}
    (whole,) = [trial for trial in trials if trial.name == pipeline_trial]
    assert sorted(runs[r].name for r in whole.run_ids) == [
        "deploy-model",
        "prepare",
        "register-model",
        "select-best",
    ]
    assert all(run.status.value == "Completed" for run in runs.values())
    for point in example.SEARCH_SPACE:
        trained, evaluated = by_name[f"train [{label(point)}]"], by_name[f"evaluate [{label(point)}]"]
        assert trained.params == point and trained.kind.value == "training"
        assert trained.metrics["val_auc"].last > 0.9
        assert evaluated.metrics["test_auc"].last > 0.9 and 0 < evaluated.metrics["test_f1"].last <= 1
        assert trained.id == ComponentIdentity(EXPERIMENT, pipeline_run, "train", label(point)).run_id
        assert sorted(d.role or "" for d in trained.inputs) == ["train_split", "val_split"]
        assert [d.role for d in trained.outputs] == ["model"]
        assert sorted(d.role or "" for d in evaluated.inputs) == ["model", "test_split"]
        assert [d.role for d in evaluated.outputs] == ["artifact"]  # the confusion matrix
    assert sorted(d.role or "" for d in prepare.outputs) == ["test_split", "train_split", "val_split"]
    assert [d.uri for d in prepare.inputs] == ["sklearn://datasets/breast_cancer"]
    best = by_name["select-best"]
    assert [d.role for d in best.inputs] == ["models"] * len(example.SEARCH_SPACE)
    assert best.metrics["best_test_auc"].last == max(
        run.metrics["test_auc"].last for run in runs.values() if run.name.startswith("evaluate")
    )

    # The best model is version 1, Approved at registration by the policy on select-best's run;
    # the deployment reads that version and writes the endpoint, whose folder serves the model.
    register, deploy = by_name["register-model"], by_name["deploy-model"]
    endpoint = endpoint_uri(example.ENDPOINT)
    mltrail.set_tracking_uri(store_uri)
    try:
        assert sorted(e.name for e in mltrail.list_experiments()) == [EXPERIMENT, REGISTRY_EXPERIMENT]
        audit = mltrail.search_runs(experiment=REGISTRY_EXPERIMENT, max_results=10)
        version = mltrail.registry.get_model_version(example.MODEL_NAME, 1)
        (deployment,) = mltrail.deploy.history(example.ENDPOINT)
        page = mltrail.lineage.query(endpoint, direction="ascendants", depth=20, page_size=500)
    finally:
        api.reset()
    assert version.status is ApprovalStatus.APPROVED and version.run_id == best.id
    assert version.metrics == {"best_test_auc": best.metrics["best_test_auc"].last}
    assert [(c.to_status, c.actor) for c in version.history] == [
        (ApprovalStatus.PENDING, version.history[0].actor),
        (ApprovalStatus.APPROVED, POLICY_ACTOR),
    ]
    assert example.APPROVAL_POLICY in (version.history[-1].reason or "")
    # The audit trail, also as runs reading the version (both at one instant: no order to check).
    assert {run.tags["approval.status"]: run.tags["approval.actor"] for run in audit} == {
        "PendingManualApproval": version.history[0].actor,
        "Approved": POLICY_ACTOR,
    }
    assert all([d.uri for d in run.inputs] == [version.uri] for run in audit)
    assert Path(version.source_uri).as_uri() == best.outputs[0].uri  # the winner, copied by select-best
    assert register.params["approval_policy"] == example.APPROVAL_POLICY
    assert [(d.uri, d.role) for d in register.inputs] == [(best.outputs[0].uri, "model")]
    assert [(d.uri, d.role) for d in register.outputs] == [(version.uri, "model_version")]
    assert register.tags["approval.at_registration"] == "Approved"
    assert [(d.uri, d.role) for d in deploy.inputs] == [
        (f"mltrail://models/{example.MODEL_NAME}/versions/1", "model_version")
    ]
    assert [(d.uri, d.role) for d in deploy.outputs] == [(endpoint, "endpoint")]
    assert (deployment.run_id, deployment.version, deployment.target) == (deploy.id, 1, "local")
    with serve_app(create_model_app(example.ENDPOINT)) as url:
        assert requests.get(f"{url}/ping", timeout=10).json() == {
            "status": "ok",
            "model": example.MODEL_NAME,
            "version": 1,
        }

    # Lineage: raw data → prepare → train → select-best → register → deploy → endpoint.
    chain = [node.id for node in page.nodes]
    assert "dataset:sklearn://datasets:breast_cancer" in chain
    datasets = {node.partition("#")[0] for node in chain}  # a dataset node's id ends in its version
    assert f"dataset:mltrail://models:{example.MODEL_NAME}/versions/1" in datasets
    for name in ("deploy-model", "register-model", "select-best", "prepare"):
        assert f"run:{by_name[name].id}" in chain, name
    assert any(f"run:{run.id}" in chain for run in runs.values() if run.name.startswith("train"))

    # OpenLineage: every event valid; the pipeline run has START and COMPLETE; each component run
    # one START and one terminal event, parented to (and rooted at) the pipeline run; each audit
    # trail entry is a run of job registry.<model> with START and COMPLETE.
    pipeline_run_id = str(ComponentIdentity(EXPERIMENT, pipeline_run, "").pipeline_run_id)
    registry_job = f"registry.{example.MODEL_NAME}"
    per_run: dict[str, Counter[str]] = defaultdict(Counter)
    per_change: dict[str, Counter[str]] = defaultdict(Counter)
    pipeline_events: list[str] = []
    stored = stored_events(store_uri)
    assert [event["eventType"] for event in stored if event["job"]["name"] == EXPERIMENT] == [
        "START",
        "COMPLETE",
    ]
    assert {event["job"]["name"] for event in stored} == {EXPERIMENT, registry_job}
    for event in emitted_events(store_uri):
        validate_event(event)
        job = event["job"]
        if job["name"] == EXPERIMENT:
            assert event["run"]["runId"] == pipeline_run_id and job["namespace"] == "kfp"
            pipeline_events.append(event["eventType"])
            continue
        if job["name"] == registry_job:
            per_change[event["run"]["runId"]][event["eventType"]] += 1
            continue
        assert job["name"].split(".", 1)[1] in TASK_JOBS and job["namespace"] == "kfp"
        per_run[event["run"]["runId"]][event["eventType"]] += 1
        parent = event["run"]["facets"]["parent"]
        assert parent["run"]["runId"] == pipeline_run_id
        assert (parent["job"]["namespace"], parent["job"]["name"]) == ("kfp", EXPERIMENT)
        assert parent["root"]["run"]["runId"] == pipeline_run_id
    assert pipeline_events == ["START", "COMPLETE"]
    assert {UUID(run_id) for run_id in per_run} == set(runs)
    assert {UUID(run_id): dict(counts) for run_id, counts in per_change.items()} == {
        run.id: {"START": 1, "COMPLETE": 1} for run in audit
    }
    for counts in per_run.values():
        assert counts["START"] == 1 and sum(counts[t] for t in TERMINAL) == 1, counts


def test_checked_in_ir_matches_a_fresh_compilation(example: ModuleType, tmp_path: Path) -> None:
    fresh = example.compile_pipeline(tmp_path / "fraud_detection.yaml")
    assert fresh.read_text() == example.COMPILED.read_text(), (
        "pipelines/fraud_detection.yaml is stale: run `python pipelines/fraud_detection.py`"
    )


def constants(node: Any) -> Iterator[str]:
    """Every ``runtimeValue.constant`` string in the IR."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "runtimeValue" and isinstance(value, dict) and isinstance(value.get("constant"), str):
                yield value["constant"]
            yield from constants(value)
    elif isinstance(node, list):
        for item in node:
            yield from constants(item)


def test_every_placeholder_in_the_ir_is_a_whole_argument(example: ModuleType) -> None:
    ir = yaml.safe_load(example.COMPILED.read_text())
    found = [text for text in constants(ir) if "{{$." in text]
    assert found, "no placeholder in the IR: the identity arguments are missing"
    assert set(found) <= PLACEHOLDERS, set(found) - PLACEHOLDERS
    assert {dsl.PIPELINE_JOB_ID_PLACEHOLDER, dsl.PIPELINE_TASK_NAME_PLACEHOLDER} <= set(found)
    assert "{{$." not in json.dumps(
        ir["root"]["inputDefinitions"] if "inputDefinitions" in ir["root"] else {}
    )
