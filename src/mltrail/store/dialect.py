"""The statements that differ between SQLite and PostgreSQL: upserts and bulk inserts, built once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table, Uuid
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


class RawJSON(str):
    """JSON text to store as it is in a JSON column by :func:`bulk_insert`, not encoded again."""


def insert_for(dialect: str, table: Table) -> PgInsert | SqliteInsert:
    """Return an INSERT for ``table`` that supports ``ON CONFLICT`` on the backend named ``dialect``."""
    return pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)


@cache
def _insert_missing_statement(dialect: str, table: Table, conflict: tuple[str, ...]) -> Any:
    return insert_for(dialect, table).on_conflict_do_nothing(index_elements=list(conflict))


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
    may_repeat: bool = True,
    new_owners: AbstractSet[Any] = frozenset(),
) -> None:
    """Insert ``rows``; on a clash on ``conflict`` columns, overwrite ``update`` columns (or keep the row).

    The statement is built once per backend, table and column set and runs on the driver's
    cursor (``executemany``), so repeated calls cost only the round trips. All rows must have
    the same keys and every column the table needs (Python-side column defaults are not
    applied). When several rows share a conflict key, the last one wins; callers that know their
    rows' keys are distinct pass ``may_repeat=False`` to skip that check.

    Rows whose first ``conflict`` column is in ``new_owners`` (owners this transaction created,
    so no stored row can clash with theirs) skip the conflict check: they are bulk inserted.
    """
    if not rows:
        return
    if may_repeat:
        last = {tuple(row[name] for name in conflict): row for row in rows}
        rows = list(last.values()) if len(last) < len(rows) else rows
    if new_owners:
        owner = conflict[0]
        bulk_insert(connection, table, [row for row in rows if row[owner] in new_owners])
        rows = [row for row in rows if row[owner] not in new_owners]
        if not rows:
            return
    _insert_on_driver(connection, table, rows, conflict=tuple(conflict), update=tuple(update))


def insert_missing(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    returning: str = "id",
) -> list[Any]:
    """Insert the ``rows`` whose ``conflict`` key is not stored yet; return ``returning`` of those inserted.

    Rows another writer inserted first are left alone and not returned.
    """
    if not rows:
        return []
    statement = _insert_missing_statement(connection.dialect.name, table, tuple(conflict))
    return list(connection.execute(statement.returning(table.c[returning]), list(rows)).scalars())


@cache
def _insert_plan(
    dialect: Any,
    table: Table,
    columns: tuple[str, ...],
    conflict: tuple[str, ...] | None,
    update: tuple[str, ...],
) -> tuple[str, list[Any]]:
    """Return the driver SQL inserting ``columns`` into ``table``, and a converter per column.

    Without ``conflict`` columns the rows must be new (``COPY`` on PostgreSQL); with them, a
    clashing row is skipped, or its ``update`` columns overwritten.
    """
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    table_name = dialect.identifier_preparer.format_table(table)
    converters: list[Any] = []
    placeholders = []
    mark = "?" if dialect.name == "sqlite" else "%s"
    for name in columns:
        kind = table.c[name].type
        json_on_postgres = isinstance(kind, JSON) and dialect.name == "postgresql"
        placeholders.append(f"{mark}::json" if json_on_postgres else mark)
        if isinstance(kind, Uuid):
            converters.append((lambda v: v if v is None else v.hex) if dialect.name == "sqlite" else None)
        elif isinstance(kind, JSON):
            converters.append(lambda v: v if v is None or isinstance(v, RawJSON) else json.dumps(v))
        else:
            converters.append(None)
    if conflict is None:
        if dialect.name == "postgresql":
            return f"COPY {table_name} ({names}) FROM STDIN", converters
        return f"INSERT INTO {table_name} ({names}) VALUES ({', '.join(placeholders)})", converters
    target = f"({', '.join(quote(name) for name in conflict)}) " if conflict else ""
    action = (
        "DO UPDATE SET " + ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in update)
        if update
        else "DO NOTHING"
    )
    values = ", ".join(placeholders)
    return f"INSERT INTO {table_name} ({names}) VALUES ({values}) ON CONFLICT {target}{action}", converters


def bulk_insert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    skip_on: Sequence[str] | None = None,
) -> None:
    """Insert new rows on the driver's cursor: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

    For the set-wise recording of new runs, where SQLAlchemy's per-row parameter handling costs
    more than the database. Values are bound (or streamed by ``COPY``), never put in the SQL text.
    All rows must have the same keys. With ``skip_on`` (a unique key's columns, or ``()`` for any
    unique key), rows that clash with stored ones are skipped instead of failing (``executemany``
    on PostgreSQL too).
    """
    _insert_on_driver(
        connection, table, rows, conflict=None if skip_on is None else tuple(skip_on), update=()
    )


def _insert_on_driver(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: tuple[str, ...] | None,
    update: tuple[str, ...],
) -> None:
    if not rows:
        return
    columns = tuple(rows[0])
    sql, converters = _insert_plan(connection.dialect, table, columns, conflict, update)
    values: list[tuple[Any, ...]] = list(map(itemgetter(*columns), rows))
    if len(columns) == 1:
        values = [(value,) for value in values]
    converting = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
    if converting:
        values = [_converted(row, converting) for row in values]
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if connection.dialect.name == "postgresql" and conflict is None:
            with cursor.copy(sql) as copy:
                for row in values:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, values)
    finally:
        cursor.close()


def _converted(row: tuple[Any, ...], converting: list[tuple[int, Any]]) -> tuple[Any, ...]:
    """Return ``row`` with the values at the given positions passed through their converters."""
    values = list(row)
    for i, convert in converting:
        values[i] = convert(values[i])
    return tuple(values)
