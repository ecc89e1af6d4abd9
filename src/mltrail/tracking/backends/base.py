"""The contract every tracking backend fulfils; the SQL store is the reference implementation.

To add a backend, write a class with these methods whose constructor takes the tracking URI,
and map its URL schemes to the class's import string in ``mltrail.tracking.backends.BACKENDS``.
Methods raise the errors of ``mltrail.core.errors``: ``ValidationError`` and ``NotFoundError`` for
the caller's mistakes, ``StoreError`` when the backend itself fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    RunStatus,
    Trial,
)
from mltrail.core.page import Page


class Backend(Protocol):
    """Where the SDK records runs and reads them back."""

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
    ) -> None:
        """Record a new InProgress run in a trial, creating the experiment and trial when missing."""

    def log_params(self, run_id: UUID, params: Mapping[str, Any]) -> None:
        """Set a run's params, keeping their types."""

    def set_tags(self, run_id: UUID, tags: Mapping[str, Any]) -> None:
        """Set a run's tags."""

    def log_metrics(self, run_id: UUID, points: Sequence[tuple[str, Any, Any, Any]]) -> None:
        """Append metric points ``(key, value, step, timestamp_ms)`` to a run."""

    def log_datasets(self, run_id: UUID, datasets: Sequence[DatasetRef], *, direction: str) -> None:
        """Record datasets a run read (``input``) or wrote (``output``)."""

    def end_run(
        self,
        run_id: UUID,
        *,
        status: RunStatus | str,
        end_time: int | None = ...,
        error_message: str | None = ...,
        metrics: Sequence[tuple[str, Any, Any, Any]] = ...,
    ) -> None:
        """End a run, writing its last metric points with it."""

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

    def close(self) -> None:
        """Release connections."""
