"""Load experiments, trials and runs with everything they carry, a few set-based queries per page."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
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
from mltrail.core.params import PARAM_DECODERS
from mltrail.store import tables as t
from mltrail.store._gc import paused_gc

_NAN = float("nan")
_JSON = json.JSONDecoder()
_T = TypeVar("_T")


def _builder(cls: type[_T]) -> Callable[..., _T]:
    """Return a function building ``cls``, a frozen slotted dataclass, from all its fields in order.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``: a
    :class:`MetricSummary` costs about 1 µs, and a page builds 5,000. This builds a mutable twin
    with the same slots, whose ``__init__`` assigns them directly, then makes it a ``cls``
    (``__class__`` may change between classes with the same slots): an ordinary ``cls``
    instance, frozen, equal and hashable as usual, in a quarter of the time.
    """
    twin = make_dataclass(f"_Mutable{cls.__name__}", [(f.name, f.type) for f in fields(cls)], slots=True)  # type: ignore[arg-type]

    def build(*values: Any) -> _T:
        instance = twin(*values)
        instance.__class__ = cls
        return instance  # type: ignore[no-any-return]

    return build


_summary = _builder(MetricSummary)
_trial = _builder(Trial)


def _uuid_from_hex(text: str) -> UUID:
    """``UUID(text)`` for the 32 hex digits SQLite stores, without the checks (3 µs → 0.5 µs)."""
    value = object.__new__(UUID)
    object.__setattr__(value, "int", int(text, 16))
    object.__setattr__(value, "is_safe", SafeUUID.unknown)
    return value


@lru_cache(maxsize=8192)
def to_datetime(ms: int) -> datetime:
    """Return an aware UTC datetime for milliseconds since the epoch (memoised: runs share times)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


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
    rows: dict[int, Any] = {}
    run_ids: dict[int, list[Any]] = defaultdict(list)
    for record in _fetch(connection, _trial_sql(connection.dialect.name, connection.dialect), ids):
        rows[record[0]] = record
        if record[6] is not None:
            run_ids[record[0]].append(record[6])
    if connection.dialect.name != "postgresql":  # SQLite returns the hex text
        run_ids = {trial_id: list(map(_uuid_from_hex, hexes)) for trial_id, hexes in run_ids.items()}
    params = _params(connection, t.trial_param, t.trial_param.c.trial_id, ids)
    metrics = _metrics(connection, t.trial_metric, t.trial_metric.c.trial_id, ids)
    tags = _tags(connection, t.trial_tag, t.trial_tag.c.trial_id, ids)
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
    params = _params(connection, t.run_param, t.run_param.c.run_id, ids)
    metrics = _metrics(connection, t.metric_summary, t.metric_summary.c.run_id, ids)
    tags = _tags(connection, t.run_tag, t.run_tag.c.run_id, ids)
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


def _params(
    connection: Connection, table: Any, owner: Any, ids: Sequence[Any]
) -> dict[Any, dict[str, ParamValue]]:
    if connection.dialect.name != "postgresql":
        return _packed(connection, table.name, owner.name, _SQLITE_PARAM_JSON, ids)
    found: dict[Any, dict[str, ParamValue]] = {}
    decoders = PARAM_DECODERS
    current, bag = None, {}
    for owner_id, key, value_type, text in _bag(
        connection, table.name, owner.name, ("value_type", "text_value"), ids
    ):
        if owner_id != current:  # rows come grouped by owner: one dict lookup per owner, not per row
            current, bag = owner_id, found.setdefault(owner_id, {})
        bag[key] = decoders[value_type](text)
    return found


def _metrics(
    connection: Connection, table: Any, owner: Any, ids: Sequence[Any]
) -> dict[Any, dict[str, MetricSummary]]:
    found: dict[Any, dict[str, MetricSummary]] = {}
    columns = ("last", "min", "max", "avg", "count", "nonfinite_count", "last_step", "last_timestamp")
    summary = _summary
    current, bag = None, {}
    for owner_id, key, last, low, high, avg, count, nonfinite, step, ts in _bag(
        connection, table.name, owner.name, columns, ids
    ):
        if owner_id != current:
            current, bag = owner_id, found.setdefault(owner_id, {})
        bag[key] = summary(  # a page builds 5,000 of these
            key, _NAN if last is None else last, low, high, avg, count, step, to_datetime(ts), nonfinite
        )
    return found


def _tags(connection: Connection, table: Any, owner: Any, ids: Sequence[Any]) -> dict[Any, dict[str, str]]:
    if connection.dialect.name != "postgresql":
        return _packed(connection, table.name, owner.name, "json_quote(value)", ids)
    found: dict[Any, dict[str, str]] = {}
    current, bag = None, {}
    for owner_id, key, value in _bag(connection, table.name, owner.name, ("value",), ids):
        if owner_id != current:
            current, bag = owner_id, found.setdefault(owner_id, {})
        bag[key] = value
    return found


_SQLITE_PARAM_JSON = """CASE value_type
    WHEN 'str' THEN json_quote(text_value)
    WHEN 'float' THEN CASE text_value
        WHEN 'nan' THEN 'NaN' WHEN 'inf' THEN 'Infinity' WHEN '-inf' THEN '-Infinity' ELSE text_value END
    ELSE text_value END"""
"""A param's value as JSON text that parses to its Python value.

Stored texts are canonical (:func:`mltrail.core.params.encode_param`): ``int``, ``bool`` and
``json`` texts are JSON already, and ``repr`` of a float is JSON, with a ``.`` or an exponent so
that it parses as a float, except NaN and the infinities, spelt the way Python's parser reads them.
"""


def _packed(
    connection: Connection, table: str, owner: str, value_json: str, ids: Sequence[Any]
) -> dict[Any, dict[str, Any]]:
    """SQLite: each owner's ``key → value`` rows for ``ids``, packed by SQL into one JSON object each.

    The JSON parser builds a trial's ten params in one call, and SQLite hands back one string per
    owner instead of ten rows, at two-thirds the cost of reading and decoding the rows. Keys come
    in primary-key order, the order the rows are read in.
    """
    decode = _JSON.raw_decode  # json.loads without its wrappers: the text is ours, one object
    packed = _fetch(connection, _packed_sql(table, owner, value_json), ids)
    if ids and isinstance(ids[0], UUID):
        by_hex = {i.hex: i for i in ids}
        return {by_hex[owner_id]: decode(text)[0] for owner_id, text in packed}
    return {owner_id: decode(text)[0] for owner_id, text in packed}


@cache
def _packed_sql(table: str, owner: str, value_json: str) -> str:
    return (
        f"""SELECT {owner}, '{{' || group_concat(json_quote("key") || ':' || {value_json}, ',') || '}}'"""
        f" FROM {table} WHERE {owner} IN (SELECT value FROM json_each(?)) GROUP BY {owner}"
    )


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


def _bag(
    connection: Connection, table: str, owner: str, columns: tuple[str, ...], ids: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """Return ``(owner, key, *columns)`` rows of a per-owner table for ``ids``, each owner's in key order.

    Run ids come back as the ``UUID`` objects given.
    """
    dialect = connection.dialect
    rows = _fetch(connection, _bag_sql(dialect.name, table, owner, columns, dialect), ids)
    if rows and ids and isinstance(ids[0], UUID) and not isinstance(rows[0][0], UUID):
        by_hex = {i.hex: i for i in ids}
        return [(by_hex[row[0]], *row[1:]) for row in rows]
    return rows


def _fetch(connection: Connection, sql: str, ids: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Run a compiled statement whose one parameter, ``ids``, is bound as :func:`_among` expects.

    Pages of 1,000 trials read 10,000s of rows, so the statement (compiled once per backend by
    SQLAlchemy) runs on the driver's cursor, skipping SQLAlchemy's per-row result handling.
    """
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        # Binary results: psycopg parses text floats six times slower than it reads binary ones.
        # The ids go as one array literal, which the statement casts, instead of being dumped one
        # by one in Python.
        with driver.cursor(binary=True) as cursor:  # type: ignore[union-attr]
            cursor.execute(sql, {"ids": "{" + ",".join(map(str, ids)) + "}"})
            return list(cursor.fetchall())
    cursor = driver.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, (_bound_ids(connection, ids)["ids"],))
        return list(cursor.fetchall())
    finally:
        cursor.close()


@cache
def _trial_sql(dialect_name: str, dialect: Any) -> str:
    """Each trial with its experiment's name and its runs, one row per run."""
    tr, e, tc = t.trial.c, t.experiment.c, t.trial_component.c
    statement = (
        select(tr.id, tr.name, e.name, tr.status, tr.start_time, tr.end_time, tc.run_id)
        .join(t.experiment, e.id == tr.experiment_id)
        .outerjoin(t.trial_component, tc.trial_id == tr.id)
        .where(_among(dialect_name, tr.id, uuid_ids=False))
        .order_by(tr.id, tc.run_id)
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
