"""Marquez's column lineage: ``GET /api/v1/column-lineage``, from datasets' ``columnLineage`` facets.

Each output field lists the input fields it was computed from. The graph starts at a dataset
(all its fields), one field (``datasetField:<ns>:<dataset>:<field>``) or a job (the fields of its
latest run's outputs), walks up to ``depth`` steps upstream and, with ``withDownstream=true``,
downstream too.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from mltrail.core.errors import NotFoundError, ValidationError
from mltrail.core.lineage import split_parts
from mltrail.server.deps import StoreDep
from mltrail.store import Store

router = APIRouter(prefix="/api/v1", tags=["marquez"])

Field = tuple[str, str, str]
"""``(namespace, dataset, field)``."""


@router.get("/column-lineage")
def get_column_lineage(
    store: StoreDep,
    node_id: Annotated[str, Query(alias="nodeId")],
    depth: int = 20,
    with_downstream: Annotated[bool, Query(alias="withDownstream")] = False,
) -> dict[str, Any]:
    """``{"graph": [Node]}`` of DATASET_FIELD nodes, sorted by id."""
    facets = store.catalog.column_lineage()
    inputs: dict[Field, list[dict[str, Any]]] = {}
    outputs: dict[Field, list[Field]] = defaultdict(list)
    details: dict[Field, dict[str, Any]] = {}
    for (namespace, dataset), fields in facets.items():
        for field, lineage in fields.items():
            target = (namespace, dataset, field)
            details[target] = lineage if isinstance(lineage, dict) else {}
            inputs[target] = [
                {"field": (str(i.get("namespace")), str(i.get("name")), str(i.get("field"))), "info": i}
                for i in details[target].get("inputFields", [])
                if isinstance(i, dict)
            ]
            for source in inputs[target]:
                outputs[source["field"]].append(target)
    start = _start_fields(store, node_id, facets)
    reached = _walk(start, lambda f: [i["field"] for i in inputs.get(f, [])], depth)
    if with_downstream:
        reached |= _walk(start, lambda f: outputs.get(f, []), depth)
    return {"graph": [_node(f, inputs, outputs, details, reached) for f in sorted(reached, key=_node_id)]}


def _start_fields(store: Store, node_id: str, facets: dict[tuple[str, str], dict[str, Any]]) -> set[Field]:
    prefix, _, body = node_id.partition(":")
    body = body.split("#", 1)[0]
    if prefix == "datasetField":
        namespace, dataset, field = _parts(body, 3, node_id)
        return {(namespace, dataset, field)}
    if prefix == "dataset":
        namespace, dataset = _parts(body, 2, node_id)
        found = store.catalog.dataset(namespace, dataset)
        return _fields_of(namespace, dataset, found.facets, facets)
    if prefix == "job":
        namespace, name = _parts(body, 2, node_id)
        latest = store.catalog.job(namespace, name).latest_run
        if latest is None:
            return set()
        fields: set[Field] = set()
        for ref in latest.outputs:
            written = store.catalog.dataset(ref.namespace, ref.name).facets
            fields |= _fields_of(ref.namespace, ref.name, written, facets)
        return fields
    message = f"nodeId must start with dataset:, datasetField: or job:, got {node_id!r}"
    raise ValidationError(message, field="nodeId", value=node_id)


def _parts(body: str, count: int, node_id: str) -> tuple[str, ...]:
    parts = split_parts(body, count)
    if len(parts) != count or not all(parts):
        raise ValidationError(f"malformed nodeId {node_id!r}", field="nodeId", value=node_id)
    return parts


def _fields_of(
    namespace: str, dataset: str, dataset_facets: Any, facets: dict[tuple[str, str], dict[str, Any]]
) -> set[Field]:
    """A dataset's fields: those its schema lists and those its column lineage derives."""
    schema = dataset_facets.get("schema", {}).get("fields", []) if isinstance(dataset_facets, dict) else []
    names = {f.get("name") for f in schema if isinstance(f, dict) and f.get("name")}
    names |= set(facets.get((namespace, dataset), {}))
    if not names:
        raise NotFoundError("column lineage", f"{namespace}:{dataset}")
    return {(namespace, dataset, str(name)) for name in names}


def _walk(start: set[Field], step: Any, depth: int) -> set[Field]:
    reached, frontier = set(start), set(start)
    for _ in range(max(depth, 0)):
        frontier = {n for f in frontier for n in step(f)} - reached
        if not frontier:
            break
        reached |= frontier
    return reached


def _node_id(field: Field) -> str:
    return "datasetField:" + ":".join(field)


def _node(
    field: Field,
    inputs: dict[Field, list[dict[str, Any]]],
    outputs: dict[Field, list[Field]],
    details: dict[Field, dict[str, Any]],
    reached: set[Field],
) -> dict[str, Any]:
    namespace, dataset, name = field
    info = details.get(field, {})
    sources = [i for i in inputs.get(field, []) if i["field"] in reached]
    return {
        "id": _node_id(field),
        "type": "DATASET_FIELD",
        "data": {
            "namespace": namespace,
            "dataset": dataset,
            "datasetVersion": None,
            "field": name,
            "fieldType": None,
            "transformationDescription": info.get("transformationDescription"),
            "transformationType": info.get("transformationType"),
            "inputFields": [
                {
                    "namespace": i["field"][0],
                    "dataset": i["field"][1],
                    "datasetVersion": None,
                    "field": i["field"][2],
                    "transformationDescription": _transformation(i["info"], "description"),
                    "transformationType": _transformation(i["info"], "type"),
                }
                for i in sources
            ],
        },
        "inEdges": [{"origin": _node_id(i["field"]), "destination": _node_id(field)} for i in sources],
        "outEdges": [
            {"origin": _node_id(field), "destination": _node_id(o)}
            for o in sorted(set(outputs.get(field, [])) & reached, key=_node_id)
        ],
    }


def _transformation(info: dict[str, Any], key: str) -> Any:
    transformations = info.get("transformations")
    if isinstance(transformations, list) and transformations and isinstance(transformations[0], dict):
        return transformations[0].get(key)
    return info.get(f"transformation{key.capitalize()}")
