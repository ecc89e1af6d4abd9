"""The ``Store``: experiments, trials and runs written and read in transactions, on SQLite or PostgreSQL."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

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
from mltrail.core.errors import (
    ConflictError,
    EventValidationError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from mltrail.core.lineage import (
    ArtifactSummary,
    AssociationSummary,
    AssociationType,
    ContextSummary,
    Direction,
    Granularity,
    IngestFailure,
    IngestResult,
    LineagePage,
    NodeType,
    as_time_ms,
    parse_node_id,
)
from mltrail.core.page import Page
from mltrail.core.params import encode_params
from mltrail.core.query import parse_filter, parse_order_by
from mltrail.core.validation import (
    MAX_EXPERIMENT_NAME_LENGTH,
    bounded_int,
    choice,
    validate_key,
    validate_kind,
    validate_metric_value,
    validate_name,
    validate_step,
    validate_tags,
    validate_timestamp_ms,
)
from mltrail.store import graph, hydrate, lineage, manual, migrate, search, writes
from mltrail.store import tables as t
from mltrail.store._gc import paused_gc
from mltrail.store.catalog import Catalog
from mltrail.store.curation import Curation
from mltrail.store.dialect import upsert
from mltrail.store.engine import WRITE, make_engine
from mltrail.store.metrics import Point, read_history
from mltrail.store.registry import Registry
from mltrail.store.tokens import Tokens

if TYPE_CHECKING:
    from mltrail.store.ingest import Prepared

log = logging.getLogger(__name__)

T = TypeVar("T")
Item = TypeVar("Item", Trial, Run)

MAX_RETRIES = 8
CONNECTION_RETRIES = 2
MAX_RESULTS_LIMIT = 10_000
MAX_LINEAGE_DEPTH = 100


class Store:
    """Tracking data in a SQL database.

    Every public method runs in its own transaction: a write either happens whole or not at all,
    and writes that hit a locked SQLite file or a PostgreSQL serialization failure are retried.
    Methods take and return core entities; ORM rows never leave this package.

    Args:
        url: A SQLAlchemy URL: ``sqlite:///path.db`` or ``postgresql+psycopg://user@host/db``.
        upgrade: Migrate the schema to the newest revision when the database is behind (the
            default for the embedded SQLite store); otherwise raise if it is not current.
    """

    def __init__(self, url: str, *, upgrade: bool = True) -> None:
        self.url = url
        self._engine: Engine = make_engine(url)
        self._experiment_ids: dict[str, int] = {}
        if not self._run(migrate.is_current, self._engine):
            if not upgrade:
                raise StoreError(
                    f"the database at {self._engine.url!r} is not migrated; run `mltrail db upgrade`"
                )
            self._run(migrate.upgrade, self._engine)

    @property
    def catalog(self) -> Catalog:
        """The OpenLineage catalogue: namespaces, datasets and versions, jobs and runs (read only)."""
        return Catalog(self._read)

    @property
    def curation(self) -> Curation:
        """What Marquez's API adds to the catalogue: namespace owners, tags and soft deletes."""
        return Curation(self._read, self._write)

    @property
    def registry(self) -> Registry:
        """The model registry: versions, approvals and aliases."""
        return Registry(self, self._read, self._write, self._ingest_within)

    @property
    def tokens(self) -> Tokens:
        """The server's API tokens."""
        return Tokens(self._read, self._write)

    def ping(self) -> None:
        """Check that the database answers.

        Raises:
            StoreError: If it does not.
        """
        self._read(lambda connection: connection.exec_driver_sql("SELECT 1").scalar())

    def close(self) -> None:
        """Release the store's database connections."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """The backend's name: ``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    # -- transactions ---------------------------------------------------------------------------

    def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """Call ``fn(*args)``, retrying transient database errors with jittered backoff.

        Errors of statements run on the driver's cursor (hot paths skip SQLAlchemy) are
        translated to SQLAlchemy's exception classes first, so both are handled alike.
        """
        driver_error = self._engine.dialect.loaded_dbapi.Error
        for attempt in range(MAX_RETRIES + 1):
            try:
                return fn(*args)
            except driver_error as exc:
                error = DBAPIError.instance(None, None, exc, driver_error)
            except DBAPIError as exc:
                error = exc
            if isinstance(error, OperationalError) and attempt < _retries_for(error):
                log.debug("transient database error, retrying (%d): %s", attempt + 1, error.orig)
                time.sleep(min(2.0, 0.02 * 2**attempt) * (0.5 + random.random()))
                continue
            if isinstance(error, IntegrityError):
                raise ConflictError(f"conflicting write: {error.orig}", kind="row", id=None) from error
            raise StoreError(f"database error: {error.orig}", cause=error) from error
        raise AssertionError("unreachable")  # pragma: no cover

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[Connection]:
        with self._engine.connect() as connection:
            if write:
                connection = connection.execution_options(**{WRITE: True})
            with connection.begin():
                yield connection

    def _write(self, fn: Callable[[Connection], T]) -> T:
        def attempt() -> T:
            with self._connect(write=True) as connection:
                return fn(connection)

        return self._run(attempt)

    def _read(self, fn: Callable[[Connection], T]) -> T:
        def attempt() -> T:
            with self._connect(write=False) as connection:
                return fn(connection)

        return self._run(attempt)

    # -- experiments ----------------------------------------------------------------------------

    def create_experiment(
        self, name: str, *, description: str | None = None, tags: Mapping[str, str] | None = None
    ) -> Experiment:
        """Create an experiment.

        Raises:
            ConflictError: If an experiment with that name exists.
        """
        validate_name("experiment", name, max_length=MAX_EXPERIMENT_NAME_LENGTH)
        clean_tags = dict(_validate_batch(tags=tags).tags)

        def write(connection: Connection) -> None:
            if self._find_experiment_id(connection, name) is not None:
                raise ConflictError(f"experiment {name!r} already exists", kind="experiment", id=name)
            connection.execute(
                t.experiment.insert().values(
                    name=name,
                    description=description,
                    tags=clean_tags,
                    is_archived=False,
                    created_at=_now_ms(),
                )
            )

        self._write(write)
        return self.get_experiment(name)

    def get_experiment(self, name: str) -> Experiment:
        """Return an experiment by name.

        Raises:
            NotFoundError: If there is none.
        """
        found = [e for e in self.list_experiments(include_archived=True, names=[name])]
        if not found:
            raise NotFoundError("experiment", name, hint=self._did_you_mean(name))
        return found[0]

    def list_experiments(
        self, *, include_archived: bool = False, names: Sequence[str] | None = None
    ) -> list[Experiment]:
        """Return experiments ordered by name, with their trial counts."""
        return self._read(lambda c: hydrate.experiments(c, include_archived=include_archived, names=names))

    def experiment_keys(self, name: str) -> dict[str, list[str]]:
        """Return the param, metric and tag keys of an experiment's trials, each list sorted.

        The answer's keys are ``params``, ``metrics`` and ``tags``.

        Raises:
            NotFoundError: If there is no such experiment.
        """
        tables = {"params": t.trial_param, "metrics": t.trial_metric, "tags": t.trial_tag}

        def read(connection: Connection) -> dict[str, list[str]]:
            experiment_id = self._experiment_id(connection, name)
            return {
                kind: list(
                    connection.execute(
                        select(table.c.key)
                        .where(table.c.experiment_id == experiment_id)
                        .distinct()
                        .order_by(table.c.key)
                    ).scalars()
                )
                for kind, table in tables.items()
            }

        return self._read(read)

    def set_experiment_archived(self, name: str, archived: bool = True) -> Experiment:
        """Archive an experiment (or restore it); archived experiments are hidden from listings."""

        def write(connection: Connection) -> None:
            experiment_id = self._experiment_id(connection, name)
            connection.execute(
                update(t.experiment).where(t.experiment.c.id == experiment_id).values(is_archived=archived)
            )

        self._write(write)
        return self.get_experiment(name)

    def _find_experiment_id(self, connection: Connection, name: str) -> int | None:
        cached = self._experiment_ids.get(name)
        if cached is not None:
            return cached
        found = connection.execute(select(t.experiment.c.id).where(t.experiment.c.name == name)).scalar()
        if found is not None:
            self._experiment_ids[name] = found
        return found

    def _experiment_id(self, connection: Connection, name: str) -> int:
        experiment_id = self._find_experiment_id(connection, name)
        if experiment_id is None:
            raise NotFoundError("experiment", name, hint=self._did_you_mean(name))
        return experiment_id

    def _did_you_mean(self, name: str) -> str | None:
        import difflib

        known = [e.name for e in self.list_experiments(include_archived=True)]
        close = difflib.get_close_matches(name, known, n=1)
        return f"did you mean {close[0]!r}?" if close else None

    def _ensure_experiment(self, connection: Connection, name: str) -> int:
        experiment_id = self._find_experiment_id(connection, name)
        if experiment_id is None:
            row: dict[str, object] = {
                "name": name,
                "description": None,
                "tags": {},
                "is_archived": False,
                "created_at": _now_ms(),
            }
            upsert(connection, t.experiment, [row], conflict=("name",), may_repeat=False)
            experiment_id = self._experiment_id(connection, name)
        return experiment_id

    # -- runs: writes ---------------------------------------------------------------------------

    def start_run(
        self,
        *,
        run_id: UUID,
        experiment: str,
        trial: str,
        name: str,
        kind: RunKind | str = RunKind.CUSTOM,
        start_time: int | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        code: CodeInfo | None = None,
        environment: EnvironmentInfo | None = None,
        artifact_uri: str | None = None,
        metrics: Sequence[tuple[str, Any, Any, Any]] = (),
        inputs: Sequence[DatasetRef] = (),
        outputs: Sequence[DatasetRef] = (),
        status: RunStatus | str | None = None,
        end_time: int | None = None,
        error_message: str | None = None,
        job_namespace: str | None = None,
        job_name: str | None = None,
    ) -> None:
        """Record a new run in a trial, creating the experiment and trial when missing.

        The run is InProgress unless ``status`` ends it at once: a short run can be recorded
        whole, with a first batch (see :meth:`log_batch`), in one transaction.

        Raises:
            ValidationError: If a name, kind, param or tag is invalid (nothing is written).
            ConflictError: If ``run_id`` is already recorded.
        """
        self.record_runs(
            [
                RunRecord(
                    run_id=run_id,
                    experiment=experiment,
                    trial=trial,
                    name=name,
                    kind=kind,
                    start_time=start_time,
                    params=params or {},
                    tags=tags or {},
                    metrics=metrics,
                    inputs=inputs,
                    outputs=outputs,
                    code=code,
                    environment=environment,
                    artifact_uri=artifact_uri,
                    status=status,
                    end_time=end_time,
                    error_message=error_message,
                    job_namespace=job_namespace,
                    job_name=job_name,
                )
            ]
        )

    def record_runs(self, records: Sequence[RunRecord]) -> None:
        """Record many new runs in one transaction, set-wise: the batch ingest path.

        Each record holds a run's start, first batch and, optionally, its end. All records are
        checked before anything is written, and either all are recorded or none.

        Raises:
            ValidationError: Naming the first invalid field.
            ConflictError: If a run id is already recorded.
        """
        checked = [_check_record(record) for record in records]
        if not checked:
            return

        def write(connection: Connection) -> None:
            runs = [
                writes.NewRun(
                    row=row,
                    experiment_id=self._ensure_experiment(connection, experiment),
                    trial=trial,
                    batch=batch,
                    job=graph.default_job(
                        experiment, row["name"], namespace=record.job_namespace, name=record.job_name
                    ),
                )
                for record, (experiment, trial, row, batch) in zip(records, checked, strict=True)
            ]
            writes.record_runs(connection, runs)

        self._write(write)

    def log_batch(
        self,
        run_id: UUID,
        *,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        metrics: Sequence[tuple[str, Any, Any, Any]] = (),
        inputs: Sequence[DatasetRef] = (),
        outputs: Sequence[DatasetRef] = (),
    ) -> None:
        """Write params, tags, metric points and datasets of a run in one transaction.

        Metric points are ``(key, value, step, timestamp_ms)`` tuples.

        A param or tag logged again takes the new value. NaN and infinite metric values are stored
        and counted in ``nonfinite_count``; they never enter ``min``, ``max`` or ``avg``.

        Raises:
            ValidationError: If anything in the batch is invalid (nothing is written).
            NotFoundError: If the run does not exist.
        """
        batch = _validate_batch(params=params, tags=tags, metrics=metrics, inputs=inputs, outputs=outputs)
        if not batch.is_empty:
            self._write(lambda c: self._write_batch(c, run_id, batch))

    def log_params(self, run_id: UUID, params: Mapping[str, Any]) -> None:
        """Set a run's params; see :meth:`log_batch`."""
        self.log_batch(run_id, params=params)

    def set_tags(self, run_id: UUID, tags: Mapping[str, Any]) -> None:
        """Set a run's tags; see :meth:`log_batch`."""
        self.log_batch(run_id, tags=tags)

    def log_metrics(self, run_id: UUID, points: Sequence[tuple[str, Any, Any, Any]]) -> None:
        """Append metric points ``(key, value, step, timestamp_ms)``; see :meth:`log_batch`."""
        self.log_batch(run_id, metrics=points)

    def log_datasets(self, run_id: UUID, datasets: Sequence[DatasetRef], *, direction: str) -> None:
        """Record datasets a run read (``direction="input"``) or wrote (``"output"``)."""
        if direction not in ("input", "output"):
            raise ValidationError(
                f"direction must be 'input' or 'output', got {direction!r}",
                field="direction",
                value=direction,
            )
        if direction == "input":
            self.log_batch(run_id, inputs=datasets)
        else:
            self.log_batch(run_id, outputs=datasets)

    def end_run(
        self,
        run_id: UUID,
        *,
        status: RunStatus | str,
        end_time: int | None = None,
        error_message: str | None = None,
        params: Mapping[str, Any] | None = None,
        tags: Mapping[str, Any] | None = None,
        metrics: Sequence[tuple[str, Any, Any, Any]] = (),
        inputs: Sequence[DatasetRef] = (),
        outputs: Sequence[DatasetRef] = (),
    ) -> None:
        """End a run, writing a last batch (see :meth:`log_batch`) in the same transaction.

        The run's trials take their status and times from their runs.
        """
        final = _final_status(status)
        ended = _end_time(end_time)
        batch = _validate_batch(params=params, tags=tags, metrics=metrics, inputs=inputs, outputs=outputs)

        def write(connection: Connection) -> None:
            trial_ids = self._write_batch(connection, run_id, batch)
            writes.finish_run(
                connection,
                run_id=run_id,
                trial_ids=trial_ids,
                status=final,
                end_time=ended,
                error_message=error_message,
            )
            graph.rebuild_runs(connection, [run_id])

        self._write(write)

    def _write_batch(self, connection: Connection, run_id: UUID, batch: writes.Batch) -> list[int]:
        experiment_id, trial_ids = writes.run_context(connection, run_id)
        writes.write_batch(
            connection, run_id=run_id, experiment_id=experiment_id, trial_ids=trial_ids, batch=batch
        )
        if batch.inputs or batch.outputs:
            graph.rebuild_runs(connection, [run_id])
        return trial_ids

    def link_trial(self, run_id: UUID, *, experiment: str, trial: str) -> None:
        """Add a run to another trial (a shared step feeds every trial of a pipeline run).

        The trial gains the run's params, tags and metrics for keys it does not have yet.
        """
        validate_name("trial", trial)

        def write(connection: Connection) -> None:
            experiment_id = self._ensure_experiment(connection, experiment)
            started = connection.execute(select(t.run.c.start_time).where(t.run.c.id == run_id)).scalar()
            if started is None:
                raise NotFoundError("run", str(run_id))
            writes.link_trial(
                connection, run_id=run_id, experiment_id=experiment_id, trial=trial, start_time=started
            )

        self._write(write)

    # -- lineage ---------------------------------------------------------------------------------

    def lineage(
        self,
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
        """Walk the lineage graph from a node; see :func:`mltrail.lineage.query`."""
        walk = lineage.Walk(
            start=parse_node_id(start),
            direction=choice(Direction, direction, "direction"),
            depth=bounded_int(depth, "depth", 0, MAX_LINEAGE_DEPTH),
            granularity=choice(Granularity, granularity, "granularity"),
            node_types=None
            if node_types is None
            else frozenset(choice(NodeType, value, "node_types") for value in node_types),
            created_after=as_time_ms(created_after, "created_after"),
            created_before=as_time_ms(created_before, "created_before"),
        )
        size = bounded_int(page_size, "page_size", 1, MAX_RESULTS_LIMIT)
        return self._read(
            lambda connection: lineage.query(
                connection, walk, page_size=size, page_token=page_token, include_edges=include_edges
            )
        )

    # -- manual lineage: artifacts, contexts, associations -----------------------------------------

    def create_artifact(
        self, name: str, type: str, source_uri: str, properties: Mapping[str, Any] | None = None
    ) -> ArtifactSummary:
        """Record a named, typed artifact at a source URI; its lineage node is that URI's dataset."""
        validate_name("artifact name", name)
        _check_label("type", type)
        _check_label("source_uri", source_uri, limit=2000)
        values = _json_object("properties", properties)
        return self._write(
            lambda c: manual.create_artifact(
                c, name=name, type=type, source_uri=source_uri, properties=values, now=_now_ms()
            )
        )

    def list_artifacts(
        self,
        *,
        source_uri: str | None = None,
        artifact_type: str | None = None,
        sort_by: str = "CreationTime",
        sort_order: str = "Descending",
        max_results: int = 100,
    ) -> list[ArtifactSummary]:
        """List artifacts, optionally those at a source URI or of a type; sort by CreationTime or Name."""
        limit = bounded_int(max_results, "max_results", 1, MAX_RESULTS_LIMIT)
        return self._read(
            lambda c: manual.list_artifacts(
                c,
                source_uri=source_uri,
                artifact_type=artifact_type,
                sort_by=sort_by,
                sort_order=sort_order,
                max_results=limit,
            )
        )

    def create_context(
        self,
        name: str,
        type: str,
        *,
        description: str | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> ContextSummary:
        """Record a context (an endpoint, a pipeline, a project); its node id is ``context:<name>``.

        Raises:
            ConflictError: If a context of that name exists.
        """
        validate_name("context name", name)
        _check_label("type", type)
        values = _json_object("properties", properties)
        return self._write(
            lambda c: manual.create_context(
                c, name=name, type=type, description=description, properties=values, now=_now_ms()
            )
        )

    def create_association(self, source: str, destination: str, type: str) -> AssociationSummary:
        """Add a typed edge between two existing nodes (node ids or dataset URIs).

        ``type`` is ContributedTo, AssociatedWith, DerivedFrom, Produced or SameAs. Lineage
        queries follow these edges from ``source`` to ``destination``.

        Raises:
            NotFoundError: If a node does not exist.
            ConflictError: If the nodes are already associated with another type.
        """
        kind = choice(AssociationType, type, "type")
        origin, target = parse_node_id(source), parse_node_id(destination)

        def write(connection: Connection) -> AssociationSummary:
            lineage.resolve(connection, origin)
            lineage.resolve(connection, target)
            return manual.create_association(
                connection, source=str(origin), destination=str(target), type=kind, now=_now_ms()
            )

        return self._write(write)

    def list_associations(
        self, *, source: str | None = None, destination: str | None = None
    ) -> list[AssociationSummary]:
        """List associations from a node, to a node, or all."""
        origin = None if source is None else str(parse_node_id(source))
        target = None if destination is None else str(parse_node_id(destination))
        return self._read(lambda c: manual.list_associations(c, source=origin, destination=target))

    # -- OpenLineage events ------------------------------------------------------------------------

    def ingest(self, event: Mapping[str, Any]) -> bool:
        """Store one OpenLineage event (RunEvent, DatasetEvent or JobEvent) and update the graph.

        Returns whether the event was new: the same event sent again is stored once.

        Raises:
            EventValidationError: If the event is invalid, naming each problem's JSON path;
                nothing is stored.
        """
        from mltrail.store.ingest import (
            prepare,
            store_events,
        )  # validation loads schemas: only when ingesting

        prepared = prepare(0, event)
        return bool(
            self._write(
                lambda connection: store_events(
                    connection, [prepared], now=_now_ms(), experiment_id=self._ensure_experiment
                )
            )
        )

    def ingest_batch(self, events: Sequence[Any]) -> IngestResult:
        """Store many OpenLineage events in one transaction; invalid ones are refused, the rest stored.

        Returns counts of stored and duplicate events and, for each refused event, its index
        in ``events`` and the reasons.
        """
        from mltrail.store.ingest import prepare, store_events

        prepared, failed = [], []
        with paused_gc():  # a batch builds many acyclic objects: see paused_gc
            for index, event in enumerate(events):
                try:
                    prepared.append(prepare(index, event))
                except EventValidationError as exc:
                    failed.append(IngestFailure(index, str(exc), tuple(exc.errors)))
            new = self._write(
                lambda connection: store_events(
                    connection, prepared, now=_now_ms(), experiment_id=self._ensure_experiment
                )
            )
        return IngestResult(
            received=len(events), stored=len(new), duplicates=len(prepared) - len(new), failed=tuple(failed)
        )

    def ingest_prepared(self, events: Sequence[Prepared]) -> int:
        """Store events already checked by :func:`mltrail.store.ingest.prepare`, in one transaction.

        For callers that validate events as they arrive and store them later together (the
        server's group commit). Returns how many were new.
        """
        from mltrail.store.ingest import store_events

        new = self._write(
            lambda connection: store_events(
                connection, events, now=_now_ms(), experiment_id=self._ensure_experiment
            )
        )
        return len(new)

    def _ingest_within(self, connection: Connection, events: Sequence[Mapping[str, Any]]) -> None:
        """Store events the store built itself inside the caller's transaction (see ``Registry``)."""
        from mltrail.store.ingest import prepare, store_events

        prepared = [prepare(index, event) for index, event in enumerate(events)]
        store_events(connection, prepared, now=_now_ms(), experiment_id=self._ensure_experiment)

    # -- reads ----------------------------------------------------------------------------------

    def get_run(self, run_id: UUID) -> Run:
        """Return a run with its params, metric summaries, tags, datasets, code and environment.

        Raises:
            NotFoundError: If no run has that id.
        """
        runs = self._read(lambda c: hydrate.runs(c, [run_id]))
        if not runs:
            raise NotFoundError("run", str(run_id))
        return runs[0]

    def get_trial(self, experiment: str, name: str) -> Trial:
        """Return a trial by experiment and name.

        Raises:
            NotFoundError: If the experiment or the trial does not exist.
        """

        def read(connection: Connection) -> list[Trial]:
            experiment_id = self._experiment_id(connection, experiment)
            trial_id = connection.execute(
                select(t.trial.c.id).where(t.trial.c.experiment_id == experiment_id, t.trial.c.name == name)
            ).scalar()
            return [] if trial_id is None else hydrate.trials(connection, [trial_id])

        trials = self._read(read)
        if not trials:
            raise NotFoundError("trial", name, hint=f"no such trial in experiment {experiment!r}")
        return trials[0]

    def get_metric_history(self, run_id: UUID, key: str, *, max_points: int | None = None) -> MetricHistory:
        """Return every point of a run's metric, or about ``max_points`` evenly spaced ones.

        Raises:
            NotFoundError: If the run has no such metric.
            ValidationError: If ``max_points`` is not a positive integer.
        """
        if max_points is not None and (not isinstance(max_points, int) or max_points < 1):
            raise ValidationError(
                f"max_points must be a positive integer, got {max_points!r}",
                field="max_points",
                value=max_points,
            )
        return self._read(lambda c: read_history(c, run_id=run_id, key=key, max_points=max_points))

    def search_trials(
        self,
        *,
        experiment: str | Sequence[str] | None = None,
        filter: str | None = None,  # noqa: A002
        order_by: str | Sequence[str] | None = None,
        max_results: int = 100,
        page_token: str | None = None,
    ) -> Page[Trial]:
        """Return one page of the trials that match ``filter``, sorted by ``order_by``.

        See ``docs/search.md`` for the language. Raises ``QuerySyntaxError`` for a malformed
        filter, ``NotFoundError`` for an unknown experiment.
        """
        return self._search(
            search.TRIALS, experiment, filter, order_by, max_results, page_token, hydrate.trials
        )

    def search_runs(
        self,
        *,
        experiment: str | Sequence[str] | None = None,
        filter: str | None = None,  # noqa: A002
        order_by: str | Sequence[str] | None = None,
        max_results: int = 100,
        page_token: str | None = None,
    ) -> Page[Run]:
        """Return one page of the runs (trial components) that match ``filter``; see :meth:`search_trials`."""
        return self._search(search.RUNS, experiment, filter, order_by, max_results, page_token, hydrate.runs)

    def _search(
        self,
        target: search.Target,
        experiment: str | Sequence[str] | None,
        filter_text: str | None,
        order_by: str | Sequence[str] | None,
        max_results: int,
        page_token: str | None,
        load: Callable[[Connection, list[Any]], list[Item]],
    ) -> Page[Item]:
        bounded_int(max_results, "max_results", 1, MAX_RESULTS_LIMIT)
        expression = parse_filter(filter_text)
        keys = parse_order_by(order_by)
        names = [experiment] if isinstance(experiment, str) else list(experiment or [])
        query = search.Query(target=target, filter=expression, order_by=keys)
        fingerprint = search.fingerprint(target, names, filter_text, keys)
        position = search.decode_page_token(page_token, fingerprint)

        def read(connection: Connection) -> Page[Item]:
            experiment_ids = [self._experiment_id(connection, name) for name in names] or None
            ids, following = search.find_ids(
                connection, query, experiment_ids=experiment_ids, position=position, limit=max_results
            )
            token = None if following is None else search.encode_page_token(following, fingerprint)
            return Page(load(connection, ids), next_page_token=token)

        return self._read(read)


# -- write helpers (each runs inside the caller's transaction) -------------------------------------


def _now_ms() -> int:
    return int(time.time() * 1000)


def _check_record(record: RunRecord) -> tuple[str, str, dict[str, Any], writes.Batch]:
    """Validate a record; return its experiment, trial, ``run`` row and first batch."""
    validate_name("experiment", record.experiment, max_length=MAX_EXPERIMENT_NAME_LENGTH)
    validate_name("trial", record.trial)
    validate_name("run name", record.name)
    final = None if record.status is None else _final_status(record.status)
    started = (
        _now_ms() if record.start_time is None else validate_timestamp_ms("start_time", record.start_time)
    )
    row = {
        "id": record.run_id,
        "name": record.name,
        "kind": validate_kind(record.kind).value,
        "status": (final or RunStatus.IN_PROGRESS).value,
        "start_time": started,
        "end_time": None if final is None else _end_time(record.end_time),
        "error_message": record.error_message if final is not None else None,
        "code": record.code.to_dict() if record.code else None,
        "environment": record.environment.to_dict() if record.environment else None,
        "artifact_uri": record.artifact_uri,
    }
    batch = _validate_batch(
        params=record.params,
        tags=record.tags,
        metrics=record.metrics,
        inputs=record.inputs,
        outputs=record.outputs,
    )
    return record.experiment, record.trial, row, batch


def _final_status(status: RunStatus | str) -> RunStatus:
    try:
        final = RunStatus(status)
    except ValueError:
        raise ValidationError(f"unknown run status {status!r}", field="status", value=status) from None
    if final is RunStatus.IN_PROGRESS:
        raise ValidationError("a run cannot end as InProgress", field="status", value=status)
    return final


def _end_time(end_time: int | None) -> int:
    return _now_ms() if end_time is None else validate_timestamp_ms("end_time", end_time)


def _retries_for(exc: OperationalError) -> int:
    """How often to retry: contention clears by waiting, an unreachable server rarely does."""
    text = str(exc.orig).lower()
    if any(word in text for word in ("locked", "busy", "deadlock", "could not serialize")):
        return MAX_RETRIES
    return CONNECTION_RETRIES if "connect" in text else 0


def _validate_batch(
    *,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    metrics: Sequence[tuple[str, Any, Any, Any]] = (),
    inputs: Sequence[DatasetRef] = (),
    outputs: Sequence[DatasetRef] = (),
) -> writes.Batch:
    """Validate everything a batch writes before any of it is written."""
    points = [
        Point(
            validate_key("metrics", key),
            validate_metric_value(key, value),
            validate_step(key, step),
            validate_timestamp_ms(f"metrics.{key}.timestamp", timestamp),
        )
        for key, value, step, timestamp in metrics
    ]
    return writes.Batch(
        params=encode_params(params),
        tags=validate_tags(tags),
        points=points,
        inputs=list(inputs),
        outputs=list(outputs),
    )


def _check_label(field: str, value: Any, *, limit: int = 64) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValidationError(
            f"{field} must be a non-empty string of at most {limit} characters, got {value!r}",
            field=field,
            value=value,
        )


def _json_object(field: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON object from a mapping of JSON values."""
    found = dict(value or {})
    try:
        json.dumps(found, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{field} must hold JSON values: {exc}", field=field, value=value) from None
    return found
