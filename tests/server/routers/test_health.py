"""Liveness and readiness."""

from __future__ import annotations

import requests
from live_server import Served


def test_healthz_and_readyz_answer_with_the_backend(served: Served) -> None:
    assert requests.get(f"{served.url}/healthz", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{served.url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["database"] == served.store.dialect
