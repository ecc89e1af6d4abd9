"""One router per resource; :data:`api_router` includes them all."""

from fastapi import APIRouter

from mltrail.server.routers import health, openlineage

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(openlineage.router)

__all__ = ["api_router"]
