"""A live server per test, on SQLite and on PostgreSQL, with the store behind it for checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from live_server import Served, live_server

from mltrail.store import Store


@pytest.fixture
def served(db_url: str) -> Iterator[Served]:
    with live_server(db_url) as url, Store(db_url) as store:
        yield Served(url, store)
