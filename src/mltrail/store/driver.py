"""Statements compiled once per backend and run on the driver's cursor.

Ingesting one OpenLineage event runs about eight small statements. Through SQLAlchemy each
costs 20–30 µs of Python (cache lookup, parameter processing, result setup) on top of the few
microseconds the database needs; on the driver's cursor it costs what the database does. A
:class:`Query` is written as a Core statement, compiled by SQLAlchemy for each backend the first
time it runs there, and afterwards only binds values and converts results:

- lists of values are bound as one parameter (:func:`among`): an array on PostgreSQL, a JSON
  array read with ``json_each`` on SQLite, so a statement's text never depends on the list's
  length (no re-rendering, one plan);
- UUIDs go to SQLite as the 32-digit hex text SQLAlchemy's ``Uuid`` stores, and come back as
  ``UUID``; JSON columns come back parsed on both backends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Boolean, Connection, Uuid, any_, bindparam, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import Executable
from sqlalchemy.types import TypeEngine


def among(column: Any, name: str, element: TypeEngine[Any], *, dialect: str) -> ColumnElement[bool]:
    """``column IN (<the list bound as parameter name>)`` for :class:`Query` statements."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(name, type_=ARRAY(element)))  # type: ignore[no-any-return]
    listed = func.json_each(bindparam(name)).table_valued("value")
    return column.in_(select(listed.c.value))  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...] | None
    """Parameter names in order (SQLite's ``?``), or ``None`` for named parameters (psycopg)."""
    defaults: dict[str, Any]
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]
    """Result columns that need converting, by position."""


class Query:
    """A statement built by ``build(dialect_name)``, compiled once per backend, run on the driver's cursor.

    The statement's parameters are named bind parameters; lists are bound with :func:`among`.
    """

    def __init__(self, build: Callable[[str], Executable]) -> None:
        self._build = build
        self._plans: dict[str, _Plan] = {}

    def rows(self, connection: Connection, **params: Any) -> list[tuple[Any, ...]]:
        """Run the statement and return its rows, UUID and JSON columns converted."""
        plan, cursor = self._run(connection, params)
        try:
            found = cursor.fetchall()
        finally:
            cursor.close()
        if not plan.converters:
            return list(found)
        converted = []
        for row in found:
            values = list(row)
            for index, convert in plan.converters:
                if values[index] is not None:
                    values[index] = convert(values[index])
            converted.append(tuple(values))
        return converted

    def execute(self, connection: Connection, **params: Any) -> int:
        """Run a statement that returns no rows; return how many rows it changed."""
        _, cursor = self._run(connection, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _run(self, connection: Connection, params: dict[str, Any]) -> tuple[_Plan, Any]:
        dialect = connection.dialect
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self._build(dialect.name), dialect)
        values = {**plan.defaults, **params}
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if plan.names is None:
                cursor.execute(plan.sql, values)
            else:
                cursor.execute(plan.sql, tuple(_for_sqlite(values[name]) for name in plan.names))
        except BaseException:
            cursor.close()
            raise
        return plan, cursor


def _compile(statement: Executable, dialect: Any) -> _Plan:
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    positional = dialect.name == "sqlite"
    converters: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(getattr(statement, "selected_columns", ())):
        convert = _result_converter(column.type, sqlite=positional)
        if convert is not None:
            converters.append((index, convert))
    return _Plan(
        sql=str(compiled),
        names=tuple(compiled.positiontup) if positional else None,
        defaults={key: value for key, value in compiled.params.items() if value is not None},
        converters=tuple(converters),
    )


def _result_converter(kind: TypeEngine[Any], *, sqlite: bool) -> Callable[[Any], Any] | None:
    if not sqlite:
        return None  # psycopg returns UUIDs, booleans and parsed JSON itself
    if isinstance(kind, JSON):
        return json.loads
    if isinstance(kind, Uuid):
        return _uuid_from_hex
    if isinstance(kind, Boolean):
        return bool
    return None


def _uuid_from_hex(value: str) -> UUID:
    return UUID(hex=value)


def _for_sqlite(value: Any) -> Any:
    """A value as SQLite stores it: UUIDs as hex text, lists as JSON arrays for ``json_each``."""
    if isinstance(value, UUID):
        return value.hex
    if isinstance(value, list | tuple | set | frozenset):
        return _json_array(value)
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _json_array(values: Any) -> str:
    """A JSON array of ``values``: UUIDs (as hex), integers or strings, each encoded by the fastest means."""
    items = list(values)
    if all(isinstance(item, UUID) for item in items):
        return '["' + '","'.join(item.hex for item in items) + '"]' if items else "[]"
    if all(type(item) is int for item in items):
        return "[" + ",".join(map(str, items)) + "]"
    if all(type(item) is str for item in items):
        return "[" + ",".join(map(_json_string, items)) + "]"
    return json.dumps(items)


_json_string: Callable[[str], str] = json.encoder.encode_basestring_ascii
"""JSON text of one string (the json module's C function)."""


__all__ = ["Query", "among"]
