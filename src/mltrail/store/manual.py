"""Lineage added by hand, SageMaker style: artifacts, contexts and the associations between nodes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from mltrail.core.errors import ConflictError, ValidationError
from mltrail.core.lineage import (
    ArtifactSummary,
    AssociationSummary,
    AssociationType,
    ContextSummary,
    NodeId,
    NodeType,
    dataset_node,
)
from mltrail.core.naming import dataset_from_uri
from mltrail.core.sequences import chunks
from mltrail.store import tables as t
from mltrail.store.graph import ensure_datasets
from mltrail.store.hydrate import to_datetime

ARTIFACT_SORTS = {"CreationTime": "created_at", "Name": "name"}
SORT_ORDERS = ("Ascending", "Descending")


def create_artifact(
    connection: Connection, *, name: str, type: str, source_uri: str, properties: Mapping[str, Any], now: int
) -> ArtifactSummary:
    """Record an artifact at ``source_uri``, creating its dataset when missing."""
    ref = dataset_from_uri(source_uri)
    dataset_id = ensure_datasets(connection, {(ref.namespace, ref.name): ref.uri})[ref.namespace, ref.name]
    values = dict(properties)
    artifact_id = connection.execute(
        t.artifact.insert()
        .values(
            name=name,
            type=type,
            source_uri=source_uri,
            dataset_id=dataset_id,
            properties=values,
            created_at=now,
        )
        .returning(t.artifact.c.id)
    ).scalar_one()
    return _artifact(artifact_id, name, type, source_uri, ref.namespace, ref.name, values, now)


def list_artifacts(
    connection: Connection,
    *,
    source_uri: str | None,
    artifact_type: str | None,
    sort_by: str,
    sort_order: str,
    max_results: int,
) -> list[ArtifactSummary]:
    """Artifacts, optionally only those at a source URI or of a type, sorted."""
    if sort_by not in ARTIFACT_SORTS:
        raise ValidationError(
            f"sort_by must be one of {', '.join(ARTIFACT_SORTS)}, got {sort_by!r}",
            field="sort_by",
            value=sort_by,
        )
    if sort_order not in SORT_ORDERS:
        raise ValidationError(
            f"sort_order must be Ascending or Descending, got {sort_order!r}",
            field="sort_order",
            value=sort_order,
        )
    a, d = t.artifact.c, t.dataset.c
    column = a[ARTIFACT_SORTS[sort_by]]
    query = (
        select(a.id, a.name, a.type, a.source_uri, d.namespace, d.name, a.properties, a.created_at)
        .join(t.dataset, d.id == a.dataset_id)
        .order_by(*((column.desc(), a.id.desc()) if sort_order == "Descending" else (column, a.id)))
        .limit(max_results)
    )
    if source_uri is not None:
        query = query.where(a.source_uri == source_uri)
    if artifact_type is not None:
        query = query.where(a.type == artifact_type)
    return [_artifact(*row) for row in connection.execute(query)]


def _artifact(
    artifact_id: int,
    name: str,
    kind: str,
    source_uri: str,
    namespace: str,
    dataset: str,
    properties: Mapping[str, Any],
    created: int,
) -> ArtifactSummary:
    return ArtifactSummary(
        id=artifact_id,
        name=name,
        type=kind,
        source_uri=source_uri,
        node_id=str(dataset_node(namespace, dataset)),
        properties=dict(properties),
        created_at=to_datetime(created),
    )


def create_context(
    connection: Connection,
    *,
    name: str,
    type: str,
    description: str | None,
    properties: Mapping[str, Any],
    now: int,
) -> ContextSummary:
    """Record a context.

    Raises:
        ConflictError: If a context of that name exists.
    """
    c = t.context.c
    if connection.execute(select(c.id).where(c.name == name)).first() is not None:
        raise ConflictError(f"context {name!r} already exists", kind="context", id=name)
    connection.execute(
        t.context.insert().values(
            name=name, type=type, description=description, properties=dict(properties), created_at=now
        )
    )
    return ContextSummary(
        name=name,
        type=type,
        node_id=str(NodeId(NodeType.CONTEXT, (name,))),
        description=description,
        properties=dict(properties),
        created_at=to_datetime(now),
    )


def create_association(
    connection: Connection, *, source: str, destination: str, type: AssociationType, now: int
) -> AssociationSummary:
    """Record a typed edge between two existing nodes; the same edge again changes nothing.

    Raises:
        ConflictError: If the two nodes are already associated with another type.
    """
    s = t.association.c
    found = connection.execute(
        select(s.type, s.created_at).where(s.source == source, s.destination == destination)
    ).first()
    if found is not None:
        if found.type != type.value:
            raise ConflictError(
                f"{source} and {destination} are already associated as {found.type}",
                kind="association",
                id=f"{source} -> {destination}",
            )
        return AssociationSummary(source, destination, type, to_datetime(found.created_at))
    connection.execute(
        t.association.insert().values(source=source, destination=destination, type=type.value, created_at=now)
    )
    return AssociationSummary(source, destination, type, to_datetime(now))


def list_associations(
    connection: Connection, *, source: str | None, destination: str | None
) -> list[AssociationSummary]:
    """Associations from a node, to a node, or all, ordered by source then destination."""
    s = t.association.c
    query = select(s.source, s.destination, s.type, s.created_at).order_by(s.source, s.destination)
    if source is not None:
        query = query.where(s.source == source)
    if destination is not None:
        query = query.where(s.destination == destination)
    return [
        AssociationSummary(origin, target, AssociationType(kind), to_datetime(created))
        for origin, target, kind, created in connection.execute(query)
    ]


def associated(
    connection: Connection, node_ids: Sequence[str], *, upstream: bool
) -> list[tuple[str, str, str]]:
    """``(source, destination, type)`` of the associations into (``upstream``) or out of these nodes."""
    s = t.association.c
    column = s.destination if upstream else s.source
    rows: list[tuple[str, str, str]] = []
    for chunk in chunks(node_ids):
        rows += [
            tuple(row)
            for row in connection.execute(select(s.source, s.destination, s.type).where(column.in_(chunk)))
        ]
    return rows
