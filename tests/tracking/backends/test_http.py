"""The http(s):// backend: the same answers and the same errors as the database behind the server."""

from __future__ import annotations

import math
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from live_server import live_server
from ol_events import run_event, run_id

from mltrail.config import resolve_settings
from mltrail.core.entities import DatasetRef, Run, RunRecord
from mltrail.core.errors import (
    ConfigError,
    ConflictError,
    EventValidationError,
    NotFoundError,
    QuerySyntaxError,
    StoreError,
    ValidationError,
)
from mltrail.store import Store
from mltrail.tracking.backends import create_backend
from mltrail.tracking.backends.http import HttpBackend

T0 = 1_700_000_000_000


@dataclass(frozen=True)
class Pair:
    """The server's client and the store of the database it serves."""

    http: HttpBackend
    store: Store


@pytest.fixture
def pair(db_url: str) -> Iterator[Pair]:
    with live_server(db_url) as url, Store(db_url) as store:
        backend = create_backend(url)
        assert isinstance(backend, HttpBackend)
        yield Pair(backend, store)
        backend.close()


def _without_nan(run: Run) -> Run:
    """A run whose NaN metric summaries read as None, so two reads of it compare equal."""
    metrics = {
        key: replace(summary, last=None if math.isnan(summary.last) else summary.last)  # type: ignore[arg-type]
        for key, summary in run.metrics.items()
    }
    return replace(run, metrics=metrics)


def test_a_run_written_over_http_reads_back_as_the_store_holds_it(pair: Pair) -> None:
    identifier = uuid.uuid4()
    pair.http.start_run(
        run_id=identifier,
        experiment="fraud",
        trial="lr-0.1",
        name="train",
        kind="training",
        start_time=T0,
        params={"learning_rate": 0.1, "layers": 3, "early_stop": True, "optimizer": "adam", "grid": [1, 2]},
        tags={"team": "risk"},
        metrics=[("loss", 0.9, 0, T0), ("loss", float("nan"), 1, T0 + 1)],
        inputs=[DatasetRef("s3://data", "train.csv", "s3://data/train.csv", role="train")],
    )
    pair.http.log_batch(identifier, metrics=[("loss", 0.2, 2, T0 + 2), ("auc", float("inf"), 2, T0 + 2)])
    pair.http.link_trial(identifier, experiment="fraud", trial="best")
    pair.http.end_run(
        identifier,
        status="Completed",
        end_time=T0 + 60_000,
        outputs=[DatasetRef("s3://models", "fraud.pkl", "s3://models/fraud.pkl", role="model")],
    )

    over_http = pair.http.get_run(identifier)
    assert _without_nan(over_http) == _without_nan(pair.store.get_run(identifier))
    assert over_http.params["grid"] == [1, 2] and over_http.params["early_stop"] is True
    assert over_http.metrics["auc"].last == math.inf
    assert over_http.trials == ("best", "lr-0.1")
    history = pair.http.get_metric_history(identifier, "loss")
    assert history.steps == [0, 1, 2] and math.isnan(history.values[1])
    assert pair.http.get_trial("fraud", "best") == pair.store.get_trial("fraud", "best")


def test_bulk_records_and_searches_page_like_the_store(pair: Pair) -> None:
    records = [
        RunRecord(
            run_id=uuid.uuid4(),
            experiment="hpo",
            trial=f"t{i}",
            name="train",
            start_time=T0 + i,
            params={"lr": 10.0**-i},
            metrics=[("auc", 0.5 + i / 10, 1, T0 + i)],
            status="Completed",
            end_time=T0 + i + 10,
        )
        for i in range(5)
    ]
    pair.http.record_runs(records)

    query = {"experiment": "hpo", "filter": "params.lr < 0.5 OR metrics.auc.max >= 0.9", "max_results": 2}
    first = pair.http.search_trials(**query, order_by="metrics.auc DESC")
    expected = pair.store.search_trials(**query, order_by="metrics.auc DESC")
    assert list(first) == list(expected)
    assert first.next_page_token == expected.next_page_token
    second = pair.http.search_runs(**query, order_by=["params.lr"], page_token=None)
    assert [r.id for r in second] == [r.id for r in pair.store.search_runs(**query, order_by=["params.lr"])]
    assert [e.name for e in pair.http.list_experiments(names=["hpo", "missing"])] == ["hpo"]
    assert pair.http.list_experiments(names=[]) == []


def test_errors_arrive_as_the_same_exceptions(pair: Pair) -> None:
    with pytest.raises(NotFoundError) as missing:
        pair.http.get_run(uuid.UUID(int=7))
    assert missing.value.kind == "run" and missing.value.id == str(uuid.UUID(int=7))
    with pytest.raises(NotFoundError, match="experiment 'nope' not found"):
        pair.http.get_experiment("nope")

    with pytest.raises(QuerySyntaxError) as bad_query:
        pair.http.search_trials(filter="params.lr <")
    with pytest.raises(QuerySyntaxError) as same_query:
        pair.store.search_trials(filter="params.lr <")
    assert (bad_query.value.position, bad_query.value.reason) == (
        same_query.value.position,
        same_query.value.reason,
    )
    assert str(bad_query.value) == str(same_query.value)

    too_long = {"k" * 300: 1}
    with pytest.raises(ValidationError, match="250") as bad_param:
        pair.http.start_run(run_id=uuid.uuid4(), experiment="e", trial="t", name="n", params=too_long)
    with pytest.raises(ValidationError) as same_param:
        pair.store.start_run(run_id=uuid.uuid4(), experiment="e", trial="t", name="n", params=too_long)
    assert (bad_param.value.field, bad_param.value.value) == (same_param.value.field, same_param.value.value)
    with pytest.raises(ValidationError, match="not a UUID"):
        pair.http.get_run("not-a-uuid")  # type: ignore[arg-type]

    identifier = uuid.uuid4()
    pair.http.start_run(run_id=identifier, experiment="e", trial="t", name="n")
    with pytest.raises(ConflictError):
        pair.http.start_run(run_id=identifier, experiment="e", trial="t", name="n")

    with pytest.raises(EventValidationError) as bad_event:
        pair.http.ingest({"eventType": "START", "run": {"runId": "42"}})
    assert any(path.startswith("$.") for path, _ in bad_event.value.errors)


def test_events_and_manual_lineage_over_http(pair: Pair) -> None:
    event = run_event("COMPLETE", run_id(1), "etl", 1)
    assert pair.http.ingest(event) is True
    assert pair.http.ingest(event) is False
    result = pair.http.ingest_batch([event, {"eventType": "START"}, run_event("START", run_id(2), "etl", 2)])
    assert (result.received, result.stored, result.duplicates) == (3, 1, 1)
    assert [failure.index for failure in result.failed] == [1]

    artifact = pair.http.create_artifact("features", "DataSet", "s3://work/features.parquet", {"rows": 10})
    context = pair.http.create_context("fraud-prod", "Endpoint", description="serving")
    pair.http.create_association(artifact.node_id, context.node_id, "ContributedTo")
    assert pair.http.list_artifacts(source_uri="s3://work/features.parquet") == [artifact]
    assert pair.http.list_associations(source=artifact.node_id) == pair.store.list_associations(
        source=artifact.node_id
    )
    walk = {"direction": "descendants", "depth": 3, "node_types": ["dataset", "context"]}
    assert pair.http.lineage(artifact.node_id, **walk) == pair.store.lineage(artifact.node_id, **walk)


def test_tokens_travel_as_bearer_and_never_show(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with live_server(db_url) as url, Store(db_url) as store:
        _, writer = store.tokens.create("sdk", "writer")
        _, reader = store.tokens.create("dashboard", "reader")
        anonymous = HttpBackend(url, token="")
        deadline = time.monotonic() + 10
        while True:  # the server rechecks whether tokens exist every 2 s
            try:
                anonymous.start_run(run_id=uuid.uuid4(), experiment="e", trial="t", name="n")
            except ConfigError as refused:
                assert "authentication required" in str(refused)
                break
            assert time.monotonic() < deadline, "the server never asked for a token"
            time.sleep(0.1)
        with pytest.raises(ConfigError, match="needs writer"):
            HttpBackend(url, token=reader).start_run(run_id=uuid.uuid4(), experiment="e", trial="t", name="n")

        monkeypatch.setenv("MLTRAIL_TRACKING_TOKEN", writer)
        backend = create_backend(url)
        backend.start_run(run_id=uuid.uuid4(), experiment="e", trial="t", name="n")
        assert writer not in repr(backend) and writer not in repr(resolve_settings())
        assert [e.name for e in HttpBackend(url, token=reader).list_experiments()] == ["e"]


def test_an_unreachable_server_is_a_store_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StoreError, match="did not answer"):
        HttpBackend(f"http://127.0.0.1:{port}", token="")
