"""The web UI in headless Chromium, against a server whose store holds one run of the example DAG.

The example DAG runs once per session (about 20 s); the server runs under uvicorn on a loopback
port; each test gets a fresh browser context. Screenshots go to ``MLTRAIL_UI_SCREENSHOTS`` when
it is set (``docs/ui`` to refresh the documentation's), else to the session's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow_dags import run_dag
from browser import Demo, launched
from live_server import live_server

pytest.importorskip("playwright", reason="the UI tests need playwright (the dev extra)")
pytest.importorskip("airflow", reason="the UI tests run the example DAG (the airflow extra)")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("ui-demo")
    uri = f"sqlite:///{folder / 'mltrail.db'}"
    result = run_dag(
        "fraud_detection", home=folder / "airflow-home", workdir=folder, mode="plain", tracking_uri=uri
    )
    assert result.state == "success", result.tasks
    with live_server(uri, artifact_root=str(folder / ".mltrail" / "artifacts")) as url:
        yield Demo(url, uri, result)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with launched() as found:
        yield found


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("MLTRAIL_UI_SCREENSHOTS") or tmp_path_factory.mktemp("ui-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
