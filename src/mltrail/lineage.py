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

from collections.abc import Sequence
from datetime import datetime

from mltrail.core.lineage import (
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
        direction: ``ascendants`` (where it came from), ``descendants`` (what it feeds) or ``both``.
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
