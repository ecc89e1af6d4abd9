"""Marquez's search: ``GET /api/v1/search?q=…``, jobs and datasets by name."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from mltrail.core.lineage import NodeId, NodeType
from mltrail.server import marquez_json as mj
from mltrail.server.deps import StoreDep

router = APIRouter(prefix="/api/v1", tags=["marquez"])


@router.get("/search")
def search(
    store: StoreDep,
    q: str,
    filter: Annotated[Literal["DATASET", "JOB", "dataset", "job"] | None, Query()] = None,  # noqa: A002
    sort: Annotated[Literal["NAME", "UPDATE_AT", "name", "update_at"], Query()] = "NAME",
    limit: int = 10,
    namespace: str | None = None,
    before: date | None = None,
    after: date | None = None,
) -> dict[str, Any]:
    """``{"totalCount": N, "results": [{type, name, updatedAt, namespace, nodeId}]}``."""
    hits = store.catalog.search(
        q,
        kind=filter.lower() if filter else None,
        namespace=namespace,
        by_update=sort.upper() == "UPDATE_AT",
        after=mj.ms(datetime.combine(after, time.min, tzinfo=UTC)) if after else None,
        before=mj.ms(datetime.combine(before, time.max, tzinfo=UTC)) if before else None,
        limit=limit,
    )
    results = [
        {
            "type": hit.kind.upper(),
            "name": hit.name,
            "updatedAt": mj.iso(hit.updated_at),
            "namespace": hit.namespace,
            "nodeId": str(NodeId(NodeType(hit.kind), (hit.namespace, hit.name))),
        }
        for hit in hits
    ]
    return {"totalCount": len(results), "results": results}
