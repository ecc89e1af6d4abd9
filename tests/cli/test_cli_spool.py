from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ol_http_backend import LineageBackend, configure_http, free_port, isolate_openlineage, key, run_events

from mltrail.openlineage.delivery import Emitter
from mltrail.openlineage.destinations import OPENLINEAGE_KEY, OpenLineageDestination, set_store_sink
from mltrail.openlineage.spool import Spool

SPOOL = Path(".mltrail/spool")


@pytest.fixture(autouse=True)
def no_openlineage_config(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    isolate_openlineage(monkeypatch, isolated)
    yield
    assert not [t for t in threading.enumerate() if t.name == "mltrail-openlineage"]


def spool_while_down(monkeypatch: pytest.MonkeyPatch, runs: int) -> tuple[int, list[dict[str, Any]]]:
    """Emit START+COMPLETE for ``runs`` runs to an OpenLineage backend that is down; return its port."""
    port = free_port()
    configure_http(monkeypatch, f"http://127.0.0.1:{port}")
    destination = OpenLineageDestination.from_environment()
    assert destination is not None
    emitter = Emitter([destination], spool=Spool(SPOOL))
    events = run_events(runs)
    emitter.emit(events)
    assert emitter.close(10)
    assert Spool(SPOOL).count(OPENLINEAGE_KEY) == len(events)
    return port, events


def test_status_of_an_empty_spool(invoke: Any) -> None:
    result = invoke("spool", "status")
    assert (result.exit_code, result.output) == (0, "no spooled events found\n")
    assert not SPOOL.exists()


def test_status_formats(invoke: Any) -> None:
    spool = Spool(SPOOL)
    spool.add("openlineage", [{"n": 1}, {"n": 2}], error="ConnectionError: refused")
    spool.add("store:sqlite:///x.db", [{"n": 3}])
    sizes = {"openlineage": 2 * len('{"n":1}'), "store:sqlite:///x.db": len('{"n":3}')}

    rows = json.loads(invoke("spool", "status", "--format", "json").output)
    assert [(r["destination"], r["events"], r["bytes"], r["attempts"], r["last_error"]) for r in rows] == [
        ("openlineage", 2, sizes["openlineage"], 1, "ConnectionError: refused"),
        ("store:sqlite:///x.db", 1, sizes["store:sqlite:///x.db"], 0, None),
    ]
    assert rows[0]["oldest"].endswith("+00:00")

    lines = list(csv.reader(io.StringIO(invoke("spool", "status", "--format", "csv").output)))
    assert lines[0] == ["destination", "events", "bytes", "oldest", "attempts", "last_error"]
    assert [line[:3] for line in lines[1:]] == [
        ["openlineage", "2", "14"],
        ["store:sqlite:///x.db", "1", "7"],
    ]

    table = invoke("spool", "status").output.splitlines()
    assert table[0].split() == ["destination", "events", "bytes", "oldest", "attempts", "last_error"]
    assert table[2].split()[:3] == ["openlineage", "2", "14"]
    assert table[2].endswith("ConnectionError: refused")


def test_replay_after_the_backend_is_back_delivers_every_event_once(
    invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    port, events = spool_while_down(monkeypatch, 20)
    server = LineageBackend(port).start()
    try:
        result = invoke("spool", "replay", "--batch-size", "7")
        assert (result.exit_code, result.output) == (0, "openlineage: delivered 40, failed 0, left 0\n")
        assert server.counts() == {key(event): 1 for event in events}
        assert [key(event) for event in server.events] == [key(event) for event in events]
        assert Spool(SPOOL).count() == 0
        again = invoke("spool", "replay")
        assert (again.exit_code, again.output) == (0, f"no spooled events in {SPOOL}\n")
        assert len(server.events) == 40
    finally:
        server.stop()


def test_replay_while_the_backend_is_down_exits_1(invoke: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    spool_while_down(monkeypatch, 5)
    result = invoke("spool", "replay", "--batch-size", "4")
    assert result.exit_code == 1
    first, second = result.output.splitlines()
    assert first == "openlineage: delivered 0, failed 4, left 10"
    assert second.startswith("  error: OpenLineage transport 'http' failed:")
    entries = Spool(SPOOL).pending()
    assert [entry.attempts for entry in entries] == [2] * 4 + [1] * 6


def test_replay_one_destination_into_a_store(invoke: Any) -> None:
    received: list[tuple[str, list[dict[str, Any]]]] = []
    spool = Spool(SPOOL)
    spool.add("openlineage", [{"n": 0}])
    spool.add("store:sqlite:///x.db", [{"n": 1}, {"n": 2}, {"n": 3}])
    previous = set_store_sink(lambda uri: lambda events: received.append((uri, events)))
    try:
        result = invoke("spool", "replay", "--destination", "store:sqlite:///x.db", "--batch-size", "2")
    finally:
        set_store_sink(previous)
    assert (result.exit_code, result.output) == (0, "store:sqlite:///x.db: delivered 3, failed 0, left 0\n")
    assert received == [("sqlite:///x.db", [{"n": 1}, {"n": 2}]), ("sqlite:///x.db", [{"n": 3}])]
    assert [entry.destination for entry in spool.pending()] == ["openlineage"]


def test_replay_reports_destinations_it_cannot_rebuild(invoke: Any) -> None:
    spool = Spool(SPOOL)
    spool.add("openlineage", [{"n": 0}])  # no OpenLineage config in this test
    spool.add("weird:1", [{"n": 1}, {"n": 2}])
    result = invoke("spool", "replay")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "openlineage: delivered 0, failed 0, left 1"
    assert lines[1].startswith("  error: no OpenLineage transport is configured")
    assert lines[2:] == [
        "weird:1: delivered 0, failed 0, left 2",
        "  error: no destination is registered for 'weird:1' (known: openlineage, store:)",
        "total: delivered 0, failed 0, left 3",
    ]
    assert spool.count() == 3


def test_spool_dir_setting_is_used(invoke: Any, tmp_path: Path) -> None:
    Spool(tmp_path / "elsewhere").add("weird:1", [{"n": 1}])
    result = invoke(
        "spool", "status", "--format", "csv", env={"MLTRAIL_SPOOL_DIR": str(tmp_path / "elsewhere")}
    )
    assert result.output.splitlines()[1].startswith("weird:1,1,7,")
