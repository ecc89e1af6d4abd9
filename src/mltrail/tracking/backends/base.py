"""The contract every tracking backend fulfils; the SQL store is the reference implementation.

To add a backend, write a class with these methods whose constructor takes the tracking URI,
and map its URL schemes to the class's import string in ``mltrail.tracking.backends.BACKENDS``.
Methods raise the errors of ``mltrail.core.errors``: ``ValidationError`` and ``NotFoundError`` for
the caller's mistakes, ``StoreError`` when the backend itself fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from mltrail.core.entities import (
    CodeInfo,
    DatasetRef,
    EnvironmentInfo,
    Experiment,
    MetricHistory,
    Run,
    RunKind,
    RunRecord,
    RunStatus,
    Trial,
)
from mltrail.core.lineage import (
    ArtifactSummary,
    AssociationSummary,
    ContextSummary,
    Direction,
    Granularity,
    IngestResult,
    LineagePage,
    NodeType,
)
from mltrail.core.page import Page
from mltrail.core.registry import ModelRegistry


class Backend(Protocol):
    """Where the SDK records runs and reads them back."""

    @property
    def registry(self) -> ModelRegistry:
        """The model registry kept with the runs."""

    def start_run(
        self,
        *,
        run_id: UUID,
        experiment: str,
        trial: str,
        name: str,
        kind: RunKind | str = ...,
        start_time: int | None = ...,
        params: Mapping[str, Any] | None = ...,
        tags: Mapping[str, Any] | None = ...,
        code: CodeInfo | None = ...,
        environment: EnvironmentInfo | None = ...,
        artifact_uri: str | None = ...,
        metrics: Sequence[tuple[str, Any, Any, Any]] = ...,
        inputs: Sequence[DatasetRef] = ...,
        outputs: Sequence[DatasetRef] = ...,
        status: RunStatus | str | None = ...,
        end_time: int | None = ...,
        error_message: str | None = ...,
        job_namespace: str | None = ...,
        job_name: str | None = ...,
    ) -> None:
        """Record a new run in a trial (InProgress unless ``status`` ends it at once) with a first batch."""

    def record_runs(self, records: Sequence[RunRecord]) -> None:
        """Record many new runs (start, first batch, optional end) in one transaction."""

    def log_batch(
        self,
        run_id: UUID,
        *,
        params: Mapping[str, Any] | None = ...,
        tags: Mapping[str, Any] | None = ...,
        metrics: Sequence[tuple[str, Any, Any, Any]] = ...,
        inputs: Sequence[DatasetRef] = ...,
        outputs: Sequence[DatasetRef] = ...,
    ) -> None:
        """Write params, tags, metric points ``(key, value, step, timestamp_ms)`` and datasets at once."""

    def end_run(
        self,
        run_id: UUID,
        *,
        status: RunStatus | str,
        end_time: int | None = ...,
        error_message: str | None = ...,
        params: Mapping[str, Any] | None = ...,
        tags: Mapping[str, Any] | None = ...,
        metrics: Sequence[tuple[str, Any, Any, Any]] = ...,
        inputs: Sequence[DatasetRef] = ...,
        outputs: Sequence[DatasetRef] = ...,
    ) -> None:
        """End a run, writing a last batch with it."""

    def link_trial(self, run_id: UUID, *, experiment: str, trial: str) -> None:
        """Add a run to another trial."""

    def create_experiment(
        self, name: str, *, description: str | None = ..., tags: Mapping[str, str] | None = ...
    ) -> Experiment:
        """Create an experiment."""

    def get_experiment(self, name: str) -> Experiment:
        """Return an experiment by name."""

    def list_experiments(
        self, *, include_archived: bool = ..., names: Sequence[str] | None = ...
    ) -> list[Experiment]:
        """Return experiments ordered by name."""

    def experiment_keys(self, name: str) -> dict[str, list[str]]:
        """Return the param, metric and tag keys of an experiment's trials, each list sorted."""

    def get_run(self, run_id: UUID) -> Run:
        """Return a run by id."""

    def get_trial(self, experiment: str, name: str) -> Trial:
        """Return a trial by experiment and name."""

    def get_metric_history(self, run_id: UUID, key: str, *, max_points: int | None = ...) -> MetricHistory:
        """Return a metric's points, all or about ``max_points`` of them."""

    def search_trials(
        self,
        *,
        experiment: str | Sequence[str] | None = ...,
        filter: str | None = ...,  # noqa: A002
        order_by: str | Sequence[str] | None = ...,
        max_results: int = ...,
        page_token: str | None = ...,
    ) -> Page[Trial]:
        """Return one page of matching trials."""

    def search_runs(
        self,
        *,
        experiment: str | Sequence[str] | None = ...,
        filter: str | None = ...,  # noqa: A002
        order_by: str | Sequence[str] | None = ...,
        max_results: int = ...,
        page_token: str | None = ...,
    ) -> Page[Run]:
        """Return one page of matching runs."""

    def lineage(
        self,
        start: str,
        *,
        direction: Direction | str = ...,
        depth: int = ...,
        include_edges: bool = ...,
        node_types: Sequence[NodeType | str] | None = ...,
        created_after: datetime | None = ...,
        created_before: datetime | None = ...,
        page_size: int = ...,
        page_token: str | None = ...,
        granularity: Granularity | str = ...,
    ) -> LineagePage:
        """Walk the lineage graph from a node."""

    def create_artifact(
        self, name: str, type: str, source_uri: str, properties: Mapping[str, Any] | None = ...
    ) -> ArtifactSummary:
        """Record a named, typed artifact at a source URI."""

    def list_artifacts(
        self,
        *,
        source_uri: str | None = ...,
        artifact_type: str | None = ...,
        sort_by: str = ...,
        sort_order: str = ...,
        max_results: int = ...,
    ) -> list[ArtifactSummary]:
        """List artifacts."""

    def create_context(
        self,
        name: str,
        type: str,
        *,
        description: str | None = ...,
        properties: Mapping[str, Any] | None = ...,
    ) -> ContextSummary:
        """Record a context."""

    def create_association(self, source: str, destination: str, type: str) -> AssociationSummary:
        """Add a typed edge between two nodes."""

    def list_associations(
        self, *, source: str | None = ..., destination: str | None = ...
    ) -> list[AssociationSummary]:
        """List associations."""

    def ingest(self, event: Mapping[str, Any]) -> bool:
        """Store one OpenLineage event; return whether it was new."""

    def ingest_batch(self, events: Sequence[Any]) -> IngestResult:
        """Store many OpenLineage events; refuse the invalid ones."""

    def close(self) -> None:
        """Release connections."""
