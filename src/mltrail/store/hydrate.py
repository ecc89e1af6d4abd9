"""Load experiments, trials and runs with everything they carry, a few set-based queries per page."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import fields, make_dataclass
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any, TypeVar
from uuid import UUID, SafeUUID

from sqlalchemy import BigInteger, Connection, Uuid, any_, bindparam, func, literal_column, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from mltrail.core.entities import (
    CodeInfo,
    DatasetRef,
    EnvironmentInfo,
    Experiment,
    MetricSummary,
    ParamValue,
    Run,
    RunKind,
    RunStatus,
    Trial,
)
from mltrail.store import tables as t
from mltrail.store._gc import paused_gc

_NAN = float("nan")
_JSON = json.JSONDecoder()
_T = TypeVar("_T")


def _builder(cls: type[_T]) -> Callable[..., _T]:
    """Return a function building ``cls``, a frozen slotted dataclass, from all its fields in order.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``: about 1 µs
    for a :class:`Trial` or a :class:`MetricSummary`, and a page builds 1,000 and 5,000. This
    builds a mutable twin with the same slots, whose ``__init__`` assigns them directly, then
    makes it a ``cls`` (``__class__`` may change between classes with the same slots): an
    ordinary ``cls`` instance, frozen, equal, hashable and picklable as usual, in a quarter of
    the time.
    """
    twin = make_dataclass(f"_Mutable{cls.__name__}", [(f.name, f.type) for f in fields(cls)], slots=True)  # type: ignore[arg-type]

    def build(*values: Any) -> _T:
        instance = twin(*values)
        instance.__class__ = cls
        return instance  # type: ignore[no-any-return]

    return build


_trial = _builder(Trial)


def _uuid_from_hex(text: str) -> UUID:
    """``UUID(text)`` for the 32 hex digits SQLite stores, without the checks (3 µs → 0.5 µs)."""
    value = object.__new__(UUID)
    object.__setattr__(value, "int", int(text, 16))
    object.__setattr__(value, "is_safe", _UNKNOWN_SAFETY)
    return value


_UNKNOWN_SAFETY = SafeUUID.unknown  # an enum member read through a descriptor: look it up once


@lru_cache(maxsize=8192)
def to_datetime(ms: int) -> datetime:
    """Return an aware UTC datetime for milliseconds since the epoch (memoised: runs share times)."""
    return datetime.fromtimestamp(ms / 1000, UTC)  # tz by position: half the cost of tz=UTC


_STATUSES = {status.value: status for status in RunStatus}


def experiments(
    connection: Connection, *, include_archived: bool, names: Sequence[str] | None = None
) -> list[Experiment]:
    """Return experiments ordered by name, with their trial counts."""
    e, tr = t.experiment.c, t.trial.c
    counts = select(tr.experiment_id, func.count().label("n")).group_by(tr.experiment_id).subquery()
    query = (
        select(e.name, e.description, e.tags, e.is_archived, e.created_at, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.experiment_id == e.id)
        .order_by(e.name)
    )
    if not include_archived:
        query = query.where(e.is_archived.is_(False))
    if names is not None:
        query = query.where(e.name.in_(names))
    return [
        Experiment(
            name=name,
            description=description,
            tags=dict(tags or {}),
            is_archived=bool(archived),
            created_at=to_datetime(created),
            trial_count=int(n),
        )
        for name, description, tags, archived, created, n in connection.execute(query)
    ]


def trials(connection: Connection, ids: Sequence[int]) -> list[Trial]:
    """Return the trials with these ids, in the order given."""
    if not ids:
        return []
    with paused_gc():
        return _trials(connection, ids)


def _trials(connection: Connection, ids: Sequence[int]) -> list[Trial]:
    dialect = connection.dialect
    params, metrics, tags = _bag_steps(
        dialect.name, dialect, "trial_param", "trial_metric", "trial_tag", "trial_id"
    )
    # On PostgreSQL the server runs each statement while Python converts the previous one's
    # rows (see _read), all but the first: the metrics, the quickest of the big ones to run.
    metrics, params, (rows, run_ids), tags = _read(
        connection, ids, (metrics, params, (_trial_sql(dialect.name, dialect), _trial_rows), tags)
    )
    result = []
    for trial_id in ids:
        row = rows.get(trial_id)
        if row is None:
            continue
        _, name, experiment, status, start, end, _ = row
        result.append(
            _trial(  # positional, in field order: name, experiment, status, start_time, end_time, …
                name,
                experiment,
                _STATUSES[status],
                to_datetime(start),
                None if end is None else to_datetime(end),
                tuple(run_ids.get(trial_id, ())),
                params.get(trial_id, {}),
                metrics.get(trial_id, {}),
                tags.get(trial_id, {}),
            )
        )
    return result


def _trial_rows(records: list[tuple[Any, ...]]) -> tuple[dict[int, Any], dict[int, list[UUID]]]:
    """The trial statement's rows by trial id, and each trial's run ids."""
    rows: dict[int, Any] = {}
    run_ids: dict[int, list[UUID]] = defaultdict(list)
    for record in records:
        trial_id, run_id = record[0], record[6]
        rows[trial_id] = record
        if run_id is not None:  # SQLite returns the hex text
            run_ids[trial_id].append(run_id if type(run_id) is UUID else _uuid_from_hex(run_id))
    return rows, run_ids


def runs(connection: Connection, ids: Sequence[UUID]) -> list[Run]:
    """Return the runs with these ids, in the order given."""
    if not ids:
        return []
    with paused_gc():
        return _runs(connection, ids)


def _runs(connection: Connection, ids: Sequence[UUID]) -> list[Run]:
    r, e, tc, tr = t.run.c, t.experiment.c, t.trial_component.c, t.trial.c
    rows = {
        row.id: row
        for row in connection.execute(
            select(
                r.id,
                r.name,
                e.name.label("experiment"),
                r.kind,
                r.status,
                r.start_time,
                r.end_time,
                r.error_message,
                r.code,
                r.environment,
                r.artifact_uri,
            )
            .join(t.experiment, e.id == r.experiment_id)
            .where(_among(connection.dialect.name, r.id, uuid_ids=True)),
            _bound_ids(connection, ids),
        )
    }
    trial_names: dict[UUID, list[str]] = defaultdict(list)
    for run_id, name in connection.execute(
        select(tc.run_id, tr.name)
        .join(t.trial, tr.id == tc.trial_id)
        .where(_among(connection.dialect.name, tc.run_id, uuid_ids=True))
        .order_by(tr.name),
        _bound_ids(connection, ids),
    ).all():
        trial_names[run_id].append(name)
    dialect = connection.dialect
    params, metrics, tags = _read(
        connection, ids, _bag_steps(dialect.name, dialect, "run_param", "metric_summary", "run_tag", "run_id")
    )
    if dialect.name != "postgresql":  # owners come back as SQLite's hex text
        by_hex = {i.hex: i for i in ids}
        params, metrics, tags = ({by_hex[k]: v for k, v in d.items()} for d in (params, metrics, tags))
    inputs, outputs = _datasets(connection, ids)
    result = []
    for run_id in ids:
        row = rows.get(run_id)
        if row is not None:
            result.append(_run(row, trial_names, params, metrics, tags, inputs, outputs))
    return result


def _run(
    row: Any,
    trial_names: dict[UUID, list[str]],
    params: dict[Any, dict[str, ParamValue]],
    metrics: dict[Any, dict[str, MetricSummary]],
    tags: dict[Any, dict[str, str]],
    inputs: dict[UUID, list[DatasetRef]],
    outputs: dict[UUID, list[DatasetRef]],
) -> Run:
    return Run(
        id=row.id,
        name=row.name,
        experiment=row.experiment,
        kind=RunKind(row.kind),
        status=_STATUSES[row.status],
        start_time=to_datetime(row.start_time),
        end_time=None if row.end_time is None else to_datetime(row.end_time),
        error_message=row.error_message,
        trials=tuple(trial_names.get(row.id, ())),
        params=params.get(row.id, {}),
        metrics=metrics.get(row.id, {}),
        tags=tags.get(row.id, {}),
        inputs=tuple(inputs.get(row.id, ())),
        outputs=tuple(outputs.get(row.id, ())),
        code=CodeInfo(**row.code) if row.code else None,
        environment=EnvironmentInfo(**row.environment) if row.environment else None,
        artifact_uri=row.artifact_uri,
    )


_Rows = list[tuple[Any, ...]]
_Step = tuple[str, Callable[[_Rows], Any]]
"""A statement binding one parameter, ``ids``, and the function that turns its rows into a value."""


def _bag_steps(
    dialect_name: str, dialect: Any, params: str, metrics: str, tags: str, owner: str
) -> tuple[_Step, _Step, _Step]:
    """Statements reading the owners' params, metrics and tags, each into ``{owner: {key: value}}``.

    On SQLite the owners are the ids as bound: hex text for run ids.
    """
    summaries = ("last", "min", "max", "avg", "count", "nonfinite_count", "last_step", "last_timestamp")
    return (
        (_packed_sql(dialect_name, params, owner), _unpack),
        (_bag_sql(dialect_name, metrics, owner, summaries, dialect), _metrics),
        (_packed_sql(dialect_name, tags, owner), _unpack),
    )


def _metrics(rows: _Rows) -> dict[Any, dict[str, MetricSummary]]:
    found: dict[Any, dict[str, MetricSummary]] = {}
    current, bag = None, {}
    for row in rows:  # a page builds 5,000 summaries
        if row[0] != current:
            current, bag = row[0], found.setdefault(row[0], {})
        summary = _SummaryRow(row)
        summary.__class__ = MetricSummary  # type: ignore[assignment]
        bag[summary.key] = summary  # type: ignore[assignment]
    return found


class _SummaryRow:
    """A metric summary row read into :class:`MetricSummary`'s slots, to be made one (as in :func:`_builder`).

    The row is ``(owner, key, last, min, max, avg, count, nonfinite_count, last_step,
    last_timestamp)``. Reading the row in ``__init__`` saves unpacking it in the loop.
    """

    __slots__ = MetricSummary.__slots__

    def __init__(self, row: tuple[Any, ...]) -> None:
        (
            _,
            self.key,
            last,
            self.min,
            self.max,
            self.avg,
            self.count,
            self.nonfinite_count,
            self.last_step,
            ts,
        ) = row
        self.last = _NAN if last is None else last
        self.last_timestamp = to_datetime(ts)


def _unpack(rows: _Rows) -> dict[Any, dict[str, Any]]:
    """``{owner: {key: value}}`` from :func:`_packed_sql` rows."""
    decode = _JSON.raw_decode  # json.loads without its wrappers: the text is ours, one object
    return {owner_id: decode(text)[0] for owner_id, text in rows}


@cache
def _packed_sql(dialect_name: str, table: str, owner: str) -> str:
    """Each owner's params or tags packed into one JSON object: ``(owner, json)`` rows.

    The database hands back one string per owner instead of ten rows, and the JSON parser builds
    the owner's dict in one call: about half the cost of reading and decoding the rows on SQLite,
    a third less on PostgreSQL, whose server spends more building the text. Keys come in key
    order, the order the rows are read in (an ``ORDER BY`` in the aggregate would sort each
    owner's rows again, doubling the statement's cost on PostgreSQL).
    """
    postgres = dialect_name == "postgresql"

    def quoted(column: str) -> str:  # the column as a JSON string
        return f"to_json({column})::text" if postgres else f"json_quote({column})"

    is_params = "value_type" in t.run.metadata.tables[table].c
    if is_params:
        # Stored texts are canonical (mltrail.core.params.encode_param): int, bool and json texts
        # are JSON already, and repr() of a float is JSON with a "." or an exponent, so it parses
        # as a float, except NaN and the infinities, spelt here the way Python's parser reads them.
        value = f"""CASE value_type
            WHEN 'str' THEN {quoted("text_value")}
            WHEN 'float' THEN CASE text_value
                WHEN 'nan' THEN 'NaN' WHEN 'inf' THEN 'Infinity' WHEN '-inf' THEN '-Infinity'
                ELSE text_value END
            ELSE text_value END"""
    else:
        value = quoted("value")
    pair = f"""{quoted('"key"')} || ':' || {value}"""
    if postgres:
        element = "UUID" if owner == "run_id" else "BIGINT"
        columns = '"key", value_type, text_value' if is_params else '"key", value'
        # A LATERAL lookup per id, as in _bag_sql; the OFFSET 0 fence keeps the rows in key order.
        return f"""SELECT given.id, bag.packed FROM unnest(%(ids)s::{element}[]) AS given(id)
            JOIN LATERAL (
                SELECT '{{' || string_agg({pair}, ',') || '}}' AS packed FROM (
                    SELECT {columns} FROM {table} WHERE {owner} = given.id ORDER BY "key" LIMIT ALL OFFSET 0
                ) AS owned
            ) AS bag ON bag.packed IS NOT NULL"""
    return f"""SELECT {owner}, '{{' || group_concat({pair}, ',') || '}}' FROM {table}
        WHERE {owner} IN (SELECT value FROM json_each(?)) GROUP BY {owner}"""


def _among(dialect_name: str, column: Any, *, uuid_ids: bool) -> Any:
    """``column IN ids`` with the ids bound as one parameter: an array on PostgreSQL, JSON on SQLite.

    A list of 1,000 separate parameters costs more to render, bind and plan than the query itself.
    """
    if dialect_name == "postgresql":
        return column == any_(bindparam("ids", type_=ARRAY(Uuid() if uuid_ids else BigInteger())))
    listed = func.json_each(bindparam("ids")).table_valued("value")
    return column.in_(select(listed.c.value))


def _bound_ids(connection: Connection, ids: Sequence[Any]) -> dict[str, Any]:
    """The ``ids`` parameter :func:`_among` expects."""
    if connection.dialect.name == "postgresql":
        return {"ids": list(ids)}
    return {"ids": json.dumps([i.hex for i in ids] if ids and isinstance(ids[0], UUID) else list(ids))}


def _read(connection: Connection, ids: Sequence[Any], steps: Sequence[_Step]) -> list[Any]:
    """Run statements that bind ``ids`` as :func:`_among` expects, and convert each one's rows.

    Pages of 1,000 trials read 10,000s of rows, so the statements (compiled once per backend by
    SQLAlchemy) run on the driver's cursor, skipping SQLAlchemy's per-row result handling. On
    PostgreSQL they go down one pipeline, each sent before the previous one's rows are converted:
    the server reads the next while Python builds objects, on another core.
    """
    driver: Any = connection.connection.driver_connection
    if connection.dialect.name != "postgresql":
        bound = (_bound_ids(connection, ids)["ids"],)
        results = []
        for sql, convert in steps:
            cursor = driver.cursor()
            try:
                cursor.execute(sql, bound)
                rows = cursor.fetchall()
            finally:
                cursor.close()
            results.append(convert(rows))
        return results
    # Binary results: psycopg parses text floats six times slower than it reads binary ones. The
    # ids go as one array literal, which the statements cast, instead of being dumped one by one.
    literal = {"ids": "{" + ",".join(map(str, ids)) + "}"}
    cursors = [driver.cursor(binary=True) for _ in steps]
    try:
        with driver.pipeline() if _can_pipeline() else nullcontext():
            cursors[0].execute(steps[0][0], literal)
            results = []
            for index, (_, convert) in enumerate(steps):
                rows = cursors[index].fetchall()
                if index + 1 < len(steps):
                    cursors[index + 1].execute(steps[index + 1][0], literal)
                results.append(convert(rows))
    finally:
        for cursor in cursors:
            cursor.close()
    return results


@cache
def _can_pipeline() -> bool:
    """Whether psycopg's libpq has pipeline mode (14 or later; psycopg[binary] ships one)."""
    from psycopg import Pipeline

    return Pipeline.is_supported()


@cache
def _trial_sql(dialect_name: str, dialect: Any) -> str:
    """Each trial with its experiment's name and its runs, one row per run."""
    tr, e, tc = t.trial.c, t.experiment.c, t.trial_component.c
    runs: Any = t.trial_component
    on = tc.trial_id == tr.id
    if dialect_name == "postgresql":
        # A LATERAL lookup per trial on the primary key: a plain join hashes the whole table.
        runs = select(tc.run_id).where(on).order_by(tc.run_id).offset(literal_column("0")).lateral("runs")
        on = true()
    statement = (
        select(tr.id, tr.name, e.name, tr.status, tr.start_time, tr.end_time, runs.c.run_id)
        .join(t.experiment, e.id == tr.experiment_id)
        .outerjoin(runs, on)
        .where(_among(dialect_name, tr.id, uuid_ids=False))
        .order_by(tr.id, runs.c.run_id)
    )
    return str(statement.compile(dialect=dialect))


@cache
def _bag_sql(dialect_name: str, table: str, owner: str, columns: tuple[str, ...], dialect: Any) -> str:
    c = t.run.metadata.tables[table].c
    wanted = (c[owner], c.key, *(c[name] for name in columns))
    if dialect_name == "postgresql":
        # A LATERAL lookup per id (fenced by OFFSET 0, so the planner keeps it) stays on the
        # primary key; "= ANY(ids)" or a plain join with 1,000 ids plans a scan of the whole table.
        element = Uuid() if owner == "run_id" else BigInteger()
        given = (
            func.unnest(bindparam("ids", type_=ARRAY(element)))
            .table_valued("id")
            .render_derived(name="given")
        )
        # Each lookup reads its rows in key order off the index, so the result needs no sort.
        rows = (
            select(*wanted)
            .where(c[owner] == given.c.id)
            .order_by(c.key)
            .offset(literal_column("0"))
            .lateral("bag")
        )
        statement = select(*rows.c).select_from(given.join(rows, true()))
    else:
        listed = func.json_each(bindparam("ids")).table_valued("value")
        statement = select(*wanted).where(c[owner].in_(select(listed.c.value))).order_by(c[owner], c.key)
    return str(statement.compile(dialect=dialect))


def _datasets(
    connection: Connection, ids: Sequence[UUID]
) -> tuple[dict[UUID, list[DatasetRef]], dict[UUID, list[DatasetRef]]]:
    rd, d = t.run_dataset.c, t.dataset.c
    inputs: dict[UUID, list[DatasetRef]] = defaultdict(list)
    outputs: dict[UUID, list[DatasetRef]] = defaultdict(list)
    for run_id, direction, role, namespace, name, uri in connection.execute(
        select(rd.run_id, rd.direction, rd.role, d.namespace, d.name, d.uri)
        .join(t.dataset, d.id == rd.dataset_id)
        .where(rd.run_id.in_(ids))
        .order_by(rd.run_id, d.namespace, d.name)
    ).all():
        target = inputs if direction == "input" else outputs
        target[run_id].append(DatasetRef(namespace=namespace, name=name, uri=uri, role=role))
    return inputs, outputs
