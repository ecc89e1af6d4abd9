"""Marquez's jobs, their versions and runs, and runs by id with their facets."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from mltrail.core.errors import NotFoundError
from mltrail.server import marquez_json as mj
from mltrail.server.deps import StoreDep
from mltrail.server.paths import PathText
from mltrail.store import Store

router = APIRouter(prefix="/api/v1", tags=["marquez"])

States = Annotated[list[str] | None, Query(alias="lastRunStates")]


@router.get("/jobs")
def list_all_jobs(
    store: StoreDep, last_run_states: States = None, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """Jobs of every namespace: ``{"jobs": [Job], "totalCount": N}``."""
    page = store.catalog.jobs(states=last_run_states or (), limit=limit, offset=offset)
    return {"jobs": [mj.job(j) for j in page.items], "totalCount": page.total}


@router.get("/namespaces/{namespace}/jobs")
def list_jobs(
    namespace: PathText,
    store: StoreDep,
    last_run_states: States = None,
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """A namespace's jobs: ``{"jobs": [Job], "totalCount": N}``."""
    page = store.catalog.jobs(namespace, states=last_run_states or (), limit=limit, offset=offset)
    return {"jobs": [mj.job(j) for j in page.items], "totalCount": page.total}


@router.get("/namespaces/{namespace}/jobs/{job}")
def get_job(namespace: PathText, job: PathText, store: StoreDep) -> dict[str, Any]:
    """One job, or 404."""
    return mj.job(store.catalog.job(namespace, job))


@router.get("/namespaces/{namespace}/jobs/{job}/runs")
def list_runs(
    namespace: PathText, job: PathText, store: StoreDep, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """A job's runs, newest first: ``{"runs": [Run], "totalCount": N}``."""
    facets = store.catalog.job_facets(namespace, job)
    page = store.catalog.job_runs(namespace, job, limit=limit, offset=offset)
    return {"runs": [mj.run(r, facets) for r in page.items], "totalCount": page.total}


@router.get("/namespaces/{namespace}/jobs/{job}/versions")
def list_job_versions(
    namespace: PathText, job: PathText, store: StoreDep, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """A job's versions, newest first, each with its latest run: ``{"versions": [JobVersion]}``."""
    return {"versions": _job_versions(store, namespace, job)[offset : offset + limit]}


@router.get("/namespaces/{namespace}/jobs/{job}/versions/{version}")
def get_job_version(namespace: PathText, job: PathText, version: PathText, store: StoreDep) -> dict[str, Any]:
    """One job version, or 404."""
    for found in _job_versions(store, namespace, job):
        if found["version"] == version:
            return found
    raise NotFoundError("job version", f"{namespace}:{job}#{version}")


def _job_versions(store: Store, namespace: str, job: str) -> list[dict[str, Any]]:
    """The distinct versions of a job's newest 10,000 runs, newest first."""
    found = store.catalog.job(namespace, job)
    versions: dict[str, dict[str, Any]] = {}
    for run in store.catalog.job_runs(namespace, job, limit=10_000).items:
        version = mj.job_version(found, run)
        versions.setdefault(version["version"], version)
    return list(versions.values())


@router.get("/jobs/runs/{run_id}")
def get_run(run_id: UUID, store: StoreDep) -> dict[str, Any]:
    """One run, or 404."""
    run = store.catalog.run(run_id)
    return mj.run(run, store.catalog.job_facets(run.job_namespace, run.job_name))


@router.get("/jobs/runs/{run_id}/facets")
def get_run_facets(run_id: UUID, store: StoreDep, type: Literal["run", "job"]) -> dict[str, Any]:  # noqa: A002
    """``{"runId": …, "facets": {…}}``: the run's facets, or its job's (``type=job``)."""
    run = store.catalog.run(run_id)
    facets = run.facets if type == "run" else store.catalog.job_facets(run.job_namespace, run.job_name)
    return {"runId": str(run_id), "facets": dict(facets)}
