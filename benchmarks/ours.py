"""Benchmark mltrail on the shared seeded data, through the public SDK, on one tracking URI.

The ids match MLflow's runner (``peers/mlflow_runner.py``):

* **B4** recording the ``n`` trials of ``data.generate_trials`` through the SDK (``start_run`` with
  params, ``log_input``, ``log_output``, ``log_metrics``, ending Completed or Failed), up to
  ``mltrail.flush()``: trials/s. These trials are the dataset B1-B3 then query, so the load *is*
  the SDK path; nothing is bulk-inserted.
* **B1** ``params.learning_rate < 0.01 AND metrics.val_auc > 0.9`` ordered by ``metrics.val_auc DESC``,
  100 results.
* **B2** the top 100 by ``metrics.val_auc DESC``.
* **B3** paging through every Completed trial, 1,000 per page.
* **B5** ``points`` points of one metric logged with ``run.log_metric`` one call per point: points/s.
* **B6** the full history of a ``history_points``-point metric; **B7** a 1,000-point downsampled read.

Reads report the median and p95 of ``repeat`` timed runs after one warm-up, and B1-B3 check their
results against ``data.reference_answers``. The SQLite file is used as mltrail leaves it (no
``ANALYZE``); on PostgreSQL, ``ANALYZE`` runs after the load, as autovacuum would within a minute.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import mltrail
from benchmarks import data
from mltrail.tracking import api

B1_FILTER = "params.learning_rate < 0.01 AND metrics.val_auc > 0.9"
ORDER = ["metrics.val_auc DESC"]
EXPERIMENT = "bench"


def summarize(samples: list[float]) -> dict[str, Any]:
    """Median and nearest-rank p95 of timings in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]
    return {
        "samples_ms": [round(s, 3) for s in samples],
        "median_ms": statistics.median(samples),
        "p95_ms": p95,
    }


def timed_reads(fn: Callable[[], Any], repeat: int) -> tuple[dict[str, Any], Any]:
    """Run ``fn`` once to warm up, then ``repeat`` times timed; return the summary and the last result."""
    result = fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    return summarize(samples), result


def run_ours(
    uri: str,
    *,
    n: int,
    seed: int,
    repeat: int,
    points: int,
    history_points: int,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Run B1-B7 against ``uri`` and return the results keyed by benchmark id."""
    api.reset()
    mltrail.set_tracking_uri(uri)
    results: dict[str, Any] = {}
    reference = data.reference_answers(n, seed)
    try:
        progress(f"B4: recording {n:,} trials through the SDK")
        results["B4"] = _record_trials(n, seed)
        if uri.startswith("postgresql"):
            _analyze(uri)

        progress("B1-B3: searching")
        summary, page = timed_reads(
            lambda: mltrail.search_trials(
                experiment=EXPERIMENT, filter=B1_FILTER, order_by=ORDER, max_results=100
            ),
            repeat,
        )
        names = [trial.name for trial in page]
        results["B1"] = summary | {"rows": len(names), "matches_reference": names == reference.b1_names}
        summary, page = timed_reads(
            lambda: mltrail.search_trials(experiment=EXPERIMENT, order_by=ORDER, max_results=100), repeat
        )
        names = [trial.name for trial in page]
        results["B2"] = summary | {"rows": len(names), "matches_reference": names == reference.b2_names}
        summary, completed = timed_reads(_page_completed, max(1, repeat // 2))
        results["B3"] = summary | {
            "rows": len(completed),
            "matches_reference": data.names_digest(completed) == reference.completed_digest,
        }

        progress(f"B5: logging {points:,} metric points")
        results["B5"] = _log_points(points)
        progress(f"B6-B7: reading a {history_points:,}-point history")
        run_id = _history_run(history_points)
        summary, history = timed_reads(lambda: mltrail.get_metric_history(run_id, "loss"), repeat)
        results["B6"] = summary | {"rows": len(history)}
        summary, sampled = timed_reads(
            lambda: mltrail.get_metric_history(run_id, "loss", max_points=1000), repeat
        )
        results["B7"] = summary | {"rows": len(sampled)}
    finally:
        api.reset()
    return results


def _record_trials(n: int, seed: int) -> dict[str, Any]:
    records = list(data.generate_trials(n, seed))
    started = time.perf_counter()
    for record in records:
        run = mltrail.start_run(
            experiment=EXPERIMENT, trial=record.name, kind="training", params=record.params
        )
        run.log_input(record.input_uri, role="train")
        run.log_output(record.output_uri, role="model")
        run.log_metrics(record.metrics)
        run.end("Completed" if record.is_completed else "Failed")
    mltrail.flush()
    seconds = time.perf_counter() - started
    return {"trials": n, "seconds": round(seconds, 3), "per_s": n / seconds}


def _page_completed() -> list[str]:
    names: list[str] = []
    token = None
    while True:
        page = mltrail.search_trials(
            experiment=EXPERIMENT, filter="status = 'Completed'", max_results=1000, page_token=token
        )
        names += [trial.name for trial in page]
        token = page.next_page_token
        if token is None:
            return names


def _log_points(points: int) -> dict[str, Any]:
    series = list(data.metric_series(points))
    started = time.perf_counter()
    with mltrail.start_run(experiment="bench-metrics", trial="b5", kind="training") as run:
        for point in series:
            run.log_metric("loss", point.value, step=point.step, timestamp=point.timestamp_ms / 1000)
    mltrail.flush()
    seconds = time.perf_counter() - started
    return {"points": points, "seconds": round(seconds, 3), "per_s": points / seconds}


def _history_run(points: int) -> Any:
    with mltrail.start_run(experiment="bench-metrics", trial="b6", kind="training") as run:
        for point in data.metric_series(points, seed=7):
            run.log_metric("loss", point.value, step=point.step, timestamp=point.timestamp_ms / 1000)
    mltrail.flush()
    return run.id


def _analyze(uri: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(uri)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
