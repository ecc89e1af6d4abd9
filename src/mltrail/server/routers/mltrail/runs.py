"""Runs: record them (start, batches, end, more trials), read them, search them, metric history.

Also what the web UI shows of a run: its stored OpenLineage events and its artifact files.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from mltrail.core.entities import MetricHistory, Run, RunRecord
from mltrail.core.wire import RunBatch, RunEnd, SearchRequest, TrialLink, arguments, dump
from mltrail.server.deps import READ, WRITE, StoreDep
from mltrail.server.responses import WireResponse, wire_response
from mltrail.server.routers.mltrail.artifacts import RunArtifactListing, run_artifact_listing

router = APIRouter(prefix="/runs", tags=["runs"])


@router.post("", status_code=201, dependencies=[WRITE], response_class=Response)
def start_run(body: RunRecord, store: StoreDep) -> Response:
    """Record a new run (InProgress unless the body ends it) with its first batch; 409 for a known id."""
    store.record_runs([body])
    return Response(status_code=201)


@router.post("/bulk", status_code=201, dependencies=[WRITE], response_class=Response)
def record_runs(body: list[RunRecord], store: StoreDep) -> Response:
    """Record many new runs in one transaction: all or none."""
    store.record_runs(body)
    return Response(status_code=201)


@router.post("/search", dependencies=[READ])
def search_runs(body: SearchRequest, store: StoreDep) -> WireResponse:
    """``{"items": [Run], "next_page_token": …}``: one page of the matching runs."""
    page = store.search_runs(**arguments(body))
    return WireResponse({"items": dump(list(page), list[Run]), "next_page_token": page.next_page_token})


@router.get("/{run_id}", dependencies=[READ], responses={200: {"model": Run}})
def get_run(run_id: UUID, store: StoreDep) -> WireResponse:
    """One run with its params, metric summaries, tags, datasets, code and environment, or 404."""
    return wire_response(store.get_run(run_id))


@router.post("/{run_id}/batch", status_code=204, dependencies=[WRITE], response_class=Response)
def log_batch(run_id: UUID, body: RunBatch, store: StoreDep) -> Response:
    """Write params, tags, metric points and datasets at once."""
    store.log_batch(run_id, **arguments(body))
    return Response(status_code=204)


@router.post("/{run_id}/end", status_code=204, dependencies=[WRITE], response_class=Response)
def end_run(run_id: UUID, body: RunEnd, store: StoreDep) -> Response:
    """End a run with its final status, writing a last batch with it."""
    store.end_run(run_id, **arguments(body))
    return Response(status_code=204)


@router.post("/{run_id}/trials", status_code=204, dependencies=[WRITE], response_class=Response)
def link_trial(run_id: UUID, body: TrialLink, store: StoreDep) -> Response:
    """Add the run to another trial (created if missing)."""
    store.link_trial(run_id, experiment=body.experiment, trial=body.trial)
    return Response(status_code=204)


@router.get("/{run_id}/metric-history", dependencies=[READ], responses={200: {"model": MetricHistory}})
def get_metric_history(
    run_id: UUID,
    store: StoreDep,
    key: Annotated[str, Query(description="The metric's key")],
    max_points: Annotated[int | None, Query(description="Downsample to about this many points")] = None,
) -> WireResponse:
    """A metric's points, all or downsampled (first, last and extremes kept)."""
    return wire_response(store.get_metric_history(run_id, key, max_points=max_points))


@router.get("/{run_id}/events", dependencies=[READ])
def list_run_events(
    run_id: UUID,
    store: StoreDep,
    limit: Annotated[int, Query(description="Events per page, 1 to 10,000")] = 100,
    offset: Annotated[int, Query(description="Events to skip")] = 0,
) -> WireResponse:
    """``{"items": [event], "total": N}``: the OpenLineage events stored for the run, oldest first.

    Runs the SDK wrote to the store directly have none; a run known only from events has no
    ``GET /runs/{id}`` but has its events here.
    """
    page = store.catalog.events(run_id=run_id, descending=False, limit=limit, offset=offset)
    return WireResponse({"items": list(page.items), "total": page.total})


@router.get("/{run_id}/artifacts", dependencies=[READ], responses={200: {"model": RunArtifactListing}})
def list_run_artifacts(run_id: UUID, store: StoreDep, request: Request) -> WireResponse:
    """The run's artifact files, read with ``GET /artifacts/{path}``, or why the server cannot reach them."""
    return wire_response(run_artifact_listing(request, store.get_run(run_id).artifact_uri))
