"""The few statements that differ between SQLite and PostgreSQL: upserts, built once and reused."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_for(connection: Connection, table: Table) -> PgInsert | SqliteInsert:
    """Return an INSERT for ``table`` that supports ``ON CONFLICT`` on the connection's backend."""
    return pg_insert(table) if connection.dialect.name == "postgresql" else sqlite_insert(table)


@cache
def _upsert_statement(dialect: str, table: Table, conflict: tuple[str, ...], update: tuple[str, ...]) -> Any:
    statement = pg_insert(table) if dialect == "postgresql" else sqlite_insert(table)
    if update:
        return statement.on_conflict_do_update(
            index_elements=list(conflict), set_={name: statement.excluded[name] for name in update}
        )
    return statement.on_conflict_do_nothing(index_elements=list(conflict))


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
    may_repeat: bool = True,
) -> None:
    """Insert ``rows``; on a clash on ``conflict`` columns, overwrite ``update`` columns (or keep the row).

    The statement is built once per backend, table and column set, so repeated calls cost only
    the round trip. All rows must have the same keys. When several rows share a conflict key, the
    last one wins (PostgreSQL refuses to touch one row twice in one statement); callers that know
    their rows' keys are distinct pass ``may_repeat=False`` to skip that check.
    """
    if rows:
        statement = _upsert_statement(connection.dialect.name, table, tuple(conflict), tuple(update))
        if may_repeat:
            last = {tuple(row[name] for name in conflict): row for row in rows}
            rows = list(last.values()) if len(last) < len(rows) else rows
        connection.execute(statement, list(rows))
