"""The OpenLineage catalogue the graph records: namespaces, datasets and their versions, jobs and runs.

These are what a Marquez-compatible API serves. Versions are labels: the version an event named
for a dataset (its ``version`` facet), else the id of the run that wrote it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID


@dataclass(frozen=True, slots=True)
class NamespaceSummary:
    """A namespace: every job and dataset namespace named in the graph."""

    name: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DatasetVersionRef:
    """A dataset at one version, as a run read or wrote it, with the facets sent with it."""

    namespace: str
    name: str
    version: str | None
    """``None`` for an input read before any run wrote the dataset."""
    facets: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run of the graph (from OpenLineage events or tracked through the SDK)."""

    id: UUID
    job_namespace: str
    job_name: str
    state: str
    """NEW, RUNNING, COMPLETED, FAILED or ABORTED."""
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    nominal_start_time: datetime | None
    nominal_end_time: datetime | None
    parent_run_id: UUID | None
    facets: Mapping[str, Any]
    inputs: tuple[DatasetVersionRef, ...]
    outputs: tuple[DatasetVersionRef, ...]


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    """A dataset with its latest facets, when it was first seen and last written."""

    namespace: str
    name: str
    uri: str
    created_at: datetime
    updated_at: datetime
    last_modified_at: datetime | None
    """When a run last wrote it."""
    current_version: str | None
    facets: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """One version of a dataset: what a run wrote, with the facets it sent."""

    namespace: str
    name: str
    version: str
    created_at: datetime
    facets: Mapping[str, Any]
    run: RunSummary | None


@dataclass(frozen=True, slots=True)
class JobSummary:
    """A job with its latest facets and its latest runs (newest first)."""

    namespace: str
    name: str
    created_at: datetime
    updated_at: datetime
    facets: Mapping[str, Any]
    latest_runs: tuple[RunSummary, ...]

    @property
    def latest_run(self) -> RunSummary | None:
        """The newest run, if any."""
        return self.latest_runs[0] if self.latest_runs else None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A job or dataset whose name matched a search."""

    kind: str
    """``job`` or ``dataset``."""
    namespace: str
    name: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TagInfo:
    """A tag and what it means."""

    name: str
    description: str | None


@dataclass(frozen=True, slots=True)
class NamespaceInfo:
    """What was said about a namespace: its owner and description, and whether it is hidden."""

    owner_name: str | None
    description: str | None
    is_hidden: bool


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CatalogPage(Generic[T]):
    """A page of a catalogue list and the total it is taken from."""

    items: tuple[T, ...]
    total: int


__all__ = [
    "CatalogPage",
    "DatasetSummary",
    "DatasetVersion",
    "DatasetVersionRef",
    "JobSummary",
    "NamespaceInfo",
    "NamespaceSummary",
    "RunSummary",
    "SearchHit",
    "TagInfo",
]
