"""Read the OpenLineage catalogue from the graph's tables: namespaces, datasets, versions, jobs, runs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Text, cast, func, literal, select, union_all

from mltrail.core.catalog import (
    CatalogPage,
    DatasetSummary,
    DatasetVersion,
    DatasetVersionRef,
    JobSummary,
    NamespaceSummary,
    RunSummary,
    SearchHit,
)
from mltrail.core.errors import NotFoundError, ValidationError
from mltrail.core.sequences import chunks
from mltrail.core.validation import bounded_int
from mltrail.store import tables as t
from mltrail.store.hydrate import to_datetime
from mltrail.store.transaction import Transaction

LATEST_RUNS = 10
"""Runs a job summary carries (Marquez's ``latestRuns``)."""
MAX_LIMIT = 10_000
RUN_STATES = ("NEW", "RUNNING", "COMPLETED", "FAILED", "ABORTED")


class Catalog:
    """The catalogue of a store, each call one read transaction; lists are paged by limit and offset.

    Raises:
        NotFoundError: From the calls that name one namespace, dataset, job or run that does not exist.
        ValidationError: For a limit outside 1–10,000, a negative offset or an unknown run state.
    """

    def __init__(self, read: Transaction) -> None:
        self._read = read

    def namespaces(self, *, limit: int = 100, offset: int = 0) -> list[NamespaceSummary]:
        """Namespaces by name."""
        bounds = _bounds(limit, offset)
        return self._read(lambda c: namespaces(c, **bounds))

    def namespace(self, name: str) -> NamespaceSummary:
        """One namespace."""
        return self._read(lambda c: namespace(c, name))

    def datasets(self, namespace: str, *, limit: int = 100, offset: int = 0) -> CatalogPage[DatasetSummary]:
        """A namespace's datasets by name."""
        bounds = _bounds(limit, offset)
        return self._read(lambda c: datasets(c, namespace, **bounds))

    def dataset(self, namespace: str, name: str) -> DatasetSummary:
        """One dataset."""
        return self._read(lambda c: dataset(c, namespace, name))

    def datasets_named(self, names: Sequence[tuple[str, str]]) -> dict[tuple[str, str], DatasetSummary]:
        """The datasets of these ``(namespace, name)`` pairs that exist, by pair."""
        return self._read(lambda c: datasets_named(c, names))

    def dataset_versions(
        self, namespace: str, name: str, *, limit: int = 100, offset: int = 0
    ) -> CatalogPage[DatasetVersion]:
        """A dataset's versions, newest first."""
        bounds = _bounds(limit, offset)
        return self._read(lambda c: dataset_versions(c, namespace, name, **bounds))

    def jobs(
        self, namespace: str | None = None, *, states: Sequence[str] = (), limit: int = 100, offset: int = 0
    ) -> CatalogPage[JobSummary]:
        """Jobs of a namespace (or all), optionally only those whose latest run is in ``states``."""
        bounds = _bounds(limit, offset)
        wanted = [_run_state(state) for state in states]
        return self._read(lambda c: jobs(c, namespace, states=wanted, **bounds))

    def job(self, namespace: str, name: str) -> JobSummary:
        """One job with its latest runs."""
        return self._read(lambda c: job(c, namespace, name))

    def job_facets(self, namespace: str, name: str) -> dict[str, Any]:
        """A job's latest facets (without its runs)."""
        return self._read(lambda c: dict(_job_row(c, namespace, name)[5] or {}))

    def jobs_named(self, names: Sequence[tuple[str, str]]) -> dict[tuple[str, str], JobSummary]:
        """The jobs of these ``(namespace, name)`` pairs that exist, by pair."""
        return self._read(lambda c: jobs_named(c, names))

    def job_runs(
        self, namespace: str, name: str, *, limit: int = 100, offset: int = 0
    ) -> CatalogPage[RunSummary]:
        """A job's runs, newest first."""
        bounds = _bounds(limit, offset)
        return self._read(lambda c: job_runs(c, namespace, name, **bounds))

    def run(self, run_id: UUID) -> RunSummary:
        """One run with its inputs and outputs."""
        return self._read(lambda c: run(c, run_id))

    def job_graph(self, start: tuple[str, str, str], *, depth: int) -> JobGraph:
        """The jobs and datasets Marquez's lineage graph holds around ``(kind, namespace, name)``.

        ``kind`` is ``"job"`` or ``"dataset"``; see :func:`job_graph`.
        """
        return self._read(lambda c: job_graph(c, start, depth=depth))

    def search(
        self,
        text: str,
        *,
        kind: str | None = None,
        namespace: str | None = None,
        by_update: bool = False,
        after: int | None = None,
        before: int | None = None,
        limit: int = 10,
    ) -> list[SearchHit]:
        """Jobs and datasets whose name contains ``text`` (any case), by name or newest update first.

        ``kind`` is ``"job"`` or ``"dataset"`` for one kind only; ``after``/``before`` bound the
        update time (ms).
        """
        if kind not in (None, "job", "dataset"):
            raise ValidationError(f"kind must be job or dataset, got {kind!r}", field="filter", value=kind)
        size = bounded_int(limit, "limit", 1, MAX_LIMIT)
        return self._read(
            lambda c: search(
                c,
                text,
                kind=kind,
                namespace=namespace,
                by_update=by_update,
                after=after,
                before=before,
                limit=size,
            )
        )

    def column_lineage(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every dataset's latest ``columnLineage`` facet fields, by ``(namespace, name)``."""
        return self._read(column_lineage)

    def event_counts(self, start: int, width: int, buckets: int) -> list[dict[str, int]]:
        """Run events per type (START, COMPLETE…) in ``buckets`` windows of ``width`` ms from ``start``."""
        return self._read(lambda c: event_counts(c, start, width, buckets))

    def created_counts(self, kind: str, start: int, width: int, buckets: int) -> list[int]:
        """How many jobs, datasets or sources (``kind``) existed at the end of each window."""
        if kind not in ("jobs", "datasets", "sources"):
            raise ValidationError(
                f"kind must be jobs, datasets or sources, got {kind!r}", field="kind", value=kind
            )
        return self._read(lambda c: created_counts(c, kind, start, width, buckets))

    def events(
        self,
        *,
        after: int = 0,
        before: int = 2**62,
        descending: bool = True,
        run_id: UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> CatalogPage[dict[str, Any]]:
        """Stored events with event times (ms) in ``[after, before]``, newest first by default.

        ``run_id`` keeps only the events of one OpenLineage run (an mltrail run's id is its own).
        """
        bounds = _bounds(limit, offset)
        return self._read(
            lambda c: events(c, after=after, before=before, descending=descending, run_id=run_id, **bounds)
        )


def _bounds(limit: int, offset: int) -> dict[str, int]:
    return {
        "limit": bounded_int(limit, "limit", 1, MAX_LIMIT),
        "offset": bounded_int(offset, "offset", 0, 2**62),
    }


def _run_state(state: str) -> str:
    upper = str(state).upper()
    if upper not in RUN_STATES:
        raise ValidationError(
            f"run state must be one of {', '.join(RUN_STATES)}, got {state!r}", field="states", value=state
        )
    return upper


_j, _d, _r, _io, _e = t.job.c, t.dataset.c, t.lineage_run.c, t.run_io.c, t.ol_event.c
_hj, _hd, _n = t.hidden_job.c, t.hidden_dataset.c, t.namespace.c


def _shown_job(job_id: Any) -> Any:
    """Whether a job is not soft deleted."""
    return ~select(_hj.job_id).where(_hj.job_id == job_id).exists()


def _shown_dataset(dataset_id: Any) -> Any:
    """Whether a dataset is not soft deleted."""
    return ~select(_hd.dataset_id).where(_hd.dataset_id == dataset_id).exists()


def _namespace_rows() -> Any:
    named = union_all(
        select(
            _j.namespace.label("name"), _j.created_at.label("created"), _j.updated_at.label("updated")
        ).where(_shown_job(_j.id)),
        select(
            _d.namespace.label("name"),
            func.coalesce(_d.updated_at, 0).label("created"),
            func.coalesce(_d.updated_at, 0).label("updated"),
        ).where(_shown_dataset(_d.id)),
        select(_n.name, _n.created_at, _n.updated_at).where(~_n.is_hidden),
    ).subquery()
    hidden = select(_n.name).where(_n.is_hidden)
    return (
        select(named.c.name, func.min(named.c.created), func.max(named.c.updated))
        .where(named.c.name.not_in(hidden))
        .group_by(named.c.name)
        .order_by(named.c.name)
    )


def namespaces(connection: Connection, *, limit: int, offset: int) -> list[NamespaceSummary]:
    """Namespaces by name."""
    return [_namespace(row) for row in connection.execute(_namespace_rows().limit(limit).offset(offset))]


def namespace(connection: Connection, name: str) -> NamespaceSummary:
    """One namespace.

    Raises:
        NotFoundError: If no job or dataset is in it.
    """
    rows = _namespace_rows().subquery()
    row = connection.execute(select(rows).where(rows.c.name == name)).first()
    if row is None:
        raise NotFoundError("namespace", name)
    return _namespace(row)


def _namespace(row: Any) -> NamespaceSummary:
    return NamespaceSummary(name=row[0], created_at=to_datetime(row[1]), updated_at=to_datetime(row[2]))


# -- datasets ------------------------------------------------------------------------------------------


def datasets(
    connection: Connection, namespace: str, *, limit: int, offset: int
) -> CatalogPage[DatasetSummary]:
    """A namespace's datasets by name, and how many it has."""
    shown = (_d.namespace == namespace) & _shown_dataset(_d.id)
    total = connection.execute(select(func.count()).where(shown)).scalar_one()
    rows = connection.execute(
        select(_d.id, _d.namespace, _d.name, _d.uri, _d.facets, _d.updated_at)
        .where(shown)
        .order_by(_d.name)
        .limit(limit)
        .offset(offset)
    ).all()
    return CatalogPage(tuple(_datasets(connection, rows)), total)


def dataset(connection: Connection, namespace: str, name: str) -> DatasetSummary:
    """One dataset.

    Raises:
        NotFoundError: If there is no such dataset.
    """
    return _datasets(connection, [_dataset_row(connection, namespace, name)])[0]


def datasets_named(
    connection: Connection, names: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], DatasetSummary]:
    """See :meth:`Catalog.datasets_named`."""
    rows = _rows_named(connection, (_d.id, _d.namespace, _d.name, _d.uri, _d.facets, _d.updated_at), names)
    return {(d.namespace, d.name): d for d in _datasets(connection, rows)}


def _rows_named(
    connection: Connection, columns: tuple[Any, ...], names: Sequence[tuple[str, str]]
) -> list[Any]:
    """Rows of the job or dataset table (``columns``: id, namespace, name, …) for these names."""
    table = columns[0].table
    wanted = set(names)
    rows = []
    for chunk in chunks(sorted(wanted)):
        query = select(*columns).where(
            table.c.namespace.in_({ns for ns, _ in chunk}), table.c.name.in_({name for _, name in chunk})
        )
        rows += [row for row in connection.execute(query) if (row[1], row[2]) in wanted]
    return rows


def _dataset_row(connection: Connection, namespace: str, name: str) -> Any:
    row = connection.execute(
        select(_d.id, _d.namespace, _d.name, _d.uri, _d.facets, _d.updated_at).where(
            _d.namespace == namespace, _d.name == name, _shown_dataset(_d.id)
        )
    ).first()
    if row is None:
        raise NotFoundError("dataset", f"{namespace}:{name}")
    return row


def _datasets(connection: Connection, rows: Sequence[Any]) -> list[DatasetSummary]:
    ids = [row[0] for row in rows]
    first_seen = dict(
        connection.execute(
            select(_io.dataset_id, func.min(_io.at_time))
            .where(_io.dataset_id.in_(ids))
            .group_by(_io.dataset_id)
        ).all()
    )
    writes = _latest_writes(connection, ids)
    found = []
    for dataset_id, namespace, name, uri, facets, updated in rows:
        write = writes.get(dataset_id)
        created = first_seen.get(dataset_id, updated or 0)
        found.append(
            DatasetSummary(
                namespace=namespace,
                name=name,
                uri=uri,
                created_at=to_datetime(created),
                updated_at=to_datetime(max(updated or 0, created)),
                last_modified_at=to_datetime(write[0]) if write else None,
                current_version=write[1] if write else None,
                facets=facets or {},
            )
        )
    return found


def _latest_writes(connection: Connection, ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """For each dataset, when it was last written and the version written."""
    latest = (
        select(_io.dataset_id, func.max(_io.at_time).label("at"))
        .where(_io.dataset_id.in_(ids), _io.direction == "output")
        .group_by(_io.dataset_id)
        .subquery()
    )
    rows = connection.execute(
        select(_io.dataset_id, _io.at_time, _io.version, _io.run_id)
        .join(latest, (latest.c.dataset_id == _io.dataset_id) & (latest.c.at == _io.at_time))
        .where(_io.direction == "output")
    ).all()
    return {dataset_id: (at, version or str(run_id)) for dataset_id, at, version, run_id in rows}


def dataset_versions(
    connection: Connection, namespace: str, name: str, *, limit: int, offset: int
) -> CatalogPage[DatasetVersion]:
    """A dataset's versions, newest first: one per run that wrote it."""
    dataset_id = _dataset_row(connection, namespace, name)[0]
    outputs = select(_io.run_id, _io.version, _io.at_time, _io.facets).where(
        _io.dataset_id == dataset_id, _io.direction == "output"
    )
    total = connection.execute(select(func.count()).select_from(outputs.subquery())).scalar_one()
    rows = connection.execute(
        outputs.order_by(_io.at_time.desc(), _io.run_id.desc()).limit(limit).offset(offset)
    ).all()
    runs = {run.id: run for run in _runs(connection, [row[0] for row in rows])}
    return CatalogPage(
        tuple(
            DatasetVersion(
                namespace=namespace,
                name=name,
                version=version or str(run_id),
                created_at=to_datetime(at),
                facets=(facets or {}).get("facets", {}),
                run=runs.get(run_id),
            )
            for run_id, version, at, facets in rows
        ),
        total,
    )


# -- jobs and runs -------------------------------------------------------------------------------------


def jobs(
    connection: Connection,
    namespace: str | None,
    *,
    states: Sequence[str] = (),
    limit: int,
    offset: int,
) -> CatalogPage[JobSummary]:
    """Jobs by namespace and name (of one namespace, or all), and how many there are.

    With ``states``, only jobs whose latest run is in one of them.
    """
    query = select(_j.id, _j.namespace, _j.name, _j.created_at, _j.updated_at, _j.facets).where(
        _shown_job(_j.id)
    )
    if namespace is not None:
        query = query.where(_j.namespace == namespace)
    if states:
        latest = (
            select(_r.state)
            .where(_r.job_id == _j.id)
            .order_by(_r.created_at.desc(), _r.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = query.where(latest.in_(list(states)))
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = connection.execute(query.order_by(_j.namespace, _j.name).limit(limit).offset(offset)).all()
    return CatalogPage(tuple(_jobs(connection, rows)), total)


def job(connection: Connection, namespace: str, name: str) -> JobSummary:
    """One job.

    Raises:
        NotFoundError: If there is no such job.
    """
    return _jobs(connection, [_job_row(connection, namespace, name)])[0]


def jobs_named(connection: Connection, names: Sequence[tuple[str, str]]) -> dict[tuple[str, str], JobSummary]:
    """See :meth:`Catalog.jobs_named`."""
    rows = _rows_named(
        connection, (_j.id, _j.namespace, _j.name, _j.created_at, _j.updated_at, _j.facets), names
    )
    return {(j.namespace, j.name): j for j in _jobs(connection, rows)}


def _job_row(connection: Connection, namespace: str, name: str) -> Any:
    row = connection.execute(
        select(_j.id, _j.namespace, _j.name, _j.created_at, _j.updated_at, _j.facets).where(
            _j.namespace == namespace, _j.name == name, _shown_job(_j.id)
        )
    ).first()
    if row is None:
        raise NotFoundError("job", f"{namespace}:{name}")
    return row


def _jobs(connection: Connection, rows: Sequence[Any]) -> list[JobSummary]:
    latest: dict[int, list[UUID]] = defaultdict(list)
    for job_id in (row[0] for row in rows):
        latest[job_id] = list(
            connection.execute(
                select(_r.id)
                .where(_r.job_id == job_id)
                .order_by(_r.created_at.desc(), _r.id.desc())
                .limit(LATEST_RUNS)
            ).scalars()
        )
    runs = {run.id: run for run in _runs(connection, [i for ids in latest.values() for i in ids])}
    return [
        JobSummary(
            namespace=namespace,
            name=name,
            created_at=to_datetime(created),
            updated_at=to_datetime(updated),
            facets=facets or {},
            latest_runs=tuple(runs[run_id] for run_id in latest[job_id]),
        )
        for job_id, namespace, name, created, updated, facets in rows
    ]


def job_runs(
    connection: Connection, namespace: str, name: str, *, limit: int, offset: int
) -> CatalogPage[RunSummary]:
    """A job's runs, newest first, and how many it has."""
    job_id = _job_row(connection, namespace, name)[0]
    total = connection.execute(select(func.count()).where(_r.job_id == job_id)).scalar_one()
    ids = connection.execute(
        select(_r.id)
        .where(_r.job_id == job_id)
        .order_by(_r.created_at.desc(), _r.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return CatalogPage(tuple(_runs(connection, list(ids))), total)


def run(connection: Connection, run_id: UUID) -> RunSummary:
    """One run.

    Raises:
        NotFoundError: If no run has that id.
    """
    found = _runs(connection, [run_id])
    if not found:
        raise NotFoundError("run", str(run_id))
    return found[0]


def _runs(connection: Connection, ids: Sequence[UUID]) -> list[RunSummary]:
    """These runs with their inputs and outputs, in the order of ``ids``."""
    if not ids:
        return []
    rows = {
        row[0]: row
        for row in connection.execute(
            select(
                _r.id,
                _j.namespace,
                _j.name,
                _r.state,
                _r.created_at,
                _r.updated_at,
                _r.start_time,
                _r.end_time,
                _r.nominal_start_time,
                _r.nominal_end_time,
                _r.parent_run_id,
                _r.facets,
            )
            .join(t.job, _j.id == _r.job_id)
            .where(_r.id.in_(list(ids)))
        )
    }
    io: dict[UUID, dict[str, list[DatasetVersionRef]]] = defaultdict(lambda: {"input": [], "output": []})
    for run_id, direction, namespace, name, version, at_time, dataset_id, facets in connection.execute(
        select(
            _io.run_id,
            _io.direction,
            _d.namespace,
            _d.name,
            _io.version,
            _io.at_time,
            _io.dataset_id,
            _io.facets,
        )
        .join(t.dataset, _d.id == _io.dataset_id)
        .where(_io.run_id.in_(list(ids)))
        .order_by(_io.run_id, _io.direction, _d.namespace, _d.name)
    ):
        if version is None:
            version = str(run_id) if direction == "output" else _version_read(connection, dataset_id, at_time)
        sent = (facets or {}).get("facets", {})
        io[run_id][direction].append(DatasetVersionRef(namespace, name, version, sent))
    found = []
    for run_id in ids:
        row = rows.get(run_id)
        if row is None:
            continue
        (
            _,
            namespace,
            name,
            state,
            created,
            updated,
            started,
            ended,
            nominal_start,
            nominal_end,
            parent,
            facets,
        ) = row
        found.append(
            RunSummary(
                id=run_id,
                job_namespace=namespace,
                job_name=name,
                state=state,
                created_at=to_datetime(created),
                updated_at=to_datetime(updated),
                started_at=_optional_time(started),
                ended_at=_optional_time(ended),
                nominal_start_time=_optional_time(nominal_start),
                nominal_end_time=_optional_time(nominal_end),
                parent_run_id=parent,
                facets=facets or {},
                inputs=tuple(io[run_id]["input"]),
                outputs=tuple(io[run_id]["output"]),
            )
        )
    return found


def _version_read(connection: Connection, dataset_id: int, at_time: int) -> str | None:
    """The version of a dataset written last before ``at_time``: what a run starting then read."""
    row = connection.execute(
        select(_io.version, _io.run_id)
        .where(_io.dataset_id == dataset_id, _io.direction == "output", _io.at_time <= at_time)
        .order_by(_io.at_time.desc(), _io.run_id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return row[0] or str(row[1])


def _optional_time(ms: int | None) -> Any:
    return None if ms is None else to_datetime(ms)


@dataclass(frozen=True, slots=True)
class JobGraph:
    """Jobs, datasets and the edges between them: ``(job, dataset, "input"|"output")``."""

    jobs: tuple[tuple[str, str], ...]
    datasets: tuple[tuple[str, str], ...]
    edges: tuple[tuple[tuple[str, str], tuple[str, str], str], ...]


def job_graph(connection: Connection, start: tuple[str, str, str], *, depth: int) -> JobGraph:
    """Marquez's lineage graph: jobs up to ``depth`` hops from a start job, with all their datasets.

    A hop joins two jobs that read or wrote a common dataset, whichever way (so siblings are
    included). A dataset starts from the job that wrote it last, else the one that read it last;
    a dataset no job touched is a graph of itself. Unlike Marquez, which keeps only each job's
    current version, every run's inputs and outputs count.

    Raises:
        NotFoundError: If the start job or dataset does not exist.
    """
    kind, namespace, name = start
    if kind == "dataset":
        dataset_id = _dataset_row(connection, namespace, name)[0]
        first = connection.execute(
            select(_r.job_id)
            .select_from(t.run_io)
            .join(t.lineage_run, _r.id == _io.run_id)
            .where(_io.dataset_id == dataset_id)
            .order_by((_io.direction == "output").desc(), _io.at_time.desc())
            .limit(1)
        ).scalar()
        if first is None:
            return JobGraph((), ((namespace, name),), ())
    else:
        first = _job_row(connection, namespace, name)[0]
    reached, frontier = {first}, {first}
    for _ in range(depth):
        touched = {dataset_id for _, dataset_id, _ in _job_edges(connection, frontier)}
        frontier = _jobs_touching(connection, touched) - reached
        if not frontier:
            break
        reached |= frontier
    edges = _job_edges(connection, reached)
    jobs = _names(connection, t.job, reached)
    datasets = _names(connection, t.dataset, {dataset_id for _, dataset_id, _ in edges})
    return JobGraph(
        tuple(sorted(jobs.values())),
        tuple(sorted(datasets.values())),
        tuple(sorted({(jobs[j], datasets[d], direction) for j, d, direction in edges})),
    )


def _names(connection: Connection, table: Any, ids: set[int]) -> dict[int, tuple[str, str]]:
    """``(namespace, name)`` of these job or dataset ids."""
    c = table.c
    return {
        row_id: (namespace, name)
        for chunk in chunks(sorted(ids))
        for row_id, namespace, name in connection.execute(
            select(c.id, c.namespace, c.name).where(c.id.in_(chunk))
        )
    }


def _job_edges(connection: Connection, job_ids: set[int]) -> set[tuple[int, int, str]]:
    """``(job id, dataset id, direction)`` of every run of these jobs."""
    found: set[tuple[int, int, str]] = set()
    for chunk in chunks(sorted(job_ids)):
        rows = connection.execute(
            select(_r.job_id, _io.dataset_id, _io.direction)
            .distinct()
            .select_from(t.run_io)
            .join(t.lineage_run, _r.id == _io.run_id)
            .where(_r.job_id.in_(chunk), _shown_dataset(_io.dataset_id))
        )
        found.update((job_id, dataset_id, direction) for job_id, dataset_id, direction in rows)
    return found


def _jobs_touching(connection: Connection, dataset_ids: set[int]) -> set[int]:
    """The jobs with a run that read or wrote one of these datasets."""
    found: set[int] = set()
    for chunk in chunks(sorted(dataset_ids)):
        found.update(
            connection.execute(
                select(_r.job_id)
                .distinct()
                .select_from(t.run_io)
                .join(t.lineage_run, _r.id == _io.run_id)
                .where(_io.dataset_id.in_(chunk), _shown_job(_r.job_id))
            ).scalars()
        )
    return found


def search(
    connection: Connection,
    text: str,
    *,
    kind: str | None,
    namespace: str | None,
    by_update: bool,
    after: int | None,
    before: int | None,
    limit: int,
) -> list[SearchHit]:
    """See :meth:`Catalog.search`."""
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    parts = []
    for name, table, updated in (
        ("job", t.job, t.job.c.updated_at),
        ("dataset", t.dataset, func.coalesce(t.dataset.c.updated_at, 0)),
    ):
        if kind not in (None, name):
            continue
        c = table.c
        shown = _shown_job(c.id) if name == "job" else _shown_dataset(c.id)
        query = select(literal(name).label("kind"), c.namespace, c.name, updated.label("updated")).where(
            func.lower(c.name).like(pattern, escape="\\"), shown
        )
        if namespace is not None:
            query = query.where(c.namespace == namespace)
        if after is not None:
            query = query.where(updated >= after)
        if before is not None:
            query = query.where(updated <= before)
        parts.append(query)
    hits = union_all(*parts).subquery()
    order = (
        (hits.c.updated.desc(), hits.c.name) if by_update else (hits.c.name, hits.c.namespace, hits.c.kind)
    )
    rows = connection.execute(select(hits).order_by(*order).limit(limit))
    return [SearchHit(kind, ns, name, to_datetime(updated)) for kind, ns, name, updated in rows]


def column_lineage(connection: Connection) -> dict[tuple[str, str], dict[str, Any]]:
    """See :meth:`Catalog.column_lineage`."""
    rows = connection.execute(
        select(_d.namespace, _d.name, _d.facets).where(cast(_d.facets, Text).like('%"columnLineage"%'))
    )
    found = {}
    for namespace, name, facets in rows:
        fields = (facets or {}).get("columnLineage", {}).get("fields")
        if isinstance(fields, dict):
            found[namespace, name] = fields
    return found


# -- statistics ----------------------------------------------------------------------------------------


def event_counts(connection: Connection, start: int, width: int, buckets: int) -> list[dict[str, int]]:
    """See :meth:`Catalog.event_counts`."""
    bucket = ((_e.event_time - start) // width).label("bucket")
    counts: list[dict[str, int]] = [{} for _ in range(buckets)]
    rows = connection.execute(
        select(bucket, _e.event_type, func.count())
        .where(_e.event_time >= start, _e.event_time < start + width * buckets, _e.kind == "RunEvent")
        .group_by(bucket, _e.event_type)
    )
    for index, event_type, count in rows:
        counts[int(index)][event_type or "OTHER"] = count
    return counts


def created_counts(connection: Connection, kind: str, start: int, width: int, buckets: int) -> list[int]:
    """See :meth:`Catalog.created_counts`: counts at the end of each window, by first-seen time."""
    if kind == "jobs":
        first_seen = select(_j.created_at.label("at")).subquery()
    else:
        first = select(_d.namespace, func.min(func.coalesce(_io.at_time, _d.updated_at, 0)).label("at"))
        first = (
            first.select_from(t.dataset)
            .outerjoin(t.run_io, _io.dataset_id == _d.id)
            .group_by(_d.id, _d.namespace)
        )
        if kind == "sources":
            per = first.subquery()
            first = select(func.min(per.c.at).label("at")).group_by(per.c.namespace)
        first_seen = first.subquery()
    at = first_seen.c.at
    before = connection.execute(select(func.count()).where(at < start)).scalar_one()
    bucket = ((at - start) // width).label("bucket")
    within: dict[int, int] = dict(
        connection.execute(
            select(bucket, func.count()).where(at >= start, at < start + width * buckets).group_by(bucket)
        ).all()
    )
    totals, running = [], before
    for index in range(buckets):
        running += within.get(index, 0)
        totals.append(running)
    return totals


# -- raw events ----------------------------------------------------------------------------------------


def events(
    connection: Connection,
    *,
    after: int,
    before: int,
    descending: bool,
    limit: int,
    offset: int,
    run_id: UUID | None = None,
) -> CatalogPage[dict[str, Any]]:
    """Stored OpenLineage events with ``after <= eventTime <= before`` (of one run), by time, and how many."""
    window = (_e.event_time >= after) & (_e.event_time <= before)
    if run_id is not None:
        window = window & (_e.run_id == run_id)
    total = connection.execute(select(func.count()).where(window)).scalar_one()
    order = (_e.event_time.desc(), _e.id.desc()) if descending else (_e.event_time, _e.id)
    payloads = connection.execute(
        select(_e.payload).where(window).order_by(*order).limit(limit).offset(offset)
    ).scalars()
    return CatalogPage(tuple(payloads), total)


__all__ = [
    "LATEST_RUNS",
    "RUN_STATES",
    "Catalog",
    "column_lineage",
    "created_counts",
    "dataset",
    "dataset_versions",
    "datasets",
    "datasets_named",
    "event_counts",
    "events",
    "job",
    "JobGraph",
    "job_graph",
    "job_runs",
    "jobs",
    "jobs_named",
    "namespace",
    "namespaces",
    "run",
    "search",
]
