"""The Marquez read API over real HTTP: marquez-python 0.50.0, and Marquez's JSON shapes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests
from live_server import Served
from marquez_client import MarquezClient
from marquez_client.errors import APIError
from marquez_client.models import DatasetType, JobType
from ol_events import T1, T2, E, P, R, chain, dataset, run_event, run_id, run_pair
from pipeline_events import pipeline_events

ISO_Z = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"


@pytest.fixture
def marquez(served: Served) -> Iterator[MarquezClient]:
    served.store.ingest_batch(chain())
    yield MarquezClient(url=served.url)


def test_namespaces_with_slashes_and_colons_route_as_one_segment(marquez: MarquezClient) -> None:
    names = [n["name"] for n in marquez.list_namespaces()["namespaces"]]
    assert "s3://models" in names and "mltrail://endpoints" in names

    found = marquez.get_namespace("s3://models")  # sent as s3%3A%2F%2Fmodels
    assert set(found) == {"name", "createdAt", "updatedAt", "ownerName", "description", "isHidden"}
    assert found["name"] == "s3://models"
    with pytest.raises(APIError):
        marquez.get_namespace("s3://nowhere")


def test_datasets_and_their_versions(marquez: MarquezClient, served: Served) -> None:
    served.store.ingest_batch(
        run_pair(run_id(8), "ml.train", 11, 12, outputs=[dataset("s3://models", "m1.pkl")])
    )

    page = marquez.list_datasets("s3://models")
    assert page["totalCount"] == 3
    assert [d["id"] for d in page["datasets"]][0] == {"namespace": "s3://models", "name": "m1.pkl"}
    m1 = marquez.get_dataset("s3://models", "m1.pkl")
    assert m1["currentVersion"] == str(run_id(8))
    assert m1["type"] == "DB_TABLE" and m1["columnLineage"] is None and m1["deleted"] is False
    versions = marquez.list_dataset_versions("s3://models", "m1.pkl", limit=1)
    assert versions["totalCount"] == 2
    newest = versions["versions"][0]
    assert newest["createdByRun"]["id"] == str(run_id(8))
    assert marquez.get_dataset_version("s3://models", "m1.pkl", str(T1))["createdByRun"]["id"] == str(T1)


def test_jobs_runs_and_run_facets(marquez: MarquezClient, served: Served) -> None:
    jobs = marquez.list_jobs("tests")
    assert jobs["totalCount"] == 5
    evaluate = marquez.get_job("tests", "ml.evaluate")
    assert evaluate["latestRun"]["id"] == str(E)
    assert [i["name"] for i in evaluate["inputs"]] == ["m1.pkl", "m2.pkl", "m3.pkl"]
    assert evaluate["latestRun"]["state"] == "COMPLETED"
    assert evaluate["latestRun"]["durationMs"] == 60_000
    assert re.match(ISO_Z, evaluate["createdAt"]) and re.match(ISO_Z, evaluate["latestRun"]["endedAt"])
    runs = marquez.list_job_runs("tests", "ml.train", limit=2)
    assert runs["totalCount"] == 3 and len(runs["runs"]) == 2
    run = marquez.get_job_run(str(R))
    assert [v["datasetVersionId"]["version"] for v in run["inputDatasetVersions"]] == [str(T2), str(E)]
    facets = requests.get(f"{served.url}/api/v1/jobs/runs/{P}/facets", params={"type": "run"}, timeout=10)
    assert facets.json() == {"runId": str(P), "facets": {}}
    every = requests.get(
        f"{served.url}/api/v1/jobs", params={"lastRunStates": "COMPLETED"}, timeout=10
    ).json()
    assert every["totalCount"] == 5


def test_the_lineage_graph_is_marquez_shaped_and_sorted(marquez: MarquezClient, served: Served) -> None:
    node = "dataset:" + quote("s3://models", safe="") + ":" + quote("m2.pkl", safe="")
    response = requests.get(f"{served.url}/api/v1/lineage", params={"nodeId": node, "depth": 1}, timeout=10)

    assert response.status_code == 200
    graph = response.json()["graph"]
    ids = [n["id"] for n in graph]
    assert ids == sorted(ids)
    assert "job:tests:ml.train" in ids and "job:tests:ml.register" in ids
    assert "dataset:s3://models:m1.pkl" in ids  # a sibling, as Marquez's undirected walk finds
    train = next(n for n in graph if n["id"] == "job:tests:ml.train")
    assert train["type"] == "JOB"
    assert {"origin": "job:tests:ml.train", "destination": "dataset:s3://models:m2.pkl"} in train["outEdges"]
    assert train["data"]["latestRun"]["state"] == "COMPLETED"
    m2 = next(n for n in graph if n["id"] == "dataset:s3://models:m2.pkl")
    assert list(m2) == ["id", "type", "data", "inEdges", "outEdges"]
    assert {"origin": "dataset:s3://models:m2.pkl", "destination": "job:tests:ml.register"} in m2["outEdges"]


@pytest.mark.parametrize(
    ("params", "status"),
    [({}, 400), ({"nodeId": "dataset:s3://raw:nothing.csv"}, 404), ({"nodeId": "bogus:x"}, 400)],
    ids=["no-node", "unknown-node", "bad-prefix"],
)
def test_lineage_errors(served: Served, params: dict[str, str], status: int) -> None:
    response = requests.get(f"{served.url}/api/v1/lineage", params=params, timeout=10)

    assert response.status_code == status
    assert response.json()["code"] == status


def test_events_are_listed_newest_first_with_a_total(marquez: MarquezClient, served: Served) -> None:
    response = requests.get(f"{served.url}/api/v1/events/lineage", params={"limit": 3}, timeout=10).json()

    assert response["totalCount"] == 14
    assert [e["eventType"] for e in response["events"]] == ["COMPLETE", "START", "COMPLETE"]


def test_search_finds_jobs_and_datasets_by_any_part_of_their_name(
    marquez: MarquezClient, served: Served
) -> None:
    def search(**params: object) -> dict[str, object]:
        response = requests.get(f"{served.url}/api/v1/search", params=params, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    found = search(q="M1", limit=100)
    assert found == {
        "totalCount": 1,
        "results": [
            {
                "type": "DATASET",
                "name": "m1.pkl",
                "updatedAt": found["results"][0]["updatedAt"],
                "namespace": "s3://models",
                "nodeId": "dataset:s3://models:m1.pkl",
            }
        ],
    }
    jobs = search(q="ml.", filter="JOB", limit=100)
    assert [r["name"] for r in jobs["results"]] == [
        "ml.deploy",
        "ml.evaluate",
        "ml.process",
        "ml.register",
        "ml.train",
    ]
    assert search(q="%", limit=100)["totalCount"] == 0  # a literal %, not a wildcard
    newest = search(q="ml.", filter="job", sort="UPDATE_AT", limit=1)
    assert newest["results"][0]["name"] == "ml.deploy"


def test_sources_are_the_namespaces_that_hold_datasets(marquez: MarquezClient) -> None:
    sources = marquez.list_sources()["sources"]

    assert "tests" not in [s["name"] for s in sources]  # jobs only
    s3 = marquez.get_source("s3://models")
    assert (s3["type"], s3["connectionUrl"]) == ("S3", "s3://models")
    assert marquez.list_tags() == {"tags": []}  # none until one is created


def test_stats_count_todays_events_and_the_running_totals(served: Served) -> None:
    now = datetime.now(UTC)
    for event_type, minutes in (("START", -2), ("COMPLETE", -1), ("FAIL", -1)):
        event = run_event(event_type, run_id(20 if event_type != "FAIL" else 21), "live", 0)
        event["eventTime"] = (now + timedelta(minutes=minutes)).isoformat()
        event["outputs"] = [dataset("s3://live", "out.csv")] if event_type == "COMPLETE" else []
        served.store.ingest(event)

    def stats(path: str, **params: str) -> list[dict[str, Any]]:
        response = requests.get(f"{served.url}/api/v1/stats/{path}", params=params, timeout=10)
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    day = stats("lineage-events", period="DAY")
    assert len(day) == 24
    assert {key: sum(b[key] for b in day) for key in ("start", "complete", "fail", "abort")} == {
        "start": 1,
        "complete": 1,
        "fail": 1,
        "abort": 0,
    }
    week = stats("lineage-events", period="WEEK", timezone="Europe/Paris")
    assert len(week) == 7 and sum(b["start"] for b in week) == 1
    jobs = stats("jobs", period="DAY")
    assert jobs[-1]["count"] == 1 and jobs[0]["count"] == 0
    assert stats("datasets", period="WEEK", timezone="UTC")[-1]["count"] == 1
    assert stats("sources", period="DAY")[-1]["count"] == 1
    missing = requests.get(f"{served.url}/api/v1/stats/lineage-events", params={"period": "WEEK"}, timeout=10)
    assert (missing.status_code, "timezone" in missing.json()["message"]) == (400, True)


def test_every_marquez_python_method(served: Served) -> None:
    """marquez-python 0.50.0's remaining methods: writes, tags, column lineage, and the deprecated ones."""
    served.store.ingest_batch(pipeline_events())
    client = MarquezClient(url=served.url)
    pg, facts = "postgres://host:5432", "shop.public.order_facts"

    assert client.create_namespace(pg, "data-eng", "warehouse")["ownerName"] == "data-eng"
    assert client.get_namespace(pg)["description"] == "warehouse"
    assert client.create_tag("PII", "personal data") == {"name": "PII", "description": "personal data"}
    assert client.tag_dataset(pg, facts, "GOLD")["tags"] == ["GOLD"]
    fields = client.tag_dataset_field(pg, facts, "country", "PII")["fields"]
    assert {f["name"]: f["tags"] for f in fields}["country"] == ["PII"]
    assert client.list_tags() == {
        "tags": [{"name": "GOLD", "description": None}, {"name": "PII", "description": "personal data"}]
    }
    by_dataset = client.get_column_lineage_by_dataset(pg, facts)["graph"]
    assert f"datasetField:{pg}:{facts}:amount" in [n["id"] for n in by_dataset]
    by_field = client.get_column_lineage_by_dataset_field(pg, facts, "country", with_downstream=True)
    assert {n["id"] for n in by_field["graph"]} >= {f"datasetField:{pg}:shop.public.customer_stats:country"}
    assert client.get_column_lineage_by_job("etl", "etl_daily.join_orders")["graph"]
    assert client.list_sources(limit=5)["sources"] and client.list_namespaces(limit=5, offset=1)["namespaces"]
    with pytest.raises(APIError):
        client.list_events()  # GET /events: no such route in Marquez either (marquez-api.md §4)
    deprecated = [
        lambda: client.create_source("pg", "POSTGRESQL", "postgresql://host:5432/shop"),
        lambda: client.create_dataset(pg, facts, DatasetType.DB_TABLE, facts, pg),
        lambda: client.create_job("etl", "etl_daily.join_orders", JobType.BATCH),
        lambda: client.create_job_run("etl", "etl_daily.join_orders", mark_as_running=True),
        lambda: client.mark_job_run_as_started(str(run_id(9))),
        lambda: client.mark_job_run_as_completed(str(run_id(9))),
        lambda: client.mark_job_run_as_failed(str(run_id(9))),
        lambda: client.mark_job_run_as_aborted(str(run_id(9))),
    ]
    for call in deprecated:
        with pytest.warns(DeprecationWarning), pytest.raises(APIError) as raised:
            call()
        response = raised.value.__cause__.response  # type: ignore[union-attr]
        assert response.status_code == 410 and "POST /api/v1/lineage" in response.json()["message"]
