from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ol_http_backend import LineageBackend, configure_http, free_port, isolate_openlineage, key, run_events

from mltrail.config import resolve_settings
from mltrail.core.errors import ConfigError, DeliveryError
from mltrail.openlineage.delivery import Emitter, replay
from mltrail.openlineage.destinations import (
    OPENLINEAGE_KEY,
    OpenLineageDestination,
    SinkDestination,
    open_destination,
)
from mltrail.openlineage.spool import Spool


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    isolate_openlineage(monkeypatch, tmp_path)
    yield
    workers = [t for t in threading.enumerate() if t.name == "mltrail-openlineage"]
    for worker in workers:
        worker.join(5)
    assert not [t for t in workers if t.is_alive()], "an emitter thread outlived its test"


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool")


@pytest.fixture
def backend() -> Iterator[LineageBackend]:
    server = LineageBackend().start()
    yield server
    server.stop()


@pytest.fixture
def emitters() -> Iterator[list[Emitter]]:
    """Emitters made by a test; closed (thread stopped) at teardown."""
    made: list[Emitter] = []
    yield made
    for emitter in made:
        emitter.close(5)


def openlineage_emitter(made: list[Emitter], spool: Spool, **kwargs: Any) -> Emitter:
    destination = OpenLineageDestination.from_environment()
    assert destination is not None
    emitter = Emitter([destination], spool=spool, **kwargs)
    made.append(emitter)
    return emitter


def test_backend_down_then_up_delivers_every_event_exactly_once(
    monkeypatch: pytest.MonkeyPatch, spool: Spool, emitters: list[Emitter]
) -> None:
    port = free_port()
    configure_http(monkeypatch, f"http://127.0.0.1:{port}")
    emitter = openlineage_emitter(emitters, spool)
    events = run_events(20)

    for event in events:
        emitter.emit(event)  # the backend is down: must not raise
    assert emitter.flush(10)
    assert spool.count(OPENLINEAGE_KEY) == 40

    server = LineageBackend(port).start()
    try:
        extra = run_events(1, job="late")
        emitter.emit(extra[0])
        assert emitter.flush(10)
        assert server.counts() == {key(event): 1 for event in [*events, extra[0]]}
        assert [key(event) for event in server.events] == [key(event) for event in [*events, extra[0]]]
        assert spool.count() == 0
    finally:
        server.stop()


def test_outage_is_logged_once_and_recovery_once(
    spool: Spool, emitters: list[Emitter], caplog: pytest.LogCaptureFixture
) -> None:
    is_up = False
    received: list[dict[str, Any]] = []

    def sink(events: list[dict[str, Any]]) -> None:
        if not is_up:
            raise ConnectionError("refused")
        received.extend(events)

    emitter = Emitter([SinkDestination("store:test", sink)], spool=spool)
    emitters.append(emitter)
    events = run_events(3)
    with caplog.at_level(logging.DEBUG, logger="mltrail.openlineage.delivery"):
        for event in events[:4]:
            emitter.emit(event)
            assert emitter.flush(5)
        is_up = True
        emitter.emit(events[4:])
        assert emitter.flush(5)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert warnings[0].startswith(
        "cannot deliver OpenLineage events to store:test (ConnectionError: refused)"
    )
    assert warnings[1] == "delivery of OpenLineage events to store:test works again"
    assert [key(e) for e in received] == [key(e) for e in events]


def test_strict_mode_raises_and_spools(
    monkeypatch: pytest.MonkeyPatch, spool: Spool, emitters: list[Emitter]
) -> None:
    configure_http(monkeypatch, f"http://127.0.0.1:{free_port()}")
    emitter = openlineage_emitter(emitters, spool, is_strict=True)
    event = run_events(1)[0]

    with pytest.raises(DeliveryError) as raised:
        emitter.emit(event)

    assert raised.value.destination == OPENLINEAGE_KEY
    assert raised.value.cause is not None
    assert "ConnectionError" in type(raised.value.cause).__name__
    assert [entry.event for entry in spool.pending()] == [event]
    assert spool.pending()[0].first_error is not None


def test_strict_mode_delivers_synchronously(
    monkeypatch: pytest.MonkeyPatch, spool: Spool, backend: LineageBackend, emitters: list[Emitter]
) -> None:
    configure_http(monkeypatch, backend.url)
    emitter = openlineage_emitter(emitters, spool, is_strict=True)
    events = run_events(2)
    emitter.emit(events)
    assert [key(e) for e in backend.events] == [key(e) for e in events]  # no flush needed


def test_partial_batch_failure_spools_only_the_rest(spool: Spool, emitters: list[Emitter]) -> None:
    received: list[dict[str, Any]] = []

    def sink(events: list[dict[str, Any]]) -> None:
        received.extend(events[:3])
        raise DeliveryError("fourth failed", destination="store:x", delivered=3)

    emitter = Emitter([SinkDestination("store:x", sink)], spool=spool, is_synchronous=True)
    emitters.append(emitter)
    events = run_events(3)
    emitter.emit(events)
    assert received == events[:3]
    assert [entry.event for entry in spool.pending()] == events[3:]


def test_flush_times_out_while_a_send_is_stuck(spool: Spool, emitters: list[Emitter]) -> None:
    gate = threading.Event()
    received: list[dict[str, Any]] = []

    def sink(events: list[dict[str, Any]]) -> None:
        gate.wait(5)
        received.extend(events)

    emitter = Emitter([SinkDestination("slow", sink)], spool=spool)
    emitters.append(emitter)
    emitter.emit(run_events(1))
    assert emitter.flush(0.05) is False
    gate.set()
    assert emitter.flush(5) is True
    assert len(received) == 2


def test_full_queue_spools_and_loses_nothing(spool: Spool, emitters: list[Emitter]) -> None:
    gate = threading.Event()
    received: list[dict[str, Any]] = []

    def sink(events: list[dict[str, Any]]) -> None:
        gate.wait(5)
        received.extend(events)

    emitter = Emitter(
        [SinkDestination("slow", sink)], spool=spool, queue_size=2, put_timeout=0.01, batch_size=1
    )
    emitters.append(emitter)
    events = run_events(5)
    for event in events:
        emitter.emit(event)
    assert spool.count("slow") > 0  # the queue overflowed into the spool
    gate.set()
    emitter.emit(run_events(1, job="late"))
    assert emitter.flush(5)
    assert sorted(key(e) for e in received if e in events) == sorted(key(e) for e in events)
    assert len(received) == len(events) + 2
    assert spool.count() == 0


def test_close_spools_events_still_queued(spool: Spool, emitters: list[Emitter]) -> None:
    gate = threading.Event()

    def sink(events: list[dict[str, Any]]) -> None:
        gate.wait(5)

    emitter = Emitter([SinkDestination("slow", sink)], spool=spool, batch_size=1)
    emitters.append(emitter)
    events = run_events(3)
    emitter.emit(events)
    assert emitter.close(0.1) is False
    gate.set()
    # the first event was in flight; the five still queued went to the spool
    assert [entry.event for entry in spool.pending()] == events[1:]


def test_replay_stops_at_first_failure_and_keeps_the_rest(spool: Spool) -> None:
    events = run_events(5)
    spool.add("flaky", events, error="down")
    calls: list[int] = []

    def sink(batch: list[dict[str, Any]]) -> None:
        calls.append(len(batch))
        if len(calls) == 2:
            raise ConnectionError("down again")

    result = replay(spool, SinkDestination("flaky", sink), batch_size=4)
    assert (result.delivered, result.failed, result.left) == (4, 4, 6)
    assert calls == [4, 4]
    left = spool.pending("flaky")
    assert [entry.event for entry in left] == events[4:]
    assert left[0].attempts == 2 and left[0].last_error == "ConnectionError: down again"
    assert left[0].first_error == "down"


def test_disabled_openlineage_builds_no_destination(
    monkeypatch: pytest.MonkeyPatch, backend: LineageBackend, tmp_path: Path
) -> None:
    configure_http(monkeypatch, backend.url)
    monkeypatch.setenv("OPENLINEAGE_DISABLED", "true")
    assert OpenLineageDestination.from_environment() is None
    emitter = Emitter.from_settings(resolve_settings(environ={}, cwd=tmp_path))
    assert emitter.destinations == []
    emitter.close()


def test_no_openlineage_config_builds_no_client_and_prints_nothing(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        assert OpenLineageDestination.from_environment() is None
    assert capsys.readouterr() == ("", "")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in caplog.records if "console" in r.getMessage().lower()]
    with pytest.raises(ConfigError, match="no OpenLineage transport is configured"):
        open_destination(OPENLINEAGE_KEY)


def test_openlineage_yml_in_the_working_folder_is_used(
    tmp_path: Path, backend: LineageBackend, spool: Spool, emitters: list[Emitter]
) -> None:
    (tmp_path / "openlineage.yml").write_text(
        f"transport:\n  type: http\n  url: {backend.url}\n  timeout: 2\n  retry: {{total: 0}}\n"
    )
    emitter = openlineage_emitter(emitters, spool)
    events = run_events(2)
    emitter.emit(events)
    assert emitter.flush(5)
    assert [key(e) for e in backend.events] == [key(e) for e in events]


def test_bad_openlineage_config_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", "http")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__URL", "not a url")
    with pytest.raises(ConfigError) as raised:
        OpenLineageDestination.from_environment()
    assert raised.value.key == "openlineage.transport"
    emitter = Emitter.from_settings(resolve_settings(environ={}, cwd=tmp_path))  # logged, not raised
    assert emitter.destinations == []
    emitter.close()
    with pytest.raises(ConfigError):
        Emitter.from_settings(resolve_settings(environ={"MLTRAIL_STRICT": "1"}, cwd=tmp_path))


def test_unknown_destination_key() -> None:
    with pytest.raises(ConfigError, match="no destination is registered for 'weird:x'") as raised:
        open_destination("weird:x")
    assert raised.value.value == "weird:x"


def test_duplicate_destination_keys_are_rejected(spool: Spool) -> None:
    with pytest.raises(ValueError, match="destination keys must differ"):
        Emitter([SinkDestination("a", print), SinkDestination("a", print)], spool=spool)


def test_delivery_error_carries_destination_cause_and_count() -> None:
    cause = ConnectionError("refused")
    error = DeliveryError("could not deliver", destination="openlineage", cause=cause, delivered=2)
    assert (str(error), error.destination, error.cause, error.delivered) == (
        "could not deliver",
        "openlineage",
        cause,
        2,
    )


def test_events_emitted_just_before_exit_are_delivered(
    monkeypatch: pytest.MonkeyPatch, backend: LineageBackend, tmp_path: Path
) -> None:
    configure_http(monkeypatch, backend.url)
    code = (
        "import sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from ol_http_backend import run_events\n"
        "from mltrail.config import resolve_settings\n"
        "from mltrail.openlineage.delivery import Emitter\n"
        "Emitter.from_settings(resolve_settings()).emit(run_events(10))\n"  # no flush, no close
    )
    support = Path(__file__).parents[1] / "support"
    command = [sys.executable, "-c", code, str(support)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(backend.counts()) == 20 and set(backend.counts().values()) == {1}
    assert not Spool(tmp_path / ".mltrail" / "spool").exists()
