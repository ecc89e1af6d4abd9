"""Marquez's sources and tags.

A source in Marquez is where datasets live; here each dataset namespace is one, typed by its
scheme (``s3``, ``postgres``…). mltrail keeps no tags of its own on jobs and datasets yet, so the
tag list is empty.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from mltrail.core.catalog import NamespaceSummary
from mltrail.core.errors import NotFoundError
from mltrail.server import marquez_json as mj
from mltrail.server.deps import StoreDep
from mltrail.server.paths import PathText

router = APIRouter(prefix="/api/v1", tags=["marquez"])


@router.get("/sources")
def list_sources(store: StoreDep, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """``{"sources": [Source]}``: the namespaces that hold datasets."""
    namespaces = store.catalog.namespaces(limit=limit, offset=offset)
    return {"sources": [_source(n) for n in namespaces if store.catalog.datasets(n.name, limit=1).total]}


@router.get("/sources/{source}")
def get_source(source: PathText, store: StoreDep) -> dict[str, Any]:
    """One source, or 404."""
    if not store.catalog.datasets(source, limit=1).total:
        raise NotFoundError("source", source)
    return _source(store.catalog.namespace(source))


@router.get("/tags")
def list_tags(limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """``{"tags": []}``."""
    return {"tags": []}


def _source(namespace: NamespaceSummary) -> dict[str, Any]:
    scheme = namespace.name.split("://", 1)[0] if "://" in namespace.name else "file"
    return {
        "type": scheme.upper(),
        "name": namespace.name,
        "createdAt": mj.iso(namespace.created_at),
        "updatedAt": mj.iso(namespace.updated_at),
        "connectionUrl": namespace.name,
        "description": None,
    }
