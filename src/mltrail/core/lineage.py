"""Lineage graph vocabulary: node ids (Marquez's grammar, extended for ML entities), nodes, edges, pages.

Node ids:

* ``dataset:<namespace>:<name>`` and ``dataset:<namespace>:<name>#<version>``;
* ``job:<namespace>:<name>``;
* ``run:<uuid>``;
* ``experiment:<name>`` and ``trial:<experiment>:<name>``;
* ``context:<name>`` (a context created with ``mltrail.lineage.Context.create``).

Parts may be percent-encoded one by one (as Marquez's web UI does), which is how a ``:`` or ``#``
that belongs to a name is written. Unencoded, a ``:`` followed by ``//`` or by a port number stays in
the part, so ``dataset:s3://bucket:path/x`` and ``dataset:postgres://db:5432:shop.public.orders``
read as expected. A plain URI (``s3://bucket/key``, ``/data/x.csv``) names a dataset by the
OpenLineage naming rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import unquote
from uuid import UUID

from mltrail.core.errors import ValidationError
from mltrail.core.naming import dataset_from_uri

TRACKED_JOB_NAMESPACE = "mltrail"
"""The OpenLineage job namespace of runs tracked through mltrail's SDK without one of their own."""


class NodeType(StrEnum):
    """What a lineage node stands for."""

    DATASET = "dataset"
    JOB = "job"
    RUN = "run"
    EXPERIMENT = "experiment"
    TRIAL = "trial"
    CONTEXT = "context"


class Direction(StrEnum):
    """Which way a lineage query walks."""

    ASCENDANTS = "ascendants"
    DESCENDANTS = "descendants"
    BOTH = "both"
    """Ascendants and descendants of the start."""
    CONNECTED = "connected"
    """Everything linked to the start by edges followed either way, siblings too (Marquez's graph)."""


class Granularity(StrEnum):
    """Run level (exact dataset versions, full history) or job level (collapsed, like Marquez)."""

    RUN = "run"
    JOB = "job"


_PARTS = {
    NodeType.DATASET: 2,
    NodeType.JOB: 2,
    NodeType.RUN: 1,
    NodeType.EXPERIMENT: 1,
    NodeType.TRIAL: 2,
    NodeType.CONTEXT: 1,
}
_SEPARATOR = re.compile(r":(?!//|\d+(?::|/|$))")
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://|/|\./|\.\./)")


@dataclass(frozen=True, slots=True)
class NodeId:
    """A parsed node id; ``parts`` are decoded (namespace and name, a run id, …)."""

    type: NodeType
    parts: tuple[str, ...]
    version: str | None = None

    def __str__(self) -> str:
        # Extra separators are read as part of the first part, so only later parts escape ":".
        parts = [_escape(part, colon=index > 0) for index, part in enumerate(self.parts)]
        text = ":".join([self.type.value, *parts])
        return text if self.version is None else f"{text}#{_escape(self.version)}"

    @property
    def run_id(self) -> UUID:
        """The run id of a ``run:`` node."""
        return UUID(self.parts[0])


def _escape(part: str, *, colon: bool = False) -> str:
    """Percent-encode only what would change how the id reads back: ``%``, ``#`` and, if asked, ``:``."""
    escaped = part.replace("%", "%25").replace("#", "%23")
    return escaped.replace(":", "%3A") if colon else escaped


def dataset_node(namespace: str, name: str, version: str | None = None) -> NodeId:
    """The node id of a dataset (version)."""
    return NodeId(NodeType.DATASET, (namespace, name), version)


def parse_node_id(text: str) -> NodeId:
    """Parse a node id or a plain dataset URI.

    Raises:
        ValidationError: Naming the part that is wrong.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(
            f"a node id must be a non-empty string, got {text!r}", field="start", value=text
        )
    prefix, colon, _ = text.partition(":")
    if prefix not in _PARTS.keys() and _URI.match(text):
        ref = dataset_from_uri(text)
        return dataset_node(ref.namespace, ref.name)
    try:
        node_type = NodeType(prefix)
    except ValueError:
        known = ", ".join(f"{t.value}:" for t in NodeType)
        raise ValidationError(
            f"node id {text!r} must start with one of {known} or be a dataset URI", field="start", value=text
        ) from None
    body, _, version = text[len(prefix) + len(colon) :].partition("#")
    parts = split_parts(body, _PARTS[node_type])
    if len(parts) != _PARTS[node_type] or not all(parts):
        shape = {1: "<id>", 2: "<namespace>:<name>"}[_PARTS[node_type]]
        raise ValidationError(
            f"node id {text!r} must look like {node_type.value}:{shape}", field="start", value=text
        )
    if node_type is NodeType.RUN:
        try:
            UUID(parts[0])
        except ValueError:
            raise ValidationError(
                f"run node id {text!r} must carry a UUID, got {parts[0]!r}", field="start", value=text
            ) from None
    return NodeId(node_type, parts, unquote(version) if version else None)


def split_parts(body: str, count: int) -> tuple[str, ...]:
    """Split the ``:``-separated parts of a node id (after its prefix) into ``count`` decoded parts.

    A ``:`` before ``//`` or a port number stays in its part; extra separators go to the first
    part (a namespace); fewer parts than ``count`` come back as they are.
    """
    if count == 1:
        return (unquote(body),)
    pieces = _SEPARATOR.split(body)
    if len(pieces) > count:
        pieces = [":".join(pieces[: len(pieces) - count + 1]), *pieces[len(pieces) - count + 1 :]]
    return tuple(unquote(piece) for piece in pieces)


@dataclass(frozen=True, slots=True)
class LineageNode:
    """A node of a lineage answer, at its distance from the start."""

    id: str
    type: NodeType
    depth: int
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """A directed edge: data flows (or a parent contains a child) from ``origin`` to ``destination``."""

    origin: str
    destination: str
    type: str
    """``INPUT`` (dataset read by a run or job), ``OUTPUT`` (written), ``PARENT`` or ``COMPONENT``."""


@dataclass(frozen=True, slots=True)
class LineagePage:
    """One page of a lineage answer, nodes ordered by depth then id."""

    start: str
    nodes: tuple[LineageNode, ...]
    edges: tuple[LineageEdge, ...] = ()
    next_page_token: str | None = None


def as_time_ms(value: datetime | None, field_name: str) -> int | None:
    """Milliseconds since the epoch of an aware datetime, for the ``created_*`` filters."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(
            f"{field_name} must be an aware datetime, got {value!r}", field=field_name, value=value
        )
    return int(value.timestamp() * 1000)


@dataclass(frozen=True, slots=True)
class IngestFailure:
    """An event of a batch that was refused, and why."""

    index: int
    reason: str
    errors: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What a batch ingest did: events stored, events already stored, events refused."""

    received: int
    stored: int
    duplicates: int
    failed: tuple[IngestFailure, ...] = ()


class AssociationType(StrEnum):
    """How the source of a hand-made association relates to its destination (SageMaker's types)."""

    CONTRIBUTED_TO = "ContributedTo"
    ASSOCIATED_WITH = "AssociatedWith"
    DERIVED_FROM = "DerivedFrom"
    PRODUCED = "Produced"
    SAME_AS = "SameAs"


@dataclass(frozen=True, slots=True)
class ArtifactSummary:
    """A named, typed artifact; its node is the dataset its source URI names."""

    id: int
    name: str
    type: str
    source_uri: str
    node_id: str
    properties: Mapping[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ContextSummary:
    """A context (an endpoint, a pipeline, a project) that lineage can pass through."""

    name: str
    type: str
    node_id: str
    description: str | None = None
    properties: Mapping[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AssociationSummary:
    """A typed edge between two nodes, added by hand."""

    source: str
    destination: str
    type: AssociationType
    created_at: datetime | None = None
