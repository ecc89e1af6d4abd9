"""Ingest OpenLineage events: validate them, keep them append-only and update the lineage graph.

A run's state is never patched event by event: when an event of a run arrives, all of that run's
stored events are folded again (:mod:`mltrail.store.graph`), so duplicates, reordering and a
COMPLETE without START give the state the run cycle defines.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, String, exists, select, update

from mltrail.core.entities import DatasetRef, MetricSummary, RunKind, RunStatus
from mltrail.core.errors import EventValidationError
from mltrail.core.naming import uri_of
from mltrail.core.params import encode_params
from mltrail.core.sequences import chunks
from mltrail.openlineage.facets import ROLE_FACET
from mltrail.openlineage.reading import read_mltrail_facets
from mltrail.openlineage.validation import validate_event
from mltrail.store import tables as t
from mltrail.store import writes
from mltrail.store.dialect import RawJSON, bulk_insert
from mltrail.store.driver import Query, among
from mltrail.store.graph import (
    RANK,
    Io,
    RunFold,
    ensure_datasets,
    ensure_jobs,
    fold_run,
    lock_runs,
    merge_dataset_facets,
    rebuild_runs,
    stored_events,
    time_ms,
)
from mltrail.store.metrics import set_summaries

MAX_EVENT_BYTES = 5 * 1024 * 1024
"""The largest event accepted, as canonical JSON (Marquez users hit 1 MB limits at brokers)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A valid event, ready to store: its canonical JSON digest, kind and time."""

    index: int
    kind: str
    digest: str
    payload: dict[str, Any]
    canonical: str
    """The event as canonical JSON (sorted keys, no spaces): what is stored and hashed."""
    event_time: int
    event_type: str | None
    run_id: UUID | None


def prepare(index: int, payload: Any) -> Prepared:
    """Validate one event and compute what storing it needs.

    Raises:
        EventValidationError: Naming every problem with its JSON path; nothing is stored.
    """
    kind = validate_event(payload)
    try:
        canonical = json.dumps(
            payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except ValueError as exc:
        raise EventValidationError([("$", f"not JSON: {exc}")]) from exc
    size = len(canonical.encode())
    if size > MAX_EVENT_BYTES:
        reason = f"event is {size:,} bytes as JSON; the limit is {MAX_EVENT_BYTES:,}"
        raise EventValidationError([("$", reason)])
    run = payload.get("run") if kind == "RunEvent" else None
    return Prepared(
        index=index,
        kind=kind,
        digest=hashlib.sha256(canonical.encode()).hexdigest(),
        payload=payload,
        canonical=canonical,
        event_time=time_ms(payload["eventTime"]),
        event_type=payload.get("eventType") if kind == "RunEvent" else None,
        run_id=UUID(run["runId"]) if run else None,
    )


def store_events(
    connection: Connection,
    events: Sequence[Prepared],
    *,
    now: int,
    experiment_id: Callable[[Connection, str], int],
) -> list[Prepared]:
    """Store events not stored yet (by digest) and update the graph; return the new ones.

    ``experiment_id`` finds or creates an experiment by name, for runs with mltrail facets.
    """
    unique = list({event.digest: event for event in events}.values())
    touched = {e.run_id for e in unique if e.run_id is not None}
    lock_runs(connection, touched)  # before reading their events: concurrent writers take turns
    # A run event's digest can only be among its run's events, which folding it needs anyway.
    history = stored_events(connection, touched)
    known_digests = history.digests | _stored_digests(
        connection, [e.digest for e in unique if e.run_id is None]
    )
    new = [e for e in unique if e.digest not in known_digests]
    run_ids = {e.run_id for e in new if e.run_id is not None}
    bulk_insert(  # one that another writer stored meanwhile is skipped; its projection is idempotent
        connection,
        t.ol_event,
        [
            {
                "digest": e.digest,
                "kind": e.kind,
                "event_type": e.event_type,
                "run_id": e.run_id,
                "event_time": e.event_time,
                "received_at": now,
                "payload": RawJSON(e.canonical),
            }
            for e in new
        ],
        skip_on=(),  # any clash: a run's event, or a run-less event, stored meanwhile
    )
    events_of = {run_id: list(history.events.get(run_id, ())) for run_id in run_ids}
    for e in new:  # after stored events of the same time and type, as their later row ids say
        if e.run_id is not None:
            events_of[e.run_id].append((e.event_time, RANK[e.event_type], _AFTER_STORED + e.index, e.payload))
    known = {
        run_id: fold_run(run_id, sorted(found, key=lambda item: item[:3]))
        for run_id, found in events_of.items()
    }
    folds = rebuild_runs(connection, run_ids, known=known, fresh=run_ids - history.events.keys())
    _apply_static(connection, [e for e in new if e.kind != "RunEvent"])
    project_tracking(connection, folds, experiment_id)
    return new


def project_tracking(
    connection: Connection, folds: Sequence[RunFold], experiment_id: Callable[[Connection, str], int]
) -> None:
    """Show runs whose events carry mltrail facets as runs of their experiment and trials.

    A run recorded only through OpenLineage events (by another process, or another producer
    that adds our facets) is then found by search like one tracked through the SDK: its params,
    tags and metric summaries come from the facets (summaries only for keys with no points
    logged through the SDK), its inputs and outputs from the events' datasets. A run the store
    has already (the SDK recorded its start, then the backend failed) gains what they add; the
    summaries of keys with logged points widen to the facets' min, max and last point.
    """
    r = t.run.c
    for fold in folds:
        info = read_mltrail_facets(fold.facets)
        if info is None or info.experiment is None:
            continue
        exp_id = experiment_id(connection, info.experiment)
        name = info.name or fold.job_name
        status = _TRACKING_STATUS.get(fold.state, RunStatus.IN_PROGRESS)
        started = fold.start_time if fold.start_time is not None else fold.created_at
        ended = fold.end_time if status is not RunStatus.IN_PROGRESS else None
        error = fold.facets.get("errorMessage", {}).get("message") if status is RunStatus.FAILED else None
        batch = writes.Batch(
            params=encode_params(info.params),
            tags=dict(info.tags),
            inputs=_datasets(fold.inputs.values()),
            outputs=_datasets(fold.outputs.values()),
        )
        trials = info.trials or (name,)
        existing = connection.execute(select(r.status).where(r.id == fold.run_id)).scalar()
        if existing is None:
            row = {
                "id": fold.run_id,
                "name": name,
                "kind": (info.kind or RunKind.CUSTOM).value,
                "status": status.value,
                "start_time": started,
                "end_time": ended,
                "error_message": error,
                "code": None,
                "environment": None,
                "artifact_uri": info.artifact_uri,
            }
            job = (fold.job_namespace, fold.job_name)
            writes.record_runs(connection, [writes.NewRun(row, exp_id, trials[0], batch, job)])
        else:
            trial_ids = writes.run_context(connection, fold.run_id)[1]
            writes.write_batch(
                connection, run_id=fold.run_id, experiment_id=exp_id, trial_ids=trial_ids, batch=batch
            )
            if ended is not None and existing == RunStatus.IN_PROGRESS.value:
                writes.finish_run(
                    connection,
                    run_id=fold.run_id,
                    trial_ids=trial_ids,
                    status=status,
                    end_time=ended,
                    error_message=error,
                )
        for trial in trials[1:]:
            writes.link_trial(
                connection, run_id=fold.run_id, experiment_id=exp_id, trial=trial, start_time=started
            )
        set_summaries(connection, fold.run_id, exp_id, info.metrics)
        if existing is not None:
            _widen_summaries(connection, fold.run_id, info.metrics)


def _widen_summaries(connection: Connection, run_id: UUID, summaries: Mapping[str, MetricSummary]) -> None:
    """Merge reported summaries into those of keys with logged points: min, max and the last point.

    Those three merge alike whether the report covers the logged points or points the store never
    got (the SDK's backend failed mid-run), so folding the run again changes nothing. Counts and
    averages stay those of the logged points.
    """
    if not summaries:
        return
    m, c, tm = t.metric_summary.c, t.metric_chunk.c, t.trial_metric.c
    stored = connection.execute(
        select(m.key, m.min, m.max, m.last_step, m.last_timestamp).where(
            m.run_id == run_id, m.key.in_(list(summaries)), exists().where(c.series_id == m.id)
        )
    ).all()
    for row in stored:
        summary = summaries[row.key]
        values: dict[str, Any] = {}
        if summary.min is not None and (row.min is None or summary.min < row.min):
            values["min"] = summary.min
        if summary.max is not None and (row.max is None or summary.max > row.max):
            values["max"] = summary.max
        last_timestamp = int(summary.last_timestamp.timestamp() * 1000)
        if (summary.last_step, last_timestamp) > (row.last_step, row.last_timestamp):
            values["last"] = None if math.isnan(summary.last) else summary.last
            values["last_step"], values["last_timestamp"] = summary.last_step, last_timestamp
        if values:
            connection.execute(
                update(t.metric_summary).where(m.run_id == run_id, m.key == row.key).values(values)
            )
            connection.execute(
                update(t.trial_metric).where(tm.run_id == run_id, tm.key == row.key).values(values)
            )


def _datasets(found: Iterable[Io]) -> list[DatasetRef]:
    """A fold's inputs or outputs as tracked datasets, with the role mltrail's facet gives them."""
    return [
        DatasetRef(
            io.namespace,
            io.name,
            uri_of(io.namespace, io.name),
            (io.io_facets.get(ROLE_FACET) or {}).get("role"),
        )
        for io in found
    ]


_AFTER_STORED = 2**62
"""Added to a new event's batch index so that it sorts after the stored events."""


def _stored_digests(connection: Connection, digests: Sequence[str]) -> set[str]:
    """Which of these events are stored already."""
    found: set[str] = set()
    for chunk in chunks(digests):
        found.update(digest for (digest,) in _STORED_DIGESTS.rows(connection, digests=chunk))
    return found


_STORED_DIGESTS = Query(
    lambda dialect: select(t.ol_event.c.digest).where(
        among(t.ol_event.c.digest, "digests", String(), dialect=dialect)
    )
)


_TRACKING_STATUS = {
    "RUNNING": RunStatus.IN_PROGRESS,
    "COMPLETED": RunStatus.COMPLETED,
    "FAILED": RunStatus.FAILED,
    "ABORTED": RunStatus.STOPPED,
}


def _apply_static(connection: Connection, events: Sequence[Prepared]) -> None:
    """Dataset and job events: create the dataset or job and merge the facets they carry."""
    datasets = [e for e in events if e.kind == "DatasetEvent"]
    jobs = [e for e in events if e.kind == "JobEvent"]
    if datasets:
        by_name = {
            (e.payload["dataset"]["namespace"], e.payload["dataset"]["name"]): e
            for e in sorted(datasets, key=lambda e: e.event_time)
        }
        ids = ensure_datasets(connection, {key: uri_of(*key) for key in by_name})
        merge_dataset_facets(
            connection,
            {
                ids[key]: (e.event_time, e.payload["dataset"].get("facets") or {})
                for key, e in by_name.items()
            },
        )
    if jobs:
        ensure_jobs(
            connection,
            {
                (e.payload["job"]["namespace"], e.payload["job"]["name"]): (
                    e.event_time,
                    e.payload["job"].get("facets") or {},
                )
                for e in sorted(jobs, key=lambda e: e.event_time)
            },
        )
