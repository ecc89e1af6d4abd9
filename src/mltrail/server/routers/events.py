"""Marquez's raw event list: ``GET /api/v1/events/lineage``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from mltrail.server import marquez_json as mj
from mltrail.server.deps import StoreDep

router = APIRouter(prefix="/api/v1/events", tags=["marquez"])

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2030, 1, 1, tzinfo=UTC)


@router.get("/lineage")
def list_events(
    store: StoreDep,
    before: datetime = _LATEST,
    after: datetime = _EARLIEST,
    sort_direction: Annotated[Literal["desc", "asc"], Query(alias="sortDirection")] = "desc",
    limit: int = 100,
    offset: int = 0,
) -> dict[str, Any]:
    """``{"events": [event], "totalCount": N}``: events timed from ``after`` to ``before``."""
    page = store.catalog.events(
        after=mj.ms(after),
        before=mj.ms(before),
        descending=sort_direction == "desc",
        limit=limit,
        offset=offset,
    )
    return {"events": list(page.items), "totalCount": page.total}
