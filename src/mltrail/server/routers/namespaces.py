"""Marquez's namespaces: every job and dataset namespace in the graph."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from mltrail.server import marquez_json as mj
from mltrail.server.deps import StoreDep
from mltrail.server.paths import PathText

router = APIRouter(prefix="/api/v1/namespaces", tags=["marquez"])


@router.get("")
def list_namespaces(store: StoreDep, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """``{"namespaces": [Namespace]}`` by name."""
    return {"namespaces": [mj.namespace(n) for n in store.catalog.namespaces(limit=limit, offset=offset)]}


@router.get("/{namespace}")
def get_namespace(namespace: PathText, store: StoreDep) -> dict[str, Any]:
    """One namespace, or 404."""
    return mj.namespace(store.catalog.namespace(namespace))
