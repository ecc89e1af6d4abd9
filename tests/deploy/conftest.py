"""Deployment tests track to a fresh SQLite store, with the local target's endpoints in the test folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import mltrail
from mltrail.tracking import api


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLTRAIL_CAPTURE_CODE", "false")
    monkeypatch.setenv("MLTRAIL_SERVING_DIR", str(tmp_path / "endpoints"))
    mltrail.set_tracking_uri(f"sqlite:///{tmp_path / 'mltrail.db'}")
    yield tmp_path
    api.reset()
