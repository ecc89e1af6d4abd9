"""Catalogue entities as Marquez's JSON: the shapes its web UI and marquez-python read.

Marquez writes absent values as ``null`` and times as ISO 8601 in UTC with a ``Z``. Its version
ids are UUIDs; mltrail's version labels (a version an event named, or the writing run's id) map
to one: the label itself when it is a UUID, else a name-based UUID of the dataset and label.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import JSONResponse

from mltrail.core.catalog import (
    DatasetSummary,
    DatasetVersion,
    DatasetVersionRef,
    JobSummary,
    NamespaceInfo,
    NamespaceSummary,
    RunSummary,
)
from mltrail.server.errors import error_response

DEFAULT_OWNER = "anonymous"
"""Marquez's owner of a namespace nobody claimed."""
UNWRITTEN = "unwritten"
"""The version label of a dataset read before any known run wrote it (Marquez versions it too)."""


def iso(moment: datetime | None) -> str | None:
    """``2026-11-01T00:00:00.000Z``, or ``None``."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ms(moment: datetime) -> int:
    """Milliseconds since the epoch of a time from a query; a time without an offset is UTC."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def version_id(namespace: str, name: str, label: str | None) -> str | None:
    """A dataset version label as the UUID Marquez's clients expect."""
    if label is None:
        return None
    try:
        return str(uuid.UUID(label))
    except ValueError:
        return str(uuid.uuid3(uuid.NAMESPACE_URL, f"{namespace}:{name}:{label}"))


def job_version_id(run: RunSummary, location: str | None) -> str:
    """A job version, as Marquez derives it: the job, its run's sorted inputs and outputs, its code."""
    inputs = sorted(f"{ref.namespace}:{ref.name}" for ref in run.inputs)
    outputs = sorted(f"{ref.namespace}:{ref.name}" for ref in run.outputs)
    text = f"{run.job_namespace}:{run.job_name}:{inputs}:{outputs}:{location}"
    return str(uuid.uuid3(uuid.NAMESPACE_URL, text))


def namespace(found: NamespaceSummary, info: NamespaceInfo | None = None) -> dict[str, Any]:
    """Marquez's Namespace, with the owner and description ``PUT /namespaces/{ns}`` gave it."""
    return {
        "name": found.name,
        "createdAt": iso(found.created_at),
        "updatedAt": iso(found.updated_at),
        "ownerName": (info.owner_name if info else None) or DEFAULT_OWNER,
        "description": info.description if info else None,
        "isHidden": False,
    }


def _facet(facets: Mapping[str, Any], name: str, key: str) -> Any:
    value = facets.get(name)
    return value.get(key) if isinstance(value, dict) else None


def _fields(facets: Mapping[str, Any], tags: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    fields = _facet(facets, "schema", "fields")
    if not isinstance(fields, list):
        return []
    return [
        {
            "name": field.get("name"),
            "type": field.get("type"),
            "tags": list(tags.get(str(field.get("name")), [])),
            "description": field.get("description"),
        }
        for field in fields
        if isinstance(field, dict)
    ]


def dataset(found: DatasetSummary, tags: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """Marquez's Dataset (``DB_TABLE``); ``tags`` by field, ``""`` for the dataset's own."""
    tags = tags or {}
    return {
        "id": {"namespace": found.namespace, "name": found.name},
        "type": "DB_TABLE",
        "name": found.name,
        "physicalName": found.name,
        "createdAt": iso(found.created_at),
        "updatedAt": iso(found.updated_at),
        "namespace": found.namespace,
        "sourceName": found.namespace,
        "fields": _fields(found.facets, tags),
        "tags": list(tags.get("", [])),
        "lastModifiedAt": iso(found.last_modified_at),
        "lastLifecycleState": _facet(found.facets, "lifecycleStateChange", "lifecycleStateChange"),
        "description": _facet(found.facets, "documentation", "description"),
        "currentVersion": version_id(found.namespace, found.name, found.current_version),
        "columnLineage": None,
        "facets": dict(found.facets),
        "deleted": False,
    }


def dataset_version(found: DatasetVersion) -> dict[str, Any]:
    """Marquez's DatasetVersion."""
    version = version_id(found.namespace, found.name, found.version)
    return {
        "id": {"namespace": found.namespace, "name": found.name, "version": version},
        "type": "DB_TABLE",
        "name": found.name,
        "physicalName": found.name,
        "createdAt": iso(found.created_at),
        "version": version,
        "namespace": found.namespace,
        "sourceName": found.namespace,
        "fields": _fields(found.facets, {}),
        "tags": [],
        "lifecycleState": _facet(found.facets, "lifecycleStateChange", "lifecycleStateChange"),
        "description": _facet(found.facets, "documentation", "description"),
        "currentSchemaVersion": None,
        "createdByRun": run(found.run) if found.run is not None else None,
        "facets": dict(found.facets),
    }


def _versions(refs: Sequence[DatasetVersionRef]) -> list[dict[str, Any]]:
    return [
        {
            "datasetVersionId": {
                "namespace": ref.namespace,
                "name": ref.name,
                "version": version_id(ref.namespace, ref.name, ref.version or UNWRITTEN),
            },
            "facets": dict(ref.facets),
        }
        for ref in refs
    ]


def run(found: RunSummary, job_facets: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Marquez's Run."""
    duration = (
        int((found.ended_at - found.started_at).total_seconds() * 1000)
        if found.started_at is not None and found.ended_at is not None
        else None
    )
    location = _facet(job_facets or {}, "sourceCodeLocation", "url")
    return {
        "id": str(found.id),
        "createdAt": iso(found.created_at),
        "updatedAt": iso(found.updated_at),
        "nominalStartTime": iso(found.nominal_start_time),
        "nominalEndTime": iso(found.nominal_end_time),
        "state": found.state,
        "startedAt": iso(found.started_at),
        "endedAt": iso(found.ended_at),
        "durationMs": duration,
        "args": {},
        "jobVersion": {
            "namespace": found.job_namespace,
            "name": found.job_name,
            "version": job_version_id(found, location),
        },
        "inputDatasetVersions": _versions(found.inputs),
        "outputDatasetVersions": _versions(found.outputs),
        "facets": dict(found.facets),
    }


def _parent_job(found: JobSummary) -> str | None:
    latest = found.latest_run
    if latest is None:
        return None
    parent = latest.facets.get("parent")
    job = parent.get("job") if isinstance(parent, dict) else None
    return job.get("name") if isinstance(job, dict) else None


def job(found: JobSummary, tags: Sequence[str] = ()) -> dict[str, Any]:
    """Marquez's Job: its inputs and outputs are its latest run's."""
    latest = found.latest_run
    location = _facet(found.facets, "sourceCodeLocation", "url")
    processing = _facet(found.facets, "jobType", "processingType")
    return {
        "id": {"namespace": found.namespace, "name": found.name},
        "type": "STREAM" if processing == "STREAMING" else "BATCH",
        "name": found.name,
        "simpleName": found.name.rsplit(".", 1)[-1],
        "parentJobName": _parent_job(found),
        "parentJobUuid": None,
        "createdAt": iso(found.created_at),
        "updatedAt": iso(found.updated_at),
        "namespace": found.namespace,
        "inputs": [{"namespace": r.namespace, "name": r.name} for r in (latest.inputs if latest else ())],
        "outputs": [{"namespace": r.namespace, "name": r.name} for r in (latest.outputs if latest else ())],
        "location": location,
        "description": _facet(found.facets, "documentation", "description"),
        "latestRun": run(latest, found.facets) if latest else None,
        "latestRuns": [run(r, found.facets) for r in found.latest_runs],
        "facets": dict(found.facets),
        "currentVersion": job_version_id(latest, location) if latest else None,
        "labels": [],
        "tags": list(tags),
    }


def job_version(found: JobSummary, of_run: RunSummary) -> dict[str, Any]:
    """Marquez's JobVersion: the job as one of its runs saw it."""
    location = _facet(found.facets, "sourceCodeLocation", "url")
    version = job_version_id(of_run, location)
    return {
        "id": {"namespace": found.namespace, "name": found.name, "version": version},
        "name": found.name,
        "createdAt": iso(of_run.created_at),
        "version": version,
        "namespace": found.namespace,
        "location": location,
        "inputs": [{"namespace": r.namespace, "name": r.name} for r in of_run.inputs],
        "outputs": [{"namespace": r.namespace, "name": r.name} for r in of_run.outputs],
        "latestRun": run(of_run, found.facets),
        "facets": dict(found.facets),
    }


def removed_route(route: str, instead: str) -> JSONResponse:
    """410 for one of the write routes Marquez deprecated in 0.20, saying what to send instead."""
    message = f"{route} is not served: Marquez deprecated it in 0.20 in favour of OpenLineage; {instead}"
    return error_response(410, message, {"route": route, "use": "POST /api/v1/lineage"})


_DATASET_NODE_KEYS = (
    "id",
    "type",
    "name",
    "physicalName",
    "createdAt",
    "updatedAt",
    "namespace",
    "sourceName",
    "fields",
    "tags",
    "lastModifiedAt",
    "description",
    "lastLifecycleState",
)
_JOB_NODE_KEYS = (
    "id",
    "type",
    "name",
    "simpleName",
    "parentJobName",
    "parentJobUuid",
    "createdAt",
    "updatedAt",
    "namespace",
    "inputs",
    "outputs",
    "location",
    "description",
    "latestRun",
)


def dataset_node(found: DatasetSummary, tags: Mapping[str, list[str]] | None = None) -> dict[str, Any]:
    """The ``data`` of a DATASET node of Marquez's lineage graph (a Dataset without facets)."""
    full = dataset(found, tags)
    return {key: full[key] for key in _DATASET_NODE_KEYS}


def job_node(found: JobSummary) -> dict[str, Any]:
    """The ``data`` of a JOB node of Marquez's lineage graph."""
    full = job(found)
    data = {key: full[key] for key in _JOB_NODE_KEYS}
    data["currentRunUuid"] = full["latestRun"]["id"] if full["latestRun"] else None
    return data


__all__ = [
    "dataset",
    "dataset_node",
    "dataset_version",
    "iso",
    "job",
    "job_node",
    "job_version",
    "job_version_id",
    "ms",
    "namespace",
    "removed_route",
    "run",
    "version_id",
]
