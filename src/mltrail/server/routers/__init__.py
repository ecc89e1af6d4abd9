"""One router per resource; :data:`api_router` includes them all."""

from fastapi import APIRouter

from mltrail.server.routers import (
    column_lineage,
    datasets,
    events,
    graph,
    health,
    jobs,
    namespaces,
    openlineage,
    search,
    sources,
    stats,
)

ROUTERS = (
    health,
    openlineage,
    namespaces,
    datasets,
    jobs,
    graph,
    column_lineage,
    events,
    search,
    sources,
    stats,
)

api_router = APIRouter()
for module in ROUTERS:
    api_router.include_router(module.router)

__all__ = ["api_router"]
