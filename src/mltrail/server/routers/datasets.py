"""Marquez's datasets and their versions, their tags, and soft deletes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from mltrail.core.errors import NotFoundError
from mltrail.server import marquez_json as mj
from mltrail.server.deps import WRITE, StoreDep
from mltrail.server.paths import PathText
from mltrail.store import Store

router = APIRouter(prefix="/api/v1/namespaces/{namespace}/datasets", tags=["marquez"])

VERSION_SCAN = 10_000
"""Versions looked through for one asked for by id."""


@router.get("")
def list_datasets(namespace: PathText, store: StoreDep, limit: int = 100, offset: int = 0) -> dict[str, Any]:
    """``{"datasets": [Dataset], "totalCount": N}`` by name."""
    page = store.catalog.datasets(namespace, limit=limit, offset=offset)
    tags = store.curation.dataset_tags([(d.namespace, d.name) for d in page.items])
    return {
        "datasets": [mj.dataset(d, tags.get((d.namespace, d.name))) for d in page.items],
        "totalCount": page.total,
    }


@router.get("/{dataset}")
def get_dataset(namespace: PathText, dataset: PathText, store: StoreDep) -> dict[str, Any]:
    """One dataset, or 404."""
    return _dataset(store, namespace, dataset)


def _dataset(store: Store, namespace: str, name: str) -> dict[str, Any]:
    found = store.catalog.dataset(namespace, name)
    return mj.dataset(found, store.curation.dataset_tags([(namespace, name)]).get((namespace, name)))


@router.put("/{dataset}", dependencies=[WRITE])
def put_dataset(namespace: PathText, dataset: PathText) -> JSONResponse:
    """Not served (Marquez's deprecated dataset creation)."""
    instead = "send a DatasetEvent (or a RunEvent output) with a schema facet to POST /api/v1/lineage"
    return mj.removed_route("PUT /api/v1/namespaces/{namespace}/datasets/{dataset}", instead)


@router.delete("/{dataset}", dependencies=[WRITE])
def delete_dataset(namespace: PathText, dataset: PathText, store: StoreDep) -> dict[str, Any]:
    """Soft delete a dataset (until an event names it again); answer it as it was."""
    found = _dataset(store, namespace, dataset)
    store.curation.hide_dataset(namespace, dataset)
    return found


@router.post("/{dataset}/tags/{tag}", dependencies=[WRITE])
def tag_dataset(namespace: PathText, dataset: PathText, tag: PathText, store: StoreDep) -> dict[str, Any]:
    """Tag a dataset (creating the tag if new); answer the dataset."""
    store.curation.tag_dataset(namespace, dataset, tag)
    return _dataset(store, namespace, dataset)


@router.delete("/{dataset}/tags/{tag}", dependencies=[WRITE])
def untag_dataset(namespace: PathText, dataset: PathText, tag: PathText, store: StoreDep) -> dict[str, Any]:
    """Remove a tag from a dataset; answer the dataset."""
    store.curation.tag_dataset(namespace, dataset, tag, add=False)
    return _dataset(store, namespace, dataset)


@router.post("/{dataset}/fields/{field}/tags/{tag}", dependencies=[WRITE])
def tag_field(
    namespace: PathText, dataset: PathText, field: PathText, tag: PathText, store: StoreDep
) -> dict[str, Any]:
    """Tag a field of a dataset's schema; answer the dataset (404 for an unknown field)."""
    _field_exists(store, namespace, dataset, field)
    store.curation.tag_dataset(namespace, dataset, tag, field=field)
    return _dataset(store, namespace, dataset)


@router.delete("/{dataset}/fields/{field}/tags/{tag}", dependencies=[WRITE])
def untag_field(
    namespace: PathText, dataset: PathText, field: PathText, tag: PathText, store: StoreDep
) -> dict[str, Any]:
    """Remove a tag from a field; answer the dataset."""
    _field_exists(store, namespace, dataset, field)
    store.curation.tag_dataset(namespace, dataset, tag, field=field, add=False)
    return _dataset(store, namespace, dataset)


def _field_exists(store: Store, namespace: str, dataset: str, field: str) -> None:
    if field not in {f["name"] for f in _dataset(store, namespace, dataset)["fields"]}:
        raise NotFoundError("field", f"{namespace}:{dataset}:{field}")


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
