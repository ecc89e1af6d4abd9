"""``Store.experiment_keys``: the param, metric and tag keys an experiment's trials hold."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from live_server import live_server

from mltrail import NotFoundError
from mltrail.store import Store
from mltrail.tracking.backends import create_backend


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as s:
        yield s


def test_keys_are_distinct_sorted_and_of_one_experiment(store: Store) -> None:
    ts = int(time.time() * 1000)
    for experiment, trial, params, metric in (
        ("exp", "t1", {"lr": 0.1, "depth": 3}, "val_auc"),
        ("exp", "t2", {"lr": 0.01, "batch size": 32}, "loss"),
        ("other", "t1", {"elsewhere": 1}, "other_metric"),
    ):
        run_id = uuid.uuid4()
        store.start_run(run_id=run_id, experiment=experiment, trial=trial, name=trial, kind="training")
        store.log_batch(
            run_id, params=params, tags={"team": "risk"}, metrics=[(metric, 0.5, 0, ts), (metric, 0.6, 1, ts)]
        )

    assert store.experiment_keys("exp") == {
        "params": ["batch size", "depth", "lr"],
        "metrics": ["loss", "val_auc"],
        "tags": ["team"],
    }


def test_an_experiment_without_trials_has_no_keys_and_an_unknown_one_is_not_found(store: Store) -> None:
    store.create_experiment("empty")
    assert store.experiment_keys("empty") == {"params": [], "metrics": [], "tags": []}
    with pytest.raises(NotFoundError):
        store.experiment_keys("nope")


def test_the_server_and_the_http_backend_answer_the_same_keys(db_url: str, store: Store) -> None:
    run_id = uuid.uuid4()
    store.start_run(run_id=run_id, experiment="exp", trial="t1", name="t1", kind="training")
    store.log_batch(run_id, params={"lr": 0.1}, metrics=[("loss", 0.5, 0, int(time.time() * 1000))])
    with live_server(db_url) as url:
        backend = create_backend(url)
        try:
            assert backend.experiment_keys("exp") == store.experiment_keys("exp")
            with pytest.raises(NotFoundError):
                backend.experiment_keys("nope")
        finally:
            backend.close()
