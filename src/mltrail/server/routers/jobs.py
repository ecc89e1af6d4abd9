"""Marquez's jobs, their versions and runs, and runs by id with their facets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from mltrail.core.catalog import JobSummary
from mltrail.core.errors import NotFoundError
from mltrail.server import marquez_json as mj
from mltrail.server.deps import WRITE, StoreDep
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
    return {"jobs": _jobs(store, page.items), "totalCount": page.total}


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
    return {"jobs": _jobs(store, page.items), "totalCount": page.total}


def _jobs(store: Store, found: Sequence[JobSummary]) -> list[dict[str, Any]]:
    tags = store.curation.job_tags([(j.namespace, j.name) for j in found])
    return [mj.job(j, tags.get((j.namespace, j.name), ())) for j in found]


@router.get("/namespaces/{namespace}/jobs/{job}")
def get_job(namespace: PathText, job: PathText, store: StoreDep) -> dict[str, Any]:
    """One job, or 404."""
    return _jobs(store, [store.catalog.job(namespace, job)])[0]


@router.put("/namespaces/{namespace}/jobs/{job}", dependencies=[WRITE])
def put_job(namespace: PathText, job: PathText) -> JSONResponse:
    """Not served (Marquez's deprecated job creation)."""
    instead = "send a JobEvent, or the job's RunEvents, with its inputs and outputs to POST /api/v1/lineage"
    return mj.removed_route("PUT /api/v1/namespaces/{namespace}/jobs/{job}", instead)


@router.delete("/namespaces/{namespace}/jobs/{job}", dependencies=[WRITE])
def delete_job(namespace: PathText, job: PathText, store: StoreDep) -> dict[str, Any]:
    """Soft delete a job (until an event names it again); answer it as it was."""
    found = get_job(namespace, job, store)
    store.curation.hide_job(namespace, job)
    return found


@router.post("/namespaces/{namespace}/jobs/{job}/tags/{tag}", dependencies=[WRITE])
def tag_job(namespace: PathText, job: PathText, tag: PathText, store: StoreDep) -> dict[str, Any]:
    """Tag a job (creating the tag if new); answer the job."""
    store.curation.tag_job(namespace, job, tag)
    return get_job(namespace, job, store)


@router.delete("/namespaces/{namespace}/jobs/{job}/tags/{tag}", dependencies=[WRITE])
def untag_job(namespace: PathText, job: PathText, tag: PathText, store: StoreDep) -> dict[str, Any]:
    """Remove a tag from a job; answer the job."""
    store.curation.tag_job(namespace, job, tag, add=False)
    return get_job(namespace, job, store)


@router.post("/namespaces/{namespace}/jobs/{job}/runs", dependencies=[WRITE])
def create_run(namespace: PathText, job: PathText) -> JSONResponse:
    """Not served (Marquez's deprecated run creation)."""
    instead = "send the run's START RunEvent to POST /api/v1/lineage"
    return mj.removed_route("POST /api/v1/namespaces/{namespace}/jobs/{job}/runs", instead)


@router.post("/jobs/runs/{run_id}/{action}", dependencies=[WRITE])
def change_run_state(run_id: str, action: Literal["start", "complete", "fail", "abort"]) -> JSONResponse:
    """Not served (Marquez's deprecated run state changes)."""
    instead = f"send a {action.upper()} RunEvent for the run to POST /api/v1/lineage"
    return mj.removed_route(f"POST /api/v1/jobs/runs/{{id}}/{action}", instead)


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
