from __future__ import annotations

import pytest

from mltrail.core.errors import ValidationError
from mltrail.core.naming import dataset_from_uri, uri_of


@pytest.mark.parametrize(
    ("uri", "namespace", "name", "canonical"),
    [
        ("s3://bucket/data/train.csv", "s3://bucket", "data/train.csv", "s3://bucket/data/train.csv"),
        ("s3a://bucket/k", "s3://bucket", "k", "s3://bucket/k"),
        ("gs://b/x/y.parquet", "gs://b", "x/y.parquet", "gs://b/x/y.parquet"),
        ("file:///abs/path.csv", "file", "/abs/path.csv", "file:///abs/path.csv"),
        ("/abs/path.csv", "file", "/abs/path.csv", "file:///abs/path.csv"),
        ("file://nas/share/x", "file://nas", "/share/x", "file://nas/share/x"),
        ("hdfs://nn:8020/warehouse/t", "hdfs://nn:8020", "/warehouse/t", "hdfs://nn:8020/warehouse/t"),
        (
            "postgres://db:5432/shop.public.orders",
            "postgres://db:5432",
            "shop.public.orders",
            "postgres://db:5432/shop.public.orders",
        ),
        (
            "postgresql://db/shop/public/orders",
            "postgres://db:5432",
            "shop.public.orders",
            "postgres://db:5432/shop.public.orders",
        ),
        ("mysql://db/shop.orders", "mysql://db:3306", "shop.orders", "mysql://db:3306/shop.orders"),
        ("s3://user:secret@bucket/k", "s3://bucket", "k", "s3://bucket/k"),
        ("bigquery:proj.ds.table", "bigquery", "proj.ds.table", "bigquery:proj.ds.table"),
        ("kafka://broker:9092/events", "kafka://broker:9092", "events", "kafka://broker:9092/events"),
    ],
)
def test_openlineage_names(uri: str, namespace: str, name: str, canonical: str) -> None:
    dataset = dataset_from_uri(uri, role="train")
    assert (dataset.namespace, dataset.name, dataset.uri, dataset.role) == (
        namespace,
        name,
        canonical,
        "train",
    )
    assert uri_of(namespace, name) == canonical


def test_relative_paths_resolve_against_cwd() -> None:
    dataset = dataset_from_uri("data/../train.csv", cwd="/work/project")
    assert (dataset.namespace, dataset.name) == ("file", "/work/project/train.csv")


@pytest.mark.parametrize("uri", ["", "   ", "s3://bucket/", "x" * 2001])
def test_bad_uris(uri: str) -> None:
    with pytest.raises(ValidationError) as raised:
        dataset_from_uri(uri)
    assert raised.value.field == "uri"
