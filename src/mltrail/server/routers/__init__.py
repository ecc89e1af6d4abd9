"""One router per resource; :data:`api_router` includes them all."""

from fastapi import APIRouter

from mltrail.server.routers import (
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

api_router = APIRouter()
for module in (health, openlineage, namespaces, datasets, jobs, graph, events, search, sources, stats):
    api_router.include_router(module.router)

__all__ = ["api_router"]
