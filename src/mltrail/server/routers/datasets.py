"""Marquez's datasets and their versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from mltrail.core.errors import NotFoundError
from mltrail.server import marquez_json as mj
from mltrail.server.deps import StoreDep
from mltrail.server.paths import PathText

router = APIRouter(prefix="/api/v1/namespaces/{namespace}/datasets", tags=["marquez"])

VERSION_SCAN = 10_000
"""Versions looked through for one asked for by id."""


@router.get("")
def list_datasets(namespace: PathText, store: StoreDep, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """``{"datasets": [Dataset], "totalCount": N}`` by name."""
    page = store.catalog.datasets(namespace, limit=limit, offset=offset)
    return {"datasets": [mj.dataset(d) for d in page.items], "totalCount": page.total}


@router.get("/{dataset}")
def get_dataset(namespace: PathText, dataset: PathText, store: StoreDep) -> dict[str, Any]:
    """One dataset, or 404."""
    return mj.dataset(store.catalog.dataset(namespace, dataset))


@router.get("/{dataset}/versions")
def list_versions(
    namespace: PathText, dataset: PathText, store: StoreDep, limit: int = 100, offset: int = 0
) -> dict[str, Any]:
    """``{"versions": [DatasetVersion], "totalCount": N}``, newest first."""
    page = store.catalog.dataset_versions(namespace, dataset, limit=limit, offset=offset)
    return {"versions": [mj.dataset_version(v) for v in page.items], "totalCount": page.total}


@router.get("/{dataset}/versions/{version}")
def get_version(namespace: PathText, dataset: PathText, version: PathText, store: StoreDep) -> dict[str, Any]:
    """One version by its (Marquez) id, or 404."""
    page = store.catalog.dataset_versions(namespace, dataset, limit=VERSION_SCAN)
    for found in page.items:
        if mj.version_id(namespace, dataset, found.version) == version:
            return mj.dataset_version(found)
    raise NotFoundError("dataset version", f"{namespace}:{dataset}#{version}")
