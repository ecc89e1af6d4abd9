"""Soft deletes: hidden from the catalogue until an event names the dataset, job or namespace again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ol_events import dataset, run_event, run_id

from mltrail.core.errors import NotFoundError
from mltrail.store import Store

PG = "postgres://db:5432"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        opened.ingest(
            run_event(
                "COMPLETE",
                run_id(1),
                "load",
                1,
                namespace="etl",
                inputs=[dataset(PG, "shop.orders")],
                outputs=[dataset(PG, "shop.facts")],
            )
        )
        yield opened


def dataset_names(store: Store) -> list[str]:
    return [d.name for d in store.catalog.datasets(PG).items]


def test_a_hidden_dataset_and_job_come_back_when_an_event_names_them(store: Store) -> None:
    store.curation.hide_dataset(PG, "shop.facts")
    store.curation.hide_job("etl", "load")
    assert dataset_names(store) == ["shop.orders"]
    with pytest.raises(NotFoundError):
        store.catalog.job("etl", "load")

    store.ingest(
        run_event("START", run_id(2), "report", 2, namespace="etl", inputs=[dataset(PG, "shop.facts")])
    )
    assert dataset_names(store) == ["shop.facts", "shop.orders"]
    with pytest.raises(NotFoundError):
        store.catalog.job("etl", "load")  # not named again
    store.ingest(run_event("START", run_id(3), "load", 3, namespace="etl"))
    assert store.catalog.job("etl", "load").name == "load"


def test_a_hidden_namespace_comes_back_with_a_new_dataset_in_it(store: Store) -> None:
    store.curation.hide_namespace(PG)
    assert PG not in [n.name for n in store.catalog.namespaces()]
    assert dataset_names(store) == []

    store.ingest(
        run_event("COMPLETE", run_id(4), "export", 4, namespace="etl", outputs=[dataset(PG, "shop.new")])
    )
    assert PG in [n.name for n in store.catalog.namespaces()]
    assert dataset_names(store) == ["shop.new"]  # the others stay hidden until named
