"""The catalogue read from the graph: namespaces, datasets and versions, jobs and runs, events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ol_events import T0_MS, T1, T2, T3, E, P, chain, dataset, run_id, run_pair

from mltrail.core.errors import NotFoundError, ValidationError
from mltrail.store import Store

MINUTE = 60_000


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as store:
        store.ingest_batch(chain())
        yield store


def test_namespaces_are_every_job_and_dataset_namespace_by_name(store: Store) -> None:
    names = [n.name for n in store.catalog.namespaces()]

    assert names == [
        "mltrail://endpoints",
        "mltrail://registry",
        "s3://models",
        "s3://raw",
        "s3://reports",
        "s3://work",
        "tests",
    ]
    tests = store.catalog.namespace("tests")
    assert tests.updated_at.timestamp() * 1000 == T0_MS + 10 * MINUTE  # the deployment's COMPLETE
    assert [n.name for n in store.catalog.namespaces(limit=2, offset=1)] == names[1:3]
    with pytest.raises(NotFoundError):
        store.catalog.namespace("nowhere")


def test_a_dataset_knows_when_it_was_written_and_its_versions(store: Store) -> None:
    retrain = run_id(8)
    store.ingest_batch(run_pair(retrain, "ml.train", 11, 12, outputs=[dataset("s3://models", "m1.pkl")]))

    page = store.catalog.datasets("s3://models")
    assert (page.total, [d.name for d in page.items]) == (3, ["m1.pkl", "m2.pkl", "m3.pkl"])
    m1 = store.catalog.dataset("s3://models", "m1.pkl")
    assert m1.current_version == str(retrain)
    assert m1.last_modified_at is not None
    assert m1.last_modified_at.timestamp() * 1000 == T0_MS + 12 * MINUTE
    versions = store.catalog.dataset_versions("s3://models", "m1.pkl")
    assert versions.total == 2
    assert [(v.version, v.run.id if v.run else None) for v in versions.items] == [
        (str(retrain), retrain),
        (str(T1), T1),
    ]
    with pytest.raises(NotFoundError):
        store.catalog.dataset("s3://models", "m4.pkl")


def test_jobs_carry_their_latest_runs_with_the_versions_they_read(store: Store) -> None:
    train = store.catalog.job("tests", "ml.train")

    assert [run.id for run in train.latest_runs] == [T3, T2, T1]  # same times: newest id first
    evaluate = store.catalog.job("tests", "ml.evaluate").latest_run
    assert evaluate is not None and evaluate.id == E and evaluate.state == "COMPLETED"
    assert [(i.name, i.version) for i in evaluate.inputs] == [
        ("m1.pkl", str(T1)),
        ("m2.pkl", str(T2)),
        ("m3.pkl", str(T3)),
    ]
    assert [(o.name, o.version) for o in evaluate.outputs] == [("eval.json", str(E))]
    process = store.catalog.run(P)
    assert [(i.name, i.version) for i in process.inputs] == [("events.csv", None)]  # never written
    with pytest.raises(NotFoundError):
        store.catalog.run(run_id(99))


def test_jobs_list_across_namespaces_and_by_the_state_of_their_latest_run(store: Store) -> None:
    assert store.catalog.jobs().total == 5
    store.ingest(run_pair(run_id(9), "ml.deploy", 20, 21)[0])  # a new deployment starts

    running = store.catalog.jobs(states=["running"])
    assert [j.name for j in running.items] == ["ml.deploy"]
    assert store.catalog.jobs(states=["FAILED"]).total == 0
    completed = store.catalog.jobs("tests", states=["COMPLETED"], limit=2)
    assert (completed.total, [j.name for j in completed.items]) == (4, ["ml.evaluate", "ml.process"])
    with pytest.raises(ValidationError, match="run state"):
        store.catalog.jobs(states=["DONE"])
    runs = store.catalog.job_runs("tests", "ml.train", limit=1, offset=1)
    assert (runs.total, [r.id for r in runs.items]) == (3, [T2])


def test_events_are_paged_by_time_window(store: Store) -> None:
    newest = store.catalog.events(limit=2)
    assert newest.total == 14
    assert [e["eventType"] for e in newest.items] == ["COMPLETE", "START"]
    window = store.catalog.events(after=T0_MS + 3 * MINUTE, before=T0_MS + 4 * MINUTE, descending=False)
    assert window.total == 6
    assert [e["eventType"] for e in window.items] == ["START"] * 3 + ["COMPLETE"] * 3
    with pytest.raises(ValidationError, match="limit"):
        store.catalog.events(limit=0)
