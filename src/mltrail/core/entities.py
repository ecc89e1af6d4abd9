"""Domain entities: experiments, trials, runs (trial components), params, metrics, datasets."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeAlias
from uuid import UUID

ParamValue: TypeAlias = int | float | bool | str | list[Any] | dict[str, Any] | None
"""A hyperparameter value; its Python type is kept through the store."""


class RunKind(StrEnum):
    """What a trial component does in the pipeline."""

    PROCESSING = "processing"
    TRAINING = "training"
    EVALUATION = "evaluation"
    REGISTRATION = "registration"
    DEPLOYMENT = "deployment"
    CUSTOM = "custom"


class RunStatus(StrEnum):
    """The state of a run or trial, with SageMaker's names."""

    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPED = "Stopped"

    @property
    def is_terminal(self) -> bool:
        """Whether the run has ended."""
        return self is not RunStatus.IN_PROGRESS


@dataclass(frozen=True, slots=True)
class Experiment:
    """A named group of trials that answer one question."""

    name: str
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    is_archived: bool = False
    created_at: datetime | None = None
    trial_count: int = 0


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """Aggregates of one metric series, maintained as points are written.

    ``min``, ``max`` and ``avg`` cover finite values only; ``last`` is the value with the highest
    step (then timestamp) and may be NaN or infinite; ``nonfinite_count`` counts NaN and ±inf points.
    """

    key: str
    last: float
    min: float | None
    max: float | None
    avg: float | None
    count: int
    last_step: int
    last_timestamp: datetime
    nonfinite_count: int = 0

    @property
    def has_nonfinite(self) -> bool:
        """Whether any point of the series was NaN or infinite."""
        return self.nonfinite_count > 0


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One logged value of a metric."""

    step: int
    timestamp: datetime
    value: float


@dataclass(frozen=True, slots=True)
class MetricHistory:
    """The points of one metric series, held as columns (cheap for 100,000 points).

    Iterating yields :class:`MetricPoint` objects; ``to_dataframe()`` gives a pandas frame.
    Timestamps are milliseconds since the Unix epoch.
    """

    run_id: UUID
    key: str
    steps: list[int]
    timestamps: list[int]
    values: list[float]
    total_count: int
    is_downsampled: bool = False

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[MetricPoint]:
        for step, ts, value in zip(self.steps, self.timestamps, self.values, strict=True):
            yield MetricPoint(
                step=step, timestamp=datetime.fromtimestamp(ts / 1000).astimezone(), value=value
            )

    def to_dataframe(self) -> Any:
        """Return the points as a pandas DataFrame with columns step, timestamp, value."""
        from mltrail.core._frames import require_pandas

        pd = require_pandas()
        return pd.DataFrame(
            {
                "step": self.steps,
                "timestamp": pd.to_datetime(self.timestamps, unit="ms", utc=True),
                "value": self.values,
            }
        )


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """A dataset a run read or wrote, named by the OpenLineage conventions.

    Attributes:
        namespace: e.g. ``s3://bucket`` or ``file``.
        name: e.g. ``data/train.csv`` or ``/abs/path/train.csv``.
        uri: The URI the namespace and name come from, e.g. ``s3://bucket/data/train.csv``.
        role: Optional purpose: ``train``, ``validation``, ``model``, ``artifact``…
    """

    namespace: str
    name: str
    uri: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """Where the code of a run came from, when it ran from a git checkout."""

    commit: str | None = None
    repo_url: str | None = None
    branch: str | None = None
    is_dirty: bool | None = None
    entry_point: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the non-empty fields as a JSON-ready dict."""
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}


@dataclass(frozen=True, slots=True)
class EnvironmentInfo:
    """The machine and interpreter a run ran on."""

    host: str | None = None
    os: str | None = None
    python: str | None = None
    cpu_count: int | None = None
    memory_bytes: int | None = None
    instance_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the non-empty fields as a JSON-ready dict."""
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}


@dataclass(frozen=True, slots=True)
class Run:
    """A trial component: one tracked execution of a step (processing, training, …)."""

    id: UUID
    name: str
    experiment: str
    kind: RunKind
    status: RunStatus
    start_time: datetime
    end_time: datetime | None = None
    error_message: str | None = None
    trials: tuple[str, ...] = ()
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    metrics: Mapping[str, MetricSummary] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    inputs: tuple[DatasetRef, ...] = ()
    outputs: tuple[DatasetRef, ...] = ()
    code: CodeInfo | None = None
    environment: EnvironmentInfo | None = None
    artifact_uri: str | None = None

    @property
    def duration(self) -> float | None:
        """Seconds between start and end, or ``None`` while the run is in progress."""
        return None if self.end_time is None else (self.end_time - self.start_time).total_seconds()


@dataclass(frozen=True, slots=True)
class Trial:
    """One candidate configuration: a set of runs whose params and metrics it shows as its own.

    A trial's params, metrics and tags are those of its components; when two components log
    the same key, the one written last wins.
    """

    name: str
    experiment: str
    status: RunStatus
    start_time: datetime
    end_time: datetime | None = None
    run_ids: tuple[UUID, ...] = ()
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    metrics: Mapping[str, MetricSummary] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def duration(self) -> float | None:
        """Seconds from the first component's start to the last one's end."""
        return None if self.end_time is None else (self.end_time - self.start_time).total_seconds()


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A new run to record in one go: its start, a first batch and, when it has ended, its end.

    The batch ingest path (:meth:`mltrail.store.Store.record_runs`) takes these; the SDK sends
    short runs this way, many per transaction. Times are milliseconds since the epoch; metric
    points are ``(key, value, step, timestamp_ms)``.
    """

    run_id: UUID
    experiment: str
    trial: str
    name: str
    kind: RunKind | str = RunKind.CUSTOM
    start_time: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, Any] = field(default_factory=dict)
    metrics: Sequence[tuple[str, Any, Any, Any]] = ()
    inputs: Sequence[DatasetRef] = ()
    outputs: Sequence[DatasetRef] = ()
    code: CodeInfo | None = None
    environment: EnvironmentInfo | None = None
    artifact_uri: str | None = None
    status: RunStatus | str | None = None
    end_time: int | None = None
    error_message: str | None = None
    job_namespace: str | None = None
    """The OpenLineage job the run belongs to; by default ``mltrail`` / ``<experiment>.<name>``."""
    job_name: str | None = None
