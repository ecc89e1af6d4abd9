"""Lineage over a hand-checked chain: raw data → processing → 3 trials → evaluation → model → endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ol_events import (
    ENDPOINT,
    FEATURES,
    MODEL_VERSION,
    RAW,
    T1,
    T2,
    T3,
    D,
    E,
    P,
    R,
    chain,
    dataset,
    run_id,
    run_pair,
)

from mltrail.core.errors import NotFoundError, ValidationError
from mltrail.store import Store


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as store:
        store.ingest_batch(list(reversed(chain())))  # order must not matter
        yield store


def ids_by_depth(page: Any) -> list[tuple[int, str]]:
    return [(node.depth, node.id) for node in page.nodes]


UP_FROM_ENDPOINT = [
    (0, ENDPOINT),
    (1, f"run:{D}"),
    (2, f"{MODEL_VERSION}#{R}"),
    (3, f"run:{R}"),
    (4, f"dataset:s3://models:m2.pkl#{T2}"),
    (4, f"dataset:s3://reports:eval.json#{E}"),
    (5, f"run:{T2}"),
    (5, f"run:{E}"),
    (6, f"dataset:s3://models:m1.pkl#{T1}"),
    (6, f"dataset:s3://models:m3.pkl#{T3}"),
    (6, f"{FEATURES}#{P}"),
    (7, f"run:{P}"),
    (7, f"run:{T1}"),
    (7, f"run:{T3}"),
    (8, RAW),
]


def test_ascendants_from_the_endpoint_reach_the_raw_data(store: Store) -> None:
    page = store.lineage(ENDPOINT, direction="ascendants", depth=10)

    assert ids_by_depth(page) == UP_FROM_ENDPOINT
    assert page.next_page_token is None


@pytest.mark.parametrize("depth", [0, 1, 3, 5, 7])
def test_depth_bounds_the_walk(store: Store, depth: int) -> None:
    page = store.lineage(ENDPOINT, direction="ascendants", depth=depth)

    assert ids_by_depth(page) == [node for node in UP_FROM_ENDPOINT if node[0] <= depth]


def test_descendants_of_the_raw_data_reach_the_endpoint(store: Store) -> None:
    page = store.lineage(RAW, direction="descendants", depth=10)

    assert ids_by_depth(page) == [
        (0, RAW),
        (1, f"run:{P}"),
        (2, f"{FEATURES}#{P}"),
        (3, f"run:{T1}"),
        (3, f"run:{T2}"),
        (3, f"run:{T3}"),
        (4, f"dataset:s3://models:m1.pkl#{T1}"),
        (4, f"dataset:s3://models:m2.pkl#{T2}"),
        (4, f"dataset:s3://models:m3.pkl#{T3}"),
        (5, f"run:{E}"),
        (5, f"run:{R}"),
        (6, f"{MODEL_VERSION}#{R}"),
        (6, f"dataset:s3://reports:eval.json#{E}"),
        (7, f"run:{D}"),
        (8, f"{ENDPOINT}#{D}"),
    ]


def test_edges_connect_each_node_to_the_level_before(store: Store) -> None:
    page = store.lineage(f"run:{R}", direction="ascendants", depth=1)

    assert {(e.origin, e.destination, e.type) for e in page.edges} == {
        (f"dataset:s3://models:m2.pkl#{T2}", f"run:{R}", "INPUT"),
        (f"dataset:s3://reports:eval.json#{E}", f"run:{R}", "INPUT"),
    }


def test_pages_resume_exactly(store: Store) -> None:
    seen: list[tuple[int, str]] = []
    token = None
    pages = 0
    while True:
        page = store.lineage(ENDPOINT, direction="ascendants", page_size=4, page_token=token)
        seen += ids_by_depth(page)
        pages += 1
        token = page.next_page_token
        if token is None:
            break

    assert pages == 4
    assert seen == UP_FROM_ENDPOINT


def test_a_page_token_belongs_to_its_query(store: Store) -> None:
    token = store.lineage(ENDPOINT, direction="ascendants", page_size=2).next_page_token
    assert token is not None

    with pytest.raises(ValidationError, match="different lineage query"):
        store.lineage(RAW, direction="ascendants", page_size=2, page_token=token)


def test_node_types_filter_what_is_shown_not_where_the_walk_goes(store: Store) -> None:
    page = store.lineage(ENDPOINT, direction="ascendants", node_types=["dataset"])

    assert [node.id for node in page.nodes][-1] == RAW
    assert all(node.type == "dataset" for node in page.nodes)


def test_job_granularity_collapses_runs_into_jobs(store: Store) -> None:
    page = store.lineage(ENDPOINT, direction="ascendants", granularity="job")

    assert ids_by_depth(page) == [
        (0, ENDPOINT),
        (1, "job:tests:ml.deploy"),
        (2, MODEL_VERSION),
        (3, "job:tests:ml.register"),
        (4, "dataset:s3://models:m2.pkl"),
        (4, "dataset:s3://reports:eval.json"),
        (5, "job:tests:ml.evaluate"),
        (5, "job:tests:ml.train"),
        (6, "dataset:s3://models:m1.pkl"),
        (6, "dataset:s3://models:m3.pkl"),
        (6, FEATURES),
        (7, "job:tests:ml.process"),
        (8, RAW),
    ]


def test_connected_also_follows_siblings_as_marquez_graphs_do(store: Store) -> None:
    start = "dataset:s3://models:m1.pkl"
    both = store.lineage(start, direction="both", granularity="job", depth=2)
    connected = store.lineage(start, direction="connected", granularity="job", depth=2)

    siblings = {"dataset:s3://models:m2.pkl", "dataset:s3://models:m3.pkl"}
    assert not siblings & {node.id for node in both.nodes}
    assert ids_by_depth(connected) == [
        (0, start),
        (1, "job:tests:ml.evaluate"),
        (1, "job:tests:ml.train"),
        (2, "dataset:s3://models:m2.pkl"),
        (2, "dataset:s3://models:m3.pkl"),
        (2, "dataset:s3://reports:eval.json"),
        (2, FEATURES),
    ]


def test_old_runs_keep_the_inputs_they_read(store: Store) -> None:
    """Marquez keeps only the latest job version's edges; run level keeps each run's own."""
    store.ingest_batch(
        run_pair(run_id(20), "ml.train", 30, 31, inputs=[dataset("s3://work", "features_v2.parquet")])
    )

    page = store.lineage(f"run:{T2}", direction="ascendants", depth=1)

    assert [node.id for node in page.nodes] == [f"run:{T2}", f"{FEATURES}#{P}"]


def test_a_dataset_rewritten_later_shows_the_version_each_reader_read(store: Store) -> None:
    features = dataset("s3://work", "features.parquet")
    store.ingest_batch(
        [
            *run_pair(run_id(30), "ml.process", 40, 41, outputs=[features]),
            *run_pair(run_id(31), "ml.train", 42, 43, inputs=[features]),
        ]
    )

    old = store.lineage(f"{FEATURES}#{P}", direction="descendants", depth=1)
    new = store.lineage(f"run:{run_id(31)}", direction="ascendants", depth=2)

    assert [node.id for node in old.nodes] == [f"{FEATURES}#{P}", f"run:{T1}", f"run:{T2}", f"run:{T3}"]
    assert [node.id for node in new.nodes] == [
        f"run:{run_id(31)}",
        f"{FEATURES}#{run_id(30)}",
        f"run:{run_id(30)}",
    ]


def test_cycles_end(store: Store) -> None:
    loop = dataset("s3://loop", "state.json")
    store.ingest_batch(
        [
            *run_pair(run_id(40), "loop.a", 50, 51, inputs=[loop], outputs=[loop]),
            *run_pair(run_id(41), "loop.a", 52, 53, inputs=[loop], outputs=[loop]),
        ]
    )

    page = store.lineage("dataset:s3://loop:state.json", direction="both", depth=50, granularity="job")

    assert [node.id for node in page.nodes] == ["dataset:s3://loop:state.json", "job:tests:loop.a"]


def test_a_plain_uri_names_a_dataset(store: Store) -> None:
    page = store.lineage("s3://raw/events.csv", direction="descendants", depth=1)

    assert [node.id for node in page.nodes] == [RAW, f"run:{P}"]


@pytest.mark.parametrize(
    ("start", "error"),
    [
        ("dataset:s3://nowhere:x", NotFoundError),
        (f"run:{run_id(99)}", NotFoundError),
        ("run:not-a-uuid", ValidationError),
        ("table:x:y", ValidationError),
        ("dataset:onlyone", ValidationError),
    ],
)
def test_bad_start_nodes(store: Store, start: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        store.lineage(start)


@pytest.mark.parametrize(
    "kwargs", [{"direction": "sideways"}, {"depth": -1}, {"page_size": 0}, {"granularity": "task"}]
)
def test_bad_arguments_name_the_field(store: Store, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        store.lineage(RAW, **kwargs)

    assert caught.value.field == next(iter(kwargs))


def test_runs_tracked_through_the_sdk_are_in_the_graph(db_url: str) -> None:
    from mltrail.core.entities import DatasetRef

    with Store(db_url) as store:
        features = DatasetRef("s3://work", "features.parquet", "s3://work/features.parquet")
        model = DatasetRef("s3://models", "m.pkl", "s3://models/m.pkl")
        store.start_run(
            run_id=run_id(60),
            experiment="churn",
            trial="t1",
            name="train",
            kind="training",
            inputs=[features],
        )
        store.log_datasets(run_id(60), [model], direction="output")
        store.end_run(run_id(60), status="Completed")

        page = store.lineage("dataset:s3://models:m.pkl", direction="ascendants", depth=2)
        job = store.lineage(f"run:{run_id(60)}", direction="ascendants", depth=0, granularity="job")

    assert [node.id for node in page.nodes] == [
        "dataset:s3://models:m.pkl",
        f"run:{run_id(60)}",
        "dataset:s3://work:features.parquet",
    ]
    assert page.nodes[1].data["state"] == "COMPLETED"
    assert [node.id for node in job.nodes] == ["job:mltrail:churn.train"]


def test_a_trial_leads_to_its_runs(db_url: str) -> None:
    with Store(db_url) as store:
        store.start_run(run_id=run_id(61), experiment="churn", trial="t1", name="a", status="Completed")
        store.start_run(run_id=run_id(62), experiment="churn", trial="t1", name="b", status="Completed")

        page = store.lineage("trial:churn:t1", direction="descendants", depth=1)
        experiment = store.lineage("experiment:churn", direction="descendants", depth=2)

    assert [node.id for node in page.nodes] == ["trial:churn:t1", f"run:{run_id(61)}", f"run:{run_id(62)}"]
    assert [node.id for node in experiment.nodes] == [
        "experiment:churn",
        "trial:churn:t1",
        f"run:{run_id(61)}",
        f"run:{run_id(62)}",
    ]
