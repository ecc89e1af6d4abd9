"""ORM rows of the tracking schema; the migrations create exactly these tables.

Times are integer milliseconds since the Unix epoch, so that filters compare numbers on every
backend. Params, tags and metric summaries are kept twice: per run (``run_*``) and per trial
(``trial_*``, the value written last by any of the trial's runs), so that trial search is as
cheap as run search. Each carries ``experiment_id`` to make ``(experiment_id, key, value)``
indexes possible.

Those per-owner rows (params, tags, metric summaries and chunks) have no foreign key to their
run or trial: they are written only by the store, in the transaction that creates or finds
their owner, and on PostgreSQL the per-row key check doubled the cost of ``COPY``-ing them.
Links between entities (trial to run, run to dataset, to experiment) keep theirs.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from mltrail.store.base import Base

_CLUSTERED = {"sqlite_with_rowid": False}
"""SQLite stores these tables in primary-key order, so one owner's rows are read in one range."""

KEY = String(250)
NAME = String(256)
STATUS = String(16)


class ExperimentRow(Base):
    """An experiment."""

    __tablename__ = "experiment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(500), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]]
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[int]


class TrialRow(Base):
    """A trial; status and times are derived from its runs."""

    __tablename__ = "trial"
    __table_args__ = (
        UniqueConstraint("experiment_id", "name"),
        Index(None, "experiment_id", "start_time", "id"),
        Index(None, "experiment_id", "status", "start_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiment.id"))
    name: Mapped[str] = mapped_column(NAME)
    status: Mapped[str] = mapped_column(STATUS)
    start_time: Mapped[int]
    end_time: Mapped[int | None]


class RunRow(Base):
    """A run (trial component)."""

    __tablename__ = "run"
    __table_args__ = (
        Index(None, "experiment_id", "start_time", "id"),
        Index(None, "experiment_id", "status", "start_time"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiment.id"))
    name: Mapped[str] = mapped_column(NAME)
    kind: Mapped[str] = mapped_column(STATUS)
    status: Mapped[str] = mapped_column(STATUS)
    start_time: Mapped[int]
    end_time: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    code: Mapped[dict[str, Any] | None]
    environment: Mapped[dict[str, Any] | None]
    artifact_uri: Mapped[str | None] = mapped_column(Text)


class TrialComponentRow(Base):
    """Which runs belong to which trials (many to many)."""

    __tablename__ = "trial_component"
    __table_args__ = (Index(None, "run_id"), _CLUSTERED)

    trial_id: Mapped[int] = mapped_column(ForeignKey("trial.id"), primary_key=True)
    run_id: Mapped[UUID] = mapped_column(ForeignKey("run.id"), primary_key=True)


class _ParamColumns:
    """A typed parameter: its type name, numeric value (int/float) and canonical text."""

    key: Mapped[str] = mapped_column(KEY)
    experiment_id: Mapped[int]
    value_type: Mapped[str] = mapped_column(String(8))
    num_value: Mapped[float | None] = mapped_column(Float)
    text_value: Mapped[str | None] = mapped_column(Text)


class RunParamRow(_ParamColumns, Base):
    """A run's parameter."""

    __tablename__ = "run_param"
    __table_args__ = (
        PrimaryKeyConstraint("run_id", "key"),
        Index(None, "experiment_id", "key", "num_value"),
        _CLUSTERED,
    )

    run_id: Mapped[UUID] = mapped_column()


class TrialParamRow(_ParamColumns, Base):
    """A trial's parameter, copied from the run that wrote it last."""

    __tablename__ = "trial_param"
    __table_args__ = (
        PrimaryKeyConstraint("trial_id", "key"),
        Index(None, "experiment_id", "key", "num_value"),
        _CLUSTERED,
    )

    trial_id: Mapped[int] = mapped_column()
    run_id: Mapped[UUID]


class _TagColumns:
    """A tag: a string value under a key."""

    key: Mapped[str] = mapped_column(KEY)
    experiment_id: Mapped[int]
    value: Mapped[str] = mapped_column(Text)


class RunTagRow(_TagColumns, Base):
    """A run's tag."""

    __tablename__ = "run_tag"
    __table_args__ = (PrimaryKeyConstraint("run_id", "key"), _CLUSTERED)

    run_id: Mapped[UUID] = mapped_column()


class TrialTagRow(_TagColumns, Base):
    """A trial's tag, copied from the run that wrote it last."""

    __tablename__ = "trial_tag"
    __table_args__ = (PrimaryKeyConstraint("trial_id", "key"), _CLUSTERED)

    trial_id: Mapped[int] = mapped_column()
    run_id: Mapped[UUID]


class _SummaryColumns:
    """Aggregates of a metric series; ``last`` is NULL when the last value was NaN."""

    key: Mapped[str] = mapped_column(KEY)
    experiment_id: Mapped[int]
    last: Mapped[float | None] = mapped_column(Float)
    min: Mapped[float | None] = mapped_column(Float)
    max: Mapped[float | None] = mapped_column(Float)
    avg: Mapped[float | None] = mapped_column(Float)
    count: Mapped[int]
    nonfinite_count: Mapped[int]
    last_step: Mapped[int]
    last_timestamp: Mapped[int]


class MetricSummaryRow(_SummaryColumns, Base):
    """One metric series of a run with its running aggregates; points refer to it by id."""

    __tablename__ = "metric_summary"
    __table_args__ = (
        UniqueConstraint("run_id", "key"),
        Index(None, "experiment_id", "key", "last"),
        Index(None, "experiment_id", "key", "max"),
        Index(None, "experiment_id", "key", "min"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[UUID] = mapped_column()
    sum: Mapped[float] = mapped_column(Float)
    finite_count: Mapped[int]


class TrialMetricRow(_SummaryColumns, Base):
    """A trial's metric summary, copied from the run that logged the key last."""

    __tablename__ = "trial_metric"
    __table_args__ = (
        PrimaryKeyConstraint("trial_id", "key"),
        Index(None, "experiment_id", "key", "last"),
        Index(None, "experiment_id", "key", "max"),
        Index(None, "experiment_id", "key", "min"),
        _CLUSTERED,
    )

    trial_id: Mapped[int] = mapped_column()
    run_id: Mapped[UUID]


class MetricChunkRow(Base):
    """A run of consecutive points of a series, stored as packed little-endian arrays.

    ``first_seq`` numbers the chunk's first point within the series (points are numbered 0, 1, 2…
    in write order); each write of a batch appends one chunk. Reading a 100,000-point history
    is then a few dozen rows, not 100,000.
    """

    __tablename__ = "metric_chunk"
    __table_args__ = _CLUSTERED

    series_id: Mapped[int] = mapped_column(primary_key=True)
    first_seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    count: Mapped[int]
    steps: Mapped[bytes] = mapped_column(LargeBinary)
    """int64 steps."""
    timestamps: Mapped[bytes] = mapped_column(LargeBinary)
    """int64 milliseconds since the epoch."""
    values: Mapped[bytes] = mapped_column(LargeBinary)
    """float64 values; NaN and ±inf as IEEE 754."""


class DatasetRow(Base):
    """A dataset, named by the OpenLineage conventions."""

    __tablename__ = "dataset"
    __table_args__ = (UniqueConstraint("namespace", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    namespace: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(1500))
    uri: Mapped[str] = mapped_column(Text)
    facets: Mapped[dict[str, Any] | None]
    """The dataset's latest facets from OpenLineage events."""
    updated_at: Mapped[int | None]


class RunDatasetRow(Base):
    """A run's input or output dataset, with an optional role."""

    __tablename__ = "run_dataset"
    __table_args__ = (Index(None, "dataset_id"), _CLUSTERED)

    run_id: Mapped[UUID] = mapped_column(ForeignKey("run.id"), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    role: Mapped[str | None] = mapped_column(String(64))


# -- OpenLineage: raw events and the lineage projection ------------------------------------------------


class OlEventRow(Base):
    """An OpenLineage event as received, kept append-only; a resent event (same ``digest``) is a no-op.

    A run event is unique among its run's events (the index ingestion also reads a run's events
    by); a dataset or job event, which has no run, among those. A unique index on the digest
    alone would take its inserts at random places: past a few hundred thousand events, each
    batch dirtied one index page per event.
    """

    __tablename__ = "ol_event"
    __table_args__ = (
        Index(None, "run_id", "digest", unique=True),
        Index(
            "ix_ol_event_static_digest",
            "digest",
            unique=True,
            sqlite_where=text("run_id IS NULL"),
            postgresql_where=text("run_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the event's canonical JSON."""
    kind: Mapped[str] = mapped_column(String(16))
    """RunEvent, DatasetEvent or JobEvent."""
    event_type: Mapped[str | None] = mapped_column(String(16))
    run_id: Mapped[UUID | None] = mapped_column()
    event_time: Mapped[int]
    received_at: Mapped[int]
    payload: Mapped[dict[str, Any]]


class JobRow(Base):
    """An OpenLineage job: a namespace and a name, with its latest facets."""

    __tablename__ = "job"
    __table_args__ = (UniqueConstraint("namespace", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    namespace: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(1500))
    facets: Mapped[dict[str, Any]]
    created_at: Mapped[int]
    updated_at: Mapped[int]


class LineageRunRow(Base):
    """An OpenLineage run, its state and facets folded from all of its events in event-time order."""

    __tablename__ = "lineage_run"
    __table_args__ = (Index(None, "job_id", "created_at"), Index(None, "parent_run_id"))

    id: Mapped[UUID] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"))
    state: Mapped[str] = mapped_column(STATUS)
    """NEW, RUNNING, COMPLETED, FAILED or ABORTED (Marquez's names)."""
    start_time: Mapped[int | None]
    end_time: Mapped[int | None]
    nominal_start_time: Mapped[int | None]
    nominal_end_time: Mapped[int | None]
    parent_run_id: Mapped[UUID | None] = mapped_column()
    root_run_id: Mapped[UUID | None] = mapped_column()
    facets: Mapped[dict[str, Any]]
    created_at: Mapped[int]
    """The time of the run's earliest event."""
    updated_at: Mapped[int]
    """The time of the run's latest event."""


class RunIoRow(Base):
    """A dataset a lineage run read or wrote, at the time it did.

    ``at_time`` is the run's start for inputs and its end (or latest event) for outputs: the
    version of a dataset that a run read is the one written last before it started, so edges
    keep their history however the job's inputs change later.
    """

    __tablename__ = "run_io"
    __table_args__ = (Index(None, "dataset_id", "direction", "at_time"), _CLUSTERED)

    run_id: Mapped[UUID] = mapped_column(ForeignKey("lineage_run.id"), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    version: Mapped[str | None] = mapped_column(String(256))
    """The dataset version the event named (``version`` facet), if any."""
    at_time: Mapped[int]
    facets: Mapped[dict[str, Any]]
    """The dataset's facets and the input or output facets sent with this run."""


# -- Marquez's curation: namespace owners, tags, soft deletes -------------------------------------------


class NamespaceRow(Base):
    """What Marquez's ``PUT /namespaces/{ns}`` and ``DELETE`` say about a namespace."""

    __tablename__ = "namespace"

    name: Mapped[str] = mapped_column(String(500), primary_key=True)
    owner_name: Mapped[str | None] = mapped_column(NAME)
    description: Mapped[str | None] = mapped_column(Text)
    is_hidden: Mapped[bool] = mapped_column(default=False)
    """Soft deleted: hidden until an event names the namespace again."""
    created_at: Mapped[int]
    updated_at: Mapped[int]


class TagRow(Base):
    """A tag that datasets, their fields and jobs may carry."""

    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int]
    updated_at: Mapped[int]


class DatasetTagRow(Base):
    """A tag on a dataset (``field`` empty) or on one of its fields."""

    __tablename__ = "dataset_tag"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id"), primary_key=True)
    field: Mapped[str] = mapped_column(NAME, primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id"), primary_key=True)


class JobTagRow(Base):
    """A tag on a job."""

    __tablename__ = "job_tag"

    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id"), primary_key=True)


class HiddenDatasetRow(Base):
    """A soft-deleted dataset, hidden from reads until an event names it again."""

    __tablename__ = "hidden_dataset"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id"), primary_key=True)
    hidden_at: Mapped[int]


class HiddenJobRow(Base):
    """A soft-deleted job, hidden from reads until an event names it again."""

    __tablename__ = "hidden_job"

    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), primary_key=True)
    hidden_at: Mapped[int]


# -- the model registry: groups, versions, approvals, aliases ----------------------------------------


class ModelGroupRow(Base):
    """A registered model: the versions of one model, SageMaker's model package group."""

    __tablename__ = "model_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int]
    updated_at: Mapped[int]


class ModelVersionRow(Base):
    """A version of a registered model: its artifact, where it came from, and its approval status."""

    __tablename__ = "model_version"
    __table_args__ = (UniqueConstraint("group_id", "version"), Index(None, "run_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("model_group.id"))
    version: Mapped[int]
    source_uri: Mapped[str] = mapped_column(Text)
    run_id: Mapped[UUID | None]
    """The run that produced the model (its trial and experiment follow from it)."""
    status: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]]
    metrics: Mapped[dict[str, Any]]
    """The source run's metric summaries when the version was registered."""
    created_at: Mapped[int]
    updated_at: Mapped[int]


class ModelApprovalRow(Base):
    """One change of a version's approval status: the audit trail, only ever appended to."""

    __tablename__ = "model_approval"
    __table_args__ = (Index(None, "version_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(NAME)
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[int]


class ModelAliasRow(Base):
    """A name for one version of a model, e.g. ``champion``."""

    __tablename__ = "model_alias"

    group_id: Mapped[int] = mapped_column(ForeignKey("model_group.id"), primary_key=True)
    alias: Mapped[str] = mapped_column(NAME, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_version.id"))
    updated_at: Mapped[int]


# -- manual lineage, SageMaker style: artifacts, contexts, associations --------------------------------


class ArtifactRow(Base):
    """A named, typed artifact (data set, model, image…) at a source URI: a dataset node with properties."""

    __tablename__ = "artifact"
    __table_args__ = (Index(None, "dataset_id"), Index(None, "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    type: Mapped[str] = mapped_column(String(64))
    source_uri: Mapped[str] = mapped_column(Text)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id"))
    properties: Mapped[dict[str, Any]]
    created_at: Mapped[int]


class ContextRow(Base):
    """A context: something lineage happens in that is not data or a run (an endpoint, a pipeline)."""

    __tablename__ = "context"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict[str, Any]]
    created_at: Mapped[int]


class AssociationRow(Base):
    """A typed edge added by hand between two nodes, named by their node ids."""

    __tablename__ = "association"
    __table_args__ = (PrimaryKeyConstraint("source", "destination"), Index(None, "destination"), _CLUSTERED)

    source: Mapped[str] = mapped_column(String(2100))
    destination: Mapped[str] = mapped_column(String(2100))
    type: Mapped[str] = mapped_column(String(32))
    """ContributedTo, AssociatedWith, DerivedFrom, Produced or SameAs."""
    created_at: Mapped[int]


# -- server access ---------------------------------------------------------------------------------------


class ApiTokenRow(Base):
    """An API token of the server: only its SHA-256 is kept; the secret is shown once, at creation."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    """The public part of the token (``mlt_<key>_<secret>``), to find it and to name it in listings."""
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the whole token, hex."""
    name: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    """reader, writer, approver or admin."""
    created_at: Mapped[int]
    expires_at: Mapped[int | None]
    revoked_at: Mapped[int | None]
