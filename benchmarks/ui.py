"""How fast the web UI draws with 50,000 trials in one experiment: ``python -m benchmarks.ui``.

The trials are the same as the search benchmarks' (``benchmarks/data.py``), recorded through the
SDK into SQLite once (kept under ``benchmarks/.work/ui`` for later runs). mltrail's server runs
under uvicorn on a loopback port; the pages are drawn by headless Chromium (Debian's
``chromium``, driven by Playwright), each timing from the start of navigation to the moment the
figure is on the page:

- U1: the leaderboard's first page (50 rows, newest first);
- U2: the leaderboard filtered and sorted, ``params.learning_rate < 0.01 AND metrics.val_auc > 0.9``
  by ``metrics.val_auc DESC``;
- U3: the compare page's parallel coordinates over 5,000 trials;
- U4: the compare page's metric curves for 100 trials whose metric has 100,000 points each
  (the server downsamples each to 1,000 points; a store of its own, also kept).

The peer is MLflow's UI (``mlflow server``, MLflow installed in a virtualenv of its own as for
the search benchmarks) on the same trials, bulk-loaded by ``benchmarks/peers/mlflow_runner.py``,
timed the same way until its runs table shows runs: U1 is its experiment page, U2 the same with
``metrics.learning_rate < 0.01 and metrics.val_auc > 0.9`` sorted by ``val_auc`` (its params are
strings, so the parameter is mirrored as a metric). Its chart view stops at 500 runs
(``../shared/reference/peers.md`` §1.5), so U3 has no peer figure. ``--peer none`` skips it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from rich.console import Console
from rich.table import Table

from benchmarks import ours

WORK = Path(__file__).resolve().parent / ".work" / "ui"
TARGETS = {
    "U1": ("leaderboard, first page", 1000.0),
    "U2": ("leaderboard, filtered and sorted", 1000.0),
    "U3": ("parallel coordinates, 5,000 trials", 2000.0),
    "U4": ("metric curves, 100 trials × 100,000 points", 2000.0),
}
CURVES = (100, 100_000)
"""Trials and points per trial of U4's metric."""
FILTER = "params.learning_rate < 0.01 AND metrics.val_auc > 0.9"
MLFLOW_FILTER = "metrics.learning_rate < 0.01 and metrics.val_auc > 0.9"


def main(argv: list[str] | None = None) -> int:
    """Load the trials (once), serve them, time the pages, print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ui", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=50_000, help="trials in the experiment (default 50,000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5, help="timed page loads of each figure")
    parser.add_argument("--peer", choices=("mlflow", "none"), default="mlflow")
    parser.add_argument("--peer-repeat", type=int, default=3, help="timed loads of each MLflow page")
    parser.add_argument("--peer-cap", type=float, default=300.0, help="seconds an MLflow page may take")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    uri = _loaded_store(args.n, args.seed, console)
    curves_uri = _curves_store(console)
    with _served(curves_uri) as curves_url, _browser() as browser:
        curves = _timed(browser, args.repeat, lambda page: _curves(page, curves_url))
    with _served(uri) as url, _browser() as browser:
        results = {
            name: _timed(browser, args.repeat, measure)
            for name, measure in (
                ("U1", lambda page: _leaderboard(page, url, {})),
                (
                    "U2",
                    lambda page: _leaderboard(page, url, {"filter": FILTER, "order": "metrics.val_auc DESC"}),
                ),
                ("U3", lambda page: _parallel(page, url, min(args.n, 5000))),
            )
        }
        results["U4"] = curves
        peer = _mlflow(browser, args, console) if args.peer == "mlflow" else {}
    table = Table(
        title=f"web UI with {args.n:,} trials, ms: median of {args.repeat} loads (MLflow: {args.peer_repeat})"
    )
    for column in ("id", "figure", "mltrail", "target", "met", "MLflow UI", "ratio"):
        table.add_column(column)
    for name, (label, target) in TARGETS.items():
        median = statistics.median(results[name])
        theirs = statistics.median(peer[name]) if name in peer else None
        table.add_row(
            name,
            label,
            f"{median:,.0f}",
            f"≤ {target:,.0f}",
            "✓" if median <= target else "✗",
            _peer_cell(name, theirs, args.peer_cap * 1000),
            ""
            if theirs is None
            else f"{'≥ ' if theirs >= args.peer_cap * 1000 else ''}{theirs / median:.0f}×",
        )
    Console().print(table)
    return 0


def _peer_cell(name: str, theirs: float | None, cap_ms: float) -> str:
    if name in ("U3", "U4"):
        return "cannot (charts ≤ 500 runs)" if name == "U3" else "not timed"
    if theirs is None:
        return "—"
    return f"> {cap_ms:,.0f} (no table by the cap)" if theirs >= cap_ms else f"{theirs:,.0f}"


def _loaded_store(n: int, seed: int, console: Console) -> str:
    """The SQLite store holding ``n`` trials of ``seed``, recorded through the SDK on first use."""

    def record(uri: str) -> None:
        ours._record_trials(n, seed)
        ours._analyze(uri)

    return _kept_store(f"n{n}-seed{seed}", f"{n:,} trials", record, console)


def _curves_store(console: Console) -> str:
    """A store of 100 trials whose ``loss`` has 100,000 points each, recorded once through the SDK."""
    import mltrail
    from benchmarks import data

    trials, points = CURVES

    def record(_: str) -> None:
        for index in range(trials):
            with mltrail.start_run(
                experiment="bench-curves", trial=f"curve-{index:03d}", kind="training"
            ) as run:
                for point in data.metric_series(points, seed=index):
                    run.log_metric("loss", point.value, step=point.step, timestamp=point.timestamp_ms / 1000)
        mltrail.flush()

    return _kept_store(f"curves-{trials}x{points}", f"{trials} trials × {points:,} points", record, console)


def _kept_store(name: str, what: str, record: Callable[[str], None], console: Console) -> str:
    """The SQLite store ``benchmarks/.work/ui/<name>``, filled once by ``record(uri)`` through the SDK."""
    import mltrail
    from mltrail.tracking import api

    folder = WORK / name
    uri = f"sqlite:///{folder / 'mltrail.db'}"
    if (folder / "loaded").exists():
        return uri
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["MLTRAIL_CAPTURE_CODE"] = "false"
    mltrail.set_tracking_uri(uri)
    try:
        with console.status(f"recording {what} (once; kept in {folder})"):
            record(uri)
    finally:
        api.reset()
    (folder / "loaded").touch()
    return uri


@contextmanager
def _served(uri: str) -> Iterator[str]:
    import uvicorn

    from mltrail.config import Settings
    from mltrail.server import create_app

    config = uvicorn.Config(
        create_app(Settings(tracking_uri=uri)), host="127.0.0.1", port=0, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def _browser() -> Iterator[Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))
    from browser import MISSING, chromium, find_chromium

    executable = find_chromium()
    if executable is None:
        raise SystemExit(MISSING)
    with chromium(executable) as browser:
        yield browser


def _timed(
    browser: Any, repeat: int, measure: Callable[[Any], None], *, keep: str | None = None
) -> list[float]:
    """Milliseconds of each load; a first, untimed load warms the server and the browser's cache.

    ``keep`` names a screenshot of the last load, taken after its timing, under ``benchmarks/.work/ui``.
    """
    samples = []
    for attempt in range(repeat + 1):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        started = time.perf_counter()
        measure(page)
        elapsed = (time.perf_counter() - started) * 1000
        if keep and attempt == repeat:
            page.screenshot(path=WORK / keep)
        context.close()
        if attempt:
            samples.append(elapsed)
    return samples


def _mlflow(browser: Any, args: argparse.Namespace, console: Console) -> dict[str, list[float]]:
    """U1 and U2 in MLflow's UI on the same trials."""
    import json
    import subprocess
    import urllib.request

    from benchmarks.peers.mlflow_env import (
        DEFAULT_VENV,
        ensure_mlflow_venv,
        mlflow_subprocess_env,
        run_mlflow,
    )

    python = ensure_mlflow_venv(DEFAULT_VENV)
    store = f"sqlite:///{WORK / f'mlflow-n{args.n}-seed{args.seed}' / 'mlflow.db'}"
    Path(store.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    with console.status(f"loading {args.n:,} trials into MLflow (once)"):
        run_mlflow(
            python,
            [
                "--backend-uri",
                store,
                "--n",
                str(args.n),
                "--seed",
                str(args.seed),
                "--which",
                "B1",  # a fast query: the cheapest step that makes the runner load (or reuse) the trials
                "--repeat",
                "1",
            ],
        )
    port = _free_port()
    command = [
        str(python.with_name("mlflow")),
        "server",
        "--backend-store-uri",
        store,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    server = subprocess.Popen(
        command, env=mlflow_subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("mlflow server did not start") from None
                time.sleep(0.5)
        name = f"bench-queries-n{args.n}-s{args.seed}"
        with urllib.request.urlopen(
            f"{url}/api/2.0/mlflow/experiments/get-by-name?experiment_name={name}", timeout=30
        ) as answer:
            experiment = json.load(answer)["experiment"]["experiment_id"]
        sorted_filtered = urlencode(
            {"searchFilter": MLFLOW_FILTER, "orderByKey": "metrics.`val_auc`", "orderByAsc": "false"}
        )
        cap = args.peer_cap * 1000
        return {
            "U1": _timed(
                browser,
                args.peer_repeat,
                lambda page: _mlflow_runs(page, f"{url}/#/experiments/{experiment}/runs", cap),
                keep="mlflow-U1.png",
            ),
            "U2": _timed(
                browser,
                args.peer_repeat,
                lambda page: _mlflow_runs(
                    page, f"{url}/#/experiments/{experiment}/runs?{sorted_filtered}", cap
                ),
                keep="mlflow-U2.png",
            ),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


def _mlflow_runs(page: Any, address: str, cap_ms: float) -> None:
    """Load MLflow's runs page until its table shows runs (or the cap passes)."""
    from playwright.sync_api import TimeoutError as PageTimeout

    page.goto(address)
    with contextlib.suppress(PageTimeout):  # counted as the cap: the table never showed in time
        page.wait_for_function("() => document.body.innerText.includes('trial-0')", timeout=cap_ms)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _curves(page: Any, url: str) -> None:
    trials, _ = CURVES
    state = urlencode([("metric", "loss"), *(("trial", f"curve-{i:03d}") for i in range(trials))])
    page.goto(f"{url}/experiments/bench-curves/compare?{state}")
    page.wait_for_function(
        """(count) => {
            const box = document.getElementById("curves");
            const chart = box && window.echarts && echarts.getInstanceByDom(box);
            const series = chart && chart.getOption().series;
            return series && series.length === count && series.every((s) => s.data && s.data.length);
        }""",
        arg=trials,
        timeout=120_000,
    )


def _leaderboard(page: Any, url: str, state: dict[str, str]) -> None:
    page.goto(f"{url}/experiments/{ours.EXPERIMENT}?{urlencode(state)}")
    page.locator("#leaderboard tbody tr").first.wait_for(timeout=60_000)


def _parallel(page: Any, url: str, lines: int) -> None:
    page.goto(f"{url}/experiments/{ours.EXPERIMENT}/compare")
    page.wait_for_function(
        """(lines) => {
            const box = document.getElementById("parallel");
            const chart = box && window.echarts && echarts.getInstanceByDom(box);
            const series = chart && chart.getOption().series;
            return series && series.length && series[0].data.length >= lines;
        }""",
        arg=lines,
        timeout=120_000,
    )


if __name__ == "__main__":
    raise SystemExit(main())
