"""The syntax tree of the search language: what the parser builds and the store compiles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

Namespace: TypeAlias = Literal["params", "metrics", "tags", "attributes", "inputs", "outputs"]
"""Where an identifier looks: a run's params, metrics, tags, attributes, or its dataset URIs."""

Aggregate: TypeAlias = Literal["last", "min", "max", "avg", "count"]
"""Which summary of a metric series an identifier reads; ``last`` when none is written."""

Operator: TypeAlias = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "NOT LIKE", "NOT ILIKE"]

Literal_: TypeAlias = str | int | float | bool
"""A literal value: a quoted string, a number, or ``true``/``false``."""

ATTRIBUTES: tuple[str, ...] = (
    "id",
    "name",
    "status",
    "kind",
    "experiment",
    "trial",
    "start_time",
    "end_time",
    "duration",
)
"""Attribute names, in the order the docs list them."""

_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def format_key(key: str) -> str:
    """Return ``key`` as the search language writes it: bare if it is a plain name, else in backticks.

    Args:
        key: A param, metric or tag key, or an attribute name.

    Returns:
        The key itself, or the key in backticks with each backtick doubled.
    """
    if _BARE_KEY.fullmatch(key):
        return key
    return "`" + key.replace("`", "``") + "`"


def format_literal(value: Literal_) -> str:
    """Return ``value`` as the search language writes it, so that parsing it gives ``value`` back.

    Args:
        value: A string, number or boolean.

    Returns:
        ``true``/``false``, the number's ``repr``, or the string in single quotes with quotes
        doubled and backslashes escaped.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _format_operand(expr: Expr) -> str:
    return f"({expr})" if isinstance(expr, And | Or) else str(expr)


@dataclass(frozen=True, slots=True)
class Identifier:
    """A thing a filter compares or an order-by sorts by.

    Attributes:
        namespace: Where the key is looked up.
        key: The param, metric or tag key; the attribute name; ``uri`` for inputs/outputs.
        aggregate: For metrics, which summary (``last`` by default); ``None`` otherwise.
        position: Offset of the identifier in the source text, for error messages.
    """

    namespace: Namespace
    key: str
    aggregate: Aggregate | None = None
    position: int = 0

    def __str__(self) -> str:
        key = format_key(self.key)
        suffix = f".{self.aggregate}" if self.aggregate and self.aggregate != "last" else ""
        return f"{self.namespace}.{key}{suffix}"


@dataclass(frozen=True, slots=True)
class Comparison:
    """``identifier <op> value``."""

    identifier: Identifier
    op: Operator
    value: Literal_
    position: int = 0

    def __str__(self) -> str:
        return f"{self.identifier} {self.op} {format_literal(self.value)}"


@dataclass(frozen=True, slots=True)
class InList:
    """``identifier [NOT] IN (v1, v2, …)``; the values are all numbers or all strings."""

    identifier: Identifier
    values: tuple[Literal_, ...]
    negated: bool = False
    position: int = 0

    def __str__(self) -> str:
        values = ", ".join(format_literal(value) for value in self.values)
        return f"{self.identifier} {'NOT IN' if self.negated else 'IN'} ({values})"


@dataclass(frozen=True, slots=True)
class IsNull:
    """``identifier IS [NOT] NULL``: whether the run has the key at all."""

    identifier: Identifier
    negated: bool = False
    position: int = 0

    def __str__(self) -> str:
        return f"{self.identifier} IS {'NOT NULL' if self.negated else 'NULL'}"


@dataclass(frozen=True, slots=True)
class And:
    """All of ``items`` hold (two or more)."""

    items: tuple[Expr, ...]

    def __str__(self) -> str:
        return " AND ".join(_format_operand(item) for item in self.items)


@dataclass(frozen=True, slots=True)
class Or:
    """Any of ``items`` holds (two or more)."""

    items: tuple[Expr, ...]

    def __str__(self) -> str:
        return " OR ".join(_format_operand(item) for item in self.items)


@dataclass(frozen=True, slots=True)
class Not:
    """``item`` does not hold."""

    item: Expr

    def __str__(self) -> str:
        return f"NOT {_format_operand(self.item)}"


Expr: TypeAlias = Comparison | InList | IsNull | And | Or | Not


@dataclass(frozen=True, slots=True)
class OrderKey:
    """One ``order_by`` entry: an identifier and its direction."""

    identifier: Identifier
    descending: bool = False

    def __str__(self) -> str:
        return f"{self.identifier} {'DESC' if self.descending else 'ASC'}"
