"""Node ids: Marquez's grammar, and ids that read back as the node they were written from."""

from __future__ import annotations

import pytest

from mltrail.core.errors import ValidationError
from mltrail.core.lineage import NodeId, NodeType, dataset_node, parse_node_id


@pytest.mark.parametrize(
    ("namespace", "name", "written"),
    [
        ("s3://bucket", "path/x.csv", "dataset:s3://bucket:path/x.csv"),
        ("postgres://db:5432", "shop.public.orders", "dataset:postgres://db:5432:shop.public.orders"),
        ("kafka://broker:9092", "topic:with:colons", "dataset:kafka://broker:9092:topic%3Awith%3Acolons"),
        ("ns", "50%#off", "dataset:ns:50%25%23off"),
    ],
)
def test_dataset_ids_read_back_as_written(namespace: str, name: str, written: str) -> None:
    node = dataset_node(namespace, name)

    assert str(node) == written
    assert parse_node_id(written) == node


def test_parts_encoded_one_by_one_as_marquez_ui_sends_them() -> None:
    assert parse_node_id("job:s3%3A%2F%2Fb:etl%3Aload").parts == ("s3://b", "etl:load")
    assert parse_node_id("dataset:ns:name#v1") == NodeId(NodeType.DATASET, ("ns", "name"), "v1")
    assert parse_node_id("s3://bucket/key") == dataset_node("s3://bucket", "key")


@pytest.mark.parametrize("text", ["", "bogus:x", "run:not-a-uuid", "dataset:only-one-part"])
def test_bad_ids_are_refused_with_the_field_named(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_node_id(text)
    assert caught.value.field == "start"
