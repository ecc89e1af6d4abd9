from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

import mltrail.openlineage
from mltrail.core.entities import CodeInfo, DatasetRef, MetricSummary, RunKind
from mltrail.openlineage import (
    EndpointInfo,
    ModelVersionInfo,
    OutputDetails,
    ParentRef,
    RunSnapshot,
)

SCHEMAS = Path(mltrail.openlineage.__file__).parent / "schemas"
T0 = datetime(2025, 11, 26, 12, 0, 0, 123000, tzinfo=UTC)


def load_documents() -> dict[str, Any]:
    """Read the shipped schema files straight from disk (not through mltrail's loader)."""
    paths = [SCHEMAS / "openlineage" / "OpenLineage.json"]
    paths += sorted((SCHEMAS / "openlineage" / "facets").glob("*.json"))
    paths += sorted(SCHEMAS.glob("*.json"))
    documents = [json.loads(path.read_text()) for path in paths]
    return {document["$id"]: document for document in documents}


def _independent_format_checker() -> FormatChecker:
    """Format checks written differently from mltrail's, so the two check each other."""
    checker = FormatChecker()

    @checker.checks("uuid", raises=ValueError)
    def _uuid(value: object) -> bool:
        return not isinstance(value, str) or str(UUID(value)) == value.lower()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parsed = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return "T" in value.upper() and parsed.tzinfo is not None

    @checker.checks("uri", raises=ValueError)
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9+.\-]*", parts.scheme)) and " " not in value

    return checker


class PlainValidator:
    """A straightforward jsonschema validation of an event and of every facet it has a schema for."""

    def __init__(self) -> None:
        documents = load_documents()
        self.registry: Registry[Any] = Registry().with_resources(
            (uri, DRAFT202012.create_resource(doc)) for uri, doc in documents.items()
        )
        self.checker = _independent_format_checker()

    def validator(self, ref: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": ref}, registry=self.registry, format_checker=self.checker)

    def errors(self, event: dict[str, Any]) -> list[str]:
        kind = "RunEvent" if "run" in event else "DatasetEvent" if "dataset" in event else "JobEvent"
        spec = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
        found = [error.message for error in self.validator(f"{spec}#/$defs/{kind}").iter_errors(event)]
        for facet in _all_facets(event):
            url = facet.get("_schemaURL", "")
            document = url.partition("#")[0]
            if document in self.registry and document != spec and not facet.get("_deleted"):
                found += [error.message for error in self.validator(url).iter_errors(facet)]
        return found


def _all_facets(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    maps = [(event.get(entity) or {}).get("facets") for entity in ("run", "job", "dataset")]
    for side, extra in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        for dataset in event.get(side) or []:
            maps += [dataset.get("facets"), dataset.get(extra)]
    for facets in maps:
        if isinstance(facets, dict):
            yield from (facet for facet in facets.values() if isinstance(facet, dict))


@pytest.fixture(scope="session")
def plain() -> PlainValidator:
    return PlainValidator()


def summary(key: str, *, last: float = 0.5, count: int = 3, nonfinite: int = 0) -> MetricSummary:
    finite = not math.isnan(last) and not math.isinf(last)
    return MetricSummary(
        key=key,
        last=last,
        min=0.25 if count > nonfinite else None,
        max=0.75 if count > nonfinite else None,
        avg=0.5 if count > nonfinite else None,
        count=count,
        last_step=count - 1,
        last_timestamp=T0,
        nonfinite_count=nonfinite if finite else max(nonfinite, 1),
    )


ALL_PARAMS: dict[str, Any] = {
    "lr": 0.01,
    "nan_param": math.nan,
    "inf_param": math.inf,
    "neg": -1e-07,
    "epochs": 10,
    "big": 2**70,
    "use_gpu": True,
    "shuffle": False,
    "optimizer": "adam",
    "empty": "",
    "layers": [64, 32],
    "config": {"a": {"b": [1, 2.5, None]}},
    "nothing": None,
}


def make_snapshot(**overrides: Any) -> RunSnapshot:
    values: dict[str, Any] = {
        "run_id": UUID("0193a1c2-7b4e-7c3d-9a8b-1234567890ab"),
        "job_namespace": "ml-platform",
        "job_name": "fraud.train",
        "experiment": "fraud-detection",
        "name": "train-xgb",
        "kind": RunKind.TRAINING,
        "event_time": T0,
        "trials": ("lr-0.01", "baseline"),
        "params": ALL_PARAMS,
        "metrics": {
            "val_auc": summary("val_auc", last=0.91),
            "loss": summary("loss", last=math.nan, count=4, nonfinite=1),
            "all_nan": summary("all_nan", last=math.nan, count=2, nonfinite=2),
        },
        "tags": {"team": "risk", "stage": "dev"},
        "inputs": (DatasetRef("s3://data", "fraud/train.parquet", "s3://data/fraud/train.parquet", "train"),),
        "outputs": (
            DatasetRef("s3://models", "fraud/model.pkl", "s3://models/fraud/model.pkl", "model"),
            DatasetRef("file", "/tmp/report.html", "file:///tmp/report.html", None),
        ),
        "output_details": {
            "s3://models/fraud/model.pkl": OutputDetails(
                size_bytes=2048,
                model_version=ModelVersionInfo("fraud-xgb", 7, approval_status="Approved"),
                endpoint=EndpointInfo("fraud-scoring", "sagemaker", "https://example.com/invocations"),
            )
        },
        "code": CodeInfo(commit="a" * 40, repo_url="git@github.com:acme/fraud.git", branch="main"),
        "artifact_uri": "s3://artifacts/fraud/run-1/",
        "parent": ParentRef(
            run_id=UUID("0193a1c2-0000-7000-8000-000000000001"),
            job_namespace="airflow",
            job_name="fraud_dag.train",
            root_run_id=UUID("0193a1c2-0000-7000-8000-000000000002"),
            root_job_namespace="airflow",
            root_job_name="fraud_dag",
        ),
        "nominal_start": T0,
        "nominal_end": T0,
    }
    values.update(overrides)
    return RunSnapshot(**values)


@pytest.fixture(scope="session")
def snapshot_factory() -> Callable[..., RunSnapshot]:
    return make_snapshot


@pytest.fixture
def summary_factory() -> Callable[..., MetricSummary]:
    return summary


@pytest.fixture
def all_params() -> dict[str, Any]:
    return dict(ALL_PARAMS)
