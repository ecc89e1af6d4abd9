"""Marquez's sources and tags.

A source in Marquez is where datasets live; here each dataset namespace is one, typed by its
scheme (``s3``, ``postgres``…); they cannot be created by ``PUT`` (Marquez's deprecated route).
Tags are created by ``PUT /tags/{tag}`` or when first put on a dataset, a field or a job.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from mltrail.core.catalog import NamespaceSummary, TagInfo
from mltrail.core.errors import NotFoundError, ValidationError
from mltrail.core.validation import bounded_int
from mltrail.server import marquez_json as mj
from mltrail.server.deps import WRITE, StoreDep
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


@router.put("/sources/{source}", dependencies=[WRITE])
def put_source(source: PathText) -> JSONResponse:
    """Not served (Marquez's deprecated source creation)."""
    instead = "a source is the namespace of the datasets that events sent to POST /api/v1/lineage name"
    return mj.removed_route("PUT /api/v1/sources/{source}", instead)


@router.get("/tags")
def list_tags(store: StoreDep, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """``{"tags": [{name, description}]}`` by name."""
    bounds = {
        "limit": bounded_int(limit, "limit", 1, 10_000),
        "offset": bounded_int(offset, "offset", 0, 2**62),
    }
    return {"tags": [_tag(tag) for tag in store.curation.tags(**bounds)]}


@router.put("/tags/{tag}", dependencies=[WRITE])
def put_tag(
    tag: PathText, store: StoreDep, body: Annotated[dict[str, Any] | None, Body()] = None
) -> dict[str, Any]:
    """Create a tag or set its ``description``; answer the Tag."""
    description = (body or {}).get("description")
    if description is not None and not isinstance(description, str):
        raise ValidationError("description must be a string", field="description", value=description)
    return _tag(store.curation.put_tag(tag, description=description))


def _tag(tag: TagInfo) -> dict[str, Any]:
    return {"name": tag.name, "description": tag.description}


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
