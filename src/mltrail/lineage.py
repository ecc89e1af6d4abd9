"""Lineage queries: which data trained the model behind this endpoint, what does this dataset feed.

Example:
    >>> import mltrail
    >>> page = mltrail.lineage.query("dataset:s3://raw:events.csv", direction="descendants", depth=10)
    >>> [node.id for node in page.nodes]  # doctest: +SKIP

Node ids follow Marquez's grammar, extended for ML entities (see :mod:`mltrail.core.lineage`):
``dataset:<namespace>:<name>[#<version>]``, ``job:<namespace>:<name>``, ``run:<uuid>``,
``experiment:<name>``, ``trial:<experiment>:<name>``, or a plain dataset URI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mltrail.core.lineage import (
    ArtifactSummary,
    AssociationSummary,
    AssociationType,
    ContextSummary,
    Direction,
    Granularity,
    LineageEdge,
    LineageNode,
    LineagePage,
    NodeId,
    NodeType,
    parse_node_id,
)
from mltrail.tracking.api import _reader

__all__ = [
    "Artifact",
    "ArtifactSummary",
    "Association",
    "AssociationSummary",
    "AssociationType",
    "Context",
    "ContextSummary",
    "Direction",
    "Granularity",
    "LineageEdge",
    "LineageNode",
    "LineagePage",
    "NodeId",
    "NodeType",
    "parse_node_id",
    "query",
]


def query(
    start: str,
    *,
    direction: Direction | str = Direction.BOTH,
    depth: int = 10,
    include_edges: bool = True,
    node_types: Sequence[NodeType | str] | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    page_size: int = 100,
    page_token: str | None = None,
    granularity: Granularity | str = Granularity.RUN,
) -> LineagePage:
    """Walk the lineage graph from ``start`` and return one page of nodes, nearest first.

    Args:
        start: A node id or a dataset URI.
        direction: ``ascendants`` (where it came from), ``descendants`` (what it feeds), ``both``,
            or ``connected`` (also siblings: everything linked either way, as Marquez draws it).
        depth: How many edges away to go (0 to 100).
        include_edges: Also return the edges that reached each node of the page.
        node_types: Show only these node types (the walk still passes through the others).
        created_after: Follow only runs whose first event is at or after this time.
        created_before: Follow only runs whose first event is before this time.
        page_size: Nodes per page (1 to 10,000).
        page_token: ``next_page_token`` of the previous page.
        granularity: ``run`` (exact dataset versions, full history) or ``job`` (Marquez-style).

    Raises:
        ValidationError: Naming a bad argument (a malformed node id, an unknown direction…).
        NotFoundError: If the graph has no such start node.
    """
    return _reader().lineage(
        start,
        direction=direction,
        depth=depth,
        include_edges=include_edges,
        node_types=node_types,
        created_after=created_after,
        created_before=created_before,
        page_size=page_size,
        page_token=page_token,
        granularity=granularity,
    )


class Artifact:
    """Artifacts outside pipelines, SageMaker style: a named, typed thing at a source URI.

    Example:
        >>> data = Artifact.create("churn-2026-11", "DataSet", "s3://raw/churn/2026-11.csv")  # doctest: +SKIP
        >>> Artifact.list(source_uri="s3://raw/churn/2026-11.csv")  # doctest: +SKIP
    """

    @staticmethod
    def create(
        name: str, type: str, source_uri: str, properties: Mapping[str, Any] | None = None
    ) -> ArtifactSummary:
        """Record an artifact; its node in lineage is the dataset its source URI names."""
        return _reader().create_artifact(name, type, source_uri, properties)

    @staticmethod
    def list(
        *,
        source_uri: str | None = None,
        artifact_type: str | None = None,
        sort_by: str = "CreationTime",
        sort_order: str = "Descending",
        max_results: int = 100,
    ) -> list[ArtifactSummary]:
        """List artifacts; ``sort_by`` is CreationTime or Name, ``sort_order`` Ascending or Descending."""
        return _reader().list_artifacts(
            source_uri=source_uri,
            artifact_type=artifact_type,
            sort_by=sort_by,
            sort_order=sort_order,
            max_results=max_results,
        )


class Context:
    """Contexts, SageMaker style: an endpoint, a pipeline or a project that lineage passes through."""

    @staticmethod
    def create(
        name: str, type: str, *, description: str | None = None, properties: Mapping[str, Any] | None = None
    ) -> ContextSummary:
        """Record a context; its node id is ``context:<name>``."""
        return _reader().create_context(name, type, description=description, properties=properties)


class Association:
    """Typed edges added by hand between any two nodes (node ids or dataset URIs)."""

    @staticmethod
    def create(source: str, destination: str, type: AssociationType | str) -> AssociationSummary:
        """Add an edge; ``type`` is ContributedTo, AssociatedWith, DerivedFrom, Produced or SameAs."""
        return _reader().create_association(source, destination, str(type))

    @staticmethod
    def list(*, source: str | None = None, destination: str | None = None) -> list[AssociationSummary]:
        """List the edges from a node, to a node, or all."""
        return _reader().list_associations(source=source, destination=destination)
