"""``GET /api/v1/lineage`` on an ETL DAG and an ML chain: the graphs Marquez builds, written out by hand.

Marquez (``marquez-api.md`` §1.6, §3.3) starts from a job (a dataset's writer, else its reader),
takes every job up to ``depth`` hops away, a hop joining two jobs that share a dataset either way
(so siblings come too), and all the datasets of those jobs. A job node's ``inEdges`` run from its
inputs, its ``outEdges`` to its outputs; a dataset node's edges name only jobs in the graph.
Nodes are sorted by id, edges by origin then destination.

Each expected graph maps a node id to ``(in-edge origins, out-edge destinations)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from live_server import Served
from pipeline_events import pipeline_events

J_INGEST = "job:etl:etl_daily.ingest_orders"
J_CLEAN = "job:etl:etl_daily.clean_orders"
J_STATS = "job:etl:etl_daily.customer_stats"
J_JOIN = "job:etl:etl_daily.join_orders"
J_REPORT = "job:etl:etl_daily.daily_report"
J_PROCESS = "job:mltrail:churn.process"
J_TRAIN = "job:mltrail:churn.train"
J_REGISTER = "job:mltrail:churn.register"
J_DEPLOY = "job:mltrail:churn.deploy"
D_RAW = "dataset:s3://bucket:raw/orders.json"
D_ORDERS = "dataset:postgres://host:5432:shop.public.orders"
D_CUSTOMERS = "dataset:postgres://host:5432:shop.public.customers"
D_CLEAN = "dataset:postgres://host:5432:shop.public.orders_clean"
D_STATS = "dataset:postgres://host:5432:shop.public.customer_stats"
D_FACTS = "dataset:postgres://host:5432:shop.public.order_facts"
D_REPORT = "dataset:s3://bucket:reports/daily.csv"
D_ARCHIVE = "dataset:postgres://host:5432:shop.public.customers_archive"
D_FEATURES = "dataset:s3://bucket:ml/churn/features.parquet"
D_MODEL = "dataset:s3://bucket:ml/churn/model.pkl"
D_VERSION = "dataset:mltrail://registry:models/churn/versions/1"
D_ENDPOINT = "dataset:mltrail://endpoints:churn-prod"

Expected = dict[str, tuple[list[str], list[str]]]

JOIN_ALONE: Expected = {
    D_STATS: ([], [J_JOIN]),
    D_FACTS: ([J_JOIN], []),
    D_CLEAN: ([], [J_JOIN]),
    J_JOIN: ([D_STATS, D_CLEAN], [D_FACTS]),
}
"""depth=0 from a job: the job and its own datasets; their other jobs are left out, with their edges."""

AROUND_ORDERS: Expected = {
    D_STATS: ([J_STATS], []),
    D_CUSTOMERS: ([], [J_STATS]),
    D_ORDERS: ([J_INGEST], [J_CLEAN, J_STATS]),
    D_CLEAN: ([J_CLEAN], []),
    D_RAW: ([], [J_INGEST]),
    J_CLEAN: ([D_ORDERS], [D_CLEAN]),
    J_STATS: ([D_CUSTOMERS, D_ORDERS], [D_STATS]),
    J_INGEST: ([D_RAW], [D_ORDERS]),
}
"""depth=1 from ``orders``: its writer ``ingest_orders`` and the two transforms that share it."""

AROUND_MODEL: Expected = {
    D_ENDPOINT: ([J_DEPLOY], []),
    D_VERSION: ([J_REGISTER], [J_DEPLOY]),
    D_STATS: ([], [J_JOIN]),
    D_FACTS: ([J_JOIN], [J_REPORT, J_PROCESS]),
    D_CLEAN: ([], [J_JOIN]),
    D_FEATURES: ([J_PROCESS], [J_TRAIN]),
    D_MODEL: ([J_TRAIN], [J_REGISTER]),
    D_REPORT: ([J_REPORT], []),
    J_REPORT: ([D_FACTS], [D_REPORT]),
    J_JOIN: ([D_STATS, D_CLEAN], [D_FACTS]),
    J_DEPLOY: ([D_VERSION], [D_ENDPOINT]),
    J_PROCESS: ([D_FACTS], [D_FEATURES]),
    J_REGISTER: ([D_MODEL], [D_VERSION]),
    J_TRAIN: ([D_FEATURES], [D_MODEL]),
}
"""depth=2 from the model: train; process and register; then join, the report (a sibling reader of
``order_facts``) and deploy, across the two pipelines."""

EVERYTHING: Expected = {
    D_ENDPOINT: ([J_DEPLOY], []),
    D_VERSION: ([J_REGISTER], [J_DEPLOY]),
    D_STATS: ([J_STATS], [J_JOIN]),
    D_CUSTOMERS: ([], [J_STATS]),
    D_FACTS: ([J_JOIN], [J_REPORT, J_PROCESS]),
    D_ORDERS: ([J_INGEST], [J_CLEAN, J_STATS]),
    D_CLEAN: ([J_CLEAN], [J_JOIN]),
    D_FEATURES: ([J_PROCESS], [J_TRAIN]),
    D_MODEL: ([J_TRAIN], [J_REGISTER]),
    D_RAW: ([], [J_INGEST]),
    D_REPORT: ([J_REPORT], []),
    J_CLEAN: ([D_ORDERS], [D_CLEAN]),
    J_STATS: ([D_CUSTOMERS, D_ORDERS], [D_STATS]),
    J_REPORT: ([D_FACTS], [D_REPORT]),
    J_INGEST: ([D_RAW], [D_ORDERS]),
    J_JOIN: ([D_STATS, D_CLEAN], [D_FACTS]),
    J_DEPLOY: ([D_VERSION], [D_ENDPOINT]),
    J_PROCESS: ([D_FACTS], [D_FEATURES]),
    J_REGISTER: ([D_MODEL], [D_VERSION]),
    J_TRAIN: ([D_FEATURES], [D_MODEL]),
}
"""The default depth (20) from the endpoint: the whole connected graph. The DAG's own job, which
read and wrote nothing, and the archive table, which no job touched, are not in it."""


@pytest.fixture
def lineage(served: Served) -> Iterator[Any]:
    served.store.ingest_batch(pipeline_events())

    def get(node_id: str, depth: int | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"nodeId": node_id}
        if depth is not None:
            params["depth"] = depth
        response = requests.get(f"{served.url}/api/v1/lineage", params=params, timeout=10)
        assert response.status_code == 200, response.text
        graph: list[dict[str, Any]] = response.json()["graph"]
        return graph

    yield get


def as_graph(expected: Expected) -> list[dict[str, Any]]:
    """The expected nodes without their data, as Marquez sorts them."""
    return [
        {
            "id": node_id,
            "type": "JOB" if node_id.startswith("job:") else "DATASET",
            "inEdges": [{"origin": origin, "destination": node_id} for origin in origins],
            "outEdges": [{"origin": node_id, "destination": target} for target in targets],
        }
        for node_id, (origins, targets) in expected.items()
    ]


def without_data(graph: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in node.items() if key != "data"} for node in graph]


@pytest.mark.parametrize(
    ("node_id", "depth", "expected"),
    [
        (J_JOIN, 0, JOIN_ALONE),
        (D_ORDERS, 1, AROUND_ORDERS),
        ("dataset:postgres%3A%2F%2Fhost%3A5432:shop.public.orders", 1, AROUND_ORDERS),  # as the UI sends it
        (D_MODEL, 2, AROUND_MODEL),
        (J_DEPLOY, None, EVERYTHING),
        (D_RAW, 20, EVERYTHING),
    ],
    ids=["job-depth-0", "dataset-depth-1", "encoded-namespace", "across-pipelines", "default-depth", "whole"],
)
def test_the_graph_is_the_one_marquez_builds(
    lineage: Any, node_id: str, depth: int | None, expected: Expected
) -> None:
    graph = lineage(node_id, depth)

    assert [node["id"] for node in graph] == list(expected)  # written in Marquez's (code point) order
    assert without_data(graph) == as_graph(expected)


def test_nodes_carry_marquez_node_data(lineage: Any) -> None:
    graph = {node["id"]: node for node in lineage(J_REPORT, 1)}

    report = graph[J_REPORT]
    assert list(report) == ["id", "type", "data", "inEdges", "outEdges"]
    assert report["data"]["id"] == {"namespace": "etl", "name": "etl_daily.daily_report"}
    assert report["data"]["simpleName"] == "daily_report"
    assert report["data"]["latestRun"]["state"] == "COMPLETED"  # the retry, after the failed run
    assert report["data"]["currentRunUuid"] == report["data"]["latestRun"]["id"]
    assert report["data"]["inputs"] == [
        {"namespace": "postgres://host:5432", "name": "shop.public.order_facts"}
    ]
    facts = graph[D_FACTS]["data"]
    assert facts["id"] == {"namespace": "postgres://host:5432", "name": "shop.public.order_facts"}
    assert [field["name"] for field in facts["fields"]] == ["order_id", "amount", "country"]
    assert "facets" not in facts
    # A sibling: process reads what the report reads, so it is one hop away.
    assert {J_JOIN, J_PROCESS} <= set(graph) and J_TRAIN not in graph


def test_a_dataset_no_job_touched_is_a_graph_of_itself(lineage: Any) -> None:
    graph = lineage(D_ARCHIVE, 5)

    assert without_data(graph) == [{"id": D_ARCHIVE, "type": "DATASET", "inEdges": [], "outEdges": []}]
    assert [field["name"] for field in graph[0]["data"]["fields"]] == ["customer_id", "archived_at"]


@pytest.mark.parametrize(
    ("node_id", "depth", "status"),
    [
        ("dataset:postgres://host:5432:nothing", 2, 404),
        ("job:etl:nothing", 2, 404),
        (f"job:etl:{quote('etl_daily.join_orders')}", -1, 400),
        ("run:00000000-0000-0000-0000-000000000001", 2, 400),
    ],
    ids=["unknown-dataset", "unknown-job", "negative-depth", "run-node"],
)
def test_lineage_errors(served: Served, node_id: str, depth: int, status: int) -> None:
    response = requests.get(
        f"{served.url}/api/v1/lineage", params={"nodeId": node_id, "depth": depth}, timeout=10
    )

    assert (response.status_code, response.json()["code"]) == (status, status)
