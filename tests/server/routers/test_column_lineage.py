"""Column lineage from columnLineage facets, over HTTP with marquez-python."""

from __future__ import annotations

from typing import Any

import requests
from live_server import Served
from marquez_client import MarquezClient
from ol_events import PRODUCER, dataset, run_id, run_pair

COLUMN_LINEAGE = (
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"
)
SCHEMA = "https://openlineage.io/spec/facets/1-1-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"


def lineage(**fields: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A columnLineage facet: each output field from its (namespace, dataset, field) inputs."""
    return {
        "_producer": PRODUCER,
        "_schemaURL": COLUMN_LINEAGE,
        "fields": {
            out: {
                "inputFields": [
                    {
                        "namespace": ns,
                        "name": name,
                        "field": field,
                        "transformations": [
                            {"type": "DIRECT", "subtype": "TRANSFORMATION", "description": f"from {field}"}
                        ],
                    }
                    for ns, name, field in sources
                ]
            }
            for out, sources in fields.items()
        },
    }


def schema(*names: str) -> dict[str, Any]:
    return {
        "_producer": PRODUCER,
        "_schemaURL": SCHEMA,
        "fields": [{"name": n, "type": "string"} for n in names],
    }


def ingest_pipeline(served: Served) -> None:
    raw = dataset("s3://raw", "orders.csv", schema=schema("id", "amount"))
    clean = dataset(
        "s3://clean",
        "orders",
        columnLineage=lineage(
            id=[("s3://raw", "orders.csv", "id")], amount_usd=[("s3://raw", "orders.csv", "amount")]
        ),
    )
    daily = dataset(
        "s3://agg", "daily", columnLineage=lineage(total=[("s3://clean", "orders", "amount_usd")])
    )
    served.store.ingest_batch(
        [
            *run_pair(run_id(1), "clean", 1, 2, inputs=[raw], outputs=[clean]),
            *run_pair(
                run_id(2), "aggregate", 3, 4, inputs=[dataset("s3://clean", "orders")], outputs=[daily]
            ),
        ]
    )


def test_upstream_of_a_dataset_reaches_the_raw_columns(served: Served) -> None:
    ingest_pipeline(served)

    graph = MarquezClient(url=served.url).get_column_lineage_by_dataset("s3://agg", "daily")["graph"]

    ids = [node["id"] for node in graph]
    assert ids == [
        "datasetField:s3://agg:daily:total",
        "datasetField:s3://clean:orders:amount_usd",
        "datasetField:s3://raw:orders.csv:amount",
    ]
    total = graph[0]
    assert total["type"] == "DATASET_FIELD"
    assert total["data"]["inputFields"] == [
        {
            "namespace": "s3://clean",
            "dataset": "orders",
            "datasetVersion": None,
            "field": "amount_usd",
            "transformationDescription": "from amount_usd",
            "transformationType": "DIRECT",
        }
    ]
    assert total["inEdges"] == [
        {
            "origin": "datasetField:s3://clean:orders:amount_usd",
            "destination": "datasetField:s3://agg:daily:total",
        }
    ]


def test_downstream_of_a_field_and_depth(served: Served) -> None:
    ingest_pipeline(served)
    client = MarquezClient(url=served.url)

    down = client.get_column_lineage_by_dataset_field(
        "s3://raw", "orders.csv", "amount", with_downstream=True
    )
    assert [n["id"] for n in down["graph"]] == [
        "datasetField:s3://agg:daily:total",
        "datasetField:s3://clean:orders:amount_usd",
        "datasetField:s3://raw:orders.csv:amount",
    ]
    near = client.get_column_lineage_by_dataset_field("s3://agg", "daily", "total", depth=1)
    assert len(near["graph"]) == 2
    by_job = client.get_column_lineage_by_job("tests", "clean")
    assert {n["data"]["field"] for n in by_job["graph"]} == {"id", "amount_usd", "amount"}
    bad = requests.get(f"{served.url}/api/v1/column-lineage", params={"nodeId": "run:x"}, timeout=10)
    assert bad.status_code == 400
