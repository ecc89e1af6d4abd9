"""Metric series: write batches of points with their running summaries, and read histories back."""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import Connection, and_, case, exists, literal, or_, select

from mltrail.core.entities import MetricHistory, MetricSummary
from mltrail.core.errors import NotFoundError
from mltrail.core.series import SeriesAggregate
from mltrail.store import tables as t
from mltrail.store.chunks import pack, unpack_into
from mltrail.store.dialect import bulk_insert, insert_for, upsert

SUMMARY_COLUMNS = ("last", "min", "max", "avg", "count", "nonfinite_count", "last_step", "last_timestamp")


class Point(NamedTuple):
    """A validated metric point: key, value, step, timestamp in ms."""

    key: str
    value: float
    step: int
    timestamp: int


@dataclass(slots=True)
class _BatchSummary(SeriesAggregate):
    """Aggregates of the points of one key within one batch, and the points themselves."""

    values: list[tuple[int, int, float]] = field(default_factory=list)  # (step, timestamp, value)


def write_points(
    connection: Connection,
    *,
    run_id: UUID,
    experiment_id: int,
    trial_ids: Sequence[int],
    points: Sequence[Point],
) -> None:
    """Append points to a run's series, update each series' summary and the trials' copies.

    Each key's summary is updated by an atomic upsert whose ``RETURNING count`` also numbers the
    new points, so concurrent writers to one series never reuse a sequence number.
    """
    batches = _summarise(points)
    values = [_summary_row(run_id, experiment_id, key, batch) for key, batch in batches.items()]
    summaries = [
        dict(row._mapping) for row in connection.execute(_summary_upsert(connection.dialect.name), values)
    ]
    _write_series(connection, [(run_id, experiment_id, trial_ids, batches, summaries)], may_repeat=False)


def new_series(
    connection: Connection,
    runs: Sequence[tuple[UUID, int, Sequence[int], Sequence[Point]]],
    *,
    may_repeat: bool = True,
    new_trials: AbstractSet[int] = frozenset(),
) -> None:
    """Write the first points of new runs ``(run_id, experiment_id, trial_ids, points)``, set-wise.

    The runs have no series yet, so summaries are plain inserts: one statement for all of them.
    ``may_repeat`` says whether two of the runs share a trial (and so may write one trial's key);
    ``new_trials`` are trials this transaction created, whose summaries are plain inserts too.
    """
    if not runs:
        return
    summarised = [
        (run_id, experiment_id, trial_ids, _summarise(points))
        for run_id, experiment_id, trial_ids, points in runs
    ]
    values = [
        _summary_row(run_id, experiment_id, key, batch)
        for run_id, experiment_id, _, batches in summarised
        for key, batch in batches.items()
    ]
    bulk_insert(connection, t.metric_summary, values)
    m = t.metric_summary.c
    ids = {
        (run_id, key): series_id
        for run_id, key, series_id in connection.execute(
            select(m.run_id, m.key, m.id).where(m.run_id.in_([run_id for run_id, *_ in runs]))
        ).all()
    }
    for row in values:  # a new series' summary is the row just inserted
        row["id"] = ids[row["run_id"], row["key"]]
    by_run: dict[UUID, list[dict[str, Any]]] = {}
    for row in values:
        by_run.setdefault(row["run_id"], []).append(row)
    _write_series(
        connection,
        [
            (run_id, experiment_id, trial_ids, batches, by_run[run_id])
            for run_id, experiment_id, trial_ids, batches in summarised
        ],
        may_repeat=may_repeat,
        new_trials=new_trials,
    )


def _summarise(points: Sequence[Point]) -> dict[str, _BatchSummary]:
    batches: dict[str, _BatchSummary] = {}
    for point in points:
        batch = batches.get(point.key)
        if batch is None:
            batch = batches[point.key] = _BatchSummary()
        batch.values.append((point.step, point.timestamp, point.value))
        batch.add(point.value, point.step, point.timestamp)
    return batches


def _summary_row(run_id: UUID, experiment_id: int, key: str, batch: _BatchSummary) -> dict[str, Any]:
    assert batch.last is not None  # a batch holds at least one point
    last_step, last_timestamp, last_value = batch.last
    return {
        "run_id": run_id,
        "key": key,
        "experiment_id": experiment_id,
        "last": None if math.isnan(last_value) else last_value,  # NULL: SQLite has no NaN
        "min": batch.minimum,
        "max": batch.maximum,
        "avg": batch.total / batch.finite_count if batch.finite_count else None,
        "sum": batch.total,
        "count": batch.count,
        "finite_count": batch.finite_count,
        "nonfinite_count": batch.count - batch.finite_count,
        "last_step": last_step,
        "last_timestamp": last_timestamp,
    }


def _write_series(
    connection: Connection,
    series: Sequence[tuple[UUID, int, Sequence[int], dict[str, _BatchSummary], list[dict[str, Any]]]],
    *,
    may_repeat: bool,
    new_trials: AbstractSet[int] = frozenset(),
) -> None:
    """Append each batch as a chunk numbered after its summary's count, and copy summaries to trials."""
    chunks: list[dict[str, Any]] = []
    trial_rows: list[dict[str, Any]] = []
    for run_id, experiment_id, trial_ids, batches, summaries in series:
        for (key, batch), summary in zip(batches.items(), summaries, strict=True):
            steps, timestamps, values = zip(*batch.values, strict=True)
            chunks.append(
                {
                    "series_id": summary["id"],
                    "first_seq": summary["count"] - batch.count,
                    "count": batch.count,
                    "steps": pack("q", steps),
                    "timestamps": pack("q", timestamps),
                    "values": pack("d", values),
                }
            )
            trial_rows.extend(
                {"trial_id": trial_id, "key": key, "experiment_id": experiment_id, "run_id": run_id}
                | {name: summary[name] for name in SUMMARY_COLUMNS}
                for trial_id in trial_ids
            )
    bulk_insert(connection, t.metric_chunk, chunks)
    upsert(
        connection,
        t.trial_metric,
        trial_rows,
        conflict=("trial_id", "key"),
        update=(*SUMMARY_COLUMNS, "run_id"),
        may_repeat=may_repeat,
        new_owners=new_trials,
    )


@cache
def _summary_upsert(dialect: str) -> Any:
    """Return the upsert that folds one batch's aggregates into a series summary (built once)."""
    statement = insert_for(dialect, t.metric_summary)
    old, new = t.metric_summary.c, statement.excluded
    is_newer = or_(
        new.last_step > old.last_step,
        and_(new.last_step == old.last_step, new.last_timestamp >= old.last_timestamp),
    )
    finite_count = old.finite_count + new.finite_count
    return statement.on_conflict_do_update(
        index_elements=["run_id", "key"],
        set_={
            "last": case((is_newer, new.last), else_=old.last),
            "last_step": case((is_newer, new.last_step), else_=old.last_step),
            "last_timestamp": case((is_newer, new.last_timestamp), else_=old.last_timestamp),
            "min": case((or_(old.min.is_(None), new.min < old.min), new.min), else_=old.min),
            "max": case((or_(old.max.is_(None), new.max > old.max), new.max), else_=old.max),
            "sum": old.sum + new.sum,
            "count": old.count + new.count,
            "finite_count": finite_count,
            "nonfinite_count": old.nonfinite_count + new.nonfinite_count,
            "avg": case((finite_count > 0, (old.sum + new.sum) / (finite_count * literal(1.0))), else_=None),
        },
    ).returning(
        t.metric_summary.c.id, t.metric_summary.c.key, *(t.metric_summary.c[name] for name in SUMMARY_COLUMNS)
    )


def read_history(connection: Connection, *, run_id: UUID, key: str, max_points: int | None) -> MetricHistory:
    """Return a series' points in write order, or about ``max_points`` evenly spaced ones.

    Points are stored in packed chunks, so a read costs a few rows and a C-level unpack; a
    downsampled read picks evenly spaced points from them, first and last included.

    Raises:
        NotFoundError: If the run never logged ``key``.
    """
    summary = connection.execute(
        select(t.metric_summary.c.id, t.metric_summary.c.count).where(
            t.metric_summary.c.run_id == run_id, t.metric_summary.c.key == key
        )
    ).one_or_none()
    if summary is None:
        raise NotFoundError("metric", key, hint=f"run {run_id} has no metric {key!r}")
    series_id, count = summary
    c = t.metric_chunk.c
    steps: array[int] = array("q")
    timestamps: array[int] = array("q")
    values: array[float] = array("d")
    for step_bytes, timestamp_bytes, value_bytes in connection.execute(
        select(c.steps, c.timestamps, c["values"]).where(c.series_id == series_id).order_by(c.first_seq)
    ).all():
        unpack_into("q", step_bytes, steps)
        unpack_into("q", timestamp_bytes, timestamps)
        unpack_into("d", value_bytes, values)
    downsampled = max_points is not None and count > max_points
    if downsampled and max_points is not None:
        wanted = _evenly_spaced(len(steps), max_points)
        return MetricHistory(
            run_id=run_id,
            key=key,
            steps=[steps[i] for i in wanted],
            timestamps=[timestamps[i] for i in wanted],
            values=[values[i] for i in wanted],
            total_count=count,
            is_downsampled=True,
        )
    return MetricHistory(
        run_id=run_id,
        key=key,
        steps=steps.tolist(),
        timestamps=timestamps.tolist(),
        values=values.tolist(),
        total_count=count,
        is_downsampled=False,
    )


def _evenly_spaced(count: int, wanted: int) -> list[int]:
    """Return ``wanted`` sequence numbers spread over ``0 … count-1``, first and last included."""
    if wanted <= 1:
        return [count - 1]
    stride = (count - 1) / (wanted - 1)
    return sorted({round(i * stride) for i in range(wanted)})


def set_summaries(
    connection: Connection, run_id: UUID, experiment_id: int, summaries: Mapping[str, MetricSummary]
) -> None:
    """Set a run's metric summaries as another producer reported them, and copy them to its trials.

    Keys whose points were logged here keep the summaries computed from those points.
    """
    m, c, tc = t.metric_summary.c, t.metric_chunk.c, t.trial_component.c
    logged = set(
        connection.execute(
            select(m.key).where(m.run_id == run_id, exists().where(c.series_id == m.id))
        ).scalars()
    )
    rows = []
    for key, summary in summaries.items():
        if key in logged:
            continue
        finite = summary.count - summary.nonfinite_count
        rows.append(
            {
                "run_id": run_id,
                "key": key,
                "experiment_id": experiment_id,
                "last": None if math.isnan(summary.last) else summary.last,
                "min": summary.min,
                "max": summary.max,
                "avg": summary.avg,
                "sum": (summary.avg or 0.0) * finite,
                "count": summary.count,
                "finite_count": finite,
                "nonfinite_count": summary.nonfinite_count,
                "last_step": summary.last_step,
                "last_timestamp": int(summary.last_timestamp.timestamp() * 1000),
            }
        )
    if not rows:
        return
    upsert(
        connection,
        t.metric_summary,
        rows,
        conflict=("run_id", "key"),
        update=(*SUMMARY_COLUMNS, "sum", "finite_count", "experiment_id"),
        may_repeat=False,
    )
    trial_ids = connection.execute(select(tc.trial_id).where(tc.run_id == run_id)).scalars().all()
    upsert(
        connection,
        t.trial_metric,
        [
            {"trial_id": trial_id, "run_id": run_id, "key": row["key"], "experiment_id": experiment_id}
            | {name: row[name] for name in SUMMARY_COLUMNS}
            for trial_id in trial_ids
            for row in rows
        ],
        conflict=("trial_id", "key"),
        update=(*SUMMARY_COLUMNS, "run_id"),
        may_repeat=False,
    )
