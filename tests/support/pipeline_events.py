"""A realistic OpenLineage history: an Airflow-style ETL DAG and the ML chain mltrail's SDK emits after it.

The ETL DAG ``etl_daily`` (job namespace ``etl``) ingests orders from ``s3://bucket`` into
PostgreSQL (``postgres://host:5432``); two transforms read the same ``orders`` table; a join
combines their outputs and a report is written back to S3::

    raw/orders.json → ingest_orders → orders ─┬→ clean_orders → orders_clean ──┐
          customers ──→ customer_stats ←──────┘  → customer_stats ───────────┴→ join_orders
    join_orders → shop.public.order_facts → daily_report → s3://bucket reports/daily.csv

The ML chain (job namespace ``mltrail``, built with :func:`mltrail.openlineage.run_event`, as the
SDK sends it) reads ``order_facts``::

    order_facts → churn.process → features.parquet → churn.train → model.pkl
                → churn.register → mltrail://registry models/churn/versions/1 → churn.deploy
                → mltrail://endpoints churn-prod

Every job keeps the same inputs and outputs across its runs, so Marquez's graph (current job
versions only) and mltrail's (every run) agree. ``daily_report`` fails once, then succeeds;
``shop.public.customers_archive`` is known only from a DatasetEvent.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from mltrail.core.entities import CodeInfo, DatasetRef, MetricSummary, RunKind
from mltrail.openlineage import EndpointInfo, ModelVersionInfo, OutputDetails, ParentRef, RunSnapshot
from mltrail.openlineage.events import run_event as sdk_run_event
from mltrail.openlineage.events import to_dict

PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/2.1.0"
SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
FACETS = "https://openlineage.io/spec/facets"
T0 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)

PG = "postgres://host:5432"
S3 = "s3://bucket"
REGISTRY = "mltrail://registry"
ENDPOINTS = "mltrail://endpoints"
ETL = "etl"
ML = "mltrail"
DAG = "etl_daily"

RAW = (S3, "raw/orders.json")
ORDERS = (PG, "shop.public.orders")
CUSTOMERS = (PG, "shop.public.customers")
ORDERS_CLEAN = (PG, "shop.public.orders_clean")
CUSTOMER_STATS = (PG, "shop.public.customer_stats")
ORDER_FACTS = (PG, "shop.public.order_facts")
REPORT = (S3, "reports/daily.csv")
ARCHIVE = (PG, "shop.public.customers_archive")
FEATURES = (S3, "ml/churn/features.parquet")
MODEL = (S3, "ml/churn/model.pkl")
MODEL_VERSION = (REGISTRY, "models/churn/versions/1")
ENDPOINT = (ENDPOINTS, "churn-prod")

ETL_JOBS = {
    f"{DAG}.ingest_orders": ([RAW], [ORDERS]),
    f"{DAG}.clean_orders": ([ORDERS], [ORDERS_CLEAN]),
    f"{DAG}.customer_stats": ([ORDERS, CUSTOMERS], [CUSTOMER_STATS]),
    f"{DAG}.join_orders": ([ORDERS_CLEAN, CUSTOMER_STATS], [ORDER_FACTS]),
    f"{DAG}.daily_report": ([ORDER_FACTS], [REPORT]),
}
ML_JOBS = {
    "churn.process": ([ORDER_FACTS], [FEATURES]),
    "churn.train": ([FEATURES], [MODEL]),
    "churn.register": ([MODEL], [MODEL_VERSION]),
    "churn.deploy": ([MODEL_VERSION], [ENDPOINT]),
}
DAG_RUN = uuid.UUID("01930000-0000-7000-8000-000000000001")
FAILED_REPORT_RUN = uuid.UUID("01930000-0000-7000-8000-0000000000ff")

_COLUMNS = {
    ORDERS: [("order_id", "BIGINT"), ("customer_id", "BIGINT"), ("amount", "NUMERIC"), ("ts", "TIMESTAMP")],
    CUSTOMERS: [("customer_id", "BIGINT"), ("country", "TEXT")],
    ORDERS_CLEAN: [("order_id", "BIGINT"), ("customer_id", "BIGINT"), ("amount", "NUMERIC")],
    CUSTOMER_STATS: [("customer_id", "BIGINT"), ("orders", "BIGINT"), ("country", "TEXT")],
    ORDER_FACTS: [("order_id", "BIGINT"), ("amount", "NUMERIC"), ("country", "TEXT")],
    ARCHIVE: [("customer_id", "BIGINT"), ("archived_at", "TIMESTAMP")],
}


def node(kind: str, key: tuple[str, str]) -> str:
    """Marquez's node id of a job or dataset: ``job:<namespace>:<name>``."""
    return f"{kind}:{key[0]}:{key[1]}"


def _at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _facet(kind: str, version: str = "1-0-1", **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": f"{FACETS}/{version}/{kind}.json#/$defs/{kind}", **fields}


def _dataset(key: tuple[str, str], *, output: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"namespace": key[0], "name": key[1]}
    facets: dict[str, Any] = {}
    if key in _COLUMNS:
        facets["schema"] = _facet(
            "SchemaDatasetFacet", "1-1-1", fields=[{"name": n, "type": t} for n, t in _COLUMNS[key]]
        )
        facets["dataSource"] = _facet("DatasourceDatasetFacet", "1-0-1", name=key[0], uri=key[0])
    if key == ORDER_FACTS and output:
        facets["columnLineage"] = _facet(
            "ColumnLineageDatasetFacet",
            "1-2-0",
            fields={
                "amount": {"inputFields": [{"namespace": PG, "name": ORDERS_CLEAN[1], "field": "amount"}]},
                "country": {
                    "inputFields": [{"namespace": PG, "name": CUSTOMER_STATS[1], "field": "country"}]
                },
            },
        )
        facets["documentation"] = _facet("DocumentationDatasetFacet", description="One row per order.")
    if facets:
        found["facets"] = facets
    if output:
        found["outputFacets"] = {
            "outputStatistics": _facet("OutputStatisticsOutputDatasetFacet", "1-0-2", rowCount=120, size=4096)
        }
    return found


def _etl_event(
    event_type: str, run: uuid.UUID, job: str, minutes: float, *, failed: bool = False
) -> dict[str, Any]:
    inputs, outputs = ETL_JOBS.get(job, ([], []))
    run_facets: dict[str, Any] = {
        "nominalTime": _facet("NominalTimeRunFacet", nominalStartTime=_at(0), nominalEndTime=_at(60)),
    }
    if job != DAG:
        run_facets["parent"] = _facet(
            "ParentRunFacet",
            "1-1-0",
            run={"runId": str(DAG_RUN)},
            job={"namespace": ETL, "name": DAG},
        )
    if failed:
        run_facets["errorMessage"] = _facet(
            "ErrorMessageRunFacet", message="disk full", programmingLanguage="python"
        )
    job_facets: dict[str, Any] = {
        "jobType": _facet(
            "JobTypeJobFacet", "2-0-3", processingType="BATCH", integration="AIRFLOW", jobType="TASK"
        ),
        "documentation": _facet("DocumentationJobFacet", description=f"Task {job.rsplit('.', 1)[-1]}."),
        "sourceCodeLocation": _facet(
            "SourceCodeLocationJobFacet",
            type="git",
            url="https://github.com/acme/etl/blob/main/dags/daily.py",
        ),
    }
    if job != DAG:
        job_facets["sql"] = _facet("SQLJobFacet", query=f"-- {job}\nSELECT 1")
    return {
        "eventType": event_type,
        "eventTime": _at(minutes),
        "producer": PRODUCER,
        "schemaURL": f"{SPEC}#/$defs/RunEvent",
        "run": {"runId": str(run), "facets": run_facets},
        "job": {"namespace": ETL, "name": job, "facets": job_facets},
        "inputs": [_dataset(key) for key in inputs] if event_type == "START" else [],
        "outputs": [_dataset(key, output=True) for key in outputs] if event_type != "START" else [],
    }


def etl_events() -> list[dict[str, Any]]:
    """The DAG run and its five task runs (the report fails once, then a retry succeeds)."""
    events = [_etl_event("START", DAG_RUN, DAG, 0)]
    for index, job in enumerate(ETL_JOBS):
        run = uuid.UUID(int=0x0193_0000_0000_7000_8000_0000_0000_0010 + index)
        start = 1 + 2 * index
        if job.endswith("daily_report"):
            events.append(_etl_event("START", FAILED_REPORT_RUN, job, start))
            events.append(_etl_event("FAIL", FAILED_REPORT_RUN, job, start + 0.5, failed=True))
            start += 1
        events.append(_etl_event("START", run, job, start))
        events.append({**_etl_event("RUNNING", run, job, start + 0.2), "inputs": [], "outputs": []})
        events.append(_etl_event("COMPLETE", run, job, start + 0.5))
    events.append(_etl_event("COMPLETE", DAG_RUN, DAG, 20))
    events.append(
        {
            "eventTime": _at(21),
            "producer": PRODUCER,
            "schemaURL": f"{SPEC}#/$defs/DatasetEvent",
            "dataset": _dataset(ARCHIVE),
        }
    )
    return events


def _ref(key: tuple[str, str], role: str | None = None) -> DatasetRef:
    return DatasetRef(key[0], key[1], f"{key[0].rstrip('/')}/{key[1]}", role)


def ml_events() -> list[dict[str, Any]]:
    """START and COMPLETE of each run of the ML chain, as mltrail's SDK builds them."""
    kinds = {
        "churn.process": RunKind.PROCESSING,
        "churn.train": RunKind.TRAINING,
        "churn.register": RunKind.REGISTRATION,
        "churn.deploy": RunKind.DEPLOYMENT,
    }
    details = {
        _ref(MODEL_VERSION).uri: OutputDetails(
            model_version=ModelVersionInfo("churn", 1, approval_status="Approved", registry=REGISTRY)
        ),
        _ref(ENDPOINT).uri: OutputDetails(endpoint=EndpointInfo("churn-prod", "sagemaker")),
        _ref(MODEL).uri: OutputDetails(size_bytes=2048),
    }
    events = []
    for index, (job, (inputs, outputs)) in enumerate(ML_JOBS.items()):
        start = T0 + timedelta(minutes=30 + 3 * index)
        snapshot = RunSnapshot(
            run_id=uuid.UUID(int=0x0193_0000_0000_7000_8000_0000_0000_0100 + index),
            job_namespace=ML,
            job_name=job,
            experiment="churn",
            name=job.split(".", 1)[1],
            kind=kinds[job],
            event_time=start,
            params={"learning_rate": 0.1} if job == "churn.train" else {},
            metrics={"auc": MetricSummary("auc", 0.91, 0.8, 0.91, 0.86, 3, last_step=2, last_timestamp=start)}
            if job == "churn.train"
            else {},
            inputs=tuple(_ref(key, "train" if job == "churn.train" else None) for key in inputs),
            outputs=tuple(_ref(key, "model" if key == MODEL_VERSION else None) for key in outputs),
            output_details=details,
            code=CodeInfo(commit="b" * 40, repo_url="https://github.com/acme/churn.git", branch="main"),
            parent=ParentRef(run_id=DAG_RUN, job_namespace=ETL, job_name=DAG) if index == 0 else None,
        )
        begin = to_dict(sdk_run_event("START", snapshot))
        begin["outputs"] = []
        end = to_dict(sdk_run_event("COMPLETE", _later(snapshot, minutes=2)))
        end["inputs"] = []
        events += [begin, end]
    return events


def _later(snapshot: RunSnapshot, *, minutes: float) -> RunSnapshot:
    return replace(snapshot, event_time=snapshot.event_time + timedelta(minutes=minutes))


def pipeline_events() -> list[dict[str, Any]]:
    """The ETL DAG's events, then the ML chain's."""
    return etl_events() + ml_events()
