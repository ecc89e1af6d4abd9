"""The lineage graph: walks from a node, and the manual artifacts, contexts and associations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from mltrail.core.lineage import ArtifactSummary, AssociationSummary, ContextSummary, LineagePage
from mltrail.core.wire import ArtifactCreate, AssociationCreate, ContextCreate
from mltrail.server.deps import READ, WRITE, StoreDep
from mltrail.server.responses import WireResponse, wire_response

router = APIRouter(prefix="/lineage", tags=["lineage"])


@router.get("", dependencies=[READ], responses={200: {"model": LineagePage}})
def query(
    store: StoreDep,
    start: Annotated[str, Query(description="Node id to start from, e.g. dataset:s3://bucket:path")],
    direction: str = "both",
    depth: int = 10,
    include_edges: bool = True,
    node_type: Annotated[list[str] | None, Query(description="Only these node types (repeat)")] = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    page_size: int = 100,
    page_token: str | None = None,
    granularity: str = "run",
) -> WireResponse:
    """One page of the nodes (and edges) reachable from ``start``; see ``mltrail.lineage.query``."""
    page = store.lineage(
        start,
        direction=direction,
        depth=depth,
        include_edges=include_edges,
        node_types=node_type,
        created_after=created_after,
        created_before=created_before,
        page_size=page_size,
        page_token=page_token,
        granularity=granularity,
    )
    return wire_response(page)


@router.post("/artifacts", status_code=201, dependencies=[WRITE], responses={201: {"model": ArtifactSummary}})
def create_artifact(body: ArtifactCreate, store: StoreDep) -> WireResponse:
    """Record a named, typed artifact at a source URI."""
    created = store.create_artifact(body.name, body.type, body.source_uri, body.properties)
    return wire_response(created, status_code=201)


@router.get("/artifacts", dependencies=[READ], responses={200: {"model": list[ArtifactSummary]}})
def list_artifacts(
    store: StoreDep,
    source_uri: str | None = None,
    artifact_type: str | None = None,
    sort_by: str = "CreationTime",
    sort_order: str = "Descending",
    max_results: int = 100,
) -> WireResponse:
    """Artifacts, filtered by source URI or type."""
    found = store.list_artifacts(
        source_uri=source_uri,
        artifact_type=artifact_type,
        sort_by=sort_by,
        sort_order=sort_order,
        max_results=max_results,
    )
    return wire_response(found, list[ArtifactSummary])


@router.post("/contexts", status_code=201, dependencies=[WRITE], responses={201: {"model": ContextSummary}})
def create_context(body: ContextCreate, store: StoreDep) -> WireResponse:
    """Record a context (e.g. an endpoint or a pipeline) as a lineage node."""
    created = store.create_context(
        body.name, body.type, description=body.description, properties=body.properties
    )
    return wire_response(created, status_code=201)


@router.post(
    "/associations", status_code=201, dependencies=[WRITE], responses={201: {"model": AssociationSummary}}
)
def create_association(body: AssociationCreate, store: StoreDep) -> WireResponse:
    """Add a typed edge between two nodes."""
    return wire_response(store.create_association(body.source, body.destination, body.type), status_code=201)


@router.get("/associations", dependencies=[READ], responses={200: {"model": list[AssociationSummary]}})
def list_associations(
    store: StoreDep, source: str | None = None, destination: str | None = None
) -> WireResponse:
    """Associations from a node, to a node, or all."""
    found = store.list_associations(source=source, destination=destination)
    return wire_response(found, list[AssociationSummary])
