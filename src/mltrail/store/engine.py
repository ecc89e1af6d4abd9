"""Engines for the two backends: SQLite tuned for concurrent writers, and PostgreSQL."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from mltrail.core.errors import ConfigError

WRITE = "mltrail_write"
"""Execution option that makes a SQLite transaction take the write lock when it begins."""

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 65_536
"""Page cache per connection (64 MiB): leaderboards of 50,000 trials stay in memory."""
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
"""Read the file through a memory map: no read() call (and no thread switch) per page."""


PG_CONNECT_TIMEOUT = 10
"""Seconds to wait for PostgreSQL to accept a connection, unless the URL sets ``connect_timeout``."""


def make_engine(url: str) -> Engine:
    """Create an engine for a ``sqlite://`` or ``postgresql+psycopg://`` URL.

    SQLite files use WAL, a busy timeout, case-sensitive LIKE and ``BEGIN IMMEDIATE`` for
    write transactions (so that concurrent writers queue instead of failing on a lock upgrade).
    The parent folder of a SQLite file is created when missing.

    Raises:
        ConfigError: If the URL is malformed or names an unsupported backend.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"malformed database URL {url!r}", key="tracking_uri", value=url) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
        engine = create_engine(parsed, poolclass=NullPool if database in ("", ":memory:") else None)
        _tune_sqlite(engine)
        return engine
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # libpq waits for ever for a host that does not answer; the URL may say otherwise.
        timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": PG_CONNECT_TIMEOUT}
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=timeout)
        _tune_postgresql(engine)
        return engine
    raise ConfigError(
        f"unsupported database backend {backend!r} in {url!r}; use sqlite:/// or postgresql+psycopg://",
        key="tracking_uri",
        value=url,
    )


def _tune_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The store's queries are short index walks: starting a parallel worker (about 20 ms)
        # costs more than the query, and the planner picks parallel plans at 50,000 trials.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        dbapi_connection.commit()


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook below emit BEGIN
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA wal_autocheckpoint = 10000")

        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA case_sensitive_like = ON")
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(WRITE, False)
        connection.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
