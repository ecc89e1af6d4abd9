"""API tokens: who may read and write once a token exists; 401 and 403 in Marquez's error shape."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from live_server import Served, live_server, wait_for_auth
from ol_events import run_event, run_id

from mltrail.core.errors import ValidationError
from mltrail.store import Store

EVENT = run_event("START", run_id(1), "train", 1)


def post(url: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{url}/api/v1/lineage", json=EVENT, headers=headers, timeout=10)


def get(url: str, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{url}/api/v1/namespaces", headers=headers, timeout=10)


def test_without_tokens_everything_is_open(served: Served) -> None:
    assert post(served.url).status_code == 201
    assert get(served.url).status_code == 200


def test_writes_need_a_writer_token_once_one_exists(served: Served) -> None:
    _, writer = served.store.tokens.create("airflow", "writer")
    _, reader = served.store.tokens.create("dashboard", "reader")
    wait_for_auth(served.url)

    missing = post(served.url)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert missing.json() == {"code": 401, "message": missing.json()["message"]}
    assert post(served.url, "mlt_0123456789ab_forged").status_code == 401
    assert post(served.url, writer + "x").status_code == 401
    assert post(served.url, "not-even-a-token").status_code == 401
    forbidden = post(served.url, reader)
    assert forbidden.status_code == 403
    assert "writer" in forbidden.json()["message"]
    assert post(served.url, writer).status_code == 201
    assert get(served.url).status_code == 200  # reads stay open by default
    assert requests.get(f"{served.url}/healthz", timeout=10).status_code == 200


def test_revoked_and_expired_tokens_are_refused(served: Served) -> None:
    info, writer = served.store.tokens.create("ci", "writer")
    _, short = served.store.tokens.create(
        "short", "admin", expires_at=datetime.now(UTC) + timedelta(seconds=1)
    )
    wait_for_auth(served.url)
    assert post(served.url, writer).status_code == 201

    served.store.tokens.revoke(info.key)
    assert post(served.url, writer).status_code == 401
    _wait_until_expired(short, served.store)
    assert post(served.url, short).status_code == 401
    assert [t.key for t in served.store.tokens.list()][1] == info.key
    with pytest.raises(ValidationError, match="role"):
        served.store.tokens.create("bad", "superuser")


@pytest.fixture
def reads_locked(db_url: str) -> Iterator[Served]:
    with live_server(db_url, require_auth_for_reads=True) as url, Store(db_url) as store:
        yield Served(url, store)


def test_reads_can_require_a_reader_token(reads_locked: Served) -> None:
    assert get(reads_locked.url).status_code == 200  # no token exists yet
    _, reader = reads_locked.store.tokens.create("dashboard", "reader")
    _, admin = reads_locked.store.tokens.create("ops", "admin")
    wait_for_auth(reads_locked.url)

    assert get(reads_locked.url).status_code == 401
    assert get(reads_locked.url, reader).status_code == 200
    assert get(reads_locked.url, admin).status_code == 200
    assert post(reads_locked.url, admin).status_code == 201


def _wait_until_expired(token: str, store: Store) -> None:
    info = store.tokens.verify(token)
    assert info is not None and info.expires_at is not None
    time.sleep(max(0.0, (info.expires_at - datetime.now(UTC)).total_seconds()) + 0.05)
