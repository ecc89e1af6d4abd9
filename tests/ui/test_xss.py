"""Stored XSS: names and values holding markup appear on every page as literal text, and never run.

Each payload would set ``window.__xss`` (or add an element) if a page parsed it as HTML.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from live_server import live_server

import mltrail
from mltrail.tracking import api

IMG = '<img src="x" onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
BOLD = "<b id=bold>bold</b>"
EXPERIMENT = f"exp {IMG}"
TRIAL = f"trial {SCRIPT}"
MODEL = f"model {BOLD}"
DATASET = f"dataset:s3://raw:{IMG}.csv"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A server whose store holds a run, a trial, a model version and lineage named with markup."""
    folder = tmp_path_factory.mktemp("xss")
    uri = f"sqlite:///{folder / 'mltrail.db'}"
    previous = os.environ.get("MLTRAIL_CAPTURE_CODE")
    os.environ["MLTRAIL_CAPTURE_CODE"] = "false"
    mltrail.set_tracking_uri(uri)
    try:
        with mltrail.start_run(
            experiment=EXPERIMENT,
            trial=TRIAL,
            kind="training",
            params={f"param {IMG}": SCRIPT, "plain": BOLD},
            tags={"note": IMG},
        ) as run:
            run.log_metric(f"metric {BOLD}", 0.5, step=1)
            run.log_metric(f"metric {BOLD}", 0.7, step=2)
            run.log_input(f"s3://raw/{IMG}.csv", role="train")
            model = folder / "model.pkl"
            model.write_bytes(b"weights")
            run.log_output(str(model), role="model")
        mltrail.registry.register_model(MODEL, str(model), description=SCRIPT, tags={"team": IMG})
        mltrail.registry.update_approval(MODEL, 1, "Rejected", reason=IMG)
    finally:
        api.reset()
        if previous is None:
            os.environ.pop("MLTRAIL_CAPTURE_CODE", None)
        else:
            os.environ["MLTRAIL_CAPTURE_CODE"] = previous
    with live_server(uri, artifact_root=str(folder / "artifacts")) as url:
        yield url, str(run.id)


def pages(run_id: str) -> dict[str, tuple[str, str]]:
    """Page name → (path, a payload the page shows as text)."""
    e, t, m = quote(EXPERIMENT, safe=""), quote(TRIAL, safe=""), quote(MODEL, safe="")
    return {
        "experiments": ("/", EXPERIMENT),
        "leaderboard": (f"/experiments/{e}", TRIAL),
        "trial": (f"/experiments/{e}/trials/{t}", SCRIPT),
        "run": (f"/runs/{run_id}", f"param {IMG}"),
        "models": ("/models", MODEL),
        "model": (f"/models/{m}", MODEL),
        "version": (f"/models/{m}/versions/1", IMG),
        "lineage": (
            f"/lineage?node={quote(DATASET, safe='')}&selected={quote(DATASET, safe='')}",
            f"{IMG}.csv",
        ),
    }


@pytest.mark.parametrize("name", list(pages("0")))
def test_markup_from_the_api_is_shown_as_text(hostile: tuple[str, str], page: Any, name: str) -> None:
    url, run_id = hostile
    path, payload = pages(run_id)[name]
    page.goto(url + path)
    page.wait_for_function("text => document.body.innerText.includes(text)", arg=payload, timeout=15_000)
    assert page.evaluate("window.__xss") is None
    assert page.locator("img[src='x']").count() == 0 and page.locator("#bold").count() == 0
    assert page.locator("main script").count() == 0
