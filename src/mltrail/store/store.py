"""The ``Store``: experiments, trials and runs written and read in transactions, on SQLite or PostgreSQL."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

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
from mltrail.core.errors import ConflictError, NotFoundError, StoreError, ValidationError
from mltrail.core.page import Page
from mltrail.core.params import encode_param
from mltrail.core.query import parse_filter, parse_order_by
from mltrail.core.validation import (
    MAX_EXPERIMENT_NAME_LENGTH,
    validate_key,
    validate_kind,
    validate_metric_value,
    validate_name,
    validate_step,
    validate_tag_value,
    validate_timestamp_ms,
)
from mltrail.store import hydrate, migrate, search
from mltrail.store import tables as t
from mltrail.store.dialect import insert_for, upsert
from mltrail.store.engine import WRITE, make_engine
from mltrail.store.metrics import Point, read_history, write_points

log = logging.getLogger(__name__)

T = TypeVar("T")
Item = TypeVar("Item", Trial, Run)

MAX_RETRIES = 8
MAX_RESULTS_LIMIT = 10_000


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
        """Call ``fn(*args)``, retrying transient database errors with jittered backoff."""
        for attempt in range(MAX_RETRIES + 1):
            try:
                return fn(*args)
            except OperationalError as exc:
                if attempt == MAX_RETRIES or not _is_transient(exc):
                    raise StoreError(f"database error: {exc.orig}", cause=exc) from exc
                log.debug("transient database error, retrying (%d): %s", attempt + 1, exc.orig)
                time.sleep(min(2.0, 0.02 * 2**attempt) * (0.5 + random.random()))
            except IntegrityError as exc:
                raise ConflictError(f"conflicting write: {exc.orig}", kind="row", id=None) from exc
            except DBAPIError as exc:
                raise StoreError(f"database error: {exc.orig}", cause=exc) from exc
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
        clean_tags = _validate_tags(tags)

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
            statement = insert_for(connection, t.experiment).values(
                name=name, description=None, tags={}, is_archived=False, created_at=_now_ms()
            )
            connection.execute(statement.on_conflict_do_nothing(index_elements=["name"]))
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
    ) -> None:
        """Record a new run (InProgress) in a trial, creating the experiment and trial when missing.

        Raises:
            ValidationError: If a name, kind, param or tag is invalid (nothing is written).
            ConflictError: If ``run_id`` is already recorded.
        """
        validate_name("experiment", experiment, max_length=MAX_EXPERIMENT_NAME_LENGTH)
        validate_name("trial", trial)
        validate_name("run name", name)
        run_kind = validate_kind(kind)
        started = _now_ms() if start_time is None else validate_timestamp_ms("start_time", start_time)
        encoded = _encode_params(params)
        clean_tags = _validate_tags(tags)

        def write(connection: Connection) -> None:
            if connection.execute(select(t.run.c.id).where(t.run.c.id == run_id)).first() is not None:
                raise ConflictError(f"run {run_id} already exists", kind="run", id=run_id)
            experiment_id = self._ensure_experiment(connection, experiment)
            trial_id = _ensure_trial(connection, experiment_id=experiment_id, name=trial, start_time=started)
            connection.execute(
                t.run.insert().values(
                    id=run_id,
                    experiment_id=experiment_id,
                    name=name,
                    kind=run_kind.value,
                    status=RunStatus.IN_PROGRESS.value,
                    start_time=started,
                    code=code.to_dict() if code else None,
                    environment=environment.to_dict() if environment else None,
                    artifact_uri=artifact_uri,
                )
            )
            connection.execute(t.trial_component.insert().values(trial_id=trial_id, run_id=run_id))
            _write_params(connection, run_id, experiment_id, [trial_id], encoded)
            _write_tags(connection, run_id, experiment_id, [trial_id], clean_tags)

        self._write(write)

    def log_params(self, run_id: UUID, params: Mapping[str, Any]) -> None:
        """Set a run's params; a key logged again takes the new value."""
        encoded = _encode_params(params)
        self._write(lambda c: _write_params(c, run_id, *_run_context(c, run_id), encoded))

    def set_tags(self, run_id: UUID, tags: Mapping[str, Any]) -> None:
        """Set a run's tags; values are strings (numbers and booleans are converted)."""
        clean = _validate_tags(tags)
        self._write(lambda c: _write_tags(c, run_id, *_run_context(c, run_id), clean))

    def log_metrics(self, run_id: UUID, points: Sequence[tuple[str, Any, Any, Any]]) -> None:
        """Append metric points ``(key, value, step, timestamp_ms)`` to a run in one transaction.

        NaN and infinite values are stored and counted in ``nonfinite_count``; they never enter
        ``min``, ``max`` or ``avg``.
        """
        clean = _validate_points(points)
        if clean:
            self._write(lambda c: _write_metrics(c, run_id, clean))

    def log_datasets(self, run_id: UUID, datasets: Sequence[DatasetRef], *, direction: str) -> None:
        """Record datasets a run read (``direction="input"``) or wrote (``"output"``)."""
        if direction not in ("input", "output"):
            raise ValidationError(
                f"direction must be 'input' or 'output', got {direction!r}",
                field="direction",
                value=direction,
            )
        if datasets:
            self._write(lambda c: _write_datasets(c, run_id, datasets, direction))

    def end_run(
        self,
        run_id: UUID,
        *,
        status: RunStatus | str,
        end_time: int | None = None,
        error_message: str | None = None,
        metrics: Sequence[tuple[str, Any, Any, Any]] = (),
    ) -> None:
        """End a run, writing its last metric points in the same transaction, and update its trials."""
        final = RunStatus(status)
        if final is RunStatus.IN_PROGRESS:
            raise ValidationError("a run cannot end as InProgress", field="status", value=status)
        ended = _now_ms() if end_time is None else validate_timestamp_ms("end_time", end_time)
        clean = _validate_points(metrics)

        def write(connection: Connection) -> None:
            if clean:
                _write_metrics(connection, run_id, clean)
            else:
                _run_context(connection, run_id)
            connection.execute(
                update(t.run)
                .where(t.run.c.id == run_id)
                .values(status=final.value, end_time=ended, error_message=error_message)
            )
            for trial_id in _trial_ids(connection, run_id):
                _refresh_trial(connection, trial_id)

        self._write(write)

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
            trial_id = _ensure_trial(connection, experiment_id=experiment_id, name=trial, start_time=started)
            upsert(
                connection,
                t.trial_component,
                [{"trial_id": trial_id, "run_id": run_id}],
                conflict=("trial_id", "run_id"),
            )
            _copy_run_to_trial(connection, run_id=run_id, trial_id=trial_id, experiment_id=experiment_id)
            _refresh_trial(connection, trial_id)

        self._write(write)

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
        if (
            isinstance(max_results, bool)
            or not isinstance(max_results, int)
            or not 1 <= max_results <= MAX_RESULTS_LIMIT
        ):
            raise ValidationError(
                f"max_results must be an integer from 1 to {MAX_RESULTS_LIMIT}, got {max_results!r}",
                field="max_results",
                value=max_results,
            )
        expression = parse_filter(filter_text)
        keys = parse_order_by(order_by)
        names = [experiment] if isinstance(experiment, str) else list(experiment or [])
        query = search.Query(target=target, filter=expression, order_by=keys)
        fingerprint = search.fingerprint(target, names, filter_text, keys)
        offset = search.decode_page_token(page_token, fingerprint)

        def read(connection: Connection) -> Page[Item]:
            experiment_ids = [self._experiment_id(connection, name) for name in names] or None
            ids, has_more = search.find_ids(
                connection, query, experiment_ids=experiment_ids, offset=offset, limit=max_results
            )
            token = search.encode_page_token(offset + len(ids), fingerprint) if has_more else None
            return Page(load(connection, ids), next_page_token=token)

        return self._read(read)


# -- write helpers (each runs inside the caller's transaction) -------------------------------------


def _now_ms() -> int:
    return int(time.time() * 1000)


def _is_transient(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return any(word in text for word in ("locked", "busy", "deadlock", "could not serialize", "connection"))


def _encode_params(params: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    if not params:
        return []
    return [(validate_key("params", key), encode_param(key, value)) for key, value in params.items()]


def _validate_tags(tags: Mapping[str, Any] | None) -> dict[str, str]:
    return {validate_key("tags", key): validate_tag_value(key, value) for key, value in (tags or {}).items()}


def _validate_points(points: Sequence[tuple[str, Any, Any, Any]]) -> list[Point]:
    clean = []
    for key, value, step, timestamp in points:
        validate_key("metrics", key)
        clean.append(
            Point(
                key,
                validate_metric_value(key, value),
                validate_step(key, step),
                validate_timestamp_ms(f"metrics.{key}.timestamp", timestamp),
            )
        )
    return clean


def _ensure_trial(connection: Connection, *, experiment_id: int, name: str, start_time: int) -> int:
    c = t.trial.c
    statement = insert_for(connection, t.trial).values(
        experiment_id=experiment_id, name=name, status=RunStatus.IN_PROGRESS.value, start_time=start_time
    )
    connection.execute(statement.on_conflict_do_nothing(index_elements=["experiment_id", "name"]))
    trial_id, trial_start = connection.execute(
        select(c.id, c.start_time).where(c.experiment_id == experiment_id, c.name == name)
    ).one()
    connection.execute(
        update(t.trial)
        .where(c.id == trial_id)
        .values(status=RunStatus.IN_PROGRESS.value, end_time=None, start_time=min(trial_start, start_time))
    )
    return int(trial_id)


def _run_context(connection: Connection, run_id: UUID) -> tuple[int, list[int]]:
    experiment_id = connection.execute(select(t.run.c.experiment_id).where(t.run.c.id == run_id)).scalar()
    if experiment_id is None:
        raise NotFoundError("run", str(run_id))
    return experiment_id, _trial_ids(connection, run_id)


def _trial_ids(connection: Connection, run_id: UUID) -> list[int]:
    tc = t.trial_component.c
    return list(connection.execute(select(tc.trial_id).where(tc.run_id == run_id)).scalars())


def _write_params(
    connection: Connection,
    run_id: UUID,
    experiment_id: int,
    trial_ids: Sequence[int],
    encoded: Sequence[tuple[str, Any]],
) -> None:
    values = [
        {
            "key": key,
            "experiment_id": experiment_id,
            "value_type": e.value_type,
            "num_value": e.num_value,
            "text_value": e.text_value,
        }
        for key, e in encoded
    ]
    columns = ("experiment_id", "value_type", "num_value", "text_value")
    upsert(
        connection,
        t.run_param,
        [v | {"run_id": run_id} for v in values],
        conflict=("run_id", "key"),
        update=columns,
    )
    upsert(
        connection,
        t.trial_param,
        [v | {"trial_id": tid, "run_id": run_id} for tid in trial_ids for v in values],
        conflict=("trial_id", "key"),
        update=(*columns, "run_id"),
    )


def _write_tags(
    connection: Connection,
    run_id: UUID,
    experiment_id: int,
    trial_ids: Sequence[int],
    tags: Mapping[str, str],
) -> None:
    values = [{"key": key, "experiment_id": experiment_id, "value": value} for key, value in tags.items()]
    upsert(
        connection,
        t.run_tag,
        [v | {"run_id": run_id} for v in values],
        conflict=("run_id", "key"),
        update=("value",),
    )
    upsert(
        connection,
        t.trial_tag,
        [v | {"trial_id": tid, "run_id": run_id} for tid in trial_ids for v in values],
        conflict=("trial_id", "key"),
        update=("value", "run_id"),
    )


def _write_metrics(connection: Connection, run_id: UUID, points: Sequence[Point]) -> None:
    experiment_id, trial_ids = _run_context(connection, run_id)
    write_points(connection, run_id=run_id, experiment_id=experiment_id, trial_ids=trial_ids, points=points)


def _write_datasets(
    connection: Connection, run_id: UUID, datasets: Sequence[DatasetRef], direction: str
) -> None:
    _run_context(connection, run_id)
    d = t.dataset.c
    upsert(
        connection,
        t.dataset,
        [{"namespace": x.namespace, "name": x.name, "uri": x.uri} for x in datasets],
        conflict=("namespace", "name"),
    )
    rows = []
    for ref in datasets:
        dataset_id = connection.execute(
            select(d.id).where(d.namespace == ref.namespace, d.name == ref.name)
        ).scalar_one()
        rows.append({"run_id": run_id, "dataset_id": dataset_id, "direction": direction, "role": ref.role})
    upsert(connection, t.run_dataset, rows, conflict=("run_id", "dataset_id", "direction"), update=("role",))


def _refresh_trial(connection: Connection, trial_id: int) -> None:
    """Derive a trial's status and times from its runs."""
    r, tc = t.run.c, t.trial_component.c
    rows = connection.execute(
        select(r.status, func.count(), func.min(r.start_time), func.max(r.end_time))
        .join(t.trial_component, tc.run_id == r.id)
        .where(tc.trial_id == trial_id)
        .group_by(r.status)
    ).all()
    statuses = {row[0] for row in rows}
    for candidate in (RunStatus.IN_PROGRESS, RunStatus.FAILED, RunStatus.STOPPED, RunStatus.COMPLETED):
        if candidate.value in statuses:
            status = candidate
            break
    else:
        return
    start = min(row[2] for row in rows)
    end = None if status is RunStatus.IN_PROGRESS else max(row[3] for row in rows if row[3] is not None)
    connection.execute(
        update(t.trial)
        .where(t.trial.c.id == trial_id)
        .values(status=status.value, start_time=start, end_time=end)
    )


def _copy_run_to_trial(connection: Connection, *, run_id: UUID, trial_id: int, experiment_id: int) -> None:
    p, g, m = t.run_param.c, t.run_tag.c, t.metric_summary.c
    params = [
        dict(row._mapping) | {"trial_id": trial_id, "run_id": run_id, "experiment_id": experiment_id}
        for row in connection.execute(
            select(p.key, p.value_type, p.num_value, p.text_value).where(p.run_id == run_id)
        )
    ]
    upsert(connection, t.trial_param, params, conflict=("trial_id", "key"))
    tags = [
        dict(row._mapping) | {"trial_id": trial_id, "run_id": run_id, "experiment_id": experiment_id}
        for row in connection.execute(select(g.key, g.value).where(g.run_id == run_id))
    ]
    upsert(connection, t.trial_tag, tags, conflict=("trial_id", "key"))
    summaries = [
        dict(row._mapping) | {"trial_id": trial_id, "run_id": run_id, "experiment_id": experiment_id}
        for row in connection.execute(
            select(
                m.key, m.last, m.min, m.max, m.avg, m.count, m.nonfinite_count, m.last_step, m.last_timestamp
            ).where(m.run_id == run_id)
        )
    ]
    upsert(connection, t.trial_metric, summaries, conflict=("trial_id", "key"))
