"""The test harness gives every test a working, empty database on each backend."""

from __future__ import annotations

import pytest
from postgres import PostgresServer
from sqlalchemy import create_engine, inspect, text


def test_db_url_connects(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
            if engine.dialect.name == "postgresql":
                assert "PostgreSQL" in conn.execute(text("SELECT version()")).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.parametrize("attempt", [1, 2])
def test_db_url_is_fresh_per_test(db_url: str, attempt: int) -> None:
    # Both attempts create the same table: the second would fail if the database were shared.
    engine = create_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        assert inspect(engine).get_table_names() == ["probe"]
    finally:
        engine.dispose()


def test_create_database_returns_distinct_databases(postgres_server: PostgresServer) -> None:
    first, second = postgres_server.create_database(), postgres_server.create_database()
    assert first != second
    prefix = f"postgresql+psycopg://postgres@127.0.0.1:{postgres_server.port}/"
    assert first.startswith(prefix) and second.startswith(prefix)
    for url in (first, second):
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                name = conn.execute(text("SELECT current_database()")).scalar_one()
            assert url == prefix + name
        finally:
            engine.dispose()
