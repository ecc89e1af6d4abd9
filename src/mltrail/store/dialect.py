"""The few statements that differ between SQLite and PostgreSQL: upserts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_for(connection: Connection, table: Table) -> PgInsert | SqliteInsert:
    """Return an INSERT for ``table`` that supports ``ON CONFLICT`` on the connection's backend."""
    return pg_insert(table) if connection.dialect.name == "postgresql" else sqlite_insert(table)


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[dict[str, object]],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
) -> None:
    """Insert ``rows``; on a clash on ``conflict`` columns, overwrite ``update`` columns (or keep the row)."""
    if not rows:
        return
    statement = insert_for(connection, table)
    if update:
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=list(conflict), set_={name: statement.excluded[name] for name in update}
            ),
            list(rows),
        )
    else:
        connection.execute(statement.on_conflict_do_nothing(index_elements=list(conflict)), list(rows))
