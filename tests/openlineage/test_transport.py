from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ol_http_backend import PRODUCER, LineageBackend, isolate_openlineage, key
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState

from mltrail.core.errors import ConfigError, DeliveryError
from mltrail.openlineage.destinations import StoreDestination, open_destination, set_store_sink
from mltrail.openlineage.spool import Spool
from mltrail.openlineage.transport import MltrailTransport, MltrailTransportConfig


class FakeStore:
    """A store sink that records what it ingests, and fails while ``is_down``."""

    def __init__(self) -> None:
        self.uris: list[str] = []
        self.events: list[dict[str, Any]] = []
        self.is_down = False

    def factory(self, uri: str) -> Any:
        self.uris.append(uri)

        def ingest(events: list[dict[str, Any]]) -> None:
            if self.is_down:
                raise OSError("store unavailable")
            self.events.extend(events)

        return ingest


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    isolate_openlineage(monkeypatch, tmp_path)
    yield
    assert not [t for t in threading.enumerate() if t.name == "mltrail-openlineage"]


@pytest.fixture
def store() -> Iterator[FakeStore]:
    fake = FakeStore()
    previous = set_store_sink(fake.factory)
    yield fake
    set_store_sink(previous)


@pytest.fixture
def backend() -> Iterator[LineageBackend]:
    server = LineageBackend().start()
    yield server
    server.stop()


def run_event(state: RunState = RunState.START, run_id: str | None = None) -> RunEvent:
    return RunEvent(
        eventType=state,
        eventTime=dt.datetime.now(dt.UTC).isoformat(),
        run=Run(runId=run_id or str(uuid.uuid4())),
        job=Job(namespace="tests", name="train"),
        producer=PRODUCER,
    )


def test_mltrail_type_from_a_config_dict(store: FakeStore, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mltrail.db'}"
    client = OpenLineageClient(config={"transport": {"type": "mltrail", "tracking_uri": uri}})
    assert isinstance(client.transport, MltrailTransport)
    event = run_event()
    client.emit(event)
    client.close(1)
    assert store.uris == [uri]
    assert [(e["run"]["runId"], e["eventType"]) for e in store.events] == [(event.run.runId, "START")]
    assert store.events[0]["job"] == {"namespace": "tests", "name": "train", "facets": {}}


def test_mltrail_type_inside_composite(store: FakeStore, backend: LineageBackend, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mltrail.db'}"
    config = {
        "transport": {
            "type": "composite",
            "continue_on_failure": True,
            "transports": {
                "backend": {"type": "http", "url": backend.url, "retry": {"total": 0}},
                "mltrail": {"type": "mltrail", "tracking_uri": uri},
            },
        }
    }
    client = OpenLineageClient(config=config)
    run_id = str(uuid.uuid4())
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(run_event(state, run_id))
    client.close(1)
    expected = [(run_id, "START"), (run_id, "COMPLETE")]
    assert [key(e) for e in backend.events] == expected
    assert [key(e) for e in store.events] == expected


def test_default_tracking_uri_comes_from_mltrail_settings(
    store: FakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLTRAIL_TRACKING_URI", "sqlite:///from-env.db")
    transport = MltrailTransport(MltrailTransportConfig.from_dict({"type": "mltrail"}))
    transport.emit(run_event())
    transport.close()
    assert transport.destination.key == "store:sqlite:///from-env.db"
    assert store.uris == ["sqlite:///from-env.db"]


def test_failed_store_spools_then_replays_in_order(store: FakeStore, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mltrail.db'}"
    client = OpenLineageClient(config={"transport": {"type": "mltrail", "tracking_uri": uri}})
    run_id = str(uuid.uuid4())
    store.is_down = True
    client.emit(run_event(RunState.START, run_id))  # does not raise
    spool = Spool(tmp_path / ".mltrail" / "spool")
    assert [(e.destination, key(e.event)) for e in spool.pending()] == [(f"store:{uri}", (run_id, "START"))]
    assert spool.pending()[0].last_error == "OSError: store unavailable"

    store.is_down = False
    client.emit(run_event(RunState.COMPLETE, run_id))
    client.close(1)
    assert [key(e) for e in store.events] == [(run_id, "START"), (run_id, "COMPLETE")]
    assert spool.count() == 0


def test_strict_mode_raises_delivery_error(
    store: FakeStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLTRAIL_STRICT", "1")
    uri = f"sqlite:///{tmp_path / 'mltrail.db'}"
    client = OpenLineageClient(config={"transport": {"type": "mltrail", "tracking_uri": uri}})
    store.is_down = True
    with pytest.raises(DeliveryError) as raised:
        client.emit(run_event())
    client.close(1)
    assert raised.value.destination == f"store:{uri}"
    assert isinstance(raised.value.cause, OSError)
    assert Spool(tmp_path / ".mltrail" / "spool").count(f"store:{uri}") == 1


def test_no_sink_set_spools(tmp_path: Path) -> None:
    previous = set_store_sink(None)
    try:
        transport = MltrailTransport(MltrailTransportConfig(tracking_uri="sqlite:///x.db"))
        transport.emit(run_event())
        transport.close()
    finally:
        set_store_sink(previous)
    entries = Spool(tmp_path / ".mltrail" / "spool").pending()
    assert [entry.destination for entry in entries] == ["store:sqlite:///x.db"]
    assert entries[0].first_error is not None and "no store sink is set" in entries[0].first_error


def test_fully_qualified_type_works_too(store: FakeStore) -> None:
    config = {"type": "mltrail.openlineage.transport.MltrailTransport", "tracking_uri": "sqlite:///q.db"}
    client = OpenLineageClient(config={"transport": config})
    client.emit(run_event())
    client.close(1)
    assert store.uris == ["sqlite:///q.db"] and len(store.events) == 1


@pytest.mark.parametrize(
    ("params", "config_key"),
    [
        ({"type": "mltrail", "tracking_url": "x"}, "transport.tracking_url"),
        ({"type": "mltrail", "tracking_uri": " "}, "transport.tracking_uri"),
        ({"type": "mltrail", "tracking_uri": 5}, "transport.tracking_uri"),
    ],
)
def test_bad_config(params: dict[str, Any], config_key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        MltrailTransportConfig.from_dict(params)
    assert raised.value.key == config_key
    assert raised.value.source == "OpenLineage config"


def test_store_keys_rebuild_store_destinations() -> None:
    destination = open_destination("store:postgresql+psycopg://db/mltrail")
    assert isinstance(destination, StoreDestination)
    assert destination.tracking_uri == "postgresql+psycopg://db/mltrail"
