"""Artifacts, contexts and associations: lineage added by hand, walked like the rest of the graph."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ol_events import dataset, run_id, run_pair

from mltrail.core.errors import ConflictError, NotFoundError, ValidationError
from mltrail.core.lineage import AssociationType
from mltrail.store import Store


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as store:
        yield store


def test_artifacts_are_dataset_nodes_listed_by_uri_and_sorted(store: Store) -> None:
    first = store.create_artifact("labels", "DataSet", "s3://raw/labels.csv", {"rows": 10})
    second = store.create_artifact("images", "DataSet", "s3://raw/images/")
    store.create_artifact("model", "Model", "s3://models/m.pkl")

    assert first.node_id == "dataset:s3://raw:labels.csv"
    assert first.properties == {"rows": 10}
    assert [a.name for a in store.list_artifacts(source_uri="s3://raw/labels.csv")] == ["labels"]
    assert [
        a.name for a in store.list_artifacts(artifact_type="DataSet", sort_by="Name", sort_order="Ascending")
    ] == [
        "images",
        "labels",
    ]
    newest_first = [a.id for a in store.list_artifacts()]
    assert newest_first == sorted(newest_first, reverse=True), (
        "created in the same instant: the id breaks the tie"
    )
    assert second.id != first.id


def test_associations_join_the_walk(store: Store) -> None:
    store.ingest_batch(run_pair(run_id(1), "train", 1, 2, inputs=[dataset("s3://work", "features")]))
    store.create_artifact("labels", "DataSet", "s3://raw/labels.csv")
    endpoint = store.create_context("churn-prod", "Endpoint", description="live endpoint")
    store.create_association(
        "s3://raw/labels.csv", "dataset:s3://work:features", AssociationType.CONTRIBUTED_TO
    )
    store.create_association(f"run:{run_id(1)}", endpoint.node_id, "Produced")

    up = store.lineage("context:churn-prod", direction="ascendants", depth=3)
    down = store.lineage("dataset:s3://raw:labels.csv", direction="descendants", depth=3)

    assert [(n.depth, n.id) for n in up.nodes] == [
        (0, "context:churn-prod"),
        (1, f"run:{run_id(1)}"),
        (2, "dataset:s3://work:features"),
        (3, "dataset:s3://raw:labels.csv"),
    ]
    assert {(e.origin, e.destination, e.type) for e in up.edges} >= {
        (f"run:{run_id(1)}", "context:churn-prod", "Produced"),
        ("dataset:s3://raw:labels.csv", "dataset:s3://work:features", "ContributedTo"),
    }
    assert [n.id for n in down.nodes] == [
        "dataset:s3://raw:labels.csv",
        "dataset:s3://work:features",
        f"run:{run_id(1)}",
        "context:churn-prod",
    ]


def test_an_association_needs_both_nodes_and_one_type(store: Store) -> None:
    store.create_context("a", "Project")
    store.create_context("b", "Project")
    store.create_association("context:a", "context:b", "AssociatedWith")

    assert store.create_association("context:a", "context:b", "AssociatedWith").type == "AssociatedWith"
    with pytest.raises(ConflictError):
        store.create_association("context:a", "context:b", "SameAs")
    with pytest.raises(NotFoundError):
        store.create_association("context:a", "context:missing", "SameAs")
    with pytest.raises(ValidationError) as caught:
        store.create_association("context:a", "context:b", "Likes")
    assert caught.value.field == "type"
    assert [(x.source, x.destination) for x in store.list_associations(source="context:a")] == [
        ("context:a", "context:b")
    ]


def test_bad_input_is_refused(store: Store) -> None:
    store.create_context("dup", "Project")
    with pytest.raises(ConflictError):
        store.create_context("dup", "Project")
    with pytest.raises(ValidationError):
        store.create_artifact("x", "", "s3://a/b")
    with pytest.raises(ValidationError):
        store.create_artifact("x", "DataSet", "s3://a/b", {"bad": float("nan")})
    with pytest.raises(ValidationError) as caught:
        store.list_artifacts(sort_by="Size")
    assert caught.value.field == "sort_by"
