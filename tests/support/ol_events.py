"""Build OpenLineage event dicts for tests, valid against the vendored spec unless told otherwise."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

PRODUCER = "https://example.test/tests"
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
T0 = datetime(2026, 11, 1, tzinfo=UTC)
T0_MS = int(T0.timestamp() * 1000)


def run_id(n: int) -> uuid.UUID:
    """A readable, sortable run id: ``00000000-0000-0000-0000-0000000000nn``."""
    return uuid.UUID(int=n)


def at(minutes: float) -> str:
    """An ISO 8601 event time ``minutes`` after a fixed start."""
    return (T0 + timedelta(minutes=minutes)).isoformat()


def dataset(namespace: str, name: str, **facets: Any) -> dict[str, Any]:
    """An input or output dataset."""
    found: dict[str, Any] = {"namespace": namespace, "name": name}
    if facets:
        found["facets"] = facets
    return found


def facet(**fields: Any) -> dict[str, Any]:
    """A custom facet with the fields OpenLineage requires."""
    return {"_producer": PRODUCER, "_schemaURL": "https://example.test/spec/facets/1-0-0/X.json", **fields}


def run_event(
    event_type: str,
    run: uuid.UUID,
    job: str,
    minutes: float,
    *,
    namespace: str = "tests",
    inputs: Sequence[Mapping[str, Any]] = (),
    outputs: Sequence[Mapping[str, Any]] = (),
    facets: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A RunEvent."""
    event: dict[str, Any] = {
        "eventType": event_type,
        "eventTime": at(minutes),
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA,
        "run": {"runId": str(run), "facets": dict(facets or {})},
        "job": {"namespace": namespace, "name": job},
        "inputs": [dict(i) for i in inputs],
        "outputs": [dict(o) for o in outputs],
    }
    return event


def run_pair(
    run: uuid.UUID,
    job: str,
    start: float,
    end: float,
    *,
    inputs: Sequence[Mapping[str, Any]] = (),
    outputs: Sequence[Mapping[str, Any]] = (),
    parent: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """START (with inputs) and COMPLETE (with outputs) of one run."""
    facets = {}
    if parent is not None:
        facets["parent"] = {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet",
            "run": {"runId": str(parent)},
            "job": {"namespace": "tests", "name": "pipeline"},
        }
    return [
        run_event("START", run, job, start, inputs=inputs, facets=facets),
        run_event("COMPLETE", run, job, end, outputs=outputs),
    ]


# -- a hand-checked ML chain: raw data → processing → 3 trials → evaluation → model → endpoint --

P, T1, T2, T3, E, R, D = (run_id(n) for n in range(1, 8))
RAW = "dataset:s3://raw:events.csv"
FEATURES = "dataset:s3://work:features.parquet"
ENDPOINT = "dataset:mltrail://endpoints:churn-prod"
MODEL_VERSION = "dataset:mltrail://registry:models/churn/versions/1"


def chain() -> list[dict[str, Any]]:
    """The events of the chain, in order: START with inputs, COMPLETE with outputs, per run."""
    raw = dataset("s3://raw", "events.csv")
    features = dataset("s3://work", "features.parquet")
    models = [dataset("s3://models", f"m{i}.pkl") for i in (1, 2, 3)]
    report = dataset("s3://reports", "eval.json")
    version = dataset("mltrail://registry", "models/churn/versions/1")
    endpoint = dataset("mltrail://endpoints", "churn-prod")
    return [
        *run_pair(P, "ml.process", 1, 2, inputs=[raw], outputs=[features]),
        *run_pair(T1, "ml.train", 3, 4, inputs=[features], outputs=[models[0]]),
        *run_pair(T2, "ml.train", 3, 4, inputs=[features], outputs=[models[1]]),
        *run_pair(T3, "ml.train", 3, 4, inputs=[features], outputs=[models[2]]),
        *run_pair(E, "ml.evaluate", 5, 6, inputs=models, outputs=[report]),
        *run_pair(R, "ml.register", 7, 8, inputs=[models[1], report], outputs=[version]),
        *run_pair(D, "ml.deploy", 9, 10, inputs=[version], outputs=[endpoint]),
    ]
