"""Benchmark MLflow's tracking store on the shared seeded data; print one JSON object on stdout.

This script runs INSIDE MLflow's own virtualenv (see ``mlflow_env.py``). It imports only
the standard library, ``mlflow`` (and the SQLAlchemy that MLflow brings) and
``benchmarks/data.py``, loaded by file path; it never imports mltrail. Every MLflow call
goes through MLflow's in-process SQLAlchemy store (``--backend-uri`` is a database URI,
not an HTTP server), the fastest way MLflow can be used.

Benchmarks (``--which``, comma-separated):

* **B1** ``search_runs`` with ``metrics.learning_rate < 0.01 and metrics.val_auc > 0.9``,
  ``order_by=["metrics.val_auc DESC"]``, ``max_results=100``. Params are strings in MLflow
  (``params.learning_rate < 0.01`` is rejected), so, as MLflow's maintainers advise
  (mlflow#6348), learning_rate is also logged as a metric mirror.
* **B2** the top 100 by ``metrics.val_auc DESC`` without a filter.
* **B3** paging through every FINISHED run, 1,000 per page, with ``page_token``.
* **B4** recording trials through the normal fluent API: ``start_run`` + ``log_params`` +
  ``log_metrics`` (with the learning_rate mirror) + ``log_input`` (a ``MetaDataset`` for the
  input URI, context ``training``) + ``set_tag("output_uri", ...)`` + ``end_run(status)``;
  on ``--sdk-n`` trials (default 1,000), reported as trials/s.
* **B5** ``--points`` points (default 1,000,000) of one metric via ``MlflowClient.log_batch``
  in 1,000-metric batches (MLflow's per-request maximum), reported as points/s.
* **B6** ``MlflowClient.get_metric_history`` of a ``--history-points`` (100,000) metric.
* **B7** a 1,000-point downsampled read of that metric. ``MlflowClient`` has no sampled
  read, so B7 calls ``SqlAlchemyStore.get_metric_history_bulk_interval(..., max_results=1000)``,
  the store method behind the UI's ``get-history-bulk-interval`` endpoint (sampling in SQL with
  window functions). **B7c** is the client-only alternative: ``get_metric_history`` plus
  stride downsampling in Python.

Loading the query dataset (B1-B3). Ingest through the client runs at ~17 runs/s, i.e. ~50
min for 50,000 runs, so the dataset is bulk-inserted instead: one SQLAlchemy Core
``executemany`` per table, in a single transaction, into MLflow's own tables (``runs``,
``tags``, ``params``, ``metrics``, ``latest_metrics``, ``datasets``, ``inputs``,
``input_tags``) using MLflow's own table objects (``mlflow.store.tracking.dbmodels``), after
``SqlAlchemyStore`` has created and migrated the schema and the experiment. The rows carry
exactly what the B4 fluent calls write for the same trial: the run row (status
FINISHED/FAILED, source ``UNKNOWN``, artifact URI ``<experiment>/<run_id>/artifacts``), the
tags from MLflow's own ``context_registry.resolve_tags()`` (``mlflow.user``,
``mlflow.source.name``/``type``, and ``mlflow.source.git.commit``/``branch`` when the script
sits in a git checkout with commits) plus ``mlflow.runName`` and ``output_uri``,
``str()``-ed params, one metric point per metric (step 0) mirrored in ``latest_metrics``,
and the dataset/input/input-tag rows built from MLflow's own ``MetaDataset`` entity. Only
ids and timestamps differ: run and dataset ids are seeded UUID4 hex strings, times are the
generated ones. A shape check proves it: it records trial 1 through the fluent API in a
scratch experiment and compares every row of both runs except ids and times
(``load.shape_check``). The SDK write rate is measured separately (B4) and is never
extrapolated from the bulk load. ``ANALYZE`` is not run (MLflow never runs it) unless
``--analyze`` is given; PostgreSQL's autovacuum may still analyze on its own, so
``db_statistics`` reports what the planner had.

Every step runs in a forked child process bounded by ``--timeout-s`` (``--load-timeout-s``
for the load); a step over its cap is killed and reported as ``"status": "timeout"`` with
the samples and partial results it finished. Steps run one after another, never
concurrently. On PostgreSQL the driver is pinned to psycopg2 (SQLAlchemy 2.1 would pick
psycopg 3 for a bare ``postgresql://``) and the URI gets ``statement_timeout`` so a killed
step leaves no query running.

Output (one JSON object on stdout; logs go to stderr): versions, ``backend``, ``n``, ``seed``,
``repeat``; ``load`` (method, seconds, rows per table, ``shape_check``), ``db_statistics``,
``db_bytes`` (SQLite), ``history_setup``; and ``benchmarks``, keyed by id, each with ``status``
(``ok``/``timeout``/``error``/``skipped``) and ``wall_s``. Reads (B1-B3, B6, B7, B7c) add
``samples_ms``, ``first_ms``, ``median_ms`` and nearest-rank ``p95_ms``; B1/B2 add the 100
``names`` (``mlflow.runName``) in result order, B3 ``rows``, ``pages`` and ``names_digest``
(``data.names_digest``), all three ``matches_reference`` against ``data.reference_answers``.
Writes (B4, B5) add ``rate`` and ``unit`` (``partial_rate`` from progress on a timeout).

Usage::

    python mlflow_runner.py --backend-uri sqlite:////tmp/b/mlflow.db --n 2000 --which B1,B2,B3
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import logging
import math
import multiprocessing
import os
import platform
import queue
import random
import re
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # never phone home, even when run by hand
os.environ.setdefault("DO_NOT_TRACK", "true")

import mlflow  # noqa: E402  (telemetry switches must be set before the import)
import sqlalchemy as sa  # noqa: E402
from mlflow.data.dataset_source_registry import resolve_dataset_source  # noqa: E402
from mlflow.data.meta_dataset import MetaDataset  # noqa: E402
from mlflow.entities import Metric, ViewType  # noqa: E402
from mlflow.store.tracking.dbmodels import models as db  # noqa: E402
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402
from mlflow.tracking.context import registry as context_registry  # noqa: E402
from mlflow.utils.uri import append_to_uri_path  # noqa: E402

log = logging.getLogger("mlflow_runner")

ALL_BENCHMARKS = ("B1", "B2", "B3", "B4", "B5", "B6", "B7")
QUERY_BENCHMARKS = frozenset({"B1", "B2", "B3"})
B1_FILTER = "metrics.learning_rate < 0.01 and metrics.val_auc > 0.9"
ORDER_BY_AUC = ["metrics.val_auc DESC"]
TOP_K = 100
PAGE_SIZE = 1_000
BATCH_SIZE = 1_000
SAMPLED_POINTS = 1_000
HISTORY_KEY = "loss"
STATUS_TO_MLFLOW = {"Completed": "FINISHED", "Failed": "FAILED"}
DATASET_CONTEXT = "training"
INSERT_CHUNK = 5_000


def load_data_module() -> ModuleType:
    """Load ``benchmarks/data.py`` by file path (the benchmarks package is not installed here)."""
    path = Path(__file__).resolve().parents[1] / "data.py"
    spec = importlib.util.spec_from_file_location("mltrail_bench_data", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


data = load_data_module()


# --------------------------------------------------------------------------------------------
# Bounded execution in a forked child
# --------------------------------------------------------------------------------------------


class Reporter:
    """Lets a step running in the child send samples and partial results to the parent as it goes."""

    def __init__(self, out: Any) -> None:
        self._out = out

    def sample(self, value: Any) -> None:
        """Send one measurement (milliseconds for reads, a progress dict for writes)."""
        self._out.put(("sample", value))

    def partial(self, result: dict[str, Any]) -> None:
        """Send result fields known so far, kept even if the step later times out."""
        self._out.put(("partial", result))


Step = Callable[[Reporter], dict[str, Any]]


@dataclass
class StepOutcome:
    """What a bounded step produced: ``status`` is ``ok``, ``timeout`` or ``error``."""

    status: str
    seconds: float
    samples: list[Any] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def _child_main(out: Any, fn: Step) -> None:
    """Run ``fn`` in the child, streaming samples and the final result through ``out``."""
    try:
        result = fn(Reporter(out))
        out.put(("done", result))
    except BaseException:  # report everything, the parent decides
        out.put(("error", traceback.format_exc()))
    out.close()
    out.join_thread()


def run_bounded(fn: Step, timeout_s: float) -> StepOutcome:
    """Run ``fn(reporter)`` in a forked process, killing it after ``timeout_s`` seconds.

    Samples and partial results sent before a timeout are kept, so a slow benchmark
    still reports what it measured.
    """
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_child_main, args=(out, fn), daemon=True)
    started = time.perf_counter()
    deadline = time.monotonic() + timeout_s
    proc.start()
    outcome = StepOutcome(status="timeout", seconds=0.0)
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            kind, payload = out.get(timeout=min(remaining, 0.5))
        except queue.Empty:
            if not proc.is_alive():
                outcome.status, outcome.error = "error", f"child exited with code {proc.exitcode}"
                break
            continue
        if kind == "sample":
            outcome.samples.append(payload)
        elif kind == "partial":
            outcome.result.update(payload)
        elif kind == "done":
            outcome.status, outcome.result = "ok", {**outcome.result, **payload}
            break
        else:
            outcome.status, outcome.error = "error", payload
            break
    outcome.seconds = time.perf_counter() - started
    if proc.is_alive():
        proc.join(timeout=5 if outcome.status == "ok" else 0)
    if proc.is_alive():
        proc.terminate()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join()
    return outcome


# --------------------------------------------------------------------------------------------
# Settings and helpers
# --------------------------------------------------------------------------------------------


@dataclass
class Settings:
    """Parsed command line plus state shared with the forked steps."""

    backend_uri: str
    n: int
    seed: int
    repeat: int
    points: int
    history_points: int
    sdk_n: int
    which: list[str]
    timeout_s: float
    load_timeout_s: float
    analyze: bool
    artifact_root: str
    query_experiment_id: str | None = None
    history_run_id: str | None = None

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql`` (the URI scheme without a driver suffix)."""
        return urlsplit(self.backend_uri).scheme.split("+", 1)[0]

    @property
    def store_uri(self) -> str:
        """The URI handed to MLflow: for PostgreSQL, pinned to psycopg2 and bounded by ``statement_timeout``.

        SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3; MLflow documents and we
        install psycopg2, so the driver is named explicitly.
        """
        if self.backend != "postgresql":
            return self.backend_uri
        uri = re.sub(r"^postgresql:", "postgresql+psycopg2:", self.backend_uri)
        sep = "&" if "?" in uri else "?"
        option = urlencode({"options": f"-c statement_timeout={int(self.timeout_s * 1000)}"}, quote_via=quote)
        return f"{uri}{sep}{option}"


def redact(uri: str) -> str:
    """Hide the password of a database URI."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", uri)


def summarize_ms(samples: list[float]) -> dict[str, Any]:
    """Return first, median and nearest-rank p95 of millisecond samples."""
    if not samples:
        return {"samples_ms": []}
    ordered = sorted(samples)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    rounded = [round(s, 2) for s in samples]
    return {
        "samples_ms": rounded,
        "first_ms": rounded[0],
        "median_ms": round(median, 2),
        "p95_ms": round(p95, 2),
    }


def make_client(settings: Settings) -> MlflowClient:
    """Return a client whose store is already initialised (engine built, schema checked)."""
    client = MlflowClient(tracking_uri=settings.store_uri)
    client.search_experiments(max_results=1)
    return client


def create_experiment(client: MlflowClient, settings: Settings, prefix: str) -> str:
    """Create a uniquely named experiment under the artifact root and return its id."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return str(client.create_experiment(name, artifact_location=f"{settings.artifact_root}/{name}"))


def metric_rows_for(record: Any) -> dict[str, float]:
    """Return the metrics MLflow records for a trial: its metrics plus the learning_rate mirror."""
    return {**record.metrics, "learning_rate": float(record.params["learning_rate"])}


def dataset_for(record: Any) -> MetaDataset:
    """Return the MLflow dataset object describing the trial's input URI."""
    return MetaDataset(source=resolve_dataset_source(record.input_uri), name=record.dataset_name)


# --------------------------------------------------------------------------------------------
# Bulk load of the query dataset, and the shape check against the fluent API
# --------------------------------------------------------------------------------------------


def _seeded_hex_ids(seed: int, salt: str) -> Iterator[str]:
    """Yield deterministic UUID4-formatted hex ids (what ``uuid.uuid4().hex`` looks like)."""
    rng = random.Random(f"{salt}-{seed}")
    while True:
        yield uuid.UUID(int=rng.getrandbits(128), version=4).hex


def _bulk_rows(
    records: list[Any],
    experiment_id: int,
    artifact_location: str,
    context_tags: dict[str, str],
    ids: Iterator[str],
    dataset_ids: dict[str, str],
) -> dict[str, list[dict[str, Any]]]:
    """Build the rows MLflow's store writes for ``records`` (see the module docstring)."""
    rows: dict[str, list[dict[str, Any]]] = {
        t: [] for t in ("runs", "tags", "params", "metrics", "latest_metrics", "inputs", "input_tags")
    }
    for record in records:
        run_id = next(ids)
        rows["runs"].append(
            {
                "run_uuid": run_id,
                "name": record.name,
                "source_type": "UNKNOWN",
                "source_name": "",
                "entry_point_name": "",
                "user_id": context_tags.get("mlflow.user"),
                "status": STATUS_TO_MLFLOW[record.status],
                "start_time": record.start_time_ms,
                "end_time": record.end_time_ms,
                "deleted_time": None,
                "source_version": "",
                "lifecycle_stage": "active",
                "artifact_uri": append_to_uri_path(
                    artifact_location, run_id, SqlAlchemyStore.ARTIFACTS_FOLDER_NAME
                ),
                "experiment_id": experiment_id,
            }
        )
        tags = {**context_tags, "mlflow.runName": record.name, "output_uri": record.output_uri}
        rows["tags"] += [{"key": k, "value": v, "run_uuid": run_id} for k, v in tags.items()]
        rows["params"] += [{"key": k, "value": str(v), "run_uuid": run_id} for k, v in record.params.items()]
        for key, value in metric_rows_for(record).items():
            point = {
                "key": key,
                "value": value,
                "timestamp": record.end_time_ms,
                "step": 0,
                "is_nan": False,
                "run_uuid": run_id,
            }
            rows["metrics"].append(point)
            rows["latest_metrics"].append(dict(point))
        input_id = next(ids)
        rows["inputs"].append(
            {
                "input_uuid": input_id,
                "source_type": "DATASET",
                "source_id": dataset_ids[record.dataset_name],
                "destination_type": "RUN",
                "destination_id": run_id,
                "step": 0,
            }
        )
        rows["input_tags"].append(
            {"input_uuid": input_id, "name": "mlflow.data.context", "value": DATASET_CONTEXT}
        )
    return rows


def _load_step(settings: Settings, report: Reporter) -> dict[str, Any]:
    """Create the query experiment and bulk-insert ``settings.n`` trials (or reuse a complete load)."""
    store = SqlAlchemyStore(settings.store_uri, settings.artifact_root)
    name = f"bench-queries-n{settings.n}-s{settings.seed}"
    existing = store.get_experiment_by_name(name)
    if existing is not None:
        with store.engine.connect() as conn:
            count = conn.execute(
                sa.select(sa.func.count())
                .select_from(db.SqlRun.__table__)
                .where(db.SqlRun.experiment_id == int(existing.experiment_id))
            ).scalar_one()
        if count != settings.n:
            raise RuntimeError(
                f"experiment {name!r} holds {count} runs, expected {settings.n}: use a fresh database"
            )
        return {"experiment_id": existing.experiment_id, "reused": True, "runs": count}

    artifact_location = f"{settings.artifact_root}/{name}"
    experiment_id = store.create_experiment(name, artifact_location=artifact_location)
    context_tags = context_registry.resolve_tags()
    records = list(data.generate_trials(settings.n, settings.seed))
    ids = _seeded_hex_ids(settings.seed, "mlflow-bulk")

    started = time.perf_counter()
    datasets: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.dataset_name not in datasets:
            entity = dataset_for(record)._to_mlflow_entity()
            datasets[record.dataset_name] = {
                "dataset_uuid": next(ids),
                "experiment_id": int(experiment_id),
                "name": entity.name,
                "digest": entity.digest,
                "dataset_source_type": entity.source_type,
                "dataset_source": entity.source,
                "dataset_schema": entity.schema,
                "dataset_profile": entity.profile,
            }
    dataset_ids = {k: v["dataset_uuid"] for k, v in datasets.items()}
    tables = {
        t.name: t
        for t in (
            db.SqlRun.__table__,
            db.SqlTag.__table__,
            db.SqlParam.__table__,
            db.SqlMetric.__table__,
            db.SqlLatestMetric.__table__,
            db.SqlDataset.__table__,
            db.SqlInput.__table__,
            db.SqlInputTag.__table__,
        )
    }
    counts = {name_: 0 for name_ in tables}
    with store.engine.begin() as conn:
        conn.execute(tables["datasets"].insert(), list(datasets.values()))
        counts["datasets"] = len(datasets)
        for start in range(0, len(records), INSERT_CHUNK):
            chunk = _bulk_rows(
                records[start : start + INSERT_CHUNK],
                int(experiment_id),
                artifact_location,
                context_tags,
                ids,
                dataset_ids,
            )
            for table_name in ("runs", "tags", "params", "metrics", "latest_metrics", "inputs", "input_tags"):
                conn.execute(tables[table_name].insert(), chunk[table_name])
                counts[table_name] += len(chunk[table_name])
            report.sample(
                {"runs": min(start + INSERT_CHUNK, len(records)), "seconds": time.perf_counter() - started}
            )
    seconds = time.perf_counter() - started
    return {
        "experiment_id": experiment_id,
        "reused": False,
        "runs": settings.n,
        "seconds": round(seconds, 2),
        "runs_per_s": round(settings.n / seconds, 1) if seconds else None,
        "rows": counts,
        "shape_check": shape_check(settings, store, experiment_id, records[0]),
    }


def _run_snapshot(conn: sa.Connection, run_id: str) -> dict[str, Any]:
    """Return every row MLflow holds for a run, minus ids and timestamps."""
    run = dict(
        conn.execute(sa.select(db.SqlRun.__table__).where(db.SqlRun.run_uuid == run_id)).mappings().one()
    )
    for volatile in ("run_uuid", "experiment_id", "artifact_uri", "start_time", "end_time"):
        run.pop(volatile)
    snap: dict[str, Any] = {"run": run}
    snap["tags"] = dict(
        conn.execute(sa.select(db.SqlTag.key, db.SqlTag.value).where(db.SqlTag.run_uuid == run_id)).all()
    )
    snap["params"] = dict(
        conn.execute(
            sa.select(db.SqlParam.key, db.SqlParam.value).where(db.SqlParam.run_uuid == run_id)
        ).all()
    )
    for label, model in (("metrics", db.SqlMetric), ("latest_metrics", db.SqlLatestMetric)):
        snap[label] = {
            r.key: (r.value, r.step, bool(r.is_nan))
            for r in conn.execute(
                sa.select(model.key, model.value, model.step, model.is_nan).where(model.run_uuid == run_id)
            )
        }
    inputs = (
        conn.execute(sa.select(db.SqlInput.__table__).where(db.SqlInput.destination_id == run_id))
        .mappings()
        .all()
    )
    snap["inputs"] = []
    for row in inputs:
        dataset = dict(
            conn.execute(
                sa.select(db.SqlDataset.__table__).where(db.SqlDataset.dataset_uuid == row["source_id"])
            )
            .mappings()
            .one()
        )
        input_tags: dict[str, str] = dict(
            conn.execute(
                sa.select(db.SqlInputTag.name, db.SqlInputTag.value).where(
                    db.SqlInputTag.input_uuid == row["input_uuid"]
                )
            ).all()
        )
        for volatile in ("dataset_uuid", "experiment_id"):
            dataset.pop(volatile)
        snap["inputs"].append(
            {
                "type": (row["source_type"], row["destination_type"], row["step"]),
                "dataset": dataset,
                "tags": input_tags,
            }
        )
    return snap


def shape_check(settings: Settings, store: SqlAlchemyStore, experiment_id: str, record: Any) -> str:
    """Record ``record`` through the fluent API and compare its rows with the bulk-loaded copy.

    Returns:
        ``"ok"`` or a description of the first differing part.
    """
    mlflow.set_tracking_uri(settings.store_uri)
    scratch = create_experiment(MlflowClient(settings.store_uri), settings, "bench-shape-check")
    sdk_run_id = log_trial_fluent(record, scratch)
    with store.engine.connect() as conn:
        bulk_run_id = conn.execute(
            sa.select(db.SqlRun.run_uuid).where(
                db.SqlRun.experiment_id == int(experiment_id), db.SqlRun.name == record.name
            )
        ).scalar_one()
        sdk, bulk = _run_snapshot(conn, sdk_run_id), _run_snapshot(conn, bulk_run_id)
    for part in sdk:
        if sdk[part] != bulk[part]:
            return f"differs in {part}: sdk={sdk[part]!r} bulk={bulk[part]!r}"
    return "ok"


def log_trial_fluent(record: Any, experiment_id: str) -> str:
    """Record one trial the way an MLflow user does, returning the run id."""
    run = mlflow.start_run(experiment_id=experiment_id, run_name=record.name)
    mlflow.log_params(record.params)
    mlflow.log_metrics(metric_rows_for(record))
    mlflow.log_input(dataset_for(record), context=DATASET_CONTEXT)
    mlflow.set_tag("output_uri", record.output_uri)
    mlflow.end_run(status=STATUS_TO_MLFLOW[record.status])
    run_id: str = run.info.run_id
    return run_id


def db_statistics(settings: Settings) -> dict[str, Any]:
    """Report whether the query planner has statistics (``ANALYZE`` results) for MLflow's tables."""
    engine = sa.create_engine(settings.store_uri)
    try:
        with engine.connect() as conn:
            if settings.backend == "sqlite":
                has = conn.execute(
                    sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
                ).scalar()
                return {"analyzed": bool(has)}
            rows = conn.execute(
                sa.text(
                    "SELECT relname, last_analyze, last_autoanalyze FROM pg_stat_user_tables "
                    "WHERE relname IN ('runs', 'latest_metrics', 'params', 'tags') ORDER BY relname"
                )
            ).all()
            return {
                "analyzed": all(r[1] or r[2] for r in rows) if rows else False,
                "tables": {r[0]: {"last_analyze": str(r[1]), "last_autoanalyze": str(r[2])} for r in rows},
            }
    finally:
        engine.dispose()


def _analyze_step(settings: Settings, report: Reporter) -> dict[str, Any]:
    """Run ``ANALYZE`` (only with ``--analyze``)."""
    engine = sa.create_engine(settings.store_uri)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    return {"seconds": round(time.perf_counter() - started, 2)}


# --------------------------------------------------------------------------------------------
# Benchmarks
# --------------------------------------------------------------------------------------------


def _search_top(settings: Settings, report: Reporter, *, filter_string: str) -> dict[str, Any]:
    """B1/B2: repeat one top-100 ``search_runs`` call and return the names of its result."""
    client = make_client(settings)
    query = {"filter_string": filter_string, "order_by": ORDER_BY_AUC, "max_results": TOP_K}
    result: dict[str, Any] = {}
    for _ in range(settings.repeat):
        started = time.perf_counter()
        runs = client.search_runs(
            [settings.query_experiment_id], filter_string, ViewType.ACTIVE_ONLY, TOP_K, ORDER_BY_AUC
        )
        report.sample((time.perf_counter() - started) * 1000)
        if not result:
            names = [r.data.tags.get("mlflow.runName") for r in runs]
            result = {"rows": len(names), "names": names, "query": query}
            report.partial(result)
    return result


def bench_b1(settings: Settings, report: Reporter) -> dict[str, Any]:
    """B1: filtered (mirror metric) and sorted top 100."""
    return _search_top(settings, report, filter_string=B1_FILTER)


def bench_b2(settings: Settings, report: Reporter) -> dict[str, Any]:
    """B2: unfiltered top 100 by val_auc."""
    return _search_top(settings, report, filter_string="")


def bench_b3(settings: Settings, report: Reporter) -> dict[str, Any]:
    """B3: page through all FINISHED runs, ``PAGE_SIZE`` per page; one sample per full pass."""
    client = make_client(settings)
    query = {"filter_string": "attributes.status = 'FINISHED'", "max_results": PAGE_SIZE}
    result: dict[str, Any] = {}
    for _ in range(settings.repeat):
        names: list[str] = []
        pages, token = 0, None
        started = time.perf_counter()
        while True:
            page = client.search_runs(
                [settings.query_experiment_id],
                query["filter_string"],
                ViewType.ACTIVE_ONLY,
                PAGE_SIZE,
                None,
                token,
            )
            names += [r.data.tags.get("mlflow.runName") for r in page]
            pages += 1
            token = page.token
            if not token:
                break
        report.sample((time.perf_counter() - started) * 1000)
        if not result:
            result = {
                "rows": len(names),
                "pages": pages,
                "names_digest": data.names_digest(names),
                "query": query,
            }
            report.partial(result)
    return result


def bench_b4(settings: Settings, report: Reporter) -> dict[str, Any]:
    """B4: record ``sdk_n`` trials through the fluent API; progress samples allow a partial rate."""
    client = make_client(settings)
    mlflow.set_tracking_uri(settings.store_uri)
    experiment_id = create_experiment(client, settings, "bench-sdk-writes")
    started = time.perf_counter()
    for done, record in enumerate(data.generate_trials(settings.sdk_n, settings.seed), start=1):
        log_trial_fluent(record, experiment_id)
        if done % 50 == 0:
            report.sample({"trials": done, "seconds": time.perf_counter() - started})
    seconds = time.perf_counter() - started
    return {
        "trials": settings.sdk_n,
        "seconds": round(seconds, 2),
        "rate": round(settings.sdk_n / seconds, 2),
        "unit": "trials/s",
    }


def _log_series(
    client: MlflowClient, run_id: str, n_points: int, seed: int, report: Reporter | None
) -> float:
    """Log ``n_points`` of ``HISTORY_KEY`` in ``BATCH_SIZE`` batches; return the seconds it took."""
    started = time.perf_counter()
    batch: list[Metric] = []
    sent = 0
    for point in data.metric_series(n_points, seed):
        batch.append(Metric(HISTORY_KEY, point.value, point.timestamp_ms, point.step))
        if len(batch) == BATCH_SIZE:
            client.log_batch(run_id, metrics=batch)
            sent += len(batch)
            batch = []
            if report is not None and sent % (20 * BATCH_SIZE) == 0:
                report.sample({"points": sent, "seconds": time.perf_counter() - started})
    if batch:
        client.log_batch(run_id, metrics=batch)
    return time.perf_counter() - started


def bench_b5(settings: Settings, report: Reporter) -> dict[str, Any]:
    """B5: ``points`` metric points via ``log_batch``; reported as points/s."""
    client = make_client(settings)
    run = client.create_run(
        create_experiment(client, settings, "bench-metric-write"), run_name="series-write"
    )
    seconds = _log_series(client, run.info.run_id, settings.points, settings.seed, report)
    return {
        "points": settings.points,
        "batch_size": BATCH_SIZE,
        "seconds": round(seconds, 2),
        "rate": round(settings.points / seconds, 1),
        "unit": "points/s",
    }


def _history_setup(settings: Settings, report: Reporter) -> dict[str, Any]:
    """Write the ``history_points`` metric that B6 and B7 read (not timed as a benchmark)."""
    client = make_client(settings)
    run = client.create_run(create_experiment(client, settings, "bench-metric-read"), run_name="series-read")
    seconds = _log_series(client, run.info.run_id, settings.history_points, settings.seed, None)
    client.set_terminated(run.info.run_id)
    return {"run_id": run.info.run_id, "points": settings.history_points, "seconds": round(seconds, 2)}


def bench_b6(settings: Settings, report: Reporter) -> dict[str, Any]:
    """B6: full ``get_metric_history`` of the history metric."""
    client = make_client(settings)
    history: list[Any] = []
    for _ in range(settings.repeat):
        started = time.perf_counter()
        history = client.get_metric_history(settings.history_run_id, HISTORY_KEY)
        report.sample((time.perf_counter() - started) * 1000)
    return {"rows": len(history), "api": "MlflowClient.get_metric_history"}


def bench_b7(settings: Settings, report: Reporter) -> dict[str, Any]:
    """B7: 1,000-point sampled read in SQL through the store (what the UI endpoint calls)."""
    store = SqlAlchemyStore(settings.store_uri, settings.artifact_root)
    sampled: list[Any] = []
    for _ in range(settings.repeat):
        started = time.perf_counter()
        sampled = store.get_metric_history_bulk_interval(
            [settings.history_run_id], HISTORY_KEY, SAMPLED_POINTS, None, None
        )
        report.sample((time.perf_counter() - started) * 1000)
    return {"rows": len(sampled), "api": "SqlAlchemyStore.get_metric_history_bulk_interval(max_results=1000)"}


def bench_b7c(settings: Settings, report: Reporter) -> dict[str, Any]:
    """B7c: client-only sampled read: full history, then every k-th point (plus the last one)."""
    client = make_client(settings)
    sampled: list[Any] = []
    for _ in range(settings.repeat):
        started = time.perf_counter()
        history = sorted(
            client.get_metric_history(settings.history_run_id, HISTORY_KEY), key=lambda m: m.step
        )
        stride = max(1, math.ceil(len(history) / SAMPLED_POINTS))
        sampled = history[::stride]
        if history and sampled[-1] is not history[-1]:
            sampled[-1] = history[-1]
        report.sample((time.perf_counter() - started) * 1000)
    return {"rows": len(sampled), "api": "MlflowClient.get_metric_history + stride downsampling in Python"}


QUERY_STEPS: dict[str, Callable[[Settings, Reporter], dict[str, Any]]] = {
    "B1": bench_b1,
    "B2": bench_b2,
    "B3": bench_b3,
    "B6": bench_b6,
    "B7": bench_b7,
    "B7c": bench_b7c,
}
WRITE_STEPS: dict[str, Callable[[Settings, Reporter], dict[str, Any]]] = {"B4": bench_b4, "B5": bench_b5}


# --------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------


def _report(outcome: StepOutcome, *, timed_samples: bool) -> dict[str, Any]:
    """Turn a step outcome into its JSON entry."""
    entry: dict[str, Any] = {"status": outcome.status, "wall_s": round(outcome.seconds, 2)}
    if timed_samples:
        entry.update(summarize_ms(outcome.samples))
    elif outcome.samples and outcome.status != "ok":
        progress = entry["progress"] = outcome.samples[-1]
        done = progress.get("trials", progress.get("points", progress.get("runs")))
        if done and progress.get("seconds"):
            entry["partial_rate"] = round(done / progress["seconds"], 2)
    entry.update(outcome.result)
    if outcome.error:
        entry["error"] = outcome.error.strip().splitlines()[-1]
        log.error("step failed:\n%s", outcome.error)
    return entry


def _check_reference(benchmarks: dict[str, Any], reference: Any) -> None:
    """Add ``matches_reference`` to B1-B3 entries (compared with ``data.reference_answers``)."""
    expected = {"B1": reference.b1_names, "B2": reference.b2_names}
    for bid, names in expected.items():
        if bid in benchmarks and "names" in benchmarks[bid]:
            benchmarks[bid]["matches_reference"] = benchmarks[bid]["names"] == names
    if "B3" in benchmarks and "names_digest" in benchmarks["B3"]:
        b3 = benchmarks["B3"]
        b3["matches_reference"] = (
            b3["rows"] == reference.completed_count and b3["names_digest"] == reference.completed_digest
        )


def run(settings: Settings) -> dict[str, Any]:
    """Run the selected benchmarks and return the JSON-ready result."""
    result: dict[str, Any] = {
        "tool": "mlflow",
        "mlflow_version": mlflow.__version__,
        "sqlalchemy_version": sa.__version__,
        "python": platform.python_version(),
        "backend": settings.backend,
        "backend_uri": redact(settings.backend_uri),
        "n": settings.n,
        "seed": settings.seed,
        "repeat": settings.repeat,
        "analyze": settings.analyze,
        "timeout_s": settings.timeout_s,
        "benchmarks": {},
    }
    benchmarks: dict[str, Any] = result["benchmarks"]
    wanted = set(settings.which)
    if wanted & QUERY_BENCHMARKS:
        log.info("loading %d trials into MLflow's tables", settings.n)
        load = run_bounded(functools.partial(_load_step, settings), settings.load_timeout_s)
        result["load"] = {
            "method": "bulk insert into MLflow's tables via SQLAlchemy Core (see docstring)",
            **_report(load, timed_samples=False),
        }
        if load.status == "ok":
            settings.query_experiment_id = load.result["experiment_id"]
            if settings.analyze:
                result["analyze_step"] = _report(
                    run_bounded(functools.partial(_analyze_step, settings), settings.timeout_s),
                    timed_samples=False,
                )
            result["db_statistics"] = db_statistics(settings)
            if settings.backend == "sqlite":
                result["db_bytes"] = Path(urlsplit(settings.backend_uri).path[1:]).stat().st_size
        for bid in ("B1", "B2", "B3"):
            if bid in wanted:
                if settings.query_experiment_id is None:
                    benchmarks[bid] = {"status": "skipped", "reason": "load failed"}
                    continue
                log.info("running %s", bid)
                benchmarks[bid] = _report(
                    run_bounded(functools.partial(QUERY_STEPS[bid], settings), settings.timeout_s),
                    timed_samples=True,
                )
        if settings.query_experiment_id is not None:
            # PostgreSQL's autovacuum may have analyzed the tables while the queries ran.
            result["db_statistics_after_queries"] = db_statistics(settings)
        _check_reference(benchmarks, data.reference_answers(settings.n, settings.seed, limit=TOP_K))
    for bid in ("B4", "B5"):
        if bid in wanted:
            log.info("running %s", bid)
            benchmarks[bid] = _report(
                run_bounded(functools.partial(WRITE_STEPS[bid], settings), settings.timeout_s),
                timed_samples=False,
            )
    if wanted & {"B6", "B7"}:
        log.info("writing the %d-point metric read by B6/B7", settings.history_points)
        setup = run_bounded(functools.partial(_history_setup, settings), settings.timeout_s)
        result["history_setup"] = _report(setup, timed_samples=False)
        settings.history_run_id = setup.result.get("run_id")
        for bid in [b for b in ("B6", "B7", "B7c") if b.rstrip("c") in wanted]:
            if settings.history_run_id is None:
                benchmarks[bid] = {"status": "skipped", "reason": "history setup failed"}
                continue
            log.info("running %s", bid)
            benchmarks[bid] = _report(
                run_bounded(functools.partial(QUERY_STEPS[bid], settings), settings.timeout_s),
                timed_samples=True,
            )
    result["benchmarks"] = result.pop("benchmarks")  # keep the bulky part last
    return result


def parse_args(argv: list[str] | None = None) -> Settings:
    """Parse the command line into :class:`Settings`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--backend-uri", required=True, help="sqlite:///<path> or postgresql://user@host:port/db"
    )
    parser.add_argument("--n", type=int, default=50_000, help="trials in the query dataset (B1-B3)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5, help="timed repetitions of each read benchmark")
    parser.add_argument("--points", type=int, default=1_000_000, help="metric points written by B5")
    parser.add_argument("--history-points", type=int, default=100_000, help="points of the metric B6/B7 read")
    parser.add_argument(
        "--sdk-n", type=int, default=1_000, help="trials recorded through the fluent API in B4"
    )
    parser.add_argument("--which", default=",".join(ALL_BENCHMARKS), help="comma list of benchmark ids")
    parser.add_argument("--timeout-s", type=float, default=600.0, help="time cap of each benchmark step")
    parser.add_argument("--load-timeout-s", type=float, default=1800.0, help="time cap of the bulk load")
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE after loading (a variant)")
    parser.add_argument(
        "--artifact-root",
        default=str(Path(tempfile.gettempdir()) / "mltrail-bench-mlflow-artifacts"),
        help="artifact location prefix of the experiments created (nothing is written there)",
    )
    args = parser.parse_args(argv)
    which = [w.strip().upper() for w in args.which.split(",") if w.strip()]
    unknown = sorted(set(which) - set(ALL_BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark ids {unknown}; known: {', '.join(ALL_BENCHMARKS)}")
    if args.backend_uri.split(":", 1)[0].split("+", 1)[0] not in {"sqlite", "postgresql"}:
        parser.error("--backend-uri must be a sqlite:/// or postgresql:// URI")
    return Settings(
        backend_uri=args.backend_uri,
        n=args.n,
        seed=args.seed,
        repeat=args.repeat,
        points=args.points,
        history_points=args.history_points,
        sdk_n=args.sdk_n,
        which=which,
        timeout_s=args.timeout_s,
        load_timeout_s=args.load_timeout_s,
        analyze=args.analyze,
        artifact_root=args.artifact_root,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: everything but the final JSON goes to stderr."""
    settings = parse_args(argv)
    json_out = sys.stdout
    sys.stdout = sys.stderr  # MLflow and friends may print; keep stdout for the JSON alone
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    result = run(settings)
    json.dump(result, json_out)
    json_out.write("\n")
    json_out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
