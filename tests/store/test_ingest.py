"""Store.ingest: OpenLineage events stored once, in any order, folded by the run cycle; bad ones refused."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from ol_events import PRODUCER, T0_MS, at, dataset, facet, run_event, run_id
from sqlalchemy import func, select

from mltrail.core.errors import EventValidationError
from mltrail.store import Store
from mltrail.store import tables as t


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as store:
        yield store


def lineage_run(store: Store, run: Any) -> dict[str, Any]:
    with store._engine.connect() as connection:
        row = connection.execute(select(t.lineage_run).where(t.lineage_run.c.id == run)).mappings().one()
        return dict(row)


def io_rows(store: Store, run: Any) -> set[tuple[str, str, str]]:
    io, d = t.run_io.c, t.dataset.c
    with store._engine.connect() as connection:
        rows = connection.execute(
            select(d.namespace, d.name, io.direction)
            .join(t.dataset, d.id == io.dataset_id)
            .where(io.run_id == run)
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


def count(store: Store, table: Any) -> int:
    with store._engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def cycle() -> list[dict[str, Any]]:
    run = run_id(1)
    return [
        run_event(
            "START", run, "etl.load", 0, inputs=[dataset("s3://raw", "a.csv")], facets={"x_note": facet(v=1)}
        ),
        run_event("RUNNING", run, "etl.load", 1, facets={"x_note": facet(v=2), "x_other": facet(k="o")}),
        run_event("COMPLETE", run, "etl.load", 2, outputs=[dataset("s3://work", "b.parquet")]),
    ]


def test_an_event_sent_twice_is_stored_once(store: Store) -> None:
    event = cycle()[0]

    assert store.ingest(event) is True
    assert store.ingest(copy.deepcopy(event)) is False

    assert count(store, t.ol_event) == 1
    assert lineage_run(store, run_id(1))["state"] == "RUNNING"


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0], [2, 0, 1]], ids=str)
def test_any_arrival_order_gives_the_same_run(store: Store, order: list[int]) -> None:
    events = cycle()

    for index in order:
        store.ingest(events[index])

    run = lineage_run(store, run_id(1))
    assert run["state"] == "COMPLETED"
    assert (run["start_time"], run["end_time"]) == (T0_MS, T0_MS + 120_000)
    assert (run["created_at"], run["updated_at"]) == (T0_MS, T0_MS + 120_000)
    assert run["facets"]["x_note"]["v"] == 2  # same key replaces, in event-time order
    assert run["facets"]["x_other"]["k"] == "o"
    assert io_rows(store, run_id(1)) == {("s3://raw", "a.csv", "input"), ("s3://work", "b.parquet", "output")}


def test_complete_without_start(store: Store) -> None:
    store.ingest(cycle()[2])

    run = lineage_run(store, run_id(1))
    assert run["state"] == "COMPLETED"
    assert run["start_time"] is None and run["end_time"] == T0_MS + 120_000


def test_a_terminal_state_is_not_undone_by_a_late_running_event(store: Store) -> None:
    run = run_id(2)
    store.ingest(run_event("FAIL", run, "etl.load", 5))
    store.ingest(run_event("RUNNING", run, "etl.load", 6))

    assert lineage_run(store, run)["state"] == "FAILED"


def test_unknown_custom_facets_are_kept_as_sent(store: Store) -> None:
    opaque = facet(anything={"nested": [1, 2, {"deep": True}]})
    store.ingest(run_event("START", run_id(3), "j", 0, facets={"acme_whatever": opaque}))

    assert lineage_run(store, run_id(3))["facets"]["acme_whatever"] == opaque


def test_parent_and_nominal_time_are_read_from_facets(store: Store) -> None:
    parent = {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet",
        "run": {"runId": str(run_id(9))},
        "job": {"namespace": "airflow", "name": "dag"},
        "root": {"run": {"runId": str(run_id(8))}, "job": {"namespace": "airflow", "name": "root"}},
    }
    nominal = {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
        "nominalStartTime": at(0),
    }
    store.ingest(
        run_event("START", run_id(4), "dag.task", 1, facets={"parent": parent, "nominalTime": nominal})
    )

    run = lineage_run(store, run_id(4))
    assert (run["parent_run_id"], run["root_run_id"]) == (run_id(9), run_id(8))
    assert run["nominal_start_time"] == T0_MS


def bad_events() -> Iterator[Any]:
    good = cycle()[0]
    missing_run_id = copy.deepcopy(good)
    del missing_run_id["run"]["runId"]
    yield pytest.param(missing_run_id, "$.run", id="missing runId")
    not_uuid = copy.deepcopy(good)
    not_uuid["run"]["runId"] = "not-a-uuid"
    yield pytest.param(not_uuid, "$.run.runId", id="runId not a uuid")
    bad_time = copy.deepcopy(good)
    bad_time["eventTime"] = "2021-11-03"
    yield pytest.param(bad_time, "$.eventTime", id="bad eventTime")
    wrong_type = copy.deepcopy(good)
    wrong_type["inputs"] = {"namespace": "s3://raw"}
    yield pytest.param(wrong_type, "$.inputs", id="inputs not a list")
    huge = copy.deepcopy(good)
    huge["run"]["facets"]["x_big"] = facet(blob="x" * (10 * 1024 * 1024))
    yield pytest.param(huge, "$", id="10 MB payload")
    yield pytest.param(["not", "an", "object"], "$", id="not an object")


@pytest.mark.parametrize(("event", "path"), list(bad_events()))
def test_bad_events_are_refused_whole_with_the_path_named(store: Store, event: Any, path: str) -> None:
    with pytest.raises(EventValidationError) as caught:
        store.ingest(event)

    assert any(found == path or found.startswith(path) for found, _ in caught.value.errors), (
        caught.value.errors
    )
    assert count(store, t.ol_event) == 0
    assert count(store, t.lineage_run) == 0
    assert count(store, t.job) == 0


def test_a_batch_stores_the_good_events_and_reports_the_bad(store: Store) -> None:
    events: list[Any] = cycle()
    bad = copy.deepcopy(events[0])
    bad["eventTime"] = "yesterday"
    batch = [events[0], bad, events[1], events[0], events[2]]

    result = store.ingest_batch(batch)

    assert (result.received, result.stored, result.duplicates) == (5, 3, 1)
    assert [failure.index for failure in result.failed] == [1]
    assert any(path == "$.eventTime" for path, _ in result.failed[0].errors)
    assert lineage_run(store, run_id(1))["state"] == "COMPLETED"


def test_dataset_and_job_events_create_their_nodes(store: Store) -> None:
    schema = {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
        "fields": [{"name": "id", "type": "int"}],
    }
    store.ingest(
        {
            "eventTime": at(0),
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            "dataset": {"namespace": "s3://raw", "name": "users.csv", "facets": {"schema": schema}},
        }
    )
    store.ingest(
        {
            "eventTime": at(1),
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
            "job": {"namespace": "tests", "name": "static.job"},
        }
    )

    with store._engine.connect() as connection:
        d = t.dataset.c
        facets = connection.execute(select(d.facets).where(d.name == "users.csv")).scalar_one()
        jobs = connection.execute(select(t.job.c.name)).scalars().all()
    assert facets["schema"]["fields"] == [{"name": "id", "type": "int"}]
    assert jobs == ["static.job"]


def test_a_run_known_only_from_events_with_mltrail_facets_shows_up_in_search(store: Store) -> None:
    from datetime import UTC, datetime

    from mltrail.core.entities import MetricSummary, RunKind
    from mltrail.openlineage import RunSnapshot, run_event, to_dict

    when = datetime(2026, 11, 2, tzinfo=UTC)
    snapshot = RunSnapshot(
        run_id=run_id(50),
        job_namespace="kfp",
        job_name="churn.train",
        experiment="churn",
        name="train-a",
        kind=RunKind.TRAINING,
        event_time=when,
        trials=("trial-a", "trial-b"),
        params={"learning_rate": 0.01, "layers": 3, "use_bn": True},
        metrics={"val_auc": MetricSummary("val_auc", 0.93, 0.5, 0.93, 0.8, 4, 3, when)},
        tags={"team": "risk"},
    )
    store.ingest(to_dict(run_event("START", snapshot)))
    store.ingest(to_dict(run_event("COMPLETE", snapshot)))

    page = store.search_trials(
        experiment="churn", filter="params.learning_rate < 0.1 AND metrics.val_auc > 0.9"
    )
    assert sorted(trial.name for trial in page) == ["trial-a", "trial-b"]
    run = store.get_run(run_id(50))
    assert (run.name, run.kind, run.status.value) == ("train-a", RunKind.TRAINING, "Completed")
    assert run.params == {"learning_rate": 0.01, "layers": 3, "use_bn": True}
    assert type(run.params["layers"]) is int
    assert run.metrics["val_auc"].last == 0.93 and run.metrics["val_auc"].count == 4
    assert run.tags["team"] == "risk"


def test_events_of_one_run_stored_at_once_by_two_writers_fold_together(db_url: str) -> None:
    runs = [run_id(1000 + n) for n in range(40)]
    starts = [run_event("START", r, "race", 1, inputs=[dataset("s3://in", "x")]) for r in runs]
    completes = [run_event("COMPLETE", r, "race", 2, outputs=[dataset("s3://out", f"{r}")]) for r in runs]
    errors: list[BaseException] = []
    together = threading.Barrier(2)

    def write(events: list[dict[str, Any]]) -> None:
        with Store(db_url) as store:
            store.ping()  # connected before the first barrier
            for event in events:
                together.wait()  # each run's START and COMPLETE arrive at the same moment
                try:
                    store.ingest(event)
                except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                    errors.append(exc)

    threads = [threading.Thread(target=write, args=(events,)) for events in (starts, completes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with Store(db_url) as store:
        folded = {run.id: run for run in store.catalog.job_runs("tests", "race", limit=100).items}
    assert len(folded) == len(runs)
    assert all(r.state == "COMPLETED" and [i.name for i in r.inputs] == ["x"] for r in folded.values())
