"""OpenLineage events into the store, with the store's own answers (the Marquez routes answer Marquez's)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from mltrail.core.lineage import IngestResult
from mltrail.server.deps import WRITE, StoreDep, json_body
from mltrail.server.errors import error_response
from mltrail.server.responses import wire_response

router = APIRouter(prefix="/events", tags=["events"], dependencies=[WRITE])


@router.post("")
async def ingest(request: Request, store: StoreDep) -> JSONResponse:
    """Store one event: ``{"stored": true}``, or ``false`` when it was already stored."""
    event = await json_body(request)
    if not isinstance(event, dict):
        return error_response(400, "an event is a JSON object")
    return JSONResponse({"stored": await run_in_threadpool(store.ingest, event)})


@router.post("/batch", responses={200: {"model": IngestResult}})
async def ingest_batch(request: Request, store: StoreDep) -> JSONResponse:
    """Store a JSON array of events in one transaction; invalid ones are refused and listed."""
    events = await json_body(request)
    if not isinstance(events, list):
        return error_response(400, "a batch is a JSON array of OpenLineage events")
    return wire_response(await run_in_threadpool(store.ingest_batch, events))
