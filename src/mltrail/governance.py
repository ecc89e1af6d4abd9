"""Governance reports: where a model or endpoint came from (provenance), what a dataset feeds (impact).

```python
report = mltrail.governance.provenance("mltrail://endpoints/fraud-prod")
[d.uri for d in report.datasets if d.is_raw]      # the raw data behind the served model
report = mltrail.governance.impact("s3://raw/transactions.csv")
[(v.model, v.version, v.status) for v in report.model_versions]
```

Both walk the lineage graph at run granularity and enrich its nodes through the SDK: each run
with its kind, code, params and last metric values (:func:`mltrail.get_run`), each model version
with its approval status and audit trail (:mod:`mltrail.registry`), and each endpoint with its
deployments (:func:`mltrail.deploy.history`), against a database or a server alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mltrail.core.errors import NotFoundError
from mltrail.core.lineage import Direction, Granularity, LineageEdge, LineageNode, NodeType
from mltrail.core.registry import APPROVAL_STATUS_TAG, MODEL_VERSIONS_NAMESPACE, ModelVersion

if TYPE_CHECKING:
    from mltrail.core.entities import Run
    from mltrail.deploy import Deployment

DEFAULT_DEPTH = 20
"""How many edges away from the start node the reports go unless told."""
_PAGE_SIZE = 1_000


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """A dataset version the walk reached (model versions and endpoints are reported apart).

    Attributes:
        uri: The dataset's URI.
        node: Its node id in the lineage graph, version included.
        version: The version (the id of the run that wrote it), ``None`` for data no run wrote.
        depth: Edges from the start node.
        is_raw: No tracked run wrote it: data that entered the graph from outside.
        written_by: The run in the walk that wrote this version, if any.
    """

    uri: str
    node: str
    version: str | None
    depth: int
    is_raw: bool
    written_by: UUID | None = None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A processing, training, evaluation, registration or deployment run the walk passed through.

    Attributes:
        metrics: The last value of each metric.
        inputs: URIs of the datasets it read.
        outputs: URIs of the datasets it wrote.
    """

    id: UUID
    name: str
    kind: str
    status: str
    experiment: str
    trials: tuple[str, ...]
    depth: int
    start_time: datetime
    end_time: datetime | None = None
    commit: str | None = None
    repo_url: str | None = None
    branch: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EndpointReport:
    """An endpoint the walk reached, with the deployment it serves now and its history (newest first)."""

    endpoint: str
    uri: str
    depth: int
    serving: Deployment | None
    deployments: tuple[Deployment, ...] = ()


@dataclass(frozen=True, slots=True)
class GovernanceReport:
    """What one walk found, grouped and in pipeline order (upstream first).

    Attributes:
        start: The start node, as the store spelled it.
        direction: ``ascendants`` for :func:`provenance`, ``descendants`` for :func:`impact`.
        depth: How many edges away the walk went at most.
        datasets: Dataset versions, raw data first.
        runs: Runs, without those that only announce approval changes.
        model_versions: Registered model versions with status and audit trail.
        endpoints: Endpoints with their deployments.
    """

    start: str
    direction: str
    depth: int
    datasets: tuple[DatasetVersion, ...]
    runs: tuple[RunSummary, ...]
    model_versions: tuple[ModelVersion, ...]
    endpoints: tuple[EndpointReport, ...]


def provenance(node: str, *, depth: int = DEFAULT_DEPTH) -> GovernanceReport:
    """Report where ``node`` came from: data, runs, model versions and deployments upstream of it.

    Args:
        node: An endpoint (``mltrail://endpoints/<name>``), a model version
            (``mltrail://models/<model>/versions/<n>``), any dataset URI or a node id.
        depth: How many edges upstream to go (0 to 100).

    Raises:
        ValidationError: If the node id or the depth is malformed.
        NotFoundError: If the graph has no such node.
    """
    return _report(node, Direction.ASCENDANTS, depth)


def impact(uri: str, *, depth: int = DEFAULT_DEPTH) -> GovernanceReport:
    """Report what ``uri`` feeds: the runs, model versions and endpoints downstream of it.

    Args:
        uri: A dataset URI (or node id), e.g. ``s3://raw/transactions.csv``.
        depth: How many edges downstream to go (0 to 100).

    Raises:
        ValidationError: If the node id or the depth is malformed.
        NotFoundError: If the graph has no such node.
    """
    return _report(uri, Direction.DESCENDANTS, depth)


def _report(start: str, direction: Direction, depth: int) -> GovernanceReport:
    from mltrail.deploy import ENDPOINTS_NAMESPACE

    found_start, nodes, edges = _walk(start, direction, depth)
    upstream_first = direction is Direction.ASCENDANTS
    nodes.sort(key=lambda n: (-n.depth if upstream_first else n.depth, n.id))
    writers = {edge.destination: edge.origin for edge in edges if edge.origin.startswith("run:")}
    datasets: list[DatasetVersion] = []
    runs: list[RunSummary] = []
    versions: dict[tuple[str, int], ModelVersion] = {}
    endpoints: dict[str, EndpointReport] = {}
    for node in nodes:
        if node.type is NodeType.RUN:
            summary = _run_summary(node)
            if summary is not None:
                runs.append(summary)
        elif node.type is NodeType.DATASET:
            namespace, name = str(node.data.get("namespace")), str(node.data.get("name"))
            if namespace == MODEL_VERSIONS_NAMESPACE:
                found = _model_version(name)
                if found is not None:
                    versions.setdefault((found.model, found.version), found)
            elif namespace == ENDPOINTS_NAMESPACE:
                if name not in endpoints:
                    endpoints[name] = _endpoint(name, str(node.data.get("uri")), node.depth)
            else:
                writer = writers.get(node.id)
                version = node.data.get("version")
                datasets.append(
                    DatasetVersion(
                        uri=str(node.data.get("uri")),
                        node=node.id,
                        version=None if version is None else str(version),
                        depth=node.depth,
                        is_raw=writer is None and version is None,
                        written_by=None if writer is None else UUID(writer.removeprefix("run:")),
                    )
                )
    datasets.sort(key=lambda d: not d.is_raw)  # stable: raw data first, pipeline order kept
    return GovernanceReport(
        start=found_start,
        direction=direction.value,
        depth=depth,
        datasets=tuple(datasets),
        runs=tuple(runs),
        model_versions=tuple(versions.values()),
        endpoints=tuple(endpoints.values()),
    )


def _walk(start: str, direction: Direction, depth: int) -> tuple[str, list[LineageNode], list[LineageEdge]]:
    """Return the start node as stored, every node of the walk and the edges that reached them."""
    import mltrail

    nodes: list[LineageNode] = []
    edges: list[LineageEdge] = []
    token: str | None = None
    while True:
        page = mltrail.lineage.query(
            start,
            direction=direction,
            depth=depth,
            include_edges=True,
            page_size=_PAGE_SIZE,
            page_token=token,
            granularity=Granularity.RUN,
        )
        nodes += page.nodes
        edges += page.edges
        token = page.next_page_token
        if token is None:
            return page.start, nodes, edges


def _run_summary(node: LineageNode) -> RunSummary | None:
    """Return the run behind a run node, or ``None`` for an approval announcement or an unknown run."""
    import mltrail

    try:
        run: Run = mltrail.get_run(str(node.data.get("run_id") or node.id.removeprefix("run:")))
    except NotFoundError:  # known to the graph only (ingested OpenLineage events of another tool)
        return None
    if APPROVAL_STATUS_TAG in run.tags:  # announces an approval change: the version's trail has it
        return None
    code = run.code
    return RunSummary(
        id=run.id,
        name=run.name,
        kind=run.kind.value,
        status=run.status.value,
        experiment=run.experiment,
        trials=run.trials,
        depth=node.depth,
        start_time=run.start_time,
        end_time=run.end_time,
        commit=None if code is None else code.commit,
        repo_url=None if code is None else code.repo_url,
        branch=None if code is None else code.branch,
        params=dict(run.params),
        metrics={key: summary.last for key, summary in sorted(run.metrics.items())},
        tags=dict(run.tags),
        inputs=tuple(ref.uri for ref in run.inputs),
        outputs=tuple(ref.uri for ref in run.outputs),
    )


def _model_version(name: str) -> ModelVersion | None:
    """Return the registered version ``<model>/versions/<n>`` names, or ``None`` if it is not one."""
    from mltrail import registry

    model, _, number = name.rpartition("/versions/")
    if not model or not number.isdigit():
        return None
    try:
        return registry.get_model_version(model, int(number))
    except NotFoundError:
        return None


def _endpoint(endpoint: str, uri: str, depth: int) -> EndpointReport:
    from mltrail.deploy import history

    deployments = tuple(history(endpoint))
    return EndpointReport(
        endpoint=endpoint,
        uri=uri,
        depth=depth,
        serving=deployments[0] if deployments else None,
        deployments=deployments,
    )


__all__ = [
    "DEFAULT_DEPTH",
    "DatasetVersion",
    "EndpointReport",
    "GovernanceReport",
    "RunSummary",
    "impact",
    "provenance",
]
