"""One router per resource; :data:`api_router` includes them all."""

from fastapi import APIRouter

from mltrail.server.deps import READ, WRITE
from mltrail.server.routers import (
    column_lineage,
    datasets,
    events,
    graph,
    health,
    jobs,
    mltrail,
    namespaces,
    openlineage,
    search,
    sources,
    stats,
)

READ_ROUTERS = (
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
api_router.include_router(health.router)
api_router.include_router(openlineage.router, dependencies=[WRITE])
api_router.include_router(mltrail.router)  # each route has its own READ or WRITE
for module in READ_ROUTERS:
    api_router.include_router(module.router, dependencies=[READ])

__all__ = ["api_router"]
