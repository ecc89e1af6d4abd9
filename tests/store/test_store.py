from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from mltrail import (
    CodeInfo,
    ConflictError,
    EnvironmentInfo,
    NotFoundError,
    QuerySyntaxError,
    RunKind,
    RunStatus,
    ValidationError,
)
from mltrail.core.naming import dataset_from_uri
from mltrail.store import Store
from mltrail.store import tables as t


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as s:
        yield s


def now_ms() -> int:
    return int(time.time() * 1000)


def start(store: Store, experiment: str = "exp", trial: str = "t1", **kwargs: Any) -> uuid.UUID:
    run_id = uuid.uuid4()
    store.start_run(
        run_id=run_id,
        experiment=experiment,
        trial=trial,
        name=kwargs.pop("name", f"run-{trial}"),
        kind=kwargs.pop("kind", "training"),
        **kwargs,
    )
    return run_id


def row_counts(store: Store) -> dict[str, int]:
    with store._engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (
                t.experiment,
                t.trial,
                t.run,
                t.run_param,
                t.trial_param,
                t.run_tag,
                t.metric_summary,
                t.metric_chunk,
                t.dataset,
                t.run_dataset,
            )
        }


class TestExperiments:
    def test_create_get_list(self, store: Store) -> None:
        created = store.create_experiment("fraud", description="find fraud", tags={"team": "risk"})
        assert created.name == "fraud"
        assert created.description == "find fraud"
        assert created.tags == {"team": "risk"}
        assert [e.name for e in store.list_experiments()] == ["fraud"]

    def test_duplicate_name_conflicts(self, store: Store) -> None:
        store.create_experiment("fraud")
        with pytest.raises(ConflictError) as raised:
            store.create_experiment("fraud")
        assert raised.value.kind == "experiment"
        assert raised.value.id == "fraud"

    def test_unknown_experiment_suggests_a_name(self, store: Store) -> None:
        store.create_experiment("fraud-detection")
        with pytest.raises(NotFoundError, match="did you mean 'fraud-detection'") as raised:
            store.get_experiment("fraud-detektion")
        assert (raised.value.kind, raised.value.id) == ("experiment", "fraud-detektion")

    def test_archived_experiments_are_hidden(self, store: Store) -> None:
        store.create_experiment("old")
        store.create_experiment("new")
        store.set_experiment_archived("old")
        assert [e.name for e in store.list_experiments()] == ["new"]
        assert [e.name for e in store.list_experiments(include_archived=True)] == ["new", "old"]
        assert store.get_experiment("old").is_archived

    def test_trial_counts(self, store: Store) -> None:
        start(store, trial="a")
        start(store, trial="b")
        assert store.get_experiment("exp").trial_count == 2


class TestRuns:
    def test_start_creates_experiment_trial_and_run(self, store: Store) -> None:
        code = CodeInfo(
            commit="abc123",
            repo_url="https://example.com/r.git",
            branch="main",
            is_dirty=False,
            entry_point="train.py",
        )
        env = EnvironmentInfo(
            host="h",
            os="Linux",
            python="3.11.7",
            cpu_count=2,
            memory_bytes=1024,
            instance_type="ml.m5.xlarge",
        )
        run_id = start(store, code=code, environment=env, tags={"owner": "ana"}, artifact_uri="file:///a")
        run = store.get_run(run_id)
        assert run.status is RunStatus.IN_PROGRESS
        assert run.kind is RunKind.TRAINING
        assert run.trials == ("t1",)
        assert run.code == code
        assert run.environment == env
        assert run.tags == {"owner": "ana"}
        assert run.artifact_uri == "file:///a"
        assert run.end_time is None and run.duration is None
        trial = store.get_trial("exp", "t1")
        assert trial.status is RunStatus.IN_PROGRESS
        assert trial.run_ids == (run_id,)

    def test_params_keep_their_types(self, store: Store) -> None:
        params = {
            "lr": 0.01,
            "depth": 5,
            "big": 2**40,
            "bn": True,
            "opt": "adam",
            "layers": [64, 32],
            "sched": {"kind": "cos", "warmup": 3},
            "none": None,
            "tiny": 1e-300,
        }
        run_id = start(store, params=params)
        assert store.get_run(run_id).params == params
        for key, value in store.get_run(run_id).params.items():
            assert type(value) is type(params[key])

    def test_logging_a_param_again_replaces_it(self, store: Store) -> None:
        run_id = start(store, params={"lr": 0.1})
        store.log_params(run_id, {"lr": 0.2, "depth": 3})
        assert store.get_run(run_id).params == {"lr": 0.2, "depth": 3}
        assert store.get_trial("exp", "t1").params == {"lr": 0.2, "depth": 3}

    def test_duplicate_run_id_conflicts(self, store: Store) -> None:
        run_id = start(store)
        with pytest.raises(ConflictError):
            store.start_run(run_id=run_id, experiment="exp", trial="t2", name="again")

    def test_end_run_sets_status_and_derives_trial(self, store: Store) -> None:
        processing = start(store, trial="t1", kind="processing")
        training = start(store, trial="t1", kind="training", name="train")
        store.end_run(processing, status="Completed")
        assert store.get_trial("exp", "t1").status is RunStatus.IN_PROGRESS
        store.end_run(training, status=RunStatus.FAILED, error_message="boom")
        trial = store.get_trial("exp", "t1")
        assert trial.status is RunStatus.FAILED
        assert trial.end_time is not None
        run = store.get_run(training)
        assert run.error_message == "boom"
        assert run.duration is not None and run.duration >= 0

    def test_ending_in_progress_is_refused(self, store: Store) -> None:
        run_id = start(store)
        with pytest.raises(ValidationError, match="InProgress"):
            store.end_run(run_id, status="InProgress")

    def test_datasets_are_named_by_openlineage_conventions(self, store: Store) -> None:
        run_id = start(store)
        store.log_datasets(
            run_id, [dataset_from_uri("s3a://bucket/data/train.csv", role="train")], direction="input"
        )
        store.log_datasets(run_id, [dataset_from_uri("/models/m.pkl", role="model")], direction="output")
        run = store.get_run(run_id)
        assert [(d.namespace, d.name, d.uri, d.role) for d in run.inputs] == [
            ("s3://bucket", "data/train.csv", "s3://bucket/data/train.csv", "train")
        ]
        assert [(d.namespace, d.name, d.role) for d in run.outputs] == [("file", "/models/m.pkl", "model")]

    def test_link_trial_shares_a_component(self, store: Store) -> None:
        shared = start(store, trial="t1", kind="processing", params={"rows": 1000})
        store.end_run(shared, status="Completed", metrics=[("rows_out", 990, 0, now_ms())])
        store.link_trial(shared, experiment="exp", trial="t2")
        second = store.get_trial("exp", "t2")
        assert second.run_ids == (shared,)
        assert second.params == {"rows": 1000}
        assert second.metrics["rows_out"].last == 990
        assert second.status is RunStatus.COMPLETED
        assert store.get_run(shared).trials == ("t1", "t2")

    def test_unknown_run(self, store: Store) -> None:
        missing = uuid.uuid4()
        with pytest.raises(NotFoundError) as raised:
            store.get_run(missing)
        assert raised.value.kind == "run"
        with pytest.raises(NotFoundError):
            store.log_params(missing, {"a": 1})


class TestMetrics:
    def test_summaries(self, store: Store) -> None:
        run_id = start(store)
        ts = now_ms()
        store.log_metrics(run_id, [("loss", 0.9, 0, ts), ("loss", 0.5, 1, ts), ("loss", 0.7, 2, ts)])
        store.log_metrics(run_id, [("loss", 0.3, 3, ts)])
        summary = store.get_run(run_id).metrics["loss"]
        assert (summary.last, summary.min, summary.max, summary.count) == (0.3, 0.3, 0.9, 4)
        assert summary.avg == pytest.approx(0.6)
        assert summary.last_step == 3
        assert not summary.has_nonfinite
        assert store.get_trial("exp", "t1").metrics["loss"] == summary

    def test_last_is_the_highest_step_whatever_the_order(self, store: Store) -> None:
        run_id = start(store)
        ts = now_ms()
        store.log_metrics(run_id, [("acc", 0.8, 5, ts)])
        store.log_metrics(run_id, [("acc", 0.1, 2, ts + 10)])
        summary = store.get_run(run_id).metrics["acc"]
        assert (summary.last, summary.last_step) == (0.8, 5)

    def test_nan_and_inf_are_stored_and_flagged(self, store: Store) -> None:
        run_id = start(store)
        ts = now_ms()
        store.log_metrics(
            run_id,
            [
                ("m", 1.0, 0, ts),
                ("m", math.nan, 1, ts),
                ("m", math.inf, 2, ts),
                ("m", 3.0, 3, ts),
                ("m", -math.inf, 4, ts),
            ],
        )
        summary = store.get_run(run_id).metrics["m"]
        assert summary.count == 5
        assert summary.nonfinite_count == 3 and summary.has_nonfinite
        assert (summary.min, summary.max, summary.avg) == (1.0, 3.0, 2.0)
        assert summary.last == -math.inf
        history = store.get_metric_history(run_id, "m")
        assert history.steps == [0, 1, 2, 3, 4]
        assert history.values[0] == 1.0 and math.isnan(history.values[1]) and history.values[2] == math.inf

    def test_only_nan_leaves_min_max_avg_empty(self, store: Store) -> None:
        run_id = start(store)
        store.log_metrics(run_id, [("m", math.nan, 0, now_ms())])
        summary = store.get_run(run_id).metrics["m"]
        assert math.isnan(summary.last)
        assert (summary.min, summary.max, summary.avg, summary.count) == (None, None, None, 1)

    def test_history_full_and_downsampled(self, store: Store) -> None:
        run_id = start(store)
        ts = now_ms()
        store.log_metrics(run_id, [("loss", float(i), i, ts + i) for i in range(1000)])
        full = store.get_metric_history(run_id, "loss")
        assert len(full) == 1000 and full.total_count == 1000 and not full.is_downsampled
        assert full.steps == list(range(1000))
        sampled = store.get_metric_history(run_id, "loss", max_points=100)
        assert sampled.is_downsampled and 90 <= len(sampled) <= 100
        assert sampled.steps[0] == 0 and sampled.steps[-1] == 999
        assert sampled.steps == sorted(sampled.steps)
        points = list(sampled)
        assert points[0].value == 0.0

    def test_unknown_metric(self, store: Store) -> None:
        run_id = start(store)
        with pytest.raises(NotFoundError, match="no metric 'nope'"):
            store.get_metric_history(run_id, "nope")
        with pytest.raises(ValidationError, match="max_points"):
            store.get_metric_history(run_id, "nope", max_points=0)


class TestBadInputWritesNothing:
    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"experiment": ""}, "experiment"),
            ({"experiment": "   "}, "experiment"),
            ({"trial": "x" * 257}, "trial"),
            ({"params": {"k" * 251: 1}}, "params key"),
            ({"params": {"ok": 1, "bad": object()}}, "params.bad"),
            ({"params": {"long": "x" * 6001}}, "params.long"),
            ({"tags": {"t": ["not", "a", "string"]}}, "tags.t"),
            ({"kind": "fitting"}, "kind"),
            ({"name": "bad\x00name"}, "run name"),
        ],
    )
    def test_start_run(self, store: Store, kwargs: dict[str, Any], field: str) -> None:
        before = row_counts(store)
        arguments: dict[str, Any] = {"experiment": "exp", "trial": "t1", "name": "r", "params": {"a": 1}}
        arguments |= kwargs
        with pytest.raises(ValidationError) as raised:
            store.start_run(run_id=uuid.uuid4(), **arguments)
        assert raised.value.field.startswith(field)
        assert row_counts(store) == before

    @pytest.mark.parametrize(
        "points",
        [
            [("ok", 1.0, 0, 0), ("bad", "high", 0, 0)],
            [("ok", 1.0, 0, 0), ("", 1.0, 0, 0)],
            [("ok", 1.0, 0, 0), ("step", 1.0, 1.5, 0)],
            [("ok", 1.0, 0, 0), ("bool", True, 0, 0)],
        ],
    )
    def test_log_metrics(self, store: Store, points: list[tuple[str, Any, Any, Any]]) -> None:
        run_id = start(store)
        before = row_counts(store)
        with pytest.raises(ValidationError):
            store.log_metrics(run_id, points)
        assert row_counts(store) == before

    def test_malformed_filter_and_unknown_experiment(self, store: Store) -> None:
        start(store)
        with pytest.raises(QuerySyntaxError) as raised:
            store.search_trials(experiment="exp", filter="metric.auc > 0.9")
        assert "did you mean 'metrics.auc'" in str(raised.value)
        assert raised.value.position == 0
        with pytest.raises(NotFoundError):
            store.search_trials(experiment="nope")
        with pytest.raises(ValidationError, match="max_results"):
            store.search_trials(experiment="exp", max_results=0)
        with pytest.raises(ValidationError, match="page token"):
            store.search_trials(experiment="exp", page_token="garbage")


def test_page_token_is_bound_to_its_search(store: Store) -> None:
    for i in range(3):
        start(store, trial=f"t{i}")
    page = store.search_trials(experiment="exp", max_results=1)
    assert page.next_page_token
    with pytest.raises(ValidationError, match="different search"):
        store.search_trials(
            experiment="exp", filter="name = 't1'", max_results=1, page_token=page.next_page_token
        )


def test_search_trials_uses_component_metrics(store: Store) -> None:
    training = start(store, trial="t1", params={"learning_rate": 0.001})
    evaluation = start(store, trial="t1", kind="evaluation", name="eval")
    store.end_run(training, status="Completed", metrics=[("train_loss", 0.2, 0, now_ms())])
    store.end_run(evaluation, status="Completed", metrics=[("val_auc", 0.95, 0, now_ms())])
    other = start(store, trial="t2", params={"learning_rate": 0.1})
    store.end_run(other, status="Completed", metrics=[("val_auc", 0.99, 0, now_ms())])
    found = store.search_trials(
        experiment="exp", filter="params.learning_rate < 0.01 AND metrics.val_auc > 0.9"
    )
    assert [trial.name for trial in found] == ["t1"]
    assert set(found[0].metrics) == {"train_loss", "val_auc"}
    runs = store.search_runs(experiment="exp", filter="kind = 'evaluation'")
    assert [run.id for run in runs] == [evaluation]
