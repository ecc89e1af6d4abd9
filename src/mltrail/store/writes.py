"""The statements that record runs, each run inside the caller's transaction.

Two paths: :func:`record_runs` writes many *new* runs set-wise (a few statements for the whole
set, whatever its size) and :func:`write_batch` adds to a run that exists. Statements are built
once with bind parameters, so a write costs round trips, not statement construction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, func, select, update

from mltrail.core.entities import DatasetRef, RunStatus
from mltrail.core.errors import ConflictError, NotFoundError
from mltrail.core.params import EncodedParam
from mltrail.store import graph
from mltrail.store import tables as t
from mltrail.store._gc import paused_gc
from mltrail.store.dialect import bulk_insert, insert_missing, upsert
from mltrail.store.graph import ensure_datasets
from mltrail.store.metrics import SUMMARY_COLUMNS, Point, new_series, write_points


@dataclass(frozen=True, slots=True)
class Batch:
    """Validated writes for one run, applied together in one transaction."""

    params: Sequence[tuple[str, EncodedParam]] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    points: Sequence[Point] = ()
    inputs: Sequence[DatasetRef] = ()
    outputs: Sequence[DatasetRef] = ()

    @property
    def is_empty(self) -> bool:
        """Whether the batch writes nothing."""
        return not (self.params or self.tags or self.points or self.inputs or self.outputs)


@dataclass(frozen=True, slots=True)
class NewRun:
    """A validated new run: its ``run`` row (less ``experiment_id``), names and first batch."""

    row: dict[str, Any]
    experiment_id: int
    trial: str
    batch: Batch
    job: tuple[str, str]
    """The OpenLineage job ``(namespace, name)`` the run belongs to."""


_r, _tc, _tr = t.run.c, t.trial_component.c, t.trial.c

_RUN_CONTEXT = (
    select(_r.experiment_id, _tc.trial_id)
    .select_from(t.run.outerjoin(t.trial_component, _tc.run_id == _r.id))
    .where(_r.id == bindparam("run_id"))
)
_FINISH_RUN = (
    update(t.run)
    .where(_r.id == bindparam("b_run_id"))
    .values(
        status=bindparam("b_status"), end_time=bindparam("b_end_time"), error_message=bindparam("b_error")
    )
)
_TRIAL_RUN_STATES = (
    select(_tc.trial_id, _r.status, func.min(_r.start_time), func.max(_r.end_time))
    .join(t.trial_component, _tc.run_id == _r.id)
    .where(_tc.trial_id.in_(bindparam("trial_ids", expanding=True)))
    .group_by(_tc.trial_id, _r.status)
)
_UPDATE_TRIAL = (
    update(t.trial)
    .where(_tr.id == bindparam("b_trial_id"))
    .values(status=bindparam("b_status"), start_time=bindparam("b_start"), end_time=bindparam("b_end"))
)
_EXISTING_RUNS = select(_r.id).where(_r.id.in_(bindparam("ids", expanding=True)))
_STATUS_PRECEDENCE = (RunStatus.IN_PROGRESS, RunStatus.FAILED, RunStatus.STOPPED, RunStatus.COMPLETED)


# -- new runs, set-wise ------------------------------------------------------------------------------


def record_runs(connection: Connection, runs: Sequence[NewRun]) -> None:
    """Insert new runs with their trials, params, tags, metric series, datasets and end states.

    Raises:
        ConflictError: If a run id is already recorded (nothing is written).
    """
    with paused_gc():
        _record_runs(connection, runs)


def _record_runs(connection: Connection, runs: Sequence[NewRun]) -> None:
    ids = [run.row["id"] for run in runs]
    taken = connection.execute(_EXISTING_RUNS, {"ids": ids}).scalars().first()
    if taken is not None or len(set(ids)) != len(ids):
        duplicate = taken if taken is not None else next(i for i in ids if ids.count(i) > 1)
        raise ConflictError(f"run {duplicate} already exists", kind="run", id=duplicate)
    trial_ids, new_trials = _ensure_trials(connection, runs)
    shares_trials = len(trial_ids) < len(runs)  # then two rows may hit one trial's key
    bulk_insert(connection, t.run, [run.row | {"experiment_id": run.experiment_id} for run in runs])
    bulk_insert(
        connection,
        t.trial_component,
        [{"trial_id": trial_ids[run.experiment_id, run.trial], "run_id": run.row["id"]} for run in runs],
    )
    _write_params_and_tags(
        connection,
        [
            (run.row["id"], run.experiment_id, [trial_ids[run.experiment_id, run.trial]], run.batch)
            for run in runs
        ],
        is_new=True,
        may_repeat=shares_trials,
        new_trials=new_trials,
    )
    new_series(
        connection,
        [
            (run.row["id"], run.experiment_id, [trial_ids[run.experiment_id, run.trial]], run.batch.points)
            for run in runs
            if run.batch.points
        ],
        may_repeat=shares_trials,
        new_trials=new_trials,
    )
    dataset_ids = _link_datasets(connection, [(run.row["id"], run.batch) for run in runs])
    refresh_trials(connection, set(trial_ids.values()))
    graph.add_tracked_runs(
        connection,
        [
            graph.tracked_fold(
                run.row["id"],
                run.job,
                run.row["status"],
                run.row["start_time"],
                run.row["end_time"],
                ((ref.namespace, ref.name) for ref in run.batch.inputs),
                ((ref.namespace, ref.name) for ref in run.batch.outputs),
            )
            for run in runs
        ],
        dataset_ids,
    )


def _ensure_trials(
    connection: Connection, runs: Sequence[NewRun]
) -> tuple[dict[tuple[int, str], int], set[int]]:
    """Create the runs' missing trials; return their ids by ``(experiment_id, name)``, and the new ones."""
    starts: dict[tuple[int, str], int] = {}
    for run in runs:
        key = (run.experiment_id, run.trial)
        starts[key] = min(starts.get(key, run.row["start_time"]), run.row["start_time"])
    rows = [
        {
            "experiment_id": experiment_id,
            "name": name,
            "status": RunStatus.IN_PROGRESS.value,
            "start_time": start,
        }
        for (experiment_id, name), start in starts.items()
    ]
    created = set(insert_missing(connection, t.trial, rows, conflict=("experiment_id", "name")))
    found = connection.execute(
        select(_tr.experiment_id, _tr.name, _tr.id).where(
            _tr.experiment_id.in_({e for e, _ in starts}), _tr.name.in_({n for _, n in starts})
        )
    )
    return {(e, n): trial_id for e, n, trial_id in found if (e, n) in starts}, created


# -- existing runs -----------------------------------------------------------------------------------


def run_context(connection: Connection, run_id: UUID) -> tuple[int, list[int]]:
    """Return a run's experiment id and the ids of its trials.

    Raises:
        NotFoundError: If the run does not exist.
    """
    rows = connection.execute(_RUN_CONTEXT, {"run_id": run_id}).all()
    if not rows:
        raise NotFoundError("run", str(run_id))
    return rows[0][0], [row[1] for row in rows if row[1] is not None]


def write_batch(
    connection: Connection, *, run_id: UUID, experiment_id: int, trial_ids: Sequence[int], batch: Batch
) -> None:
    """Add params, tags, metric points and datasets to an existing run, and to its trials' copies."""
    _write_params_and_tags(
        connection, [(run_id, experiment_id, trial_ids, batch)], is_new=False, may_repeat=False
    )
    if batch.points:
        write_points(
            connection, run_id=run_id, experiment_id=experiment_id, trial_ids=trial_ids, points=batch.points
        )
    _link_datasets(connection, [(run_id, batch)])


def finish_run(
    connection: Connection,
    *,
    run_id: UUID,
    trial_ids: Sequence[int],
    status: RunStatus,
    end_time: int,
    error_message: str | None,
) -> None:
    """Set a run's final status and end time, and re-derive its trials'."""
    connection.execute(
        _FINISH_RUN,
        {"b_run_id": run_id, "b_status": status.value, "b_end_time": end_time, "b_error": error_message},
    )
    refresh_trials(connection, trial_ids)


def ensure_trial(connection: Connection, *, experiment_id: int, name: str, start_time: int) -> int:
    """Return the id of a trial, creating it when missing."""
    row = {
        "experiment_id": experiment_id,
        "name": name,
        "status": RunStatus.IN_PROGRESS.value,
        "start_time": start_time,
    }
    upsert(connection, t.trial, [row], conflict=("experiment_id", "name"), may_repeat=False)
    return int(
        connection.execute(
            select(_tr.id).where(_tr.experiment_id == experiment_id, _tr.name == name)
        ).scalar_one()
    )


def refresh_trials(connection: Connection, trial_ids: Iterable[int]) -> None:
    """Derive trials' status and times from their runs.

    InProgress while any run is; else Failed if any failed, else Stopped if any stopped, else
    Completed. A trial starts with its first run and ends with its last.
    """
    ids = sorted(trial_ids)
    if not ids:
        return
    states: dict[int, list[tuple[str, int, int | None]]] = defaultdict(list)
    for trial_id, status, start, end in connection.execute(_TRIAL_RUN_STATES, {"trial_ids": ids}):
        states[trial_id].append((status, start, end))
    updates = []
    for trial_id, rows in states.items():
        present = {row[0] for row in rows}
        status = next(s for s in _STATUS_PRECEDENCE if s.value in present)
        ends = [row[2] for row in rows if row[2] is not None]
        end = None if status is RunStatus.IN_PROGRESS or not ends else max(ends)
        updates.append(
            {
                "b_trial_id": trial_id,
                "b_status": status.value,
                "b_start": min(row[1] for row in rows),
                "b_end": end,
            }
        )
    if updates:
        connection.execute(_UPDATE_TRIAL, updates)


def link_trial(
    connection: Connection, *, run_id: UUID, experiment_id: int, trial: str, start_time: int
) -> None:
    """Add a run to a trial, creating the trial when missing; it gains the run's params, tags and metrics."""
    trial_id = ensure_trial(connection, experiment_id=experiment_id, name=trial, start_time=start_time)
    upsert(
        connection,
        t.trial_component,
        [{"trial_id": trial_id, "run_id": run_id}],
        conflict=("trial_id", "run_id"),
    )
    copy_run_to_trial(connection, run_id=run_id, trial_id=trial_id, experiment_id=experiment_id)
    refresh_trials(connection, [trial_id])


def copy_run_to_trial(connection: Connection, *, run_id: UUID, trial_id: int, experiment_id: int) -> None:
    """Give a trial a run's params, tags and metric summaries for the keys it lacks."""
    p, g, m = t.run_param.c, t.run_tag.c, t.metric_summary.c
    extra = {"trial_id": trial_id, "run_id": run_id, "experiment_id": experiment_id}
    params = [
        dict(row._mapping) | extra
        for row in connection.execute(
            select(p.key, p.value_type, p.num_value, p.text_value).where(p.run_id == run_id)
        )
    ]
    upsert(connection, t.trial_param, params, conflict=("trial_id", "key"))
    tags = [
        dict(row._mapping) | extra
        for row in connection.execute(select(g.key, g.value).where(g.run_id == run_id))
    ]
    upsert(connection, t.trial_tag, tags, conflict=("trial_id", "key"))
    summaries = [
        dict(row._mapping) | extra
        for row in connection.execute(
            select(m.key, *(m[c] for c in SUMMARY_COLUMNS)).where(m.run_id == run_id)
        )
    ]
    upsert(connection, t.trial_metric, summaries, conflict=("trial_id", "key"))


# -- shared pieces -----------------------------------------------------------------------------------


def _write_params_and_tags(
    connection: Connection,
    batches: Sequence[tuple[UUID, int, Sequence[int], Batch]],
    *,
    is_new: bool,
    may_repeat: bool,
    new_trials: AbstractSet[int] = frozenset(),
) -> None:
    """Write runs' params and tags and their trials' copies, set-wise; a new run's rows cannot clash.

    ``batches`` holds ``(run_id, experiment_id, trial_ids, batch)``; ``new_trials`` are trials
    this transaction created, whose rows cannot clash either.
    """
    run_params, trial_params, run_tags, trial_tags = [], [], [], []
    for run_id, experiment_id, trial_ids, batch in batches:
        for key, e in batch.params:
            row = {
                "key": key,
                "experiment_id": experiment_id,
                "value_type": e.value_type,
                "num_value": e.num_value,
                "text_value": e.text_value,
                "run_id": run_id,
            }
            run_params.append(row)
            trial_params += [row | {"trial_id": trial_id} for trial_id in trial_ids]
        for key, value in batch.tags.items():
            row = {"key": key, "experiment_id": experiment_id, "value": value, "run_id": run_id}
            run_tags.append(row)
            trial_tags += [row | {"trial_id": trial_id} for trial_id in trial_ids]
    param_columns = ("experiment_id", "value_type", "num_value", "text_value")
    if is_new:
        bulk_insert(connection, t.run_param, run_params)
        bulk_insert(connection, t.run_tag, run_tags)
    else:
        upsert(
            connection,
            t.run_param,
            run_params,
            conflict=("run_id", "key"),
            update=param_columns,
            may_repeat=False,
        )
        upsert(
            connection, t.run_tag, run_tags, conflict=("run_id", "key"), update=("value",), may_repeat=False
        )
    upsert(
        connection,
        t.trial_param,
        trial_params,
        conflict=("trial_id", "key"),
        update=(*param_columns, "run_id"),
        may_repeat=may_repeat,
        new_owners=new_trials,
    )
    upsert(
        connection,
        t.trial_tag,
        trial_tags,
        conflict=("trial_id", "key"),
        update=("value", "run_id"),
        may_repeat=may_repeat,
        new_owners=new_trials,
    )


def _link_datasets(
    connection: Connection, batches: Sequence[tuple[UUID, Batch]]
) -> dict[tuple[str, str], int]:
    """Record runs' input and output datasets, creating the datasets where missing; return their ids."""
    links = [
        (run_id, ref, direction)
        for run_id, batch in batches
        for direction, refs in (("input", batch.inputs), ("output", batch.outputs))
        for ref in refs
    ]
    if not links:
        return {}
    ids = ensure_datasets(
        connection, {(ref.namespace, ref.name): ref.uri for _, ref, _ in links}, likely_new=True
    )
    rows = {(run_id, ids[ref.namespace, ref.name], direction): ref.role for run_id, ref, direction in links}
    upsert(
        connection,
        t.run_dataset,
        [
            {"run_id": r, "dataset_id": i, "direction": direction, "role": role}
            for (r, i, direction), role in rows.items()
        ],
        conflict=("run_id", "dataset_id", "direction"),
        update=("role",),
    )
    return ids
