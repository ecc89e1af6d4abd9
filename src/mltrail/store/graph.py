"""The lineage graph's runs and their inputs and outputs, rebuilt from everything known about a run.

Two sources describe a run: the OpenLineage events stored for it (from any producer) and, for a
run tracked through mltrail's SDK, its ``run`` and ``run_dataset`` rows. :func:`rebuild_runs`
folds both into the run's ``lineage_run`` row and replaces its ``run_io`` rows, so the graph
never depends on which arrived first.

Events are folded in event-time order (START before RUNNING before the terminal event at equal
times): a facet sent again under the same key replaces the earlier one, inputs and outputs
accumulate, and a terminal state is never undone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    Uuid,
    bindparam,
    delete,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from mltrail.core.ids import parse_uuid
from mltrail.core.lineage import TRACKED_JOB_NAMESPACE
from mltrail.core.naming import uri_of
from mltrail.core.sequences import chunks
from mltrail.store import tables as t
from mltrail.store.curation import hidden_flag, show_again
from mltrail.store.dialect import RawJSON, bulk_insert, upsert
from mltrail.store.driver import Query, among

RANK = {"START": 0, "RUNNING": 1, "OTHER": 1, None: 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}
_STATE = {
    "START": "RUNNING",
    "RUNNING": "RUNNING",
    "COMPLETE": "COMPLETED",
    "FAIL": "FAILED",
    "ABORT": "ABORTED",
}
_TERMINAL = {"COMPLETE", "FAIL", "ABORT"}
_FINAL_STATES = {"COMPLETED", "FAILED", "ABORTED"}
_TRACKED_STATE = {"InProgress": "RUNNING", "Completed": "COMPLETED", "Failed": "FAILED", "Stopped": "ABORTED"}
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")
NO_FACETS = RawJSON("{}")
_RUN_COLUMNS = (
    "job_id",
    "state",
    "start_time",
    "end_time",
    "nominal_start_time",
    "nominal_end_time",
    "parent_run_id",
    "root_run_id",
    "facets",
    "created_at",
    "updated_at",
)


def time_ms(text: str) -> int:
    """Milliseconds since the epoch of an ISO 8601 time (a time without an offset is UTC)."""
    moment = datetime.fromisoformat(_LONG_FRACTION.sub(r"\1", text))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


# -- folding a run's events ----------------------------------------------------------------------------


@dataclass(slots=True)
class Io:
    """A dataset a run read or wrote, with the facets its events gave it."""

    namespace: str
    name: str
    facets: dict[str, Any] = field(default_factory=dict)
    io_facets: dict[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str | None:
        """The dataset version the events named, if any."""
        version = self.facets.get("version")
        return (
            str(version["datasetVersion"])
            if isinstance(version, dict) and "datasetVersion" in version
            else None
        )


@dataclass(slots=True)
class RunFold:
    """A run's state, folded from its events."""

    run_id: UUID
    job_namespace: str = ""
    job_name: str = ""
    job_facets: dict[str, Any] = field(default_factory=dict)
    state: str = "NEW"
    start_time: int | None = None
    end_time: int | None = None
    created_at: int = 0
    updated_at: int = 0
    nominal_start_time: int | None = None
    nominal_end_time: int | None = None
    parent_run_id: UUID | None = None
    root_run_id: UUID | None = None
    facets: dict[str, Any] = field(default_factory=dict)
    inputs: dict[tuple[str, str], Io] = field(default_factory=dict)
    outputs: dict[tuple[str, str], Io] = field(default_factory=dict)


Ordered = tuple[int, int, int, dict[str, Any]]
"""An event ready to fold: ``(event_time, rank, order, payload)``, sorted on the first three."""


@dataclass(slots=True)
class History:
    """The stored events of some runs: by run, ready to fold, and the digests of all of them."""

    events: dict[UUID, list[Ordered]] = field(default_factory=dict)
    digests: set[str] = field(default_factory=set)


def stored_events(connection: Connection, run_ids: Iterable[UUID]) -> History:
    """The stored events of these runs (runs with none are left out), in storage order."""
    history = History()
    events, digests = history.events, history.digests
    for chunk in chunks(sorted(run_ids)):
        for run_id, event_type, event_time, row_id, digest, payload in _STORED_EVENTS.rows(
            connection, ids=chunk
        ):
            events.setdefault(run_id, []).append((event_time, RANK[event_type], row_id, payload))
            digests.add(digest)
    return history


def fold_stored(connection: Connection, run_ids: Iterable[UUID]) -> list[RunFold]:
    """Fold every stored event of these runs."""
    return [
        fold_run(run_id, sorted(found, key=lambda item: item[:3]))
        for run_id, found in stored_events(connection, run_ids).events.items()
    ]


def fold_run(run_id: UUID, events: Iterable[tuple[int, int, int, Mapping[str, Any]]]) -> RunFold:
    """Fold a run's events, given as ``(event_time, rank, order, payload)`` in that order."""
    fold = RunFold(run_id=run_id)
    for event_time, _, _, payload in events:
        event_type = payload.get("eventType")
        if not fold.created_at or event_time < fold.created_at:
            fold.created_at = event_time
        fold.updated_at = max(fold.updated_at, event_time)
        job = payload["job"]
        fold.job_namespace, fold.job_name = job["namespace"], job["name"]
        fold.job_facets.update(job.get("facets") or {})
        fold.facets.update(payload["run"].get("facets") or {})
        if event_type == "START":
            fold.start_time = event_time if fold.start_time is None else min(fold.start_time, event_time)
        if event_type in _STATE and fold.state not in ("COMPLETED", "FAILED", "ABORTED"):
            fold.state = _STATE[event_type]
        if event_type in _TERMINAL:
            fold.end_time = event_time
        for key, target, io_key in (
            ("inputs", fold.inputs, "inputFacets"),
            ("outputs", fold.outputs, "outputFacets"),
        ):
            for dataset in payload.get(key) or ():
                io = target.setdefault(
                    (dataset["namespace"], dataset["name"]), Io(dataset["namespace"], dataset["name"])
                )
                io.facets.update(dataset.get("facets") or {})
                io.io_facets.update(dataset.get(io_key) or {})
    _read_run_facets(fold)
    return fold


def _read_run_facets(fold: RunFold) -> None:
    parent = fold.facets.get("parent")
    if isinstance(parent, dict):
        fold.parent_run_id = parse_uuid(parent.get("run", {}).get("runId"))
        root = parent.get("root")
        fold.root_run_id = parse_uuid(root.get("run", {}).get("runId")) if isinstance(root, dict) else None
    nominal = fold.facets.get("nominalTime")
    if isinstance(nominal, dict):
        fold.nominal_start_time = _optional_time(nominal.get("nominalStartTime"))
        fold.nominal_end_time = _optional_time(nominal.get("nominalEndTime"))


def _optional_time(value: Any) -> int | None:
    return time_ms(value) if isinstance(value, str) else None


# -- writing the projection ----------------------------------------------------------------------------


def rebuild_runs(
    connection: Connection,
    run_ids: Iterable[UUID],
    jobs: Mapping[UUID, tuple[str, str]] | None = None,
    *,
    known: Mapping[UUID, RunFold] | None = None,
    fresh: AbstractSet[UUID] = frozenset(),
) -> list[RunFold]:
    """Rebuild the lineage rows of these runs from their events and their tracked rows; return them.

    ``jobs`` names the job of tracked runs new to the graph; otherwise a tracked run keeps the
    job it has, or gets ``mltrail`` / ``<experiment>.<run name>``. ``known`` holds runs already
    folded from all of their events, which are then not read back; ``fresh`` runs had no events
    before, so unless tracked they have no lineage rows yet.
    """
    ids = set(run_ids)
    if not ids:
        return []
    folds = dict(known or {})
    folds.update((fold.run_id, fold) for fold in fold_stored(connection, ids - folds.keys()))
    tracked = _tracked(connection, ids, dict(jobs or {}))
    for run_id, fold in tracked.items():
        folds[run_id] = _combine(folds.get(run_id), fold)
    _write(connection, list(folds.values()), new=fresh - tracked.keys())
    return list(folds.values())


def _write(
    connection: Connection,
    folds: Sequence[RunFold],
    *,
    new: AbstractSet[UUID],
    dataset_ids: Mapping[tuple[str, str], int] | None = None,
) -> None:
    """Write runs' lineage rows, replacing the old; ``new`` runs have none yet, so they are bulk inserted."""
    if not folds:
        return
    jobs = ensure_jobs(
        connection, {(f.job_namespace, f.job_name): (f.updated_at, f.job_facets) for f in folds}
    )
    known = dict(dataset_ids or {})
    datasets = {key: uri_of(*key) for f in folds for key in (*f.inputs, *f.outputs) if key not in known}
    dataset_ids = known | ensure_datasets(connection, datasets)
    rows = [
        {
            "id": f.run_id,
            "job_id": jobs[f.job_namespace, f.job_name],
            "state": f.state,
            "start_time": f.start_time,
            "end_time": f.end_time,
            "nominal_start_time": f.nominal_start_time,
            "nominal_end_time": f.nominal_end_time,
            "parent_run_id": f.parent_run_id,
            "root_run_id": f.root_run_id,
            "facets": f.facets,
            "created_at": f.created_at,
            "updated_at": f.updated_at,
        }
        for f in folds
    ]
    bulk_insert(connection, t.lineage_run, [row for row in rows if row["id"] in new])
    upsert(
        connection,
        t.lineage_run,
        [row for row in rows if row["id"] not in new],
        conflict=("id",),
        update=_RUN_COLUMNS,
        may_repeat=False,
    )
    run_ids = [f.run_id for f in folds if f.run_id not in new]
    for chunk in chunks(run_ids):
        _DELETE_RUN_IO.execute(connection, ids=chunk)
    bulk_insert(
        connection,
        t.run_io,
        [
            {
                "run_id": f.run_id,
                "dataset_id": dataset_ids[key],
                "direction": direction,
                "version": io.version,
                "at_time": at_time,
                "facets": {"facets": io.facets, "ioFacets": io.io_facets}
                if io.facets or io.io_facets
                else NO_FACETS,
            }
            for f in folds
            for direction, ios, at_time in (
                ("input", f.inputs, f.start_time if f.start_time is not None else f.created_at),
                ("output", f.outputs, f.end_time if f.end_time is not None else f.updated_at),
            )
            for key, io in ios.items()
        ],
    )
    # Several runs of one batch may describe a dataset: merge their facets oldest first, so that
    # a facet only an earlier run sent is kept.
    merged: dict[int, tuple[int, dict[str, Any]]] = {}
    for f in sorted(folds, key=lambda f: f.updated_at):
        for key, io in (*f.inputs.items(), *f.outputs.items()):
            if io.facets:
                _, sent = merged.get(dataset_ids[key], (0, {}))
                merged[dataset_ids[key]] = (f.updated_at, {**sent, **io.facets})
    merge_dataset_facets(connection, merged)


_r, _e, _rd, _d, _lr, _j = t.run.c, t.experiment.c, t.run_dataset.c, t.dataset.c, t.lineage_run.c, t.job.c
_TRACKED_RUNS = Query(
    lambda dialect: (
        select(_r.id, _r.status, _r.start_time, _r.end_time)
        .add_columns(_e.name, _r.name, _j.namespace, _j.name)
        .join(t.experiment, _e.id == _r.experiment_id)
        .outerjoin(t.lineage_run, _lr.id == _r.id)
        .outerjoin(t.job, _j.id == _lr.job_id)
        .where(among(_r.id, "ids", Uuid(), dialect=dialect))
    )
)
_TRACKED_DATASETS = Query(
    lambda dialect: (
        select(_rd.run_id, _rd.direction, _d.namespace, _d.name)
        .join(t.dataset, _d.id == _rd.dataset_id)
        .where(among(_rd.run_id, "ids", Uuid(), dialect=dialect))
    )
)
_STORED_EVENTS = Query(
    lambda dialect: select(
        t.ol_event.c.run_id,
        t.ol_event.c.event_type,
        t.ol_event.c.event_time,
        t.ol_event.c.id,
        t.ol_event.c.digest,
        t.ol_event.c.payload,
    ).where(among(t.ol_event.c.run_id, "ids", Uuid(), dialect=dialect))
)
_DELETE_RUN_IO = Query(
    lambda dialect: delete(t.run_io).where(among(t.run_io.c.run_id, "ids", Uuid(), dialect=dialect))
)


def _tracked(
    connection: Connection, ids: set[UUID], jobs: dict[UUID, tuple[str, str]]
) -> dict[UUID, RunFold]:
    """Runs tracked through the SDK, as folds: state, times and datasets from their rows."""
    folds: dict[UUID, RunFold] = {}
    ordered = sorted(ids)
    for chunk in chunks(ordered):
        for run_id, status, started, ended, experiment, name, namespace, job in _TRACKED_RUNS.rows(
            connection, ids=chunk
        ):
            job_namespace, job_name = jobs.get(run_id) or (
                (namespace, job) if namespace is not None else default_job(experiment, name)
            )
            folds[run_id] = tracked_fold(run_id, (job_namespace, job_name), status, started, ended)
    if not folds:
        return folds
    tracked = sorted(folds)
    for chunk in chunks(tracked):
        for run_id, direction, namespace, name in _TRACKED_DATASETS.rows(connection, ids=chunk):
            target = folds[run_id].inputs if direction == "input" else folds[run_id].outputs
            target.setdefault((namespace, name), Io(namespace, name))
    return folds


def default_job(
    experiment: str, run_name: str, *, namespace: str | None = None, name: str | None = None
) -> tuple[str, str]:
    """A tracked run's job: the namespace and name given, else ``mltrail`` / ``<experiment>.<run name>``."""
    return namespace or TRACKED_JOB_NAMESPACE, name or f"{experiment}.{run_name}"


def tracked_fold(
    run_id: UUID,
    job: tuple[str, str],
    status: str,
    start_time: int,
    end_time: int | None,
    inputs: Iterable[tuple[str, str]] = (),
    outputs: Iterable[tuple[str, str]] = (),
) -> RunFold:
    """The graph's view of a run tracked through the SDK: its status, times and dataset names."""
    return RunFold(
        run_id=run_id,
        job_namespace=job[0],
        job_name=job[1],
        state=_TRACKED_STATE.get(status, "RUNNING"),
        start_time=start_time,
        end_time=end_time,
        created_at=start_time,
        updated_at=end_time if end_time is not None else start_time,
        inputs={key: Io(*key) for key in inputs},
        outputs={key: Io(*key) for key in outputs},
    )


def add_tracked_runs(
    connection: Connection, folds: Sequence[RunFold], dataset_ids: Mapping[tuple[str, str], int]
) -> None:
    """Add runs the SDK has just recorded (with their datasets' ids); events that came first still lead."""
    lock_runs(connection, [fold.run_id for fold in folds])
    if fold_stored(connection, [fold.run_id for fold in folds]):
        rebuild_runs(
            connection, [f.run_id for f in folds], {f.run_id: (f.job_namespace, f.job_name) for f in folds}
        )
    else:
        _write(connection, folds, new={fold.run_id for fold in folds}, dataset_ids=dataset_ids)


def lock_runs(connection: Connection, run_ids: Iterable[UUID]) -> None:
    """Make writers of the same runs take turns until their transactions end.

    A run's lineage rows are rebuilt from all its stored events: two transactions that each add
    an event of one run must not both fold without seeing the other's. SQLite's ``BEGIN
    IMMEDIATE`` already lets one writer in at a time; on PostgreSQL each run takes a
    transaction-level advisory lock, in one order, so that two batches cannot deadlock.
    """
    if connection.dialect.name != "postgresql":
        return
    keys = sorted({(run_id.int & _LOCK_MASK) - _LOCK_OFFSET for run_id in run_ids})
    if keys:
        _LOCK_RUNS.rows(connection, keys=keys)


_LOCK_MASK, _LOCK_OFFSET = 2**64 - 1, 2**63
"""A run's lock key: the random low 64 bits of its UUID, as a signed bigint."""
_LOCK_RUNS = Query(
    lambda dialect: select(func.pg_advisory_xact_lock(literal_column("k"))).select_from(
        func.unnest(bindparam("keys", type_=ARRAY(BigInteger()))).alias("k")
    )
)


def _combine(events: RunFold | None, tracked: RunFold) -> RunFold:
    """A run both tracked and described by events: the events lead, the tracked rows fill gaps."""
    if events is None:
        return tracked
    for key, io in tracked.inputs.items():
        events.inputs.setdefault(key, io)
    for key, io in tracked.outputs.items():
        events.outputs.setdefault(key, io)
    if events.start_time is None:
        events.start_time = tracked.start_time
    if events.state not in _FINAL_STATES and tracked.state in _FINAL_STATES:
        events.state, events.end_time = tracked.state, tracked.end_time
    return events


def ensure_datasets(
    connection: Connection, uris: Mapping[tuple[str, str], str], *, likely_new: bool = False
) -> dict[tuple[str, str], int]:
    """Create the datasets named ``(namespace, name)`` where missing; return their ids by name.

    ``likely_new`` datasets (a new run's outputs) are inserted first; the others are looked up
    first, and only the missing ones inserted.
    """
    found: dict[tuple[str, str], Any] = {} if likely_new else _by_name(connection, _DATASET_IDS, list(uris))
    missing = [key for key in uris if key not in found]
    if missing:
        rows = [{"namespace": ns, "name": name, "uri": uris[ns, name]} for ns, name in missing]
        bulk_insert(connection, t.dataset, rows, skip_on=("namespace", "name"))
        found.update(_by_name(connection, _DATASET_IDS, missing))
    show_again(connection, t.dataset, {key: row[0] for key, row in found.items() if row[-1]})
    return {key: row[0] for key, row in found.items()}


def ensure_jobs(
    connection: Connection, jobs: Mapping[tuple[str, str], tuple[int, Mapping[str, Any]]]
) -> dict[tuple[str, str], int]:
    """Create missing jobs and merge newer facets into them; return job ids by ``(namespace, name)``.

    ``jobs`` maps each job to the time of the event that described it and its facets. A job's
    ``updated_at`` is when its facets last changed.
    """
    found = _by_name(connection, _JOB_ROWS, list(jobs))
    missing = [key for key in jobs if key not in found]
    if missing:
        rows = [
            {
                "namespace": ns,
                "name": name,
                "facets": {},
                "created_at": jobs[ns, name][0],
                "updated_at": jobs[ns, name][0],
            }
            for ns, name in missing
        ]
        bulk_insert(connection, t.job, rows, skip_on=("namespace", "name"))
        found.update(_by_name(connection, _JOB_ROWS, missing))
    changes = []
    for key, (at, facets) in jobs.items():
        job_id, updated, stored, _ = found[key]
        merged = _merge(stored, facets, newer=at >= updated)
        if merged != stored:
            changes.append({"b_id": job_id, "b_facets": merged, "b_updated": max(at, updated)})
    if changes:
        connection.execute(_UPDATE_JOB, changes)
    show_again(connection, t.job, {key: row[0] for key, row in found.items() if row[-1]})
    return {key: row[0] for key, row in found.items()}


_DATASET_IDS = Query(
    lambda dialect: select(
        t.dataset.c.namespace, t.dataset.c.name, t.dataset.c.id, hidden_flag(t.dataset)
    ).where(
        among(t.dataset.c.namespace, "namespaces", String(), dialect=dialect),
        among(t.dataset.c.name, "names", String(), dialect=dialect),
    )
)
_JOB_ROWS = Query(
    lambda dialect: select(
        t.job.c.namespace, t.job.c.name, t.job.c.id, t.job.c.updated_at, t.job.c.facets, hidden_flag(t.job)
    ).where(
        among(t.job.c.namespace, "namespaces", String(), dialect=dialect),
        among(t.job.c.name, "names", String(), dialect=dialect),
    )
)
_UPDATE_JOB = (
    update(t.job)
    .where(t.job.c.id == bindparam("b_id"))
    .values(facets=bindparam("b_facets"), updated_at=bindparam("b_updated"))
)


def _by_name(
    connection: Connection, query: Query, names: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], Any]:
    """Rows of ``query`` (namespace, name, …) for these names, by name.

    The query asks for the namespaces and the names separately, which both backends answer from
    the ``(namespace, name)`` index (SQLite scans the whole index for ``(namespace, name) IN (…)``,
    PostgreSQL often the whole table), and drops the pairs not asked for.
    """
    if not names:
        return {}
    wanted = set(names)
    found: dict[tuple[str, str], Any] = {}
    for chunk in chunks(names):
        namespaces, names_only = sorted({ns for ns, _ in chunk}), sorted({name for _, name in chunk})
        for row in query.rows(connection, namespaces=namespaces, names=names_only):
            if (row[0], row[1]) in wanted:
                found[row[0], row[1]] = tuple(row[2:])
    return found


def merge_dataset_facets(connection: Connection, facets: Mapping[int, tuple[int, Mapping[str, Any]]]) -> None:
    """Merge facets into datasets; ``facets`` maps a dataset id to the facets' event time and the facets."""
    if not facets:
        return
    d = t.dataset.c
    stored = {
        dataset_id: (updated or 0, current or {})
        for dataset_id, updated, current in _DATASET_FACETS.rows(connection, ids=list(facets))
    }
    changes = []
    for dataset_id, (at, new) in facets.items():
        updated, current = stored[dataset_id]
        merged = _merge(current, new, newer=at >= updated)
        if merged != current or at > updated:
            changes.append({"b_id": dataset_id, "b_facets": merged, "b_updated": max(at, updated)})
    if changes:
        connection.execute(
            update(t.dataset)
            .where(d.id == bindparam("b_id"))
            .values(facets=bindparam("b_facets"), updated_at=bindparam("b_updated")),
            changes,
        )


_DATASET_FACETS = Query(
    lambda dialect: select(t.dataset.c.id, t.dataset.c.updated_at, t.dataset.c.facets).where(
        among(t.dataset.c.id, "ids", BigInteger(), dialect=dialect)
    )
)


def _merge(stored: Mapping[str, Any], new: Mapping[str, Any], *, newer: bool) -> dict[str, Any]:
    """Facets after ``new`` arrives: same key replaces when ``new`` is newer, else only fills gaps.

    A facet with ``_deleted: true`` removes the key (OpenLineage's job and dataset facets).
    """
    merged = dict(stored)
    for key, value in new.items():
        if newer or key not in merged:
            merged[key] = value
    return {
        key: value for key, value in merged.items() if not (isinstance(value, dict) and value.get("_deleted"))
    }
