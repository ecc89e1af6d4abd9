"""mltrail's own REST API, ``/api/mltrail/v1``: what the ``http(s)://`` tracking backend calls.

Each method of :class:`~mltrail.tracking.backends.base.Backend` has one route; bodies and
responses are the dataclasses of :mod:`mltrail.core.wire` and :mod:`mltrail.core.entities`.
"""

from fastapi import APIRouter

from mltrail.server.routers.mltrail import artifacts, events, experiments, lineage, models, runs, trials, ui

PREFIX = "/api/mltrail/v1"

router = APIRouter(prefix=PREFIX)
for module in (experiments, runs, trials, lineage, models, events, artifacts, ui):
    router.include_router(module.router)

__all__ = ["PREFIX", "router"]
