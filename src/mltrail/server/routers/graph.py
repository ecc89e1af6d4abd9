"""Marquez's lineage graph: ``GET /api/v1/lineage?nodeId=…&depth=…``.

Marquez starts from a job (a dataset's last writer, else its last reader), takes the jobs up to
``depth`` hops away, where a hop joins two jobs that share a dataset in either direction (so
siblings are included), and adds every dataset of those jobs. Each node lists its edges to the
other nodes; nodes come sorted by id, edges by origin and destination. mltrail builds the same
graph over every run's inputs and outputs, so edges of older runs stay in it (Marquez keeps only
each job's current version's).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from mltrail.core.errors import ValidationError
from mltrail.core.lineage import NodeId, NodeType, dataset_node, parse_node_id
from mltrail.server import marquez_json as mj
from mltrail.server.deps import StoreDep

router = APIRouter(prefix="/api/v1", tags=["marquez"])

MAX_DEPTH = 100
"""The most job hops one graph spans."""


@router.get("/lineage")
def get_lineage(
    store: StoreDep, node_id: Annotated[str, Query(alias="nodeId")], depth: int = 20
) -> dict[str, Any]:
    """``{"graph": [Node]}`` around a ``dataset:`` or ``job:`` node."""
    start = parse_node_id(node_id)
    if start.type not in (NodeType.DATASET, NodeType.JOB):
        raise ValidationError(
            f"nodeId must name a dataset or a job, got {node_id!r}", field="nodeId", value=node_id
        )
    if not 0 <= depth <= MAX_DEPTH:
        message = f"depth must be from 0 to {MAX_DEPTH}, got {depth}"
        raise ValidationError(message, field="depth", value=depth)
    found = store.catalog.job_graph((start.type.value, start.parts[0], start.parts[1]), depth=depth)
    job_ids = {job: str(NodeId(NodeType.JOB, job)) for job in found.jobs}
    dataset_ids = {dataset: str(dataset_node(*dataset)) for dataset in found.datasets}
    edges: dict[str, dict[str, list[dict[str, str]]]] = {
        i: {"in": [], "out": []} for i in (*job_ids.values(), *dataset_ids.values())
    }
    for job, dataset, direction in found.edges:
        ends = (dataset_ids[dataset], job_ids[job])
        origin, destination = ends if direction == "input" else ends[::-1]
        edge = {"origin": origin, "destination": destination}
        edges[origin]["out"].append(edge)
        edges[destination]["in"].append(edge)
    jobs = store.catalog.jobs_named(list(found.jobs))
    datasets = store.catalog.datasets_named(list(found.datasets))
    tags = store.curation.dataset_tags(list(found.datasets))
    nodes = [(i, "JOB", mj.job_node(jobs[job])) for job, i in job_ids.items()]
    nodes += [
        (i, "DATASET", mj.dataset_node(datasets[dataset], tags.get(dataset)))
        for dataset, i in dataset_ids.items()
    ]
    return {
        "graph": [
            {
                "id": i,
                "type": kind,
                "data": data,
                "inEdges": sorted(edges[i]["in"], key=_edge_order),
                "outEdges": sorted(edges[i]["out"], key=_edge_order),
            }
            for i, kind, data in sorted(nodes, key=lambda node: node[0])
        ]
    }


def _edge_order(edge: dict[str, str]) -> tuple[str, str]:
    return edge["origin"], edge["destination"]
