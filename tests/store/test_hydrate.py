"""Hydration: trials and runs read back with exact param types, metric summaries and tags."""

from __future__ import annotations

import dataclasses
import math
import pickle
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from mltrail import MetricSummary, Run, Trial
from mltrail.store import Store


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as s:
        yield s


PARAMS: dict[str, Any] = {
    "float": 0.1,
    "whole_float": 3.0,
    "negative_zero": -0.0,
    "big_float": 1e16,
    "tiny": 1e-300,
    "nan": math.nan,
    "inf": math.inf,
    "minus_inf": -math.inf,
    "int": -7,
    "huge_int": 2**70,
    "true": True,
    "false": False,
    "str": 'quote " backslash \\ tab-free ünïcödé ✓',
    "empty": "",
    "looks_like_nan": "nan",
    "looks_like_number": "1.5",
    "looks_like_json": '{"a": 1}',
    "none": None,
    "list": [1, 2.5, "x", None, True],
    "dict": {"b": [1.0, {"c": "d"}], "a": 2**70},
    'key "quoted" \\ ü': "value",
}
TAGS = {"owner": "ana", 'odd "tag" \\ ✓': 'odd "value" \\ ✓', "empty": ""}


def _same(left: Any, right: Any) -> bool:
    """Equal values of the same types all the way down, with NaN equal to NaN."""
    if type(left) is not type(right):
        return False
    if isinstance(left, float):
        return (math.isnan(left) and math.isnan(right)) or (left == right and str(left) == str(right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right)


def _record(store: Store, trial: str, **kwargs: Any) -> uuid.UUID:
    run_id = uuid.uuid4()
    store.start_run(
        run_id=run_id, experiment="exp", trial=trial, name=f"run-{uuid.uuid4().hex[:6]}", **kwargs
    )
    return run_id


def _check_params(params: Any) -> None:
    assert list(params) == sorted(PARAMS)
    for key, value in PARAMS.items():
        assert _same(params[key], value), (key, params[key], value)


def test_params_and_tags_keep_types_and_key_order(store: Store) -> None:
    run_id = _record(store, "t1", params=PARAMS, tags=TAGS)
    _record(store, "t2", params={"lr": 0.5})
    trial = store.get_trial("exp", "t1")
    _check_params(trial.params)
    assert trial.tags == TAGS
    _check_params(store.get_run(run_id).params)
    assert store.get_run(run_id).tags == TAGS
    page = store.search_trials(experiment="exp", order_by="name")
    assert [t.name for t in page] == ["t1", "t2"]
    _check_params(page[0].params)
    assert page[1].params == {"lr": 0.5} and page[1].tags == {}


def test_metric_summaries_are_ordinary_frozen_summaries(store: Store) -> None:
    now = int(time.time() * 1000)
    points = [
        ("loss", 0.5, 0, now),
        ("loss", 0.25, 1, now + 1),
        ("acc", math.nan, 0, now),
        ("big", math.inf, 0, now),
    ]
    run_id = _record(store, "t1", metrics=points)
    for metrics in (store.get_trial("exp", "t1").metrics, store.get_run(run_id).metrics):
        assert list(metrics) == ["acc", "big", "loss"]
        loss = metrics["loss"]
        assert type(loss) is MetricSummary
        assert (loss.key, loss.last, loss.min, loss.max, loss.avg, loss.count, loss.last_step) == (
            "loss",
            0.25,
            0.25,
            0.5,
            0.375,
            2,
            1,
        )
        assert loss.last_timestamp.timestamp() * 1000 == now + 1 and loss.last_timestamp.tzinfo is not None
        assert loss == MetricSummary("loss", 0.25, 0.25, 0.5, 0.375, 2, 1, loss.last_timestamp, 0)
        assert hash(loss) == hash(dataclasses.replace(loss))
        assert dataclasses.asdict(loss)["avg"] == 0.375 and pickle.loads(pickle.dumps(loss)) == loss
        with pytest.raises(dataclasses.FrozenInstanceError):
            loss.last = 1.0  # type: ignore[misc]
        acc, big = metrics["acc"], metrics["big"]
        assert math.isnan(acc.last) and acc.min is None and acc.avg is None and acc.nonfinite_count == 1
        assert acc.has_nonfinite and big.last == math.inf and big.nonfinite_count == 1


def test_trials_are_ordinary_frozen_trials_with_their_runs(store: Store) -> None:
    first = _record(store, "t1", params={"a": 1})
    second = _record(store, "t1", params={"b": 2})
    _record(store, "t2")
    trial = store.get_trial("exp", "t1")
    assert type(trial) is Trial
    assert trial.run_ids == tuple(sorted((first, second)))
    assert all(type(run_id) is uuid.UUID for run_id in trial.run_ids)
    assert trial.params == {"a": 1, "b": 2} and trial.metrics == {} and trial.tags == {}
    assert trial == dataclasses.replace(trial) == pickle.loads(pickle.dumps(trial))
    with pytest.raises(dataclasses.FrozenInstanceError):
        trial.name = "other"  # type: ignore[misc]
    assert type(store.get_run(first)) is Run
    bare = store.get_trial("exp", "t2")
    assert bare.params == {} and bare.metrics == {} and bare.tags == {} and len(bare.run_ids) == 1
