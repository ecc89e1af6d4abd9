"""Runs tracked while the backend is down are kept as events in the spool and recorded by replay."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from live_server import live_server
from ol_http_backend import free_port
from psycopg import sql

import mltrail
from mltrail import RunStatus
from mltrail.cli import mltrail as cli
from mltrail.openlineage.spool import Spool
from mltrail.tracking import api
from mltrail.tracking.backends import create_backend

SPOOL = Path(".mltrail/spool")


@dataclass
class Outage:
    """A tracking URI whose backend can be taken down and brought back, keeping its data."""

    uri: str
    down: Callable[[], None]
    up: Callable[[], None]

    @property
    def key(self) -> str:
        return f"store:{self.uri}"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in list(os.environ):
        if name.startswith(("OPENLINEAGE", "MLTRAIL_")):
            monkeypatch.delenv(name)
    yield
    api.reset()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "http"])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    """SQLite: the database path is unusable (a folder stands there, as when a volume is not
    mounted). PostgreSQL: the database refuses connections. HTTP: the server stops and restarts
    on the same port, on the same database."""
    if request.param == "sqlite":
        path = tmp_path / "db" / "mltrail.db"
        aside = tmp_path / "aside.db"

        def down() -> None:
            for backend in api._backends.values():  # drop pooled connections to the old file
                backend.close()
            if path.exists():
                path.rename(aside)
            path.mkdir(parents=True)

        def up() -> None:
            path.rmdir()
            if aside.exists():
                aside.rename(path)

        yield Outage(f"sqlite:///{path}", down, up)
    elif request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        url = server.create_database()
        name = url.rsplit("/", 1)[1]

        def admin(*statements: sql.Composed) -> None:
            with psycopg.connect(
                host="127.0.0.1", port=server.port, user="postgres", dbname="postgres", autocommit=True
            ) as conn:
                for statement in statements:
                    conn.execute(statement)

        database = sql.Identifier(name)
        yield Outage(
            url,
            lambda: admin(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(database),
                sql.SQL("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = {}").format(
                    sql.Literal(name)
                ),
            ),
            lambda: admin(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(database)),
        )
    else:
        port = free_port()
        served = f"sqlite:///{tmp_path / 'served.db'}"
        server = ExitStack()

        def start() -> None:
            server.enter_context(live_server(served, port=port))

        start()
        with server:
            yield Outage(f"http://127.0.0.1:{port}", server.close, start)


def replay() -> str:
    """Run ``mltrail spool replay`` and return its output; it must leave nothing behind."""
    result = CliRunner().invoke(cli, ["spool", "replay"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def spooled(key: str) -> list[dict[str, Any]]:
    return [entry.event for entry in Spool(SPOOL).pending(key)]


def log_everything(run: mltrail.ActiveRun, tmp_path: Path) -> None:
    run.log_param("optimizer", "adam")
    run.log_metric("loss", 0.5, step=1)
    run.log_metrics({"loss": 0.2, "val_auc": 0.9}, step=2)
    run.log_metric("loss", 0.3, step=3)
    run.log_input("s3://bucket/train.csv", role="train")
    run.log_output(tmp_path / "model.pkl", role="model")
    run.set_tag("stage", "dev")


def assert_recorded(run_id: uuid.UUID, *, status: RunStatus = RunStatus.COMPLETED) -> mltrail.Run:
    recorded = mltrail.get_run(run_id)
    assert recorded.status is status
    assert recorded.params == {"learning_rate": 0.01, "optimizer": "adam"}
    assert recorded.tags == {"team": "risk", "stage": "dev"}
    loss = recorded.metrics["loss"]
    assert (loss.last, loss.min, loss.max, loss.last_step) == (0.3, 0.2, 0.5, 3)
    assert recorded.metrics["val_auc"].last == 0.9
    assert [(d.uri, d.role) for d in recorded.inputs] == [("s3://bucket/train.csv", "train")]
    assert [d.role for d in recorded.outputs] == ["model"]
    trial = mltrail.get_trial("fraud", "lr-0.01")
    assert trial.run_ids == (run_id,) and trial.status is status
    assert trial.params["optimizer"] == "adam" and trial.metrics["loss"].last == 0.3
    return recorded


def assert_no_duplicates(uri: str, events: list[dict[str, Any]]) -> None:
    """A second replay sends nothing, and the events, sent again, are all known."""
    assert "no spooled events" in replay()
    backend = create_backend(uri)
    try:
        result = backend.ingest_batch(events)
    finally:
        backend.close()
    assert (result.stored, result.duplicates) == (0, len(events))
    assert len(mltrail.search_runs(experiment="fraud")) == 1


def start(**extra: Any) -> mltrail.ActiveRun:
    return mltrail.start_run(
        experiment="fraud",
        trial="lr-0.01",
        kind="training",
        params={"learning_rate": 0.01},
        tags={"team": "risk"},
        **extra,
    )


def test_unreachable_postgres_run_goes_on_and_is_spooled(caplog: pytest.LogCaptureFixture) -> None:
    uri = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/mltrail"
    mltrail.set_tracking_uri(uri)
    with start() as run:
        assert run.is_detached
        run.log_metric("loss", 0.5)
    assert run.status is RunStatus.COMPLETED
    events = spooled(f"store:{uri}")
    assert [event["eventType"] for event in events] == ["START", "COMPLETE"]
    assert events[1]["run"]["facets"]["mltrail_metrics"]["metrics"]["loss"]["last"] == 0.5
    assert "mltrail spool replay" in caplog.text


def test_run_while_the_backend_is_down_is_recorded_by_replay(outage: Outage, tmp_path: Path) -> None:
    outage.down()
    mltrail.set_tracking_uri(outage.uri)
    with start() as run:
        assert run.is_detached
        log_everything(run, tmp_path)
    events = spooled(outage.key)
    assert [event["eventType"] for event in events] == ["START", "COMPLETE"]
    outage.up()
    assert f"{outage.key}: delivered 2, failed 0, left 0" in replay()
    assert_recorded(run.id)
    assert_no_duplicates(outage.uri, events)


def test_failing_run_while_the_backend_is_down_is_recorded_failed(outage: Outage) -> None:
    outage.down()
    mltrail.set_tracking_uri(outage.uri)
    with pytest.raises(ZeroDivisionError), start() as run:
        run.log_metric("loss", 0.5)
        _ = 1 / 0
    outage.up()
    replay()
    recorded = mltrail.get_run(run.id)
    assert recorded.status is RunStatus.FAILED
    assert recorded.error_message is not None and recorded.error_message.startswith("ZeroDivisionError")
    assert recorded.metrics["loss"].last == 0.5


def test_short_run_the_flusher_cannot_write_is_recorded_by_replay(outage: Outage, tmp_path: Path) -> None:
    mltrail.set_tracking_uri(outage.uri)
    with start() as run:
        assert not run.is_detached
        log_everything(run, tmp_path)
        outage.down()
    mltrail.flush()  # the queued record fails to be written
    events = spooled(outage.key)
    assert [event["eventType"] for event in events] == ["START", "COMPLETE"]
    outage.up()
    replay()
    assert_recorded(run.id)
    assert_no_duplicates(outage.uri, events)


def test_run_whose_backend_fails_midway_is_completed_by_replay(outage: Outage, tmp_path: Path) -> None:
    mltrail.set_tracking_uri(outage.uri)
    with start() as run:
        run.log_metric("loss", 0.5, step=1)
        run.flush()  # the start and the first point are written
        outage.down()
        run.log_param("optimizer", "adam")
        run.log_metrics({"loss": 0.2, "val_auc": 0.9}, step=2)
        run.flush()  # fails: from here on the run is kept for the spool
        assert run._kept is not None
        run.log_metric("loss", 0.3, step=3)
        run.log_input("s3://bucket/train.csv", role="train")
        run.log_output(tmp_path / "model.pkl", role="model")
        run.set_tag("stage", "dev")
    events = spooled(outage.key)
    assert [event["eventType"] for event in events] == ["COMPLETE"]  # the store has the start
    outage.up()
    replay()
    recorded = mltrail.get_run(run.id)
    assert recorded.status is RunStatus.COMPLETED
    assert recorded.params == {"learning_rate": 0.01, "optimizer": "adam"}
    assert recorded.tags == {"team": "risk", "stage": "dev"}
    loss = recorded.metrics["loss"]
    assert (loss.last, loss.min, loss.max, loss.last_step) == (0.3, 0.2, 0.5, 3)
    assert recorded.metrics["val_auc"].last == 0.9
    assert [d.uri for d in recorded.inputs] == ["s3://bucket/train.csv"]
    assert mltrail.get_metric_history(run.id, "loss").steps == [1]  # later points: summaries only
    assert_no_duplicates(outage.uri, events)


def test_nothing_is_accumulated_while_the_backend_works(tmp_path: Path) -> None:
    mltrail.set_tracking_uri(f"sqlite:///{tmp_path / 'mltrail.db'}")
    with start() as run:
        for step in range(50):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        assert run._kept is None and run._events is None
    assert run._kept is None
    assert not SPOOL.exists()
    assert mltrail.get_run(run.id).metrics["loss"].count == 50


def test_strict_mode_still_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLTRAIL_STRICT", "1")
    path = tmp_path / "db" / "mltrail.db"
    path.mkdir(parents=True)
    mltrail.set_tracking_uri(f"sqlite:///{path}")
    with pytest.raises(mltrail.StoreError):
        start()
    assert not SPOOL.exists()
    shutil.rmtree(path)
