"""Marquez's lineage graph: ``GET /api/v1/lineage?nodeId=…&depth=…``.

Marquez answers with the jobs and datasets connected to the start node, up to ``depth`` job hops
away, siblings included; each node lists its edges to the others, and nodes come sorted by id.
mltrail walks its job-level graph the same way (``direction="connected"``) but over every run's
inputs and outputs, so edges of older runs stay in the graph (Marquez keeps only the latest job
version's).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query

from mltrail.core.errors import ValidationError
from mltrail.core.lineage import NodeId, NodeType, dataset_node, parse_node_id
from mltrail.server import marquez_json as mj
from mltrail.server.deps import StoreDep

router = APIRouter(prefix="/api/v1", tags=["marquez"])

MAX_NODES = 10_000
"""The most nodes one graph returns."""


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
    if not 0 <= depth <= 50:
        raise ValidationError(f"depth must be from 0 to 50, got {depth}", field="depth", value=depth)
    # Marquez counts job hops; each hop is two edges, plus one from a dataset to its first job.
    steps = 2 * depth + (1 if start.type is NodeType.DATASET else 0)
    page = store.lineage(
        str(replace(start, version=None)),
        direction="connected",
        granularity="job",
        depth=min(steps, 100),
        include_edges=False,
        page_size=MAX_NODES,
    )
    ids = {node.id for node in page.nodes}
    parsed = {node.id: parse_node_id(node.id) for node in page.nodes}
    jobs = [(p.parts[0], p.parts[1]) for p in parsed.values() if p.type is NodeType.JOB]
    edges: dict[str, dict[str, list[dict[str, str]]]] = {i: {"in": [], "out": []} for i in ids}
    for job, dataset, direction in store.catalog.job_io(jobs):
        job_id, dataset_id = str(NodeId(NodeType.JOB, job)), str(dataset_node(*dataset))
        if job_id not in ids or dataset_id not in ids:
            continue
        origin, destination = (dataset_id, job_id) if direction == "input" else (job_id, dataset_id)
        edge = {"origin": origin, "destination": destination}
        edges[origin]["out"].append(edge)
        edges[destination]["in"].append(edge)
    datasets = store.catalog.datasets_named(
        [(p.parts[0], p.parts[1]) for p in parsed.values() if p.type is NodeType.DATASET]
    )
    found_jobs = store.catalog.jobs_named(jobs)
    graph: list[dict[str, Any]] = []
    for node in sorted(page.nodes, key=lambda n: n.id):
        key = (parsed[node.id].parts[0], parsed[node.id].parts[1])
        if node.type is NodeType.JOB:
            data = mj.job_node(found_jobs[key])
        else:
            data = mj.dataset_node(datasets[key])
        graph.append(
            {
                "id": node.id,
                "type": node.type.value.upper(),
                "data": data,
                "inEdges": sorted(edges[node.id]["in"], key=lambda e: (e["origin"], e["destination"])),
                "outEdges": sorted(edges[node.id]["out"], key=lambda e: (e["origin"], e["destination"])),
            }
        )
    return {"graph": graph}
