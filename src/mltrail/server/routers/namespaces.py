"""Marquez's namespaces: every job and dataset namespace in the graph, and those created by PUT."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from mltrail.core.errors import ValidationError
from mltrail.server import marquez_json as mj
from mltrail.server.deps import WRITE, StoreDep
from mltrail.server.paths import PathText

router = APIRouter(prefix="/api/v1/namespaces", tags=["marquez"])


@router.get("")
def list_namespaces(store: StoreDep, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """``{"namespaces": [Namespace]}`` by name (soft-deleted ones left out)."""
    found = store.catalog.namespaces(limit=limit, offset=offset)
    infos = store.curation.namespaces(n.name for n in found)
    return {"namespaces": [mj.namespace(n, infos.get(n.name)) for n in found]}


@router.get("/{namespace}")
def get_namespace(namespace: PathText, store: StoreDep) -> dict[str, Any]:
    """One namespace, or 404."""
    return mj.namespace(
        store.catalog.namespace(namespace), store.curation.namespaces([namespace]).get(namespace)
    )


@router.put("/{namespace}", dependencies=[WRITE])
def put_namespace(
    namespace: PathText, store: StoreDep, body: Annotated[dict[str, Any] | None, Body()] = None
) -> dict[str, Any]:
    """Create a namespace or set its ``ownerName`` (required) and ``description``."""
    owner, description = (body or {}).get("ownerName"), (body or {}).get("description")
    if not isinstance(owner, str) or not owner:
        raise ValidationError("ownerName must be a non-empty string", field="ownerName", value=owner)
    if description is not None and not isinstance(description, str):
        raise ValidationError("description must be a string", field="description", value=description)
    store.curation.put_namespace(namespace, owner_name=owner, description=description)
    return get_namespace(namespace, store)


@router.delete("/{namespace}", dependencies=[WRITE])
def delete_namespace(namespace: PathText, store: StoreDep) -> dict[str, Any]:
    """Soft delete a namespace with its datasets and jobs; answer it as it was."""
    found = get_namespace(namespace, store)
    store.curation.hide_namespace(namespace)
    return found
