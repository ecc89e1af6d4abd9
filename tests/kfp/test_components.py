"""Tracked KFP components under kfp.local: runs, trials per ParallelFor iteration, parents, lineage.

No ``from __future__ import annotations`` here: KFP reads components' annotations as objects.
"""

from pathlib import Path

import pytest

kfp = pytest.importorskip("kfp", reason="the kfp extra is not installed")

from kfp import dsl, local  # noqa: E402
from kfp.dsl import Dataset, Input, Metrics, Model, Output  # noqa: E402

import mltrail  # noqa: E402
import mltrail.kfp  # noqa: E402
from mltrail.kfp.components import IDENTITY_PARAMETERS  # noqa: E402
from mltrail.kfp.runtime import ComponentIdentity  # noqa: E402
from mltrail.tracking import api  # noqa: E402

PIPELINE = "tiny-hpo"


@mltrail.kfp.component(kind="processing")
def prepare(run, rows: int, data: Output[Dataset]) -> None:
    import json

    with open(data.path, "w") as out:
        json.dump(list(range(rows)), out)
    run.log_metric("rows", rows)


@mltrail.kfp.component(kind="training")
def train(run, data: Input[Dataset], scale: float, model: Output[Model], metrics: Output[Metrics]) -> float:
    import json

    values = json.load(open(data.path))
    score = sum(values) * scale / 100
    with open(model.path, "w") as out:
        out.write(str(score))
    metrics.log_metric("score", score)
    return score


@dsl.pipeline(name=PIPELINE)
def tiny_hpo(rows: int = 5) -> None:
    data = prepare(rows=rows, **mltrail.kfp.identity(PIPELINE))
    with dsl.ParallelFor(items=[0.5, 2.0]) as scale:
        train(data=data.outputs["data"], scale=scale, **mltrail.kfp.identity(PIPELINE))


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mltrail.db'}"
    monkeypatch.setenv("MLTRAIL_TRACKING_URI", uri)
    monkeypatch.setenv("MLTRAIL_CAPTURE_CODE", "false")
    monkeypatch.setenv("MLTRAIL_SPOOL_DIR", str(tmp_path / "spool"))
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"))
    api.reset()
    yield uri
    api.reset()


@pytest.mark.slow
def test_a_pipeline_run_records_linked_trials_parented_to_the_pipeline_run(tracking: str) -> None:
    tiny_hpo(rows=5)

    runs = mltrail.search_runs(experiment=PIPELINE, max_results=20)
    by_name = {run.name: run for run in runs}
    assert set(by_name) == {"prepare", "train [scale=0.5]", "train [scale=2.0]"}
    prepare_run = by_name["prepare"]
    pipeline_run = prepare_run.tags["kfp.run_id"]
    assert prepare_run.metrics["rows"].last == 5 and prepare_run.kind.value == "processing"
    for scale, score in ((0.5, 0.05), (2.0, 0.2)):
        trained = by_name[f"train [scale={scale}]"]
        assert trained.params == {"scale": scale} and trained.metrics["score"].last == score
        assert [d.role for d in trained.inputs] == ["data"] and [d.role for d in trained.outputs] == ["model"]
        trial = mltrail.get_trial(PIPELINE, f"run-{pipeline_run} [scale={scale}]")
        assert set(trial.run_ids) == {trained.id, prepare_run.id}  # the shared step is in every trial
        identity = ComponentIdentity(PIPELINE, pipeline_run, "train", f"scale={scale}")
        assert trained.id == identity.run_id
    up = mltrail.lineage.query(f"run:{by_name['train [scale=2.0]'].id}", direction="ascendants", depth=4)
    assert f"run:{prepare_run.id}" in [node.id for node in up.nodes]


def test_the_users_defaults_stay_with_the_users_parameters() -> None:
    @mltrail.kfp.component(kind="training")
    def fit(run, data: Input[Dataset], scale: float = 0.5, label: str = "") -> None:
        run.log_metric("scale", scale)

    inputs = fit.component_spec.inputs
    assert (inputs["scale"].default, inputs["label"].default) == (0.5, "")
    assert all(inputs[name].default is None and not inputs[name].optional for name in IDENTITY_PARAMETERS)
