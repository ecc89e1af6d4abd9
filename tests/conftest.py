"""Shared fixtures: a session-wide PostgreSQL server and a ``db_url`` for every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres import MISSING_MESSAGE, PostgresServer, find_bindir, is_ci


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the PostgreSQL server with ``postgres``."""
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start one throwaway PostgreSQL server for the session; fail in CI, skip elsewhere, if missing."""
    bindir = find_bindir()
    if bindir is None:
        if is_ci():
            pytest.fail(f"{MISSING_MESSAGE} (CI is set: PostgreSQL tests must run, not skip)", pytrace=False)
        pytest.skip(MISSING_MESSAGE)
    server = PostgresServer.start(bindir)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return the SQLAlchemy URL of a fresh, empty database: SQLite file or new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mltrail.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
        pytest.param("http", id="http"),
    ]
)
def tracking_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Return a tracking URI of each kind the SDK takes: SQLite, PostgreSQL, and an ``mltrail server``.

    The server (on a fresh SQLite database) runs under uvicorn on a loopback port for the test.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mltrail.db'}"
    elif request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        yield server.create_database()
    else:
        from live_server import live_server

        with live_server(f"sqlite:///{tmp_path / 'served.db'}") as url:
            yield url
