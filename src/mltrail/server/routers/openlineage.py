"""OpenLineage ingest with Marquez's contract: ``POST /api/v1/lineage`` and the 2.0.2 batch route."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from mltrail.server.deps import StoreDep, json_body
from mltrail.server.errors import error_response

router = APIRouter(prefix="/api/v1", tags=["openlineage"])


@router.post("/lineage", status_code=201, response_class=Response)
async def post_event(request: Request) -> Response:
    """Store one event: 201 and an empty body; 422 naming each problem for an invalid event.

    Events posted at the same time share a transaction (see :mod:`mltrail.server.group_commit`).
    """
    event = await json_body(request)
    await request.app.state.group_commit.store(event)
    return Response(status_code=201)


@router.post("/lineage/batch")
async def post_batch(request: Request, store: StoreDep) -> JSONResponse:
    """Store a JSON array of events; invalid ones are refused one by one, the rest stored.

    The body follows OpenLineage's batch contract: ``status`` (``success`` or
    ``partial_success``), a ``summary`` and the ``failed_events`` with their index and reason.
    A database failure fails the whole batch with 503, which clients retry.
    """
    events = await json_body(request)
    if not isinstance(events, list):
        return error_response(400, "a batch is a JSON array of OpenLineage events")
    result = await run_in_threadpool(store.ingest_batch, events)
    failed: list[dict[str, Any]] = [
        {"index": failure.index, "reason": failure.reason, "retriable": False} for failure in result.failed
    ]
    return JSONResponse(
        {
            "status": "partial_success" if failed else "success",
            "summary": {
                "received": result.received,
                "successful": result.received - len(failed),
                "failed": len(failed),
                "retriable": 0,
                "non_retriable": len(failed),
            },
            "failed_events": failed,
        }
    )
