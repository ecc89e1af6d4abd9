"""OpenLineage ingest over real HTTP: Marquez's contract, the batch contract, gzip, bad bodies."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest
import requests
from live_server import Served
from ol_events import dataset, run_event, run_id
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpCompression, HttpConfig, HttpTransport

from mltrail.core.errors import NotFoundError

PRODUCER = "https://example.test/producer"


def test_openlineage_python_posts_gzipped_events_with_an_api_key(served: Served) -> None:
    config = HttpConfig(
        url=served.url,
        compression=HttpCompression.GZIP,
        auth=ApiKeyTokenProvider({"apiKey": "a-key"}),
        retry={"total": 0},
    )
    client = OpenLineageClient(transport=HttpTransport(config))
    run = Run(runId=str(run_id(1)))
    job = Job(namespace="etl", name="clean")
    now = datetime.now(UTC).isoformat()
    client.emit(RunEvent(eventType=RunState.START, eventTime=now, run=run, job=job, producer=PRODUCER))
    client.emit(
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime=now,
            run=run,
            job=job,
            producer=PRODUCER,
            inputs=[InputDataset(namespace="s3://raw", name="orders.csv")],
            outputs=[OutputDataset(namespace="s3://clean", name="orders.parquet")],
        )
    )

    page = served.store.lineage("dataset:s3://clean:orders.parquet", direction="ascendants", depth=2)
    assert {node.id for node in page.nodes} >= {f"run:{run_id(1)}", "dataset:s3://raw:orders.csv"}


def test_one_event_gets_201_and_an_empty_body_and_a_resend_is_stored_once(served: Served) -> None:
    event = run_event("COMPLETE", run_id(2), "train", 1, outputs=[dataset("s3://m", "model.pkl")])

    first = requests.post(f"{served.url}/api/v1/lineage", json=event, timeout=10)
    again = requests.post(f"{served.url}/api/v1/lineage", json=event, timeout=10)

    assert (first.status_code, first.content, again.status_code) == (201, b"", 201)
    assert served.store.ingest(event) is False  # already stored, once


def test_an_invalid_event_gets_422_naming_each_problem_and_nothing_is_stored(served: Served) -> None:
    event = run_event("START", run_id(3), "train", 1)
    event["run"]["runId"] = "not-a-uuid"
    del event["producer"]

    response = requests.post(f"{served.url}/api/v1/lineage", json=event, timeout=10)

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == 422
    paths = {error["path"] for error in body["details"]["errors"]}
    assert "$.run.runId" in paths
    assert "runId" in body["message"] and "producer" in body["message"]
    with pytest.raises(NotFoundError):
        served.store.lineage("job:tests:train")


@pytest.mark.parametrize(
    ("body", "headers", "status", "says"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400, "malformed JSON"),
        (b"\xff\xfe", {"Content-Type": "application/json"}, 400, "UTF-8"),
        (b"{}", {"Content-Encoding": "br"}, 415, "Content-Encoding"),
        (b"not gzip at all", {"Content-Encoding": "gzip"}, 400, "gzip"),
        (gzip.compress(b" " * (65 * 1024 * 1024)), {"Content-Encoding": "gzip"}, 413, "decompressed"),
    ],
    ids=["malformed-json", "not-utf8", "unknown-encoding", "bad-gzip", "gzip-bomb"],
)
def test_bad_bodies_get_a_clear_4xx(
    served: Served, body: bytes, headers: dict[str, str], status: int, says: str
) -> None:
    response = requests.post(f"{served.url}/api/v1/lineage", data=body, headers=headers, timeout=30)

    assert response.status_code == status
    assert says in response.json()["message"]


def test_a_batch_stores_the_valid_events_and_reports_the_invalid_by_index(served: Served) -> None:
    good = [run_event("START", run_id(4), "train", 1), run_event("COMPLETE", run_id(4), "train", 2)]
    bad = run_event("START", run_id(5), "train", 1)
    bad["eventTime"] = "yesterday"
    body = gzip.compress(json.dumps([good[0], bad, good[1]]).encode())

    response = requests.post(
        f"{served.url}/api/v1/lineage/batch",
        data=body,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=10,
    )

    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "partial_success"
    assert report["summary"] == {
        "received": 3,
        "successful": 2,
        "failed": 1,
        "retriable": 0,
        "non_retriable": 1,
    }
    assert [(f["index"], f["retriable"]) for f in report["failed_events"]] == [(1, False)]
    assert "eventTime" in report["failed_events"][0]["reason"]
    assert served.store.ingest(good[1]) is False


def test_a_batch_must_be_an_array(served: Served) -> None:
    response = requests.post(f"{served.url}/api/v1/lineage/batch", json={"events": []}, timeout=10)

    assert response.status_code == 400
    assert "JSON array" in response.json()["message"]
