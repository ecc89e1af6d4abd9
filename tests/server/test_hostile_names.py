"""Hostile strings in namespaces and names: stored as sent, found again through encoded paths."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from live_server import Served
from marquez_client import MarquezClient
from ol_events import dataset, run_id, run_pair

HOSTILE = [
    ("s3://bucket", "../../etc/passwd"),
    ("postgres://db:5432", "shop.public.orders'; DROP TABLE job; --"),
    ("ns with spaces", "a%2Fb/c?d=1&e#f"),
    ("ünïcødé://名前", "データ/表 ☃"),
    ("kafka://broker:9092", "topic:with:colons"),
]


@pytest.mark.parametrize(
    ("namespace", "name"), HOSTILE, ids=["traversal", "sql", "escapes", "unicode", "colons"]
)
def test_hostile_names_round_trip(served: Served, namespace: str, name: str) -> None:
    events = run_pair(run_id(1), f"job {name}", 1, 2, outputs=[dataset(namespace, name)])
    events = [{**e, "job": {"namespace": namespace, "name": f"job {name}"}} for e in events]
    for event in events:
        assert requests.post(f"{served.url}/api/v1/lineage", json=event, timeout=10).status_code == 201

    marquez = MarquezClient(url=served.url)
    assert marquez.get_namespace(namespace)["name"] == namespace
    assert marquez.get_dataset(namespace, name)["name"] == name
    assert marquez.get_job(namespace, f"job {name}")["latestRun"]["state"] == "COMPLETED"
    node = f"dataset:{quote(namespace, safe='')}:{quote(name, safe='')}"
    graph = requests.get(f"{served.url}/api/v1/lineage", params={"nodeId": node, "depth": 1}, timeout=10)
    assert graph.status_code == 200
    assert {n["data"]["name"] for n in graph.json()["graph"]} == {name, f"job {name}"}
    assert marquez.list_jobs(namespace)["totalCount"] == 1  # the name was data, not SQL


def test_a_path_that_climbs_out_is_not_found(served: Served) -> None:
    response = requests.get(f"{served.url}/api/v1/namespaces/..%2F..%2Fetc/datasets/passwd", timeout=10)

    assert response.status_code == 404
    assert response.json()["code"] == 404
