"""Reference semantics of mltrail's search, evaluated in plain Python over in-memory items.

This follows the module docstring of ``mltrail.store.search`` literally, with no SQL in sight, so
that property tests can compare the store's answers with it:

- every predicate is two-valued; ``NOT`` is plain negation;
- ``params``/``metrics``/``tags`` predicates hold only when the item has the key and the
  comparison holds (``!=``, ``NOT IN``, ``NOT LIKE`` included); ``IS NULL`` means the key is absent;
- a number compares with a param's numeric value (int and float params; not bools, not NaN,
  not strings), a string with the param's canonical text, ``true``/``false`` with the text
  ``'true'``/``'false'``;
- a metric predicate reads one aggregate; a NULL aggregate (NaN ``last``, no finite point for
  ``min``/``max``/``avg``) satisfies no comparison;
- ``inputs.uri``, ``outputs.uri`` and a run's ``trial`` are existential: positive operators hold
  when some value satisfies them, ``!=``/``NOT IN``/``NOT LIKE``/``NOT ILIKE`` when none satisfies
  the positive form;
- attributes compare their value; a missing ``end_time``/``duration`` satisfies only ``IS NULL``;
- ``LIKE`` is case-sensitive with ``%``, ``_`` and ``\\`` as escape; ``ILIKE`` folds ASCII case only
  (what SQLite's ``lower()`` and PostgreSQL's C locale do);
- strings order by code point (SQLite's BINARY collation and PostgreSQL's C locale agree on that
  for valid UTF-8).

Sorting puts NULLs last in both directions, compares a param by ``(numeric value, text)``, and
breaks ties by the entity id in the direction of the last sort key; the default order is
``start_time DESC``.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from mltrail.core.query import And, Comparison, Expr, Identifier, InList, IsNull, Not, Or, OrderKey

AGGREGATES = ("last", "min", "max", "avg", "count")
NEGATIVE_OPS = {"!=": "=", "NOT LIKE": "LIKE", "NOT ILIKE": "ILIKE"}
DEFAULT_ORDER = (OrderKey(Identifier("attributes", "start_time"), descending=True),)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class NotApplicable(ValueError):
    """The search is invalid for this target (e.g. ``kind`` on trials); the store raises too."""


# -- the data ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParamCell:
    """A param as search sees it: its numeric value (or None) and its canonical text."""

    num: float | None
    text: str


def param_cell(value: Any) -> ParamCell:
    """Return how a param value is typed for search: ``repr`` for floats, ``true``/``false`` for bools."""
    if isinstance(value, bool):
        return ParamCell(None, "true" if value else "false")
    if isinstance(value, int):
        return ParamCell(float(value), str(value))
    if isinstance(value, float):
        return ParamCell(None if math.isnan(value) else value, repr(value))
    if isinstance(value, str):
        return ParamCell(None, value)
    raise TypeError(f"brute_force models bool, int, float and str params only, not {value!r}")


def metric_summary(batches: Sequence[Sequence[tuple[float, int, int]]]) -> dict[str, Any]:
    """Return the aggregates of a metric logged as ``batches`` of ``(value, step, timestamp)`` points.

    ``last`` is the value of the point with the highest ``(step, timestamp)`` (a later point wins a
    tie), or None when that value is NaN; ``min``/``max``/``avg`` cover finite values only (None when
    there are none), with the sum accumulated per batch as the store does; ``count`` counts all.
    """
    last_at: tuple[int, int] | None = None
    last: float | None = None
    total, finite, count = 0.0, 0, 0
    low: float | None = None
    high: float | None = None
    for batch in batches:
        batch_total = 0.0
        for value, step, timestamp in batch:
            count += 1
            if math.isfinite(value):
                finite += 1
                batch_total += value
                low = value if low is None or value < low else low
                high = value if high is None or value > high else high
            if last_at is None or (step, timestamp) >= last_at:
                last_at, last = (step, timestamp), (None if math.isnan(value) else value)
        total += batch_total
    return {"last": last, "min": low, "max": high, "avg": total / finite if finite else None, "count": count}


@dataclass
class Item:
    """A trial or run as search sees it.

    Attributes:
        id: The tie-break sort key: a trial's creation order, a run's UUID.
        trials: For a run, the names of its trials (``trial`` is existential); None for a trial,
            whose ``trial`` attribute is its own name.
        kind: A run's kind; None for a trial (where ``kind`` and ``id`` are not applicable).
    """

    id: Any
    name: str
    experiment: str
    status: str
    start_time: int
    end_time: int | None
    params: dict[str, ParamCell] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    kind: str | None = None
    trials: tuple[str, ...] | None = None

    @property
    def is_run(self) -> bool:
        return self.trials is not None

    @property
    def duration(self) -> float | None:
        return None if self.end_time is None else (self.end_time - self.start_time) / 1000.0

    def attribute(self, name: str) -> Any:
        """Return an attribute's value (None for a missing end_time/duration)."""
        if name in ("id", "kind") and not self.is_run:
            raise NotApplicable(f"attribute {name!r} does not apply to trials")
        if name == "trial":
            if self.is_run:
                raise NotApplicable("a run's trial is multi-valued")
            return self.name
        return getattr(self, name)


# -- filters -----------------------------------------------------------------------------------


def like(text: str, pattern: str, *, fold: bool = False) -> bool:
    """SQL ``LIKE`` with ``\\`` as the escape character; ``fold`` folds ASCII case (``ILIKE``)."""
    if fold:
        text, pattern = text.translate(_ASCII_LOWER), pattern.translate(_ASCII_LOWER)
    regex: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise AssertionError(f"LIKE pattern {pattern!r} ends with the escape character")
            regex.append(re.escape(escaped))
        elif char == "%":
            regex.append(".*")
        elif char == "_":
            regex.append(".")
        else:
            regex.append(re.escape(char))
    return re.fullmatch("".join(regex), text, flags=re.DOTALL) is not None


def compare(left: Any, op: str, right: Any) -> bool:
    """Apply a comparison operator to two non-NULL values."""
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "LIKE":
        return like(left, right)
    if op == "ILIKE":
        return like(left, right, fold=True)
    if op == "NOT LIKE":
        return not like(left, right)
    if op == "NOT ILIKE":
        return not like(left, right, fold=True)
    raise AssertionError(f"unknown operator {op!r}")


def matches(expr: Expr | None, item: Item) -> bool:
    """Whether ``item`` satisfies the filter ``expr`` (None matches everything)."""
    if expr is None:
        return True
    if isinstance(expr, And):
        return all(matches(e, item) for e in expr.items)
    if isinstance(expr, Or):
        return any(matches(e, item) for e in expr.items)
    if isinstance(expr, Not):
        return not matches(expr.item, item)
    ident = expr.identifier
    if ident.namespace in ("params", "metrics", "tags"):
        return _keyed(expr, item)
    if ident.namespace == "inputs":
        return _some(expr, item.inputs)
    if ident.namespace == "outputs":
        return _some(expr, item.outputs)
    if ident.key == "trial" and item.is_run:
        assert item.trials is not None
        return _some(expr, item.trials)
    return _attribute(expr, item)


def filter_items(expr: Expr | None, items: Iterable[Item]) -> list[Item]:
    """Return the items that satisfy ``expr``, in the order given."""
    return [item for item in items if matches(expr, item)]


def _keyed(expr: Comparison | InList | IsNull, item: Item) -> bool:
    ident = expr.identifier
    cells: dict[str, Any] = getattr(item, ident.namespace)
    if ident.key not in cells:
        return isinstance(expr, IsNull) and not expr.negated
    if isinstance(expr, IsNull):
        return expr.negated
    cell = cells[ident.key]
    if isinstance(expr, InList):
        column = _keyed_value(ident, cell, expr.values[0])
        if column is None:
            return False
        values = [_bool_text(v) for v in expr.values]
        hit = any(column == value for value in values)
        return not hit if expr.negated else hit
    column = _keyed_value(ident, cell, expr.value)
    if column is None:
        return False
    return compare(column, expr.op, _bool_text(expr.value))


def _keyed_value(ident: Identifier, cell: Any, literal: Any) -> Any:
    """The value a literal compares with: a metric aggregate, a tag, or a param's number or text."""
    if ident.namespace == "metrics":
        return cell[ident.aggregate or "last"]
    if ident.namespace == "tags":
        return cell
    if isinstance(literal, (int, float)) and not isinstance(literal, bool):
        return cell.num
    return cell.text


def _bool_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _some(expr: Comparison | InList | IsNull, values: Sequence[str]) -> bool:
    if isinstance(expr, IsNull):
        return bool(values) if expr.negated else not values
    if isinstance(expr, InList):
        hit = any(value in expr.values for value in values)
        return not hit if expr.negated else hit
    positive = NEGATIVE_OPS.get(expr.op)
    if positive:
        return not any(compare(value, positive, expr.value) for value in values)
    return any(compare(value, expr.op, expr.value) for value in values)


def _attribute(expr: Comparison | InList | IsNull, item: Item) -> bool:
    name = expr.identifier.key
    value = item.attribute(name)
    if isinstance(expr, IsNull):
        return (value is not None) if expr.negated else (value is None)
    if value is None:
        return False
    if isinstance(expr, InList):
        values = [UUID(str(v)) for v in expr.values] if name == "id" else list(expr.values)
        hit = any(value == v for v in values)
        return not hit if expr.negated else hit
    literal = expr.value
    if name == "id":
        if expr.op not in ("=", "!="):
            raise NotApplicable("id compares only with =, != and IN")
        literal = UUID(str(literal))
    return compare(value, expr.op, literal)


# -- sorting -----------------------------------------------------------------------------------


def sort_value(item: Item, key: OrderKey) -> tuple[Any, ...]:
    """The sort columns of ``item`` for one key; None stands for NULL."""
    ident = key.identifier
    if ident.namespace == "params":
        cell = item.params.get(ident.key)
        return (None, None) if cell is None else (cell.num, cell.text)
    if ident.namespace == "metrics":
        summary = item.metrics.get(ident.key)
        return (None if summary is None else summary[ident.aggregate or "last"],)
    if ident.namespace == "tags":
        return (item.tags.get(ident.key),)
    if ident.namespace != "attributes":
        raise NotApplicable(f"cannot sort by {ident}")
    return (item.attribute(ident.key),)


def sort_values(item: Item, keys: Sequence[OrderKey]) -> tuple[tuple[Any, ...], ...]:
    """The sort columns of ``item`` for all keys (the default order when ``keys`` is empty)."""
    return tuple(sort_value(item, key) for key in (keys or DEFAULT_ORDER))


def _cmp(a: Any, b: Any, descending: bool) -> int:
    if a == b or (a is None and b is None):
        return 0
    if a is None:
        return 1  # NULLs last, whatever the direction
    if b is None:
        return -1
    result = -1 if a < b else 1
    return -result if descending else result


def sort_items(items: Iterable[Item], keys: Sequence[OrderKey]) -> list[Item]:
    """Sort like the store: key by key with NULLs last, then by id in the last key's direction."""
    keys = tuple(keys) or DEFAULT_ORDER

    def order(x: Item, y: Item) -> int:
        for key in keys:
            for a, b in zip(sort_value(x, key), sort_value(y, key), strict=True):
                result = _cmp(a, b, key.descending)
                if result:
                    return result
        return _cmp(x.id, y.id, keys[-1].descending)

    return sorted(items, key=functools.cmp_to_key(order))


__all__ = [
    "AGGREGATES",
    "DEFAULT_ORDER",
    "Item",
    "NotApplicable",
    "ParamCell",
    "compare",
    "filter_items",
    "like",
    "matches",
    "metric_summary",
    "param_cell",
    "sort_items",
    "sort_value",
    "sort_values",
]
